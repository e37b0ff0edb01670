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
		`hotline.yaml:11: agents[1].device: the browser softphone is not available in a centre of several servers yet (cluster.enabled)`,
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
