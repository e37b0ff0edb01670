package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// hotlineConfig is the part of a hotline.yaml these files must agree with.
// (The configuration's own package is internal to cmd/hotline; its test
// deployconfig_test.go checks that each hotline.yaml of deploy/ is valid.)
type hotlineConfig struct {
	ARI struct {
		URL         string `yaml:"url"`
		Username    string `yaml:"username"`
		Application string `yaml:"application"`
	} `yaml:"ari"`
	HTTP struct {
		Listen          string `yaml:"listen"`
		ShutdownTimeout string `yaml:"shutdown_timeout"`
		MetricsListen   string `yaml:"metrics_listen"`
	} `yaml:"http"`
	Flows struct {
		Dir string `yaml:"dir"`
	} `yaml:"flows"`
	Agents []struct {
		ID     string `yaml:"id"`
		Device string `yaml:"device"`
	} `yaml:"agents"`
	Callbacks struct {
		CustomerEndpoint string `yaml:"customer_endpoint"`
	} `yaml:"callbacks"`
	Transfers struct {
		Endpoint string `yaml:"endpoint"`
	} `yaml:"transfers"`
	Softphone struct {
		Enabled    bool `yaml:"enabled"`
		ICEPortMin int  `yaml:"ice_port_min"`
		ICEPortMax int  `yaml:"ice_port_max"`
	} `yaml:"softphone"`
	Console struct {
		Users []struct {
			Name   string `yaml:"name"`
			Device string `yaml:"device"`
		} `yaml:"users"`
	} `yaml:"console"`
}

func parseHotlineConfig(t *testing.T, name string, data []byte) hotlineConfig {
	t.Helper()
	var c hotlineConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func readHotlineConfig(t *testing.T, path string) hotlineConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseHotlineConfig(t, path, data)
}

// shutdownTimeout is http.shutdown_timeout, 20s when the file leaves it out
// (as config.Default has it).
func (c hotlineConfig) shutdownTimeout(t *testing.T) time.Duration {
	t.Helper()
	if c.HTTP.ShutdownTimeout == "" {
		return 20 * time.Second
	}
	d, err := time.ParseDuration(c.HTTP.ShutdownTimeout)
	if err != nil {
		t.Fatalf("http.shutdown_timeout: %v", err)
	}
	return d
}

// port is the port of a host:port address.
func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

// pjsipEndpoint is the endpoint a dial string of the configuration rings:
// PJSIP/1001 rings endpoint 1001, PJSIP/%s@trunk endpoint trunk; ok is
// false for other technologies (WebRTC/1002: Hotline's softphone).
func pjsipEndpoint(dial string) (string, bool) {
	rest, ok := strings.CutPrefix(dial, "PJSIP/")
	if !ok {
		return "", false
	}
	if _, ep, found := strings.Cut(rest, "@"); found {
		return ep, true
	}
	ep, _, _ := strings.Cut(rest, "/")
	return ep, true
}

// envNames are the environment variables the configuration reads: the
// constants Env* of cmd/hotline/internal/config, read from its source
// (an internal package, which this one cannot import).
func envNames(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "cmd", "hotline", "internal", "config")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Env") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: config.%s is not a string literal", path, id.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, v)
				}
			}
		}
	}
	slices.Sort(names)
	// The two every install needs; if they are not found, the parse is wrong.
	for _, want := range []string{"HOTLINE_ARI_PASSWORD", "DATABASE_URL"} {
		if !slices.Contains(names, want) {
			t.Fatalf("found env names %v in %s, without %s", names, dir, want)
		}
	}
	return names
}

// requiredEnv are the variables an install must set (the others are for
// features it may not use).
var requiredEnv = []string{"HOTLINE_ARI_PASSWORD", "DATABASE_URL"}

// TestDeployConfigsHaveEveryKey: the hotline.yaml that compose mounts and
// the one in the Kubernetes ConfigMap are edited copies of
// hotline.example.yaml (other addresses, the container's paths): they set
// every key the example sets, no more and no fewer, so a setting added to
// the example (and documented there) is not forgotten in them.
func TestDeployConfigsHaveEveryKey(t *testing.T) {
	keys := func(name string, data []byte) []string {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out []string
		var walk func(n *yaml.Node, path string)
		walk = func(n *yaml.Node, path string) {
			switch n.Kind {
			case yaml.DocumentNode:
				for _, c := range n.Content {
					walk(c, path)
				}
			case yaml.MappingNode:
				for i := 0; i+1 < len(n.Content); i += 2 {
					p := strings.TrimPrefix(path+"."+n.Content[i].Value, ".")
					out = append(out, p)
					walk(n.Content[i+1], p)
				}
			case yaml.SequenceNode:
				for _, c := range n.Content {
					walk(c, path+"[]")
				}
			}
		}
		walk(&doc, "")
		slices.Sort(out)
		return slices.Compact(out)
	}
	example, err := os.ReadFile("hotline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := keys("hotline.example.yaml", example)
	if len(want) < 20 {
		t.Fatalf("hotline.example.yaml: only %d keys read: %v", len(want), want)
	}
	compose, err := os.ReadFile(filepath.Join("compose", "hotline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copies := map[string][]byte{"compose/hotline.yaml": compose}
	cm := readManifests(t)["ConfigMap/hotline-config"]
	if cm == nil {
		t.Fatal("no ConfigMap hotline-config")
	}
	copies["kubernetes ConfigMap hotline-config"] = []byte(cm.Data["hotline.yaml"])
	for name, data := range copies {
		got := keys(name, data)
		var missing, extra []string
		for _, k := range want {
			if _, found := slices.BinarySearch(got, k); !found {
				missing = append(missing, k)
			}
		}
		for _, k := range got {
			if _, found := slices.BinarySearch(want, k); !found {
				extra = append(extra, k)
			}
		}
		if len(missing)+len(extra) > 0 {
			t.Errorf("%s: keys of hotline.example.yaml missing %v; keys it does not have %v", name, missing, extra)
		}
	}
}
