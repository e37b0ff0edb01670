package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseSoftphone(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`softphone:
  rtp_host: 10.0.0.5
  nat_1to1_ips: [203.0.113.7]
  ice_servers:
    - urls: ["stun:stun.example.com:3478"]
    - urls: ["turn:turn.example.com:3478?transport=udp"]
      username: hotline
  ice_port_min: 40000
  ice_port_max: 40999
  no_media_timeout: 8s
  realtime_priority: 5
`))
	if err != nil {
		t.Fatal(err)
	}
	s := got.Softphone
	if !s.Enabled || s.RTPHost != "10.0.0.5" || len(s.NAT1To1IPs) != 1 || len(s.ICEServers) != 2 || s.ICEPortMin != 40000 ||
		s.ICEPortMax != 40999 || s.NoMediaTimeout != 8*time.Second || s.ICEGrace != 5*time.Second ||
		s.RealtimePriority != 5 {
		t.Errorf("softphone %+v", s)
	}
	if err := got.ApplyEnv(func(k string) string {
		return map[string]string{EnvARIPassword: "x", EnvTURNCredential: "turn-secret"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if c := got.Softphone.ICEServers; c[0].Credential != "" || c[1].Credential != "turn-secret" {
		t.Errorf("TURN credentials %q, %q: want only the server with a username to get it", c[0].Credential, c[1].Credential)
	}
	if d := Default().Softphone; !d.Enabled || d.RTPHost != "127.0.0.1" || d.RealtimePriority != 0 {
		t.Errorf("default softphone %+v", d)
	}

	_, err = Parse("hotline.yaml", []byte(minimal+`softphone:
  rtp_host: 0.0.0.0
  nat_1to1_ips: [somewhere]
  ice_servers:
    - urls: ["http://stun.example.com"]
      credential: secret
  ice_port_min: 40000
  no_media_timeout: 0s
  realtime_priority: 120
`))
	for _, want := range []string{
		`hotline.yaml:6: softphone.rtp_host: "0.0.0.0" is not one`,
		`hotline.yaml:7: softphone.nat_1to1_ips[0]: "somewhere" is not an IP address`,
		`hotline.yaml:9: softphone.ice_servers[0].urls[0]: "http://stun.example.com" is not a STUN or TURN URL`,
		`hotline.yaml:10: softphone.ice_servers[0].credential`,
		`HOTLINE_TURN_CREDENTIAL`,
		`hotline.yaml:11: softphone.ice_port_min: ports 40000–0 are not a range`,
		`hotline.yaml:12: softphone.no_media_timeout: must be more than 0, got 0s`,
		`hotline.yaml:13: softphone.realtime_priority: 120 is out of range`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}

// TestTURNCredentialTTL: a TURN server with a credential_ttl gets the
// secret it shares from HOTLINE_TURN_SECRET (required then), and no fixed
// password; a credential_ttl beside a username, on a STUN server alone,
// negative or shorter than a sign-in (console.session_ttl) is refused
// where it is written.
func TestTURNCredentialTTL(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`softphone:
  ice_servers:
    - urls: ["stun:stun.example.com:3478"]
    - urls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"]
      credential_ttl: 24h
`))
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Softphone.ICEServers[1]; s.CredentialTTL != 24*time.Hour || s.Username != "" {
		t.Errorf("TURN server %+v: want a credential_ttl of 24h", s)
	}
	env := map[string]string{EnvARIPassword: "x", EnvTURNCredential: "fixed", EnvTURNSecret: "shared"}
	if err := got.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c := got.Softphone.ICEServers; c[0].Secret != "" || c[1].Secret != "shared" || c[1].Credential != "" {
		t.Errorf("ICE servers %+v: want the secret for the TURN server with a credential_ttl alone, and no fixed password", c)
	}
	delete(env, EnvTURNSecret)
	if err := got.ApplyEnv(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "softphone.ice_servers[1] has a credential_ttl: export HOTLINE_TURN_SECRET") {
		t.Errorf("without HOTLINE_TURN_SECRET: %v", err)
	}

	_, err = Parse("hotline.yaml", []byte(minimal+`softphone:
  ice_servers:
    - urls: ["turn:turn.example.com:3478"]
      username: hotline
      credential_ttl: 24h
    - urls: ["stun:stun.example.com:3478"]
      credential_ttl: 24h
    - urls: ["turn:turn.example.com:3478"]
      credential_ttl: -1h
    - urls: ["turn:turn.example.com:3478"]
      credential_ttl: 10h
    - urls: ["turn:turn.example.com:3478"]
      secret: shared
`))
	for _, want := range []string{
		`hotline.yaml:9: softphone.ice_servers[0].credential_ttl: the server has a username too`,
		`hotline.yaml:11: softphone.ice_servers[1].credential_ttl: the server has no TURN URL`,
		`hotline.yaml:13: softphone.ice_servers[2].credential_ttl: must not be negative, got -1h0m0s`,
		`hotline.yaml:15: softphone.ice_servers[3].credential_ttl: 10h0m0s is shorter than a sign-in: a page signed in longer would lose its TURN relay, in a call perhaps (at least a sign-in's console.session_ttl, 12h0m0s, like 24h)`,
		`hotline.yaml:17: softphone.ice_servers[4].secret: must not be in the file (set the HOTLINE_TURN_SECRET environment variable instead, with credential_ttl)`,
		`HOTLINE_TURN_SECRET`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}
