package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/notify"
	"github.com/hotline-ivr/hotline/console"
)

// complaintParts are the complaint workflow of serve: the service the
// console's API uses and the notifier delivering its notices.
type complaintParts struct {
	svc      *complaints.Service
	notifier *notify.Notifier
}

// openComplaints builds the complaint workflow on the database the
// recordings use: nil without a database, or without a category (no
// disposition of kind complaint). The notices are queued in the outbox
// and delivered by the notifier; each also tells the console that live()
// returns (nil: none yet), so that its pages update. msgs keeps the voice
// messages of the IVR's complaints (nil: none kept).
func openComplaints(cfg config.Config, rec records, msgs complaints.Messages, live func() *console.Server, clock clockwork.Clock, log *slog.Logger) (*complaintParts, error) {
	if rec.complaints == nil {
		log.Warn("DATABASE_URL is not set: no complaints (the console's complaint pages and API answer 503)")
		return nil, nil
	}
	cats := cfg.ComplaintCategories()
	if len(cats) == 0 {
		log.Warn("no disposition is of kind complaint: no complaints (the console's complaint pages and API answer 503)")
		return nil, nil
	}
	c := cfg.Complaints
	route := func(r config.NotifyRoute) notify.Route { return notify.Route{Webhook: r.Webhook, Email: r.Emails} }
	teams := map[string]notify.Route{}
	for name, r := range c.Notify.Teams {
		teams[name] = route(r)
	}
	hooks := c.Notify.Default.Webhook != ""
	for _, r := range c.Notify.Teams {
		hooks = hooks || r.Webhook != ""
	}
	if hooks && c.Notify.WebhookSecret == "" {
		return nil, fmt.Errorf("complaints.notify has a webhook but %s is not set: export the key its requests are signed with", config.EnvWebhookSecret)
	}
	n, err := notify.New(rec.notices, notify.Config{
		Teams: teams, Default: route(c.Notify.Default), WebhookSecret: c.Notify.WebhookSecret,
		From:     c.Notify.From,
		SMTP:     notify.SMTP{Addr: c.Notify.SMTP.Addr(), Username: c.Notify.SMTP.Username, Password: c.Notify.SMTP.Password},
		Location: cfg.Location(), Instance: cfg.Instance.Name,
		Logger: log.With("component", "complaints-notify"),
	})
	if err != nil {
		return nil, fmt.Errorf("complaints.notify (its secrets come from %s and %s): %w", config.EnvWebhookSecret, config.EnvSMTPPassword, err)
	}
	svc, err := complaints.New(complaints.Config{
		Store: rec.complaints, Notifier: liveNotices{outbox: n, live: live},
		Categories: cats, Hours: cfg.ComplaintHours(), Zone: cfg.Location(), Supervisors: c.Supervisors,
		Messages: msgs, Clock: clock,
		Logger: log.With("component", "complaints"),
	})
	if err != nil {
		return nil, fmt.Errorf("complaints: %w", err)
	}
	return &complaintParts{svc: svc, notifier: n}, nil
}

// run scans the clocks every scanEvery and delivers the notices until
// ctx ends.
func (p *complaintParts) run(ctx context.Context, scanEvery time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.notifier.Run(ctx); err != nil {
			log.Error("complaints: the notices' delivery stopped", "error", err)
		}
	})
	if err := p.svc.Run(ctx, scanEvery); err != nil {
		log.Error("complaints: the clocks' scan stopped", "error", err)
	}
	wg.Wait()
}

// liveNotices queues each notice for delivery, then tells the console.
// A warning or breach is for the complaint's owner too, an agent ID or a
// console user name, not an e-mail address: the notifier e-mails only
// addresses, and the console tells the owner (its stream reaches the
// owner's pages).
type liveNotices struct {
	outbox complaints.Notifier
	live   func() *console.Server
}

func (l liveNotices) Notify(ctx context.Context, n complaints.Notice) error {
	if err := l.outbox.Notify(ctx, n); err != nil {
		return err
	}
	if c := l.live(); c != nil {
		return c.Notify(ctx, n)
	}
	return nil
}
