package config

import (
	"strings"
	"testing"
	"time"
)

// TestParseClusterProblems: what cannot cross servers yet is refused at
// its line when the cluster is on, and the timings are checked; call-backs
// cross (no problem at their lines).
func TestParseClusterProblems(t *testing.T) {
	_, err := Parse("hotline.yaml", []byte(minimal+`queues:
  - name: after-sales
    callback_after: 2m
    overflow: {action: callback}
agents:
  - {id: "1001", device: PJSIP/1001@kamailio}
  - {id: "1002", device: WebRTC/1002}
cluster:
  enabled: true
  heartbeat: 2s
  dead_after: 5s
`))
	for _, want := range []string{
		`hotline.yaml:11: agents[1].device: a browser agent in a centre of several servers (cluster.enabled) is answered through the other servers' Asterisks, and softphone.cluster_host is not set`,
		`hotline.yaml:15: cluster.dead_after: 5s is too short`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want the problem %q; got:\n%v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "call-back") {
		t.Errorf("call-backs refused in a cluster:\n%v", err)
	}
}

// TestParseClusterBrowserAgents: browser agents in a centre of several
// servers need softphone.cluster_host, an IP address; not when the
// cluster is off.
func TestParseClusterBrowserAgents(t *testing.T) {
	const agents = `agents:
  - {id: "1001", device: WebRTC/1001}
`
	cfg, err := Parse("hotline.yaml", []byte(minimal+agents+`softphone:
  cluster_host: 10.0.0.5
cluster:
  enabled: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Softphone.ClusterHost != "10.0.0.5" {
		t.Errorf("softphone.cluster_host %q, want 10.0.0.5", cfg.Softphone.ClusterHost)
	}
	if _, err := Parse("hotline.yaml", []byte(minimal+agents)); err != nil {
		t.Errorf("without the cluster, no cluster_host needed: %v", err)
	}
	_, err = Parse("hotline.yaml", []byte(minimal+agents+`softphone:
  cluster_host: 0.0.0.0
cluster:
  enabled: true
`))
	if want := `softphone.cluster_host: "0.0.0.0" is not one`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want the problem %q; got:\n%v", want, err)
	}
}

// TestParseCluster: on with the defaults' timings, or its own.
func TestParseCluster(t *testing.T) {
	cfg, err := Parse("hotline.yaml", []byte(minimal+`cluster:
  enabled: true
  heartbeat: 1s
  dead_after: 4s
`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Cluster{Enabled: true, Heartbeat: time.Second, DeadAfter: 4 * time.Second}); cfg.Cluster != want {
		t.Errorf("cluster %+v, want %+v", cfg.Cluster, want)
	}
	if d := Default().Cluster; d.Enabled || d.Heartbeat != 2*time.Second || d.DeadAfter != 10*time.Second {
		t.Errorf("default cluster %+v, want off, 2s, 10s", d)
	}
}
