package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
)

// channelLister is the part of the ARI REST client the view needs.
type channelLister interface {
	List(filter *ari.Key) ([]*ari.Key, error)
}

// appView is the ivr.Handler of serve: it keeps the set of channels in the
// ARI application and logs them coming and going. It is the placeholder for
// the call engine, which will own calls the same way.
type appView struct {
	log      *slog.Logger
	channels channelLister

	mu  sync.Mutex
	ids map[string]struct{}
}

func newAppView(log *slog.Logger, channels channelLister) *appView {
	return &appView{log: log, channels: channels, ids: map[string]struct{}{}}
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

// Connected rebuilds the set from a listing of the application's channels,
// because events sent while the socket was down are lost. The call takes no
// ctx: the timeout of http.DefaultTransport bounds it.
func (v *appView) Connected(ctx context.Context) error {
	keys, err := v.channels.List(nil)
	if err != nil {
		return fmt.Errorf("listing channels: %w", err)
	}
	ids := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		ids[k.ID] = struct{}{}
	}
	v.mu.Lock()
	gone, found := 0, 0
	for id := range v.ids {
		if _, ok := ids[id]; !ok {
			gone++
		}
	}
	for id := range ids {
		if _, ok := v.ids[id]; !ok {
			found++
		}
	}
	v.ids = ids
	v.mu.Unlock()
	v.log.Info("ARI connected; channels reconciled", "channels", len(ids), "new", found, "gone", gone)
	return nil
}

// Event tracks channels entering and leaving the application.
func (v *appView) Event(ctx context.Context, ev ari.Event) {
	switch e := ev.(type) {
	case *ari.StasisStart:
		v.mu.Lock()
		v.ids[e.Channel.ID] = struct{}{}
		v.mu.Unlock()
		caller := ""
		if e.Channel.Caller != nil {
			caller = e.Channel.Caller.Number
		}
		v.log.Info("channel entered the application", "channel", e.Channel.ID, "caller", caller, "args", e.Args)
	case *ari.StasisEnd:
		v.mu.Lock()
		delete(v.ids, e.Channel.ID)
		v.mu.Unlock()
		v.log.Info("channel left the application", "channel", e.Channel.ID)
	case *ari.ChannelDestroyed:
		v.mu.Lock()
		delete(v.ids, e.Channel.ID)
		v.mu.Unlock()
	}
}

// Disconnected logs why the events socket went down, with what to do about
// it when the user can do something.
func (v *appView) Disconnected(err error) {
	switch {
	case errors.Is(err, context.Canceled):
		v.log.Info("ARI connection closed")
	case errors.Is(err, ivr.ErrUnauthorized):
		v.log.Error("ARI connection refused", "error", err,
			"hint", "check ari.username in the config and "+config.EnvARIPassword+" against Asterisk's ari.conf")
	case errors.Is(err, ivr.ErrUnreachable):
		v.log.Error("ARI connection failed", "error", err,
			"hint", "check ari.url and that Asterisk's http.conf has enabled=yes on that address")
	default:
		v.log.Warn("ARI connection lost", "error", err)
	}
}

// Channels returns how many channels are in the set.
func (v *appView) Channels() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.ids)
}
