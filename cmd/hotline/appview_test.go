package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
)

// lister answers channel listings from a script, one answer per call.
type lister struct {
	answers [][]string
	err     error
}

func (l *lister) List(*ari.Key) ([]*ari.Key, error) {
	if l.err != nil {
		return nil, l.err
	}
	ids := l.answers[0]
	l.answers = l.answers[1:]
	keys := make([]*ari.Key, len(ids))
	for i, id := range ids {
		keys[i] = ari.NewKey(ari.ChannelKey, id)
	}
	return keys, nil
}

func stasisStart(id string) ari.Event {
	e := &ari.StasisStart{Channel: ari.ChannelData{ID: id, Caller: &ari.CallerID{Number: "13800138000"}}, Args: []string{"4008001234"}}
	e.Type = "StasisStart"
	return e
}

func stasisEnd(id string) ari.Event {
	e := &ari.StasisEnd{Channel: ari.ChannelData{ID: id}}
	e.Type = "StasisEnd"
	return e
}

func destroyed(id string) ari.Event {
	e := &ari.ChannelDestroyed{Channel: ari.ChannelData{ID: id}}
	e.Type = "ChannelDestroyed"
	return e
}

func TestAppViewTracksChannels(t *testing.T) {
	// Steps: "connect" takes the next listing; an event applies.
	type step struct {
		connect bool
		ev      ari.Event
		want    int
	}
	tests := []struct {
		name     string
		listings [][]string
		steps    []step
	}{
		{
			name:     "events add and remove",
			listings: [][]string{{}},
			steps: []step{
				{connect: true, want: 0},
				{ev: stasisStart("a"), want: 1},
				{ev: stasisStart("b"), want: 2},
				{ev: stasisStart("a"), want: 2}, // repeated after a reconnect: no double count
				{ev: stasisEnd("a"), want: 1},
				{ev: destroyed("b"), want: 0},
				{ev: stasisEnd("never-seen"), want: 0},
			},
		},
		{
			name:     "reconnect replaces the set with the listing",
			listings: [][]string{{"a", "b"}, {"b", "c", "d"}},
			steps: []step{
				{connect: true, want: 2},
				{ev: stasisStart("x"), want: 3},
				// x and a ended while the socket was down; c and d came.
				{connect: true, want: 3},
				{ev: stasisEnd("c"), want: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newAppView(slog.New(slog.DiscardHandler), &lister{answers: tt.listings})
			for i, s := range tt.steps {
				if s.connect {
					if err := v.Connected(t.Context()); err != nil {
						t.Fatalf("step %d: Connected: %v", i, err)
					}
				} else {
					v.Event(t.Context(), s.ev)
				}
				if got := v.Channels(); got != s.want {
					t.Fatalf("step %d: %d channels, want %d", i, got, s.want)
				}
			}
		})
	}
}

func TestAppViewConnectedFailsWhenListingFails(t *testing.T) {
	v := newAppView(slog.New(slog.DiscardHandler), &lister{err: errors.New("Non-2XX response: 500 Internal Server Error")})
	err := v.Connected(t.Context())
	if err == nil || err.Error() != "listing channels: Non-2XX response: 500 Internal Server Error" {
		t.Fatalf("got %v, want the listing error", err)
	}
}

func TestAppViewLogs(t *testing.T) {
	tests := []struct {
		name string
		do   func(*appView)
		want string
	}{
		{"stasis start", func(v *appView) { v.Event(context.Background(), stasisStart("c1")) },
			`level=INFO msg="channel entered the application" channel=c1 caller=13800138000 args=[4008001234]`},
		{"stasis start without caller", func(v *appView) {
			e := &ari.StasisStart{Channel: ari.ChannelData{ID: "c2"}}
			v.Event(context.Background(), e)
		}, `level=INFO msg="channel entered the application" channel=c2 caller="" args=[]`},
		{"stasis end", func(v *appView) { v.Event(context.Background(), stasisEnd("c1")) },
			`level=INFO msg="channel left the application" channel=c1`},
		{"stopped", func(v *appView) { v.Disconnected(fmt.Errorf("ARI connection stopped: %w", context.Canceled)) },
			`level=INFO msg="ARI connection closed"`},
		{"bad password", func(v *appView) {
			v.Disconnected(fmt.Errorf("%w: http://a/ari/events answered 401 Unauthorized", ivr.ErrUnauthorized))
		}, `level=ERROR msg="ARI connection refused" error="ARI refused the username or password: http://a/ari/events answered 401 Unauthorized" hint="check ari.username in the config and HOTLINE_ARI_PASSWORD against Asterisk's ari.conf"`},
		{"lost", func(v *appView) { v.Disconnected(fmt.Errorf("%w: EOF", ivr.ErrConnectionLost)) },
			`level=WARN msg="ARI connection lost" error="ARI events connection lost: EOF"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			}))
			tt.do(newAppView(log, &lister{}))
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
