package deploy

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string            `yaml:"image"`
	Build           *composeBuild     `yaml:"build"`
	NetworkMode     string            `yaml:"network_mode"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Volumes         []string          `yaml:"volumes"`
	DependsOn       yaml.Node         `yaml:"depends_on"`
	StopSignal      string            `yaml:"stop_signal"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// deps are the services s depends on (depends_on, a list or a map).
func (s composeService) deps(t *testing.T) []string {
	t.Helper()
	var names []string
	switch s.DependsOn.Kind {
	case 0:
	case yaml.SequenceNode:
		if err := s.DependsOn.Decode(&names); err != nil {
			t.Fatal(err)
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := s.DependsOn.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for name := range m {
			names = append(names, name)
		}
	default:
		t.Fatalf("depends_on: %v", s.DependsOn.Kind)
	}
	return names
}

// mount is one "source:target[:ro]" volume of a service.
type mount struct{ source, target string }

func (s composeService) mounts() []mount {
	var ms []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		ms = append(ms, mount{parts[0], parts[1]})
	}
	return ms
}

func (s composeService) mountedAt(target string) (string, bool) {
	for _, m := range s.mounts() {
		if m.target == target {
			return m.source, true
		}
	}
	return "", false
}

// envRef is a ${NAME...} reference to compose's environment (.env).
var envRef = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`)

// TestCompose: compose.yaml brings up the five services of a single box,
// Hotline's secrets come from .env under the names the configuration
// reads, and every file, port and path agrees with the configuration
// mounted, Asterisk's files and the Dockerfile.
func TestCompose(t *testing.T) {
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"asterisk", "postgres", "hotline", "prometheus", "grafana"} {
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
		if s.NetworkMode != "host" {
			t.Errorf("service %s: network_mode %q; all share the host's (see the file's notes)", name, s.NetworkMode)
		}
	}
	// Every named volume is declared, every bind mount's source exists.
	for name, s := range c.Services {
		for _, m := range s.mounts() {
			if strings.HasPrefix(m.source, ".") {
				if _, err := os.Stat(m.source); err != nil {
					t.Errorf("service %s mounts %s: %v", name, m.source, err)
				}
			} else if _, ok := c.Volumes[m.source]; !ok {
				t.Errorf("service %s mounts volume %s, which volumes: lacks", name, m.source)
			}
		}
		for _, dep := range s.deps(t) {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %s: no such service", name, dep)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("service %s builds %s: %v", name, s.Build.Dockerfile, err)
			}
		}
	}

	// Asterisk gets each file of deploy/asterisk, and Hotline's prompts.
	ast := c.Services["asterisk"]
	confs, _ := filepath.Glob(filepath.Join("asterisk", "*.conf"))
	if len(confs) < 7 {
		t.Fatalf("found %d files in asterisk/", len(confs))
	}
	for _, f := range confs {
		src, ok := ast.mountedAt("/etc/asterisk/" + filepath.Base(f))
		if !ok || filepath.Clean(src) != f {
			t.Errorf("asterisk does not mount %s at /etc/asterisk/%s", f, filepath.Base(f))
		}
	}
	sounds, _ := ast.mountedAt("/var/lib/asterisk/sounds/hotline")
	pr := c.Services["prompts"]
	if ps, _ := pr.mountedAt("/sounds/hotline"); sounds == "" || ps != sounds ||
		!slices.Equal(pr.Command, []string{"prompts", "install", "/sounds"}) {
		t.Errorf("the prompts service must install into the volume Asterisk plays from (%s)", sounds)
	}

	// Hotline: its configuration, flows and secrets.
	hl := c.Services["hotline"]
	cmd := dockerfileCmd(t)
	cfgPath := cmd[slices.Index(cmd, "--config")+1]
	src, ok := hl.mountedAt(cfgPath)
	if !ok {
		t.Fatalf("hotline: nothing is mounted at %s, the Dockerfile's --config", cfgPath)
	}
	cfg := readHotlineConfig(t, src)
	if flows, ok := hl.mountedAt(cfg.Flows.Dir); !ok {
		t.Errorf("hotline: flows.dir %s of %s is not mounted", cfg.Flows.Dir, src)
	} else if matches, _ := filepath.Glob(filepath.Join(flows, "*.yaml")); len(matches) == 0 {
		t.Errorf("hotline: the flows mounted from %s are no flows", flows)
	}
	if data, ok := hl.mountedAt("/var/lib/hotline"); !ok || strings.HasPrefix(data, ".") {
		t.Error("hotline: /var/lib/hotline (spool, recordings) must be a named volume")
	}
	names := envNames(t)
	for k, v := range hl.Environment {
		if !slices.Contains(names, k) {
			t.Errorf("hotline's environment sets %s, which the configuration does not read (it reads %v)", k, names)
		}
		if k != "DATABASE_URL" && !strings.HasPrefix(v, "${"+k) {
			t.Errorf("hotline's %s = %q: a secret comes from .env as ${%s}", k, v, k)
		}
	}
	for _, k := range requiredEnv {
		if _, ok := hl.Environment[k]; !ok {
			t.Errorf("hotline's environment lacks %s", k)
		}
	}
	grace, err := time.ParseDuration(hl.StopGracePeriod)
	if err != nil || hl.StopSignal != "SIGTERM" || grace <= cfg.shutdownTimeout(t) {
		t.Errorf("hotline: stop_signal %q, stop_grace_period %q: want SIGTERM and more than http.shutdown_timeout %v",
			hl.StopSignal, hl.StopGracePeriod, cfg.shutdownTimeout(t))
	}
	// ARI where Asterisk's http.conf serves it; the database Postgres is.
	http := readINI(t, filepath.Join("asterisk", "http.conf")).section("general")
	if want := "http://" + get(http.keys, "bindaddr") + ":" + get(http.keys, "bindport") + "/ari"; cfg.ARI.URL != want {
		t.Errorf("%s: ari.url %s, want %s (asterisk/http.conf)", src, cfg.ARI.URL, want)
	}
	pg := c.Services["postgres"]
	if db := hl.Environment["DATABASE_URL"]; !strings.Contains(db, "hotline:${POSTGRES_PASSWORD}@127.0.0.1:5432/"+pg.Environment["POSTGRES_DB"]) {
		t.Errorf("DATABASE_URL %q does not name the postgres service's user, password and database", db)
	}

	// Prometheus scrapes Hotline's metrics listener.
	prom := c.Services["prometheus"]
	promCfg, ok := prom.mountedAt("/etc/prometheus/prometheus.yml")
	if !ok {
		t.Fatal("prometheus: no prometheus.yml mounted")
	}
	pdata, err := os.ReadFile(promCfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.MetricsListen == "" || !strings.Contains(string(pdata), `"`+cfg.HTTP.MetricsListen+`"`) {
		t.Errorf("%s does not scrape hotline's http.metrics_listen %q", promCfg, cfg.HTTP.MetricsListen)
	}
	// Grafana's provisioning and dashboards exist.
	gr := c.Services["grafana"]
	for _, target := range []string{"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} {
		if _, ok := gr.mountedAt(target); !ok {
			t.Errorf("grafana: nothing mounted at %s", target)
		}
	}

	// Prometheus loads the alert rules that promtool checks.
	if _, ok := c.Services["prometheus"].mountedAt("/etc/prometheus/alerts.yml"); !ok || !strings.Contains(string(pdata), "/etc/prometheus/alerts.yml") {
		t.Error("prometheus: deploy/prometheus/alerts.yml is not mounted and loaded (rule_files)")
	}
	// The dashboards (deploy/grafana) use the provisioned data source:
	// through a data source variable of Prometheus's type, or by its uid.
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	dsData, err := os.ReadFile(filepath.Join("compose", "grafana", "provisioning", "datasources", "prometheus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(dsData, &ds); err != nil || len(ds.Datasources) != 1 {
		t.Fatalf("grafana data sources: %v, %d of them", err, len(ds.Datasources))
	}
	boards, _ := filepath.Glob(filepath.Join("grafana", "*.json"))
	if len(boards) == 0 {
		t.Error("no Grafana dashboard")
	}
	for _, b := range boards {
		data, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		var board struct {
			UID        string `json:"uid"`
			Templating struct {
				List []struct {
					Name, Type string
					Query      json.RawMessage // a string for a data source; an object for others
				} `json:"list"`
			} `json:"templating"`
			Panels []struct {
				Title      string `json:"title"`
				Type       string `json:"type"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(data, &board); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		vars := map[string]bool{}
		for _, v := range board.Templating.List {
			if v.Type == "datasource" && string(v.Query) == `"`+ds.Datasources[0].Type+`"` {
				vars["${"+v.Name+"}"] = true
			}
		}
		for _, p := range board.Panels {
			if p.Type != "row" && p.Datasource.UID != ds.Datasources[0].UID && !vars[p.Datasource.UID] {
				t.Errorf("%s: panel %q uses data source %q, neither the provisioned %q nor a variable of its type", b, p.Title, p.Datasource.UID, ds.Datasources[0].UID)
			}
		}
	}

	// Every ${NAME} compose reads is in compose.env.example.
	example, err := os.ReadFile("compose.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range envRef.FindAllStringSubmatch(string(data), -1) {
		if !strings.Contains(string(example), m[1]+"=") {
			t.Errorf("compose.yaml reads ${%s}, which compose.env.example lacks", m[1])
		}
	}
}

// dockerfileCmd returns the Dockerfile's CMD, after checking the image is
// static, non-root and exposes Hotline's port.
func dockerfileCmd(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmd []string
	var user string
	var froms int
	var static bool
	var exposed []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "FROM":
			froms++
			user = ""
		case "USER":
			user = rest
		case "RUN":
			if strings.Contains(rest, "CGO_ENABLED=0") && strings.Contains(rest, "go build") {
				static = true
			}
		case "EXPOSE":
			p, err := strconv.Atoi(rest)
			if err != nil {
				t.Fatalf("Dockerfile: EXPOSE %s", rest)
			}
			exposed = append(exposed, p)
		case "CMD":
			if err := yaml.Unmarshal([]byte(rest), &cmd); err != nil {
				t.Fatalf("Dockerfile: CMD %s: %v", rest, err)
			}
		}
	}
	if froms < 2 || !static {
		t.Error("Dockerfile: want a multi-stage build of a static binary (CGO_ENABLED=0)")
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("Dockerfile: the image runs as %q, want a non-root USER", user)
	}
	cfg := readHotlineConfig(t, filepath.Join("compose", "hotline.yaml"))
	if !slices.Contains(exposed, port(t, cfg.HTTP.Listen)) {
		t.Errorf("Dockerfile: EXPOSE %v lacks http.listen %s", exposed, cfg.HTTP.Listen)
	}
	if !slices.Contains(cmd, "serve") || !slices.Contains(cmd, "--config") {
		t.Fatalf("Dockerfile: CMD %q, want serve --config FILE", cmd)
	}
	return cmd
}
