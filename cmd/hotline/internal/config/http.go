package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// TLS is the HTTP listener's certificate: both files, or neither (plain
// HTTP, behind a proxy that ends TLS).
type TLS struct {
	CertFile string `yaml:"cert_file"` // PEM, the chain after the certificate
	KeyFile  string `yaml:"key_file"`  // PEM, the certificate's private key
}

// Enabled says whether the listener serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// TrustedProxyPrefixes is http.trusted_proxies as prefixes; an address is
// a prefix of its whole length. Entries validation refused are left out.
func (h HTTP) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range h.TrustedProxies {
		if p, ok := parseProxy(s); ok {
			out = append(out, p)
		}
	}
	return out
}

func parseProxy(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// validateHTTPSecurity checks the keys of http: beyond the listener and
// the drain.
func (d *decoder) validateHTTPSecurity(h HTTP) {
	if h.MetricsListen != "" {
		if msg := checkListen(h.MetricsListen); msg != "" {
			d.at("http.metrics_listen", `a private address, like "127.0.0.1:9464"; "" serves /metrics on http.listen with `+EnvMetricsToken,
				"%q %s", h.MetricsListen, msg)
		} else if h.MetricsListen == h.Listen {
			d.at("http.metrics_listen", "give it an address of its own, or leave it empty", "is http.listen, %q", h.Listen)
		}
	}
	switch t := h.TLS; {
	case t.CertFile != "" && t.KeyFile == "":
		d.at("http.tls.key_file", "the private key of http.tls.cert_file, a PEM file", "is required with http.tls.cert_file")
	case t.KeyFile != "" && t.CertFile == "":
		d.at("http.tls.cert_file", "the certificate (and its chain) of http.tls.key_file, a PEM file", "is required with http.tls.key_file")
	}
	for i, s := range h.TrustedProxies {
		if _, ok := parseProxy(s); !ok {
			d.at(fmt.Sprintf("http.trusted_proxies[%d]", i), "an address like 10.0.0.7 or a prefix like 10.0.0.0/8",
				"%q is not an address or a prefix", s)
		}
	}
	d.positive("http.read_header_timeout", h.ReadHeaderTimeout)
	d.positive("http.read_timeout", h.ReadTimeout)
	d.positive("http.write_timeout", h.WriteTimeout)
	d.positive("http.idle_timeout", h.IdleTimeout)
}
