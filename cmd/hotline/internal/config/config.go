// Package config is the configuration of hotline serve: the types, their
// defaults (all in [Default]), strict YAML loading and validation that reports
// every problem with its file, line and field, and the secrets that come from
// the environment instead of the file.
//
// It belongs to cmd/hotline, the only place that reads files and environment;
// libraries never import it, they take their own explicit configuration.
package config

import (
	"os"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// Config is the whole configuration file.
type Config struct {
	ARI        ARI        `yaml:"ari"`
	HTTP       HTTP       `yaml:"http"`
	Log        Log        `yaml:"log"`
	Telemetry  Telemetry  `yaml:"telemetry"`
	Database   Database   `yaml:"database"`
	Flows      Flows      `yaml:"flows"`
	Timezone   string     `yaml:"timezone"` // the zone of the centre's day (see Location)
	Queues     []Queue    `yaml:"queues"`
	Agents     []Agent    `yaml:"agents"`
	Callbacks  Callbacks  `yaml:"callbacks"`
	Transfers  Transfers  `yaml:"transfers"`
	Recordings Recordings `yaml:"recordings"`
	Softphone  Softphone  `yaml:"softphone"`
	// Dispositions are the codes agents give calls at wrap-up.
	Dispositions []Disposition `yaml:"dispositions"`
	// QA is quality assurance: the scorecard and the review sampling.
	QA QA `yaml:"qa"`
	// Complaints is the complaint workflow: clocks, hours, notices.
	Complaints Complaints `yaml:"complaints"`
	// Followup is the follow-up visits: triggers, hours, limits.
	Followup Followup `yaml:"followup"`
	Instance Instance `yaml:"instance"`
	// Cluster shares the queues with other servers of the centre.
	Cluster Cluster `yaml:"cluster"`
	Console Console `yaml:"console"`
}

// Flows is where the call flows are: every *.yaml file of Dir, loaded at
// start and reloaded on SIGHUP.
type Flows struct {
	Dir string `yaml:"dir"`
}

// ARI is how to reach Asterisk's REST interface.
type ARI struct {
	URL            string        `yaml:"url"`      // base URL, like http://127.0.0.1:8088/ari
	Username       string        `yaml:"username"` // user in Asterisk's ari.conf
	Password       string        `yaml:"-"`        // from HOTLINE_ARI_PASSWORD only
	Application    string        `yaml:"application"`
	RequestTimeout time.Duration `yaml:"request_timeout"` // dial and response-header timeout of REST calls
	Reconnect      Reconnect     `yaml:"reconnect"`
}

// Reconnect bounds the wait between attempts to reconnect the events socket.
type Reconnect struct {
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// HTTP is the server for health, metrics, the reports and the console's API.
type HTTP struct {
	Listen          string        `yaml:"listen"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // how long a drain may take
	// MetricsListen, when set, serves /metrics (and /healthz) on a second
	// address, meant to be private; /metrics is then not on Listen unless
	// HOTLINE_METRICS_TOKEN is set.
	MetricsListen string `yaml:"metrics_listen"`
	MetricsToken  string `yaml:"-"` // from HOTLINE_METRICS_TOKEN only
	TLS           TLS    `yaml:"tls"`
	// SecureCookies marks the session cookie Secure on plain HTTP too:
	// behind a proxy that ends TLS.
	SecureCookies bool `yaml:"secure_cookies"`
	// TrustedProxies are the addresses or prefixes (CIDR) of the reverse
	// proxies whose X-Forwarded-For names the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// The timeouts against slow clients; see net/http.Server.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"` // the event stream extends it for each event
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
}

// Log is the structured log on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // json or text
}

// Telemetry is OpenTelemetry traces and metrics.
type Telemetry struct {
	ServiceName      string  `yaml:"service_name"`
	OTLPEndpoint     string  `yaml:"otlp_endpoint"` // base URL of an OTLP/HTTP collector; empty turns OTLP off
	TraceSampleRatio float64 `yaml:"trace_sample_ratio"`
}

// Database is PostgreSQL, the system of record.
type Database struct {
	URL string `yaml:"-"` // from DATABASE_URL only
	// SpoolDir keeps call records while PostgreSQL is unreachable; they are
	// written, in order and exactly once, when it is back.
	SpoolDir string `yaml:"spool_dir"`
	MaxConns int    `yaml:"max_conns"`
}

// Default returns the configuration used for every key the file leaves out.
// It is the one place defaults live.
func Default() Config {
	return Config{
		ARI: ARI{
			Application:    "hotline",
			RequestTimeout: 5 * time.Second,
			Reconnect: Reconnect{
				MinBackoff: 500 * time.Millisecond,
				MaxBackoff: 30 * time.Second,
			},
		},
		HTTP: HTTP{
			Listen:            ":8080",
			ShutdownTimeout:   20 * time.Second,
			TrustedProxies:    []string{},
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      2 * time.Minute,
			IdleTimeout:       2 * time.Minute,
		},
		Log: Log{
			Level:  "info",
			Format: "json",
		},
		Telemetry: Telemetry{
			ServiceName:      "hotline",
			TraceSampleRatio: 1.0,
		},
		Database: Database{
			MaxConns: 10,
			SpoolDir: "spool",
		},
		Flows: Flows{
			Dir: "flows",
		},
		Timezone: DefaultTimezone,
		Callbacks: Callbacks{
			CustomerEndpoint: "PJSIP/%s@trunk",
			Attempts:         acd.DefaultCallbackAttempts,
			RetryDelay:       acd.DefaultCallbackRetryDelay,
			RingTimeout:      acd.DefaultCallbackRingTimeout,
		},
		Transfers: Transfers{
			Endpoint:    "PJSIP/%s@trunk",
			RingTimeout: 30 * time.Second,
		},
		Recordings:   DefaultRecordings(),
		Softphone:    DefaultSoftphone(),
		Dispositions: DefaultDispositions(),
		QA:           DefaultQA(),
		Complaints:   DefaultComplaints(),
		Followup:     DefaultFollowup(),
		Instance: Instance{
			Name: hostname(),
		},
		Cluster: DefaultCluster(),
		Console: Console{
			SessionTTL: console.DefaultSessionTTL,
		},
	}
}

// DefaultQueue returns what every item of queues: starts from: the keys an
// item leaves out keep these values.
func DefaultQueue() Queue {
	return Queue{
		Strategy:     queue.LongestIdle.String(),
		RingTimeout:  queue.DefaultRingTimeout,
		WhenNoAgents: "wait",
		Overflow:     Overflow{Action: "hangup"},
		ServiceLevel: queue.DefaultServiceLevel,
		HandleWindow: queue.DefaultHandleWindow,
		Record:       true,
	}
}

// hostname is the default instance name: stable across restarts, and
// unique among the servers of one database as long as their hosts are.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "hotline"
}
