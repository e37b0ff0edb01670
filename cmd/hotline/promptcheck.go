package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// soundCheck asks Asterisk, once ARI is first connected and after every
// reload of the flows, for every sound the flows and the queues play, and
// logs those it lacks, by language, with the fix. It is an ivr.Handler
// only to learn of the connection; run does the asking.
type soundCheck struct {
	ari    ivr.ConnConfig
	client *http.Client // nil: http.DefaultClient
	flows  *callflow.Registry
	log    *slog.Logger
	kick   chan struct{} // a check is due
	first  atomic.Bool   // the first connect has asked for a check
}

func newSoundCheck(cfg ivr.ConnConfig, flows *callflow.Registry, log *slog.Logger) *soundCheck {
	return &soundCheck{ari: cfg, flows: flows, log: log, kick: make(chan struct{}, 1)}
}

// fixedSounds are the prompts the engine and the queues play whatever the
// flows: every shipped prompt but the demo hotline's, in every language.
func fixedSounds() []callflow.Sound {
	var out []callflow.Sound
	for _, p := range prompts.Phrases() {
		if strings.HasPrefix(p.Name, "demo/") {
			continue
		}
		for _, lang := range prompts.Languages {
			out = append(out, callflow.Sound{Name: prompts.Sound(p.Name, lang), Lang: lang})
		}
	}
	return out
}

// request asks for a check, without waiting for it.
func (c *soundCheck) request() {
	select {
	case c.kick <- struct{}{}:
	default: // one is due already
	}
}

func (c *soundCheck) Connected(context.Context) error {
	if c.first.CompareAndSwap(false, true) {
		c.request()
	}
	return nil
}

func (c *soundCheck) Event(context.Context, ari.Event) {}
func (c *soundCheck) Disconnected(error)               {}

// run checks each time one is requested, until ctx ends.
func (c *soundCheck) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
			c.check(ctx)
		}
	}
}

// check asks ARI about every sound and logs what is missing.
func (c *soundCheck) check(ctx context.Context) {
	sounds := fixedSounds()
	for _, f := range c.flows.Flows() {
		sounds = append(sounds, f.Sounds()...)
	}
	missing, err := ivr.MissingSounds(ctx, c.client, c.ari, sounds)
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		c.log.Warn("could not check that Asterisk has the prompts", "error", err)
		return
	case len(missing) == 0:
		c.log.Info("Asterisk has every prompt the flows and queues play", "sounds", len(sounds))
		return
	}
	langs := make([]string, 0, len(missing))
	for lang := range missing {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	for _, lang := range langs {
		c.log.Error("prompts missing in Asterisk: calls in this language hear nothing where they play, and a message's beep fails",
			"language", lang, "count", len(missing[lang]), "missing", missing[lang],
			"fix", "hotline prompts install /var/lib/asterisk/sounds (Asterisk's sounds folder); sounds of your own flows go there too")
	}
}
