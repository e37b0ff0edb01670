package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files is the application: index.html at its root, everything it loads
// under assets/.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}
