package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
)

// ariHints is the ivr.Handler that tells the operator why the ARI events
// socket went down, with what to change in the configuration when that is
// the cause. It keeps no state: the engine owns the calls and their
// channels.
type ariHints struct{ log *slog.Logger }

func (ariHints) Connected(context.Context) error { return nil }

func (ariHints) Event(context.Context, ari.Event) {}

// Disconnected logs why the events socket went down.
func (h ariHints) Disconnected(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		h.log.Info("ARI connection closed")
	case errors.Is(err, ivr.ErrUnauthorized):
		h.log.Error("ARI connection refused", "error", err,
			"hint", "check ari.username in the config and "+config.EnvARIPassword+" against Asterisk's ari.conf")
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
