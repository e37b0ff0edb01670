package main

import (
	"io"
	"log/slog"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// newLogger returns the process logger, as configured, writing to w. The
// configuration has been validated, so level and format are known values.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch cfg.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
