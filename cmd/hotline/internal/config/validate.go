package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"json", "text"}
	appName    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// validate checks what types alone cannot: required values, ranges, choices
// and formats. Each problem points at the key's line, or at the nearest
// section present in the file when the key is missing.
func (d *decoder) validate(c *Config) {
	if c.ARI.URL == "" {
		d.at("ari.url", "the ARI base URL, like http://127.0.0.1:8088/ari", "is required")
	} else if msg := checkHTTPURL(c.ARI.URL); msg != "" {
		d.at("ari.url", "like http://127.0.0.1:8088/ari", "%q %s", c.ARI.URL, msg)
	}
	if c.ARI.Username == "" {
		d.at("ari.username", "the user of Asterisk's ari.conf; its password goes in "+EnvARIPassword, "is required")
	}
	if !appName.MatchString(c.ARI.Application) {
		d.at("ari.application", "use letters, digits, '.', '_' and '-', as in the dialplan's Stasis(hotline)",
			"%q is not a usable application name", c.ARI.Application)
	}
	d.positive("ari.request_timeout", c.ARI.RequestTimeout)
	d.positive("ari.reconnect.min_backoff", c.ARI.Reconnect.MinBackoff)
	d.positive("ari.reconnect.max_backoff", c.ARI.Reconnect.MaxBackoff)
	if c.ARI.Reconnect.MaxBackoff > 0 && c.ARI.Reconnect.MaxBackoff < c.ARI.Reconnect.MinBackoff {
		d.at("ari.reconnect.max_backoff", "", "%s is less than ari.reconnect.min_backoff, %s",
			c.ARI.Reconnect.MaxBackoff, c.ARI.Reconnect.MinBackoff)
	}

	if msg := checkListen(c.HTTP.Listen); msg != "" {
		d.at("http.listen", `like ":8080" for every interface or "127.0.0.1:8080" for one`, "%q %s", c.HTTP.Listen, msg)
	}
	d.positive("http.shutdown_timeout", c.HTTP.ShutdownTimeout)
	d.validateHTTPSecurity(c.HTTP)

	d.oneOf("log.level", c.Log.Level, logLevels)
	d.oneOf("log.format", c.Log.Format, logFormats)

	if c.Telemetry.ServiceName == "" {
		d.at("telemetry.service_name", "it names this server in traces and metrics", "must not be empty")
	}
	if c.Telemetry.OTLPEndpoint != "" {
		if msg := checkHTTPURL(c.Telemetry.OTLPEndpoint); msg != "" {
			d.at("telemetry.otlp_endpoint", `the collector's OTLP/HTTP base URL, like http://otel-collector:4318; "" turns OTLP off`,
				"%q %s", c.Telemetry.OTLPEndpoint, msg)
		}
	}
	if r := c.Telemetry.TraceSampleRatio; r < 0 || r > 1 {
		d.at("telemetry.trace_sample_ratio", "0 keeps no traces, 1 keeps all, 0.1 keeps one in ten",
			"%v is not between 0 and 1", r)
	}

	if c.Database.MaxConns < 1 {
		d.at("database.max_conns", "", "%d is less than 1", c.Database.MaxConns)
	}
	if c.Database.SpoolDir == "" {
		d.at("database.spool_dir", "a folder on local disk for call records while PostgreSQL is away", "must not be empty")
	}
	if c.Flows.Dir == "" {
		d.at("flows.dir", "the folder of the call-flow *.yaml files, like /etc/hotline/flows", "must not be empty")
	}
	d.validateTimezone(c.Timezone)
	d.validateACD(c)
	d.validateRecordings(c.Recordings)
	d.validateSoftphone(c.Softphone, c.Console.SessionTTL)
	d.validateDispositions(c.Dispositions)
	d.validateQA(c.QA)
	d.validateComplaints(c)
	d.validateFollowup(c)
	d.validateCluster(c)
}

func (d *decoder) positive(field string, v time.Duration) {
	if v <= 0 {
		d.at(field, "like 500ms, 5s or 1m", "must be more than 0, got %s", v)
	}
}

func (d *decoder) oneOf(field, v string, choices []string) {
	if !slices.Contains(choices, v) {
		d.at(field, "use one of: "+strings.Join(choices, ", "), "%q is not a choice", v)
	}
}

// checkHTTPURL returns what is wrong with an http(s) base URL, or "".
func checkHTTPURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not hold credentials"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// checkListen returns what is wrong with a listen address, or "".
func checkListen(s string) string {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return "is not a host:port address"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("has port %q, which is not a number from 0 to 65535", port)
	}
	return ""
}
