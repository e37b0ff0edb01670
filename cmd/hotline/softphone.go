package main

import (
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// softphoneGateway starts the browser softphones' media gateway of the
// softphone section, or none when it is disabled. What its watchdog finds
// (a browser gone) goes to the ACD in gone, once the ACD is attached.
func softphoneGateway(c config.Softphone, log *slog.Logger, gone *atomic.Pointer[acd.Service]) (*softphone.Gateway, error) {
	if !c.Enabled {
		return nil, nil
	}
	var servers []softphone.ICEServer
	for _, s := range c.ICEServers {
		servers = append(servers, softphone.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential, Secret: s.Secret, TTL: s.CredentialTTL})
	}
	return softphone.New(softphone.Config{
		RTPHost: c.RTPHost, ICEServers: servers, NAT1To1IPs: c.NAT1To1IPs,
		ICEPortMin: c.ICEPortMin, ICEPortMax: c.ICEPortMax, ICELoopback: c.ICELoopback,
		NoMediaTimeout: c.NoMediaTimeout, ICEGrace: c.ICEGrace,
		RealtimePriority: c.RealtimePriority,
		Logger:           log,
		OnDead: func(r softphone.Report) {
			if svc := gone.Load(); svc != nil {
				svc.SoftphoneGone(r.Session, string(r.Reason))
			}
		},
	})
}

// softphones is the ACD's view of the gateway; none (a nil interface, not
// a nil pointer) without one. In a centre of several servers, the other
// servers' Asterisks send its browser agents' audio to
// softphone.cluster_host (acd.RemoteSoftphones).
func (s *server) softphones(cfg config.Config) acd.Softphones {
	if s.softphone == nil {
		return nil
	}
	if cfg.Cluster.Enabled && cfg.Softphone.ClusterHost != "" {
		return clusterSoftphones{s.softphone, cfg.Softphone.ClusterHost}
	}
	return s.softphone
}

// clusterSoftphones is the gateway as the other servers' Asterisks reach
// it: at host, on the ports the gateway's sessions have.
type clusterSoftphones struct {
	*softphone.Gateway
	host string
}

// RemoteHost is session id's external host with the cluster's address.
func (c clusterSoftphones) RemoteHost(id string) (string, error) {
	local, err := c.ExternalHost(id)
	if err != nil {
		return "", err
	}
	_, port, err := net.SplitHostPort(local)
	if err != nil {
		return "", fmt.Errorf("the softphone gateway's address %q: %w", local, err)
	}
	return net.JoinHostPort(c.host, port), nil
}

// closeSoftphone closes the gateway, if there is one; again does nothing.
func (s *server) closeSoftphone() {
	if s.softphone == nil {
		return
	}
	if err := s.softphone.Close(); err != nil {
		s.log.Warn("closing the softphone gateway", "error", err)
	}
}
