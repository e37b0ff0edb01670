package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/console/web"
)

// pagePolicy is the content policy of the browser application (package
// web): its own scripts and styles (no inline ones), its own images, the
// API over fetch and the event stream, and the recordings' audio from the
// API; no frames, no plugins, no other origin. The API's answers keep the
// stricter policy of securityHeaders.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// appFile is one file of the application, read once.
type appFile struct {
	name string
	data []byte
	etag string
}

// newApp serves the embedded application.
func newApp() (http.Handler, error) {
	files, err := appFiles(web.Files())
	if err != nil {
		return nil, err
	}
	return appHandler(files), nil
}

// appFiles reads the application's files from fsys.
func appFiles(fsys fs.FS) (map[string]appFile, error) {
	files := map[string]appFile{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[path] = appFile{name: path, data: b, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the web application: %w", err)
	}
	if _, ok := files["index.html"]; !ok {
		return nil, fmt.Errorf("the web application has no index.html")
	}
	return files, nil
}

// appHandler serves GET / (index.html) and GET /assets/... from files.
// Browsers revalidate each file (no-cache) by its ETag, so a new binary's
// pages are used at once and an unchanged file costs a 304.
func appHandler(files map[string]appFile) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		f, ok := files[name]
		if !ok || !strings.HasPrefix(name, "assets/") && name != "index.html" {
			writeError(w, http.StatusNotFound, "no such page: %s", r.URL.Path)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", pagePolicy)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
	})
}
