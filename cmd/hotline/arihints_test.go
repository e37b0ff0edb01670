package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/ivr"
)

func TestARIHints(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"stopped", fmt.Errorf("ARI connection stopped: %w", context.Canceled),
			`level=INFO msg="ARI connection closed"`},
		{"bad password", fmt.Errorf("%w: http://a/ari/events answered 401 Unauthorized", ivr.ErrUnauthorized),
			`level=ERROR msg="ARI connection refused" error="ARI refused the username or password: http://a/ari/events answered 401 Unauthorized" hint="check ari.username in the config and HOTLINE_ARI_PASSWORD against Asterisk's ari.conf"`},
		{"lost", fmt.Errorf("%w: EOF", ivr.ErrConnectionLost),
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
			ariHints{log: log}.Disconnected(tt.err)
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
