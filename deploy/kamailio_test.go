package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestKamailioFiles: what "kamailio -c" (deploy/dev/test) does not read:
// dispatcher.list has the Asterisk servers in the set kamailio.cfg
// dispatches to, and the db_text tables are as Kamailio 5.6's schema has
// them, with a SIP account for each agent phone pjsip.conf has.
func TestKamailioFiles(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("kamailio", "kamailio.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	set := regexp.MustCompile(`(?m)^#!define DS_ASTERISKS (\d+)$`).FindSubmatch(cfg)
	if set == nil {
		t.Fatal("kamailio.cfg: no #!define DS_ASTERISKS")
	}

	f, err := os.Open(filepath.Join("kamailio", "dispatcher.list"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	servers := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			t.Errorf("dispatcher.list:%d: want setid destination [flags priority attrs]: %q", n, line)
			continue
		}
		for _, i := range []int{0, 2, 3} {
			if i < len(fields) {
				if _, err := strconv.Atoi(fields[i]); err != nil {
					t.Errorf("dispatcher.list:%d: field %d %q is not a number", n, i+1, fields[i])
				}
			}
		}
		if !strings.HasPrefix(fields[1], "sip:") {
			t.Errorf("dispatcher.list:%d: destination %q is not a sip: URI", n, fields[1])
		}
		if fields[0] == string(set[1]) {
			servers++
		}
	}
	if servers < 2 {
		t.Errorf("dispatcher.list has %d Asterisk servers in set %s, want several", servers, set[1])
	}

	// db_text: the first line of a table is its columns.
	read := func(name string) []string {
		data, err := os.ReadFile(filepath.Join("kamailio", "dbtext", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	}
	version := read("version")
	if version[0] != "id(int,auto) table_name(string) table_version(int) " || !slices.Contains(version, "0:subscriber:7") {
		t.Errorf("dbtext/version: want Kamailio 5.6's header and subscriber at version 7, have %q", version)
	}
	sub := read("subscriber")
	// Kamailio 5.6's columns, with the hashes allowed empty: db_text
	// refuses a table with an empty value in a column not marked null
	// (and with it every REGISTER), and the passwords are plain.
	if sub[0] != "id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) " {
		t.Fatalf("dbtext/subscriber: header %q is not Kamailio 5.6's with ha1 and ha1b null", sub[0])
	}
	var users []string
	for i, row := range sub[1:] {
		cols := strings.Split(row, ":")
		if len(cols) != 6 || cols[1] == "" || cols[3] == "" {
			t.Errorf("dbtext/subscriber:%d: want id:username:domain:password:ha1:ha1b with a user and password: %q", i+2, row)
			continue
		}
		users = append(users, cols[1])
	}
	// Each agent phone of pjsip.conf (an endpoint with auth) has an account.
	pj := readINI(t, filepath.Join("asterisk", "pjsip.conf"))
	for _, s := range pj.sections {
		keys := pj.resolved(t, s)
		if s.isTemplate || get(keys, "type") != "endpoint" || get(keys, "auth") == "" {
			continue
		}
		if !slices.Contains(users, s.name) {
			t.Errorf("dbtext/subscriber has no account for phone %s (pjsip.conf)", s.name)
		}
	}
}
