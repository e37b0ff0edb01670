package pgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// binaries are the PostgreSQL programs a server needs.
type binaries struct {
	initdb, postgres string
}

// debianLib is where Debian installs each major version's binaries, in
// VERSION/bin, off PATH.
const debianLib = "/usr/lib/postgresql"

// findBinaries looks for initdb and postgres on PATH, then in the newest
// lib/VERSION/bin.
func findBinaries(lib string) (binaries, error) {
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return binaries{initdb: initdb, postgres: postgres}, nil
	}
	dirs, _ := filepath.Glob(filepath.Join(lib, "*", "bin"))
	slices.SortFunc(dirs, func(a, b string) int { return majorVersion(b) - majorVersion(a) })
	for _, dir := range dirs {
		b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	return binaries{}, ErrNoBinaries
}

// majorVersion reads 15 out of /usr/lib/postgresql/15/bin; 0 if it cannot.
func majorVersion(binDir string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(filepath.Base(filepath.Dir(binDir))))
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
