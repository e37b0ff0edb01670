package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Softphone is the browser softphone's media gateway: agents and
// supervisors whose device is WebRTC/<id> talk through it. The browser
// reaches it by WebRTC (ICE over UDP); Asterisk by the RTP of an
// externalMedia channel sent to RTPHost.
type Softphone struct {
	// Enabled starts the gateway (default true); off, a WebRTC device
	// cannot be rung.
	Enabled bool `yaml:"enabled"`
	// RTPHost is the IP address Asterisk sends the calls' audio to: one of
	// this machine's, reachable from Asterisk (127.0.0.1 when they share
	// the machine).
	RTPHost string `yaml:"rtp_host"`
	// ClusterHost is the IP address the other servers' Asterisks send the
	// audio of this server's browser agents to, in a centre of several
	// servers (cluster.enabled): this machine's address on their network,
	// or its 1:1 NAT's, forwarded to rtp_host (the same ports). Required
	// there when an agent is on the browser softphone; 127.0.0.1 when all
	// the servers share one machine.
	ClusterHost string `yaml:"cluster_host"`
	// NAT1To1IPs are the public addresses browsers reach this machine on
	// when it is behind a 1:1 NAT; they replace its own in ICE (the
	// gateway has host candidates only: browsers must reach one of its
	// addresses or these, directly or through a TURN relay).
	NAT1To1IPs []string `yaml:"nat_1to1_ips"`
	// ICEServers are STUN/TURN servers for browsers behind NAT: the
	// console gives them to the page (GET /api/softphone), credential
	// included, so a TURN server's fixed one should be one for agents to
	// hold (or give it a credential_ttl: each page its own). The
	// gateway itself is a lite ICE agent and uses none.
	ICEServers []ICEServer `yaml:"ice_servers"`
	// ICEPortMin and ICEPortMax bound the UDP ports ICE uses (a firewall's
	// opening); both 0: any.
	ICEPortMin uint16 `yaml:"ice_port_min"`
	ICEPortMax uint16 `yaml:"ice_port_max"`
	// ICELoopback also offers the loopback address to browsers: one on
	// this machine, as with the demo (a machine with no other network).
	ICELoopback bool `yaml:"ice_loopback"`
	// NoMediaTimeout: a browser that sends no audio for this long during a
	// call is taken for gone (the agent hung up).
	NoMediaTimeout time.Duration `yaml:"no_media_timeout"`
	// ICEGrace: a browser whose connection stays lost this long is taken
	// for gone (ringing: not answered; talking: hung up).
	ICEGrace time.Duration `yaml:"ice_grace"`
	// RealtimePriority, 1 to 99: with many calls going, the gateway's
	// media pump runs on a thread of its own under SCHED_FIFO at this
	// priority, so the rest of the machine cannot hold the calls' audio
	// up (Linux; the service needs CAP_SYS_NICE or an RLIMIT_RTPRIO as
	// high, e.g. systemd's LimitRTPRIO=; refused, Hotline says so in its
	// log and runs it at the normal priority). 0: the normal priority.
	RealtimePriority int `yaml:"realtime_priority"`
}

// ICEServer is a STUN or TURN server, as a browser's RTCIceServer. A TURN
// server's password is a secret: it comes from the environment
// (EnvTURNCredential), for every server with a username. With
// CredentialTTL instead, each page gets a username and password of its
// own, valid that long, made with the secret the TURN server shares
// (EnvTURNSecret; coturn's use-auth-secret and static-auth-secret): no
// password common to all the agents' browsers. It must last at least a
// sign-in (console.session_ttl): a page gets them once signed in.
type ICEServer struct {
	URLs          []string      `yaml:"urls"`
	Username      string        `yaml:"username"`
	CredentialTTL time.Duration `yaml:"credential_ttl"`
	Credential    string        `yaml:"-"`
	Secret        string        `yaml:"-"`
}

// DefaultSoftphone is what the softphone section starts from.
func DefaultSoftphone() Softphone {
	return Softphone{Enabled: true, RTPHost: "127.0.0.1", NoMediaTimeout: 5 * time.Second, ICEGrace: 5 * time.Second}
}

// validateSoftphone checks the softphone section; a page's TURN
// credentials must last as long as a sign-in (signIn).
func (d *decoder) validateSoftphone(s Softphone, signIn time.Duration) {
	if a, err := netip.ParseAddr(s.RTPHost); err != nil || a.IsUnspecified() {
		d.at("softphone.rtp_host", "an IP address of this machine that Asterisk can reach, like 10.0.0.5 (127.0.0.1 on one machine)", "%q is not one", s.RTPHost)
	}
	if a, err := netip.ParseAddr(s.ClusterHost); s.ClusterHost != "" && (err != nil || a.IsUnspecified()) {
		d.at("softphone.cluster_host", "the IP address the other servers' Asterisks reach this machine's rtp_host at, like 10.0.0.5", "%q is not one", s.ClusterHost)
	}
	for i, ip := range s.NAT1To1IPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			d.at(fmt.Sprintf("softphone.nat_1to1_ips[%d]", i), "a public IP address, like 203.0.113.7", "%q is not an IP address", ip)
		}
	}
	for i, srv := range s.ICEServers {
		p := fmt.Sprintf("softphone.ice_servers[%d]", i)
		if len(srv.URLs) == 0 {
			d.at(p+".urls", "like [stun:stun.example.com:3478] or [turn:turn.example.com:3478?transport=udp]", "must not be empty")
		}
		isTURN := false
		for j, u := range srv.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				d.at(fmt.Sprintf("%s.urls[%d]", p, j), "stun:HOST:PORT or turn:HOST:PORT", "%q is not a STUN or TURN URL", u)
			}
			isTURN = isTURN || strings.HasPrefix(u, "turn")
		}
		switch {
		case srv.CredentialTTL < 0:
			d.at(p+".credential_ttl", "a duration like 24h (0: the fixed username)", "must not be negative, got %v", srv.CredentialTTL)
		case srv.CredentialTTL == 0:
		case srv.Username != "":
			d.at(p+".credential_ttl", "either a fixed username (its password in "+EnvTURNCredential+") or credential_ttl (each page's own, from "+EnvTURNSecret+")", "the server has a username too")
		case !isTURN:
			d.at(p+".credential_ttl", "turn: or turns: URLs (a STUN server needs no credentials)", "the server has no TURN URL")
		case srv.CredentialTTL < signIn:
			// A page asks for them once signed in, and signs in again
			// (and asks again) once the sign-in has expired.
			d.at(p+".credential_ttl", fmt.Sprintf("at least a sign-in's console.session_ttl, %v, like 24h", signIn), "%v is shorter than a sign-in: a page signed in longer would lose its TURN relay, in a call perhaps", srv.CredentialTTL)
		}
	}
	if (s.ICEPortMin == 0) != (s.ICEPortMax == 0) || s.ICEPortMin > s.ICEPortMax {
		d.at("softphone.ice_port_min", "both 0 (any port), or a range like 40000 and 40999", "ports %d–%d are not a range", s.ICEPortMin, s.ICEPortMax)
	}
	d.positive("softphone.no_media_timeout", s.NoMediaTimeout)
	d.positive("softphone.ice_grace", s.ICEGrace)
	if s.RealtimePriority < 0 || s.RealtimePriority > 99 {
		d.at("softphone.realtime_priority", "1 to 99 (SCHED_FIFO), like 5; 0 for the normal priority", "%d is out of range", s.RealtimePriority)
	}
}
