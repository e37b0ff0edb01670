package console_test

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console/web"
)

// pagePolicy is the content policy the application's page and files are
// served with: its own scripts, styles, images, API and audio, nothing
// inline, nothing from elsewhere.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// TestAppServed: / is the application's page and /assets/ its files, each
// with the page's content policy and the other security headers, an ETag
// that answers 304 when unchanged; a directory or a missing file is a JSON
// 404, and a file outside assets/ is not served.
func TestAppServed(t *testing.T) {
	e := newEnv(t)
	page := e.must(http.StatusOK, "GET", "/", "", "", nil)
	if ct := page.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("/: Content-Type %q", ct)
	}
	if !strings.Contains(string(page.body), `<script type="module" src="/assets/app.js"></script>`) {
		t.Errorf("/ does not load the application:\n%s", page.body)
	}
	for path, ct := range map[string]string{
		"/":                      "text/html; charset=utf-8",
		"/assets/app.js":         "text/javascript; charset=utf-8",
		"/assets/app.css":        "text/css; charset=utf-8",
		"/assets/i18n.js":        "text/javascript; charset=utf-8",
		"/assets/icon.svg":       "image/svg+xml",
		"/assets/board.js":       "text/javascript; charset=utf-8",
		"/assets/agent.js":       "text/javascript; charset=utf-8",
		"/assets/records.js":     "text/javascript; charset=utf-8",
		"/assets/review.js":      "text/javascript; charset=utf-8",
		"/assets/calibration.js": "text/javascript; charset=utf-8",
	} {
		r := e.must(http.StatusOK, "GET", path, "", "", nil)
		if got := r.header.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", path, got, ct)
		}
		for k, v := range map[string]string{"Content-Security-Policy": pagePolicy, "X-Content-Type-Options": "nosniff",
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		etag := r.header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", path)
			continue
		}
		if again := e.do("GET", path, "", "", "If-None-Match", etag); again.status != http.StatusNotModified {
			t.Errorf("%s with its ETag: status %d, want 304", path, again.status)
		}
	}
	for _, path := range []string{"/assets/", "/assets/nope.js", "/index.html", "/assets/../index.html"} {
		r := e.do("GET", path, "", "")
		if r.status == http.StatusOK {
			t.Errorf("GET %s: 200, want a refusal", path)
		}
	}
	if r := e.do("GET", "/assets/nope.js", "", ""); r.status != http.StatusNotFound || !strings.Contains(r.errorMessage(t), "no such page") {
		t.Errorf("a missing file: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/", "", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", r.status)
	}
}

// TestAppFilesKeepThePolicy reads the application's files: no inline
// script or style and no event-handler attribute in the page (the policy
// would block them), nothing loaded from another origin, and every module
// a script imports is there.
func TestAppFilesKeepThePolicy(t *testing.T) {
	files := web.Files()
	page, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
		regexp.MustCompile(`(?:src|href)="(?:https?:)?//`),
	} {
		if m := bad.Find(page); m != nil {
			t.Errorf("index.html has %q, which the page's policy forbids or which loads from elsewhere", m)
		}
	}
	imports := regexp.MustCompile(`(?m)^import .* from "\./([a-z0-9-]+\.js)";$`)
	err = fs.WalkDir(files, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		if m := regexp.MustCompile(`https?://|\beval\(|new Function\(|innerHTML\s*=`).Find(b); m != nil {
			t.Errorf("%s uses %q", path, m)
		}
		for _, m := range imports.FindAllSubmatch(b, -1) {
			if _, err := fs.Stat(files, "assets/"+string(m[1])); err != nil {
				t.Errorf("%s imports %s: %v", path, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAppTextInBothLanguages: every UI text key is in Chinese and in
// English, and every key the page and its scripts name is one of them.
func TestAppTextInBothLanguages(t *testing.T) {
	files := web.Files()
	src, err := fs.ReadFile(files, "assets/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	zhAt, enAt := strings.Index(s, "\n  zh: {"), strings.Index(s, "\n  en: {")
	if zhAt < 0 || enAt < zhAt {
		t.Fatal("i18n.js has no zh block followed by an en block")
	}
	keyRE := regexp.MustCompile(`(?m)^\s+"([a-zA-Z0-9_.-]+)": "`)
	keys := func(block string) map[string]bool {
		out := map[string]bool{}
		for _, m := range keyRE.FindAllStringSubmatch(block, -1) {
			out[m[1]] = true
		}
		return out
	}
	zh, en := keys(s[zhAt:enAt]), keys(s[enAt:])
	for k := range zh {
		if !en[k] {
			t.Errorf("%s has no English text", k)
		}
	}
	for k := range en {
		if !zh[k] {
			t.Errorf("%s has no Chinese text", k)
		}
	}
	used := regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([^"]+)"|\bt\("([a-zA-Z0-9_.]*[a-zA-Z0-9_])"`) // not a prefix ("state." + ...)
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "assets/i18n.js" {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if k := m[1] + m[2]; !zh[k] {
				t.Errorf("%s names the text %q, which i18n.js does not have", path, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
