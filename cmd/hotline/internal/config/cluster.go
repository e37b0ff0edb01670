package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// Cluster makes this server one of several, each with its own Asterisk,
// whose queues are one: longest-waiting first across all of them, an agent
// offered one call at a time whichever server rings it (package cluster,
// on the database; deploy/scale-out.md). Every server of the centre has
// the same queues and agents, its own instance.name, and reaches every
// agent's SIP phone (through Kamailio: devices like PJSIP/1001@kamailio).
type Cluster struct {
	Enabled bool `yaml:"enabled"`
	// Heartbeat is how often this server says it is alive; DeadAfter how
	// long the others wait, without one, before they take it for dead and
	// free its agents (its callers were on its Asterisk).
	Heartbeat time.Duration `yaml:"heartbeat"`
	DeadAfter time.Duration `yaml:"dead_after"`
}

// DefaultCluster is off, with the cluster package's timings.
func DefaultCluster() Cluster {
	return Cluster{Heartbeat: cluster.DefaultHeartbeat, DeadAfter: cluster.DefaultDeadAfter}
}

// validateCluster checks the timings and, when on, what cannot cross
// servers: that the other servers' Asterisks can send the browser agents'
// audio to this one (softphone.cluster_host). (Call-backs cross: a request
// keeps its place in the centre's line and is dialled once, by the server
// that owns it.)
func (d *decoder) validateCluster(c *Config) {
	cl := c.Cluster
	d.positive("cluster.heartbeat", cl.Heartbeat)
	if cl.Heartbeat > 0 && cl.DeadAfter < 3*cl.Heartbeat {
		d.at("cluster.dead_after", fmt.Sprintf("at least three heartbeats (%s), so that one late heartbeat does not kill a server", 3*cl.Heartbeat),
			"%s is too short", cl.DeadAfter)
	}
	if !cl.Enabled {
		return
	}
	for i, a := range c.Agents {
		if strings.HasPrefix(a.Device, acd.SoftphonePrefix) && c.Softphone.Enabled && c.Softphone.ClusterHost == "" {
			d.at(fmt.Sprintf("agents[%d].device", i), "set softphone.cluster_host to the IP address the other servers' Asterisks reach this one's softphone gateway at (127.0.0.1 when they share this machine)",
				"a browser agent in a centre of several servers (cluster.enabled) is answered through the other servers' Asterisks, and softphone.cluster_host is not set")
			break
		}
	}
}
