package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// minimal is the smallest valid file.
const minimal = `
ari:
  url: http://127.0.0.1:8088/ari
  username: hotline
`

func TestParseAppliesFileOverDefaults(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		change func(*Config) // from Default() to the expected result
	}{
		{
			name: "minimal file keeps every default",
			file: minimal,
			change: func(c *Config) {
				c.ARI.URL, c.ARI.Username = "http://127.0.0.1:8088/ari", "hotline"
			},
		},
		{
			name: "every key set",
			file: minimal + `  application: support
  request_timeout: 2s
  reconnect:
    min_backoff: 250ms
    max_backoff: 1m
http:
  listen: 127.0.0.1:9090
  shutdown_timeout: 45s
  metrics_listen: 127.0.0.1:9464
  tls: {cert_file: /etc/hotline/cert.pem, key_file: /etc/hotline/key.pem}
  secure_cookies: true
  trusted_proxies: [10.0.0.0/8, "::1", 192.168.1.7]
  read_header_timeout: 2s
  read_timeout: 10s
  write_timeout: 1m
  idle_timeout: 30s
log:
  level: debug
  format: text
telemetry:
  service_name: hotline-a
  otlp_endpoint: http://otel:4318
  trace_sample_ratio: 0.25
database:
  max_conns: 40
`,
			change: func(c *Config) {
				c.ARI = ARI{
					URL: "http://127.0.0.1:8088/ari", Username: "hotline", Application: "support",
					RequestTimeout: 2 * time.Second,
					Reconnect:      Reconnect{MinBackoff: 250 * time.Millisecond, MaxBackoff: time.Minute},
				}
				c.HTTP = HTTP{Listen: "127.0.0.1:9090", ShutdownTimeout: 45 * time.Second,
					MetricsListen: "127.0.0.1:9464", TLS: TLS{CertFile: "/etc/hotline/cert.pem", KeyFile: "/etc/hotline/key.pem"},
					SecureCookies: true, TrustedProxies: []string{"10.0.0.0/8", "::1", "192.168.1.7"},
					ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 30 * time.Second}
				c.Log = Log{Level: "debug", Format: "text"}
				c.Telemetry = Telemetry{ServiceName: "hotline-a", OTLPEndpoint: "http://otel:4318", TraceSampleRatio: 0.25}
				c.Database.MaxConns = 40
			},
		},
		{
			name: "empty sections keep their defaults",
			file: minimal + "http:\nlog: {}\n",
			change: func(c *Config) {
				c.ARI.URL, c.ARI.Username = "http://127.0.0.1:8088/ari", "hotline"
			},
		},
		{
			name: "partial section keeps the rest",
			file: minimal + "  reconnect:\n    max_backoff: 2m\n",
			change: func(c *Config) {
				c.ARI.URL, c.ARI.Username = "http://127.0.0.1:8088/ari", "hotline"
				c.ARI.Reconnect.MaxBackoff = 2 * time.Minute
			},
		},
		{
			name: "an empty OTLP endpoint is off",
			file: minimal + "telemetry:\n  otlp_endpoint: \"\"\n  trace_sample_ratio: 0\n",
			change: func(c *Config) {
				c.ARI.URL, c.ARI.Username = "http://127.0.0.1:8088/ari", "hotline"
				c.Telemetry.TraceSampleRatio = 0
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("hotline.yaml", []byte(tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.change(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{
			name: "empty file",
			file: "",
			want: []string{
				`hotline.yaml:1: ari.url: is required (the ARI base URL, like http://127.0.0.1:8088/ari)`,
				`hotline.yaml:1: ari.username: is required (the user of Asterisk's ari.conf; its password goes in HOTLINE_ARI_PASSWORD)`,
			},
		},
		{
			name: "unknown keys at every level, all reported",
			file: `ari:
  url: http://127.0.0.1:8088/ari
  usernme: hotline
  reconnect:
    min_backof: 1s
    jitter: true
htp:
  listen: ":8080"
`,
			want: []string{
				`hotline.yaml:1: ari.username: is required (the user of Asterisk's ari.conf; its password goes in HOTLINE_ARI_PASSWORD)`,
				`hotline.yaml:3: ari.usernme: unknown key (did you mean username? known keys: url, username, application, request_timeout, reconnect)`,
				`hotline.yaml:5: ari.reconnect.min_backof: unknown key (did you mean min_backoff? known keys: min_backoff, max_backoff)`,
				`hotline.yaml:6: ari.reconnect.jitter: unknown key (known keys: min_backoff, max_backoff)`,
				`hotline.yaml:7: htp: unknown key (did you mean http? known keys: ari, http, log, telemetry, database, flows, timezone, queues, agents, callbacks, transfers, recordings, softphone, dispositions, qa, complaints, followup, instance, cluster, console)`,
			},
		},
		{
			name: "secrets in the file",
			file: minimal + "  password: hunter2\ndatabase:\n  url: postgres://db/hotline\n",
			want: []string{
				`hotline.yaml:5: ari.password: must not be in the file (set the HOTLINE_ARI_PASSWORD environment variable instead)`,
				`hotline.yaml:7: database.url: must not be in the file (set the DATABASE_URL environment variable instead)`,
			},
		},
		{
			name: "wrong types",
			file: minimal + `  request_timeout: 5
  reconnect: 1s
http:
  listen: [":8080"]
  shutdown_timeout: soon
telemetry:
  trace_sample_ratio: half
database:
  max_conns: 2.5
log: debug
`,
			want: []string{
				`hotline.yaml:5: ari.request_timeout: "5" is not a duration (give a unit: 500ms, 5s, 2m, 1h30m)`,
				`hotline.yaml:6: ari.reconnect: want a mapping of keys, got "1s" (known keys: min_backoff, max_backoff)`,
				`hotline.yaml:8: http.listen: want a single value, got a list`,
				`hotline.yaml:9: http.shutdown_timeout: "soon" is not a duration (give a unit: 500ms, 5s, 2m, 1h30m)`,
				`hotline.yaml:11: telemetry.trace_sample_ratio: want a number, got "half"`,
				`hotline.yaml:13: database.max_conns: want a whole number, got "2.5"`,
				`hotline.yaml:14: log: want a mapping of keys, got "debug" (known keys: level, format)`,
			},
		},
		{
			name: "bad values",
			file: `ari:
  url: asterisk:8088
  username: hotline
  application: my app
  request_timeout: 0s
  reconnect:
    min_backoff: 10s
    max_backoff: 2s
http:
  listen: "8080"
  shutdown_timeout: -1s
log:
  level: verbose
  format: logfmt
telemetry:
  service_name: ""
  otlp_endpoint: otel:4318
  trace_sample_ratio: 1.5
database:
  max_conns: 0
`,
			want: []string{
				`hotline.yaml:2: ari.url: "asterisk:8088" must start with http:// or https:// (like http://127.0.0.1:8088/ari)`,
				`hotline.yaml:4: ari.application: "my app" is not a usable application name (use letters, digits, '.', '_' and '-', as in the dialplan's Stasis(hotline))`,
				`hotline.yaml:5: ari.request_timeout: must be more than 0, got 0s (like 500ms, 5s or 1m)`,
				`hotline.yaml:8: ari.reconnect.max_backoff: 2s is less than ari.reconnect.min_backoff, 10s`,
				`hotline.yaml:10: http.listen: "8080" is not a host:port address (like ":8080" for every interface or "127.0.0.1:8080" for one)`,
				`hotline.yaml:11: http.shutdown_timeout: must be more than 0, got -1s (like 500ms, 5s or 1m)`,
				`hotline.yaml:13: log.level: "verbose" is not a choice (use one of: debug, info, warn, error)`,
				`hotline.yaml:14: log.format: "logfmt" is not a choice (use one of: json, text)`,
				`hotline.yaml:16: telemetry.service_name: must not be empty (it names this server in traces and metrics)`,
				`hotline.yaml:17: telemetry.otlp_endpoint: "otel:4318" must start with http:// or https:// (the collector's OTLP/HTTP base URL, like http://otel-collector:4318; "" turns OTLP off)`,
				`hotline.yaml:18: telemetry.trace_sample_ratio: 1.5 is not between 0 and 1 (0 keeps no traces, 1 keeps all, 0.1 keeps one in ten)`,
				`hotline.yaml:20: database.max_conns: 0 is less than 1`,
			},
		},
		{
			name: "bad HTTP security keys",
			file: minimal + `http:
  listen: ":8080"
  metrics_listen: ":8080"
  tls:
    cert_file: /etc/hotline/cert.pem
  trusted_proxies: [10.0.0.0/8, proxy.local, 10.0.0.0/33]
  read_header_timeout: 0s
  idle_timeout: -1s
  metrics_token: abc
`,
			want: []string{
				`hotline.yaml:7: http.metrics_listen: is http.listen, ":8080" (give it an address of its own, or leave it empty)`,
				`hotline.yaml:8: http.tls.key_file: is required with http.tls.cert_file (the private key of http.tls.cert_file, a PEM file)`,
				`hotline.yaml:10: http.trusted_proxies[1]: "proxy.local" is not an address or a prefix (an address like 10.0.0.7 or a prefix like 10.0.0.0/8)`,
				`hotline.yaml:10: http.trusted_proxies[2]: "10.0.0.0/33" is not an address or a prefix (an address like 10.0.0.7 or a prefix like 10.0.0.0/8)`,
				`hotline.yaml:11: http.read_header_timeout: must be more than 0, got 0s (like 500ms, 5s or 1m)`,
				`hotline.yaml:12: http.idle_timeout: must be more than 0, got -1s (like 500ms, 5s or 1m)`,
				`hotline.yaml:13: http.metrics_token: must not be in the file (set the HOTLINE_METRICS_TOKEN environment variable instead)`,
			},
		},
		{
			name: "type and value problems together",
			file: `ari:
  url: http://127.0.0.1:8088/ari
  username: hotline
  request_timeout: fast
  bogus: 1
http:
  listen: ":http"
log:
  level: trace
`,
			want: []string{
				`hotline.yaml:4: ari.request_timeout: "fast" is not a duration (give a unit: 500ms, 5s, 2m, 1h30m)`,
				`hotline.yaml:5: ari.bogus: unknown key (known keys: url, username, application, request_timeout, reconnect)`,
				`hotline.yaml:7: http.listen: ":http" has port "http", which is not a number from 0 to 65535 (like ":8080" for every interface or "127.0.0.1:8080" for one)`,
				`hotline.yaml:9: log.level: "trace" is not a choice (use one of: debug, info, warn, error)`,
			},
		},
		{
			name: "repeated key and empty value",
			file: minimal + "  username: other\nlog:\n  level:\n",
			want: []string{
				`hotline.yaml:5: ari.username: is set twice, first on line 4 (keep one of them)`,
				`hotline.yaml:7: log.level: has no value (give a value, or remove the key to use the default, "info")`,
			},
		},
		{
			name: "tab indentation",
			file: "ari:\n\turl: http://127.0.0.1:8088/ari\n",
			want: []string{
				`hotline.yaml:2: YAML syntax error: found character that cannot start any token (YAML indents with spaces; a tab is not allowed)`,
			},
		},
		{
			name: "broken syntax",
			file: minimal + "log: {level: debug\n",
			want: []string{
				`hotline.yaml:5: YAML syntax error: did not find expected ',' or '}'`,
			},
		},
		{
			name: "unclosed list",
			file: "ari:\n  url: http://127.0.0.1:8088/ari\n  username: [a, b\nlog: {}\n",
			want: []string{
				`hotline.yaml:3: YAML syntax error: did not find expected ',' or ']'`,
			},
		},
		{
			name: "unclosed quote",
			file: "ari:\n  url: \"http://127.0.0.1:8088/ari\n  username: hotline\n",
			want: []string{
				`hotline.yaml:2: YAML syntax error: found unexpected end of stream`,
			},
		},
		{
			name: "two documents",
			file: minimal + "---\nlog: {}\n",
			want: []string{
				`hotline.yaml:5: the file holds more than one YAML document (remove the second --- and what follows, or merge it into the first document)`,
			},
		},
		{
			name: "unknown time zone",
			file: minimal + "timezone: Asia/Shangai\n",
			want: []string{
				`hotline.yaml:5: timezone: unknown time zone "Asia/Shangai" (use a name like Asia/Shanghai or UTC, or Local for the machine's own zone)`,
			},
		},
		{
			name: "empty time zone",
			file: minimal + "timezone: \"\"\n",
			want: []string{
				`hotline.yaml:5: timezone: unknown time zone "" (use a name like Asia/Shanghai or UTC, or Local for the machine's own zone)`,
			},
		},
		{
			name: "not a mapping",
			file: "- ari\n- http\n",
			want: []string{
				`hotline.yaml:1: want a mapping of keys, got a list (known keys: ari, http, log, telemetry, database, flows, timezone, queues, agents, callbacks, transfers, recordings, softphone, dispositions, qa, complaints, followup, instance, cluster, console)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("hotline.yaml", []byte(tt.file))
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("got error %v, want Problems", err)
			}
			got := strings.Split(problems.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantErr      error
		wantPassword string
		wantDB       string
		wantMetrics  string
	}{
		{
			name:         "both set",
			env:          map[string]string{EnvARIPassword: "s3cret", EnvDatabaseURL: "postgres://db/hotline", EnvMetricsToken: "scrape-me"},
			wantMetrics:  "scrape-me",
			wantPassword: "s3cret",
			wantDB:       "postgres://db/hotline",
		},
		{
			name:         "database is optional",
			env:          map[string]string{EnvARIPassword: "s3cret"},
			wantPassword: "s3cret",
		},
		{
			name:    "password is required",
			env:     map[string]string{EnvDatabaseURL: "postgres://db/hotline"},
			wantErr: ErrNoARIPassword,
			wantDB:  "postgres://db/hotline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.ARI.Username = "hotline"
			err := c.ApplyEnv(func(k string) string { return tt.env[k] })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if err != nil && err.Error() != `HOTLINE_ARI_PASSWORD is not set: export the password of ARI user "hotline" (the one in Asterisk's ari.conf)` {
				t.Fatalf("error text: got %q", err)
			}
			if c.HTTP.MetricsToken != tt.wantMetrics {
				t.Errorf("metrics token %q, want %q", c.HTTP.MetricsToken, tt.wantMetrics)
			}
			if c.ARI.Password != tt.wantPassword || c.Database.URL != tt.wantDB {
				t.Fatalf("got password %q database %q, want %q %q", c.ARI.Password, c.Database.URL, tt.wantPassword, tt.wantDB)
			}
		})
	}
}

// TestExampleFile keeps deploy/hotline.example.yaml valid and complete: it
// must pass validation and mention every key, so that it documents them all.
func TestExampleFile(t *testing.T) {
	const path = "../../../../deploy/hotline.example.yaml"
	if _, err := Load(path); err != nil {
		t.Fatalf("the example config does not pass validation:\n%v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(path)
	cfg := Default()
	d.Walk(d.Document(data), reflect.ValueOf(&cfg).Elem(), "")
	shown := map[string]bool{} // keys of list items as queues[].name
	for key := range d.Lines {
		shown[listIndex.ReplaceAllString(key, "[]")] = true
	}
	for _, key := range strictyaml.LeafKeys(reflect.TypeFor[Config](), "") {
		if !shown[key] {
			t.Errorf("%s does not show the key %s", path, key)
		}
	}
}
