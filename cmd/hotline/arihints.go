package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
)

// ariHints is the ivr.Handler that tells the operator why the ARI events
// socket went down, with what to change in the configuration when that is
// the cause. It keeps no state: the engine owns the calls and their
// channels.
type ariHints struct {
	log *slog.Logger
	// systemName, when set (a server of a cluster), asks Asterisk its
	// systemname at each connection, which must not be empty.
	systemName func() (string, error)
}

// errNoSystemName: this server's Asterisk has no systemname while the
// centre has several servers.
var errNoSystemName = errors.New("this server's Asterisk has no systemname: in a centre of several servers each Asterisk needs its own, " +
	"or two of them hand out the same channel IDs and their calls overwrite each other's records; no call is taken until it has one")

// Connected refuses an Asterisk without a systemname in a cluster: the
// connection fails (and is tried again), so no call is taken whose
// records another server's call could overwrite; Asterisk's own fallback
// (STASISSTATUS) answers the callers meanwhile.
func (h ariHints) Connected(context.Context) error {
	if h.systemName == nil {
		return nil
	}
	name, err := h.systemName()
	if err != nil {
		return fmt.Errorf("asking Asterisk its systemname (GET /asterisk/info): %w", err)
	}
	if name == "" {
		return errNoSystemName
	}
	return nil
}

func (ariHints) Event(context.Context, ari.Event) {}

// Disconnected logs why the events socket went down.
func (h ariHints) Disconnected(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		h.log.Info("ARI connection closed")
	case errors.Is(err, ivr.ErrUnauthorized):
		h.log.Error("ARI connection refused", "error", err,
			"hint", "check ari.username in the config and "+config.EnvARIPassword+" against Asterisk's ari.conf")
	case errors.Is(err, errNoSystemName):
		h.log.Error("ARI connection refused by Hotline", "error", err,
			"hint", "set systemname in asterisk.conf [options], a different one on each server (cluster.enabled), and restart Asterisk")
	case errors.Is(err, ivr.ErrUnreachable):
		h.log.Error("ARI connection failed", "error", err,
			"hint", "check ari.url and that Asterisk's http.conf has enabled=yes on that address")
	default:
		h.log.Warn("ARI connection lost", "error", err)
	}
}

// appChannels lists the channels the application is subscribed to
// (GET /applications/{name}: its channel_ids), not every channel on the
// Asterisk as GET /channels would.
type appChannels struct {
	apps ari.Application
	name string
}

func (a appChannels) List(*ari.Key) ([]*ari.Key, error) {
	d, err := a.apps.Data(ari.NewKey(ari.ApplicationKey, a.name))
	if err != nil {
		return nil, err
	}
	keys := make([]*ari.Key, 0, len(d.ChannelIDs))
	for _, id := range d.ChannelIDs {
		keys = append(keys, ari.NewKey(ari.ChannelKey, id))
	}
	return keys, nil
}
