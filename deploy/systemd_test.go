package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// readUnit reads a systemd unit file: section -> key -> values in order.
// (systemd-analyze verify, from deploy/dev/test, checks the rest.)
func readUnit(t *testing.T, path string) (map[string]map[string][]string, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string]map[string][]string{}
	var cur map[string][]string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			cur = map[string][]string{}
			unit[strings.Trim(line, "[]")] = cur
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == nil {
				t.Fatalf("%s:%d: %q", path, n, line)
			}
			cur[k] = append(cur[k], v)
		}
	}
	return unit, string(data)
}

// TestSystemdUnit: the unit runs hotline serve as its own user, hardened,
// restarts it on failure, and lets SIGTERM's drain run its course.
func TestSystemdUnit(t *testing.T) {
	cfg := readHotlineConfig(t, "hotline.example.yaml")
	unit, text := readUnit(t, filepath.Join("systemd", "hotline.service"))
	svc := unit["Service"]
	if svc == nil {
		t.Fatal("no [Service]")
	}
	last := func(k string) string {
		if vs := svc[k]; len(vs) > 0 {
			return vs[len(vs)-1]
		}
		return ""
	}
	want := map[string]string{
		"User":                   "hotline",
		"ProtectSystem":          "strict",
		"NoNewPrivileges":        "yes",
		"PrivateTmp":             "yes",
		"ProtectHome":            "yes",
		"CapabilityBoundingSet":  "",
		"Restart":                "on-failure",
		"KillSignal":             "SIGTERM",
		"StateDirectory":         "hotline",
		"WorkingDirectory":       "/var/lib/hotline",
		"RestrictSUIDSGID":       "yes",
		"MemoryDenyWriteExecute": "yes",
	}
	for k, v := range want {
		if _, ok := svc[k]; !ok || last(k) != v {
			t.Errorf("[Service] %s=%q, want %q", k, last(k), v)
		}
	}
	exec := strings.Fields(last("ExecStart"))
	if len(exec) < 2 || !filepath.IsAbs(exec[0]) || filepath.Base(exec[0]) != "hotline" || exec[1] != "serve" {
		t.Errorf("ExecStart=%q: want an absolute path to hotline, serve", last("ExecStart"))
	}
	if env := last("EnvironmentFile"); !filepath.IsAbs(strings.TrimPrefix(env, "-")) {
		t.Errorf("EnvironmentFile=%q: want the secrets' file", env)
	}
	// The drain: TimeoutStopSec a little above http.shutdown_timeout.
	stop, err := time.ParseDuration(last("TimeoutStopSec"))
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v", err)
	}
	drain := cfg.shutdownTimeout(t)
	if stop <= drain || stop > drain+30*time.Second {
		t.Errorf("TimeoutStopSec=%v: want a little more than http.shutdown_timeout %v", stop, drain)
	}
	// The unit's comment names every secret the configuration reads.
	for _, name := range envNames(t) {
		if !strings.Contains(text, name) {
			t.Errorf("the unit's notes on the environment file do not name %s", name)
		}
	}
	if !slices.Contains(unit["Install"]["WantedBy"], "multi-user.target") {
		t.Error("[Install] WantedBy=multi-user.target is missing")
	}
	users, err := os.ReadFile(filepath.Join("systemd", "hotline.sysusers"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(users), "\nu hotline ") {
		t.Error("hotline.sysusers does not create the user hotline")
	}
}
