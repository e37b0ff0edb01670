package main

import (
	"log/slog"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/recordings/review"
)

// openQA builds quality assurance's service (the console's QA and the
// review sampler) on the database the recordings use: nil without a
// database. The suggestions' voice items need the recordings' archive
// (archive nil: those items are left to the reviewer).
func openQA(cfg config.Config, rec records, archive *recordings.Archive, log *slog.Logger) (*review.Service, error) {
	if rec.qa == nil {
		log.Warn("DATABASE_URL is not set: no quality assurance (the review queue, evaluations, QA's reports)")
		return nil, nil
	}
	levels := map[string]time.Duration{}
	for _, q := range cfg.Queues {
		levels[q.Name] = q.ServiceLevel
	}
	var complaints []string
	for _, d := range cfg.Dispositions {
		if d.Kind == "complaint" {
			complaints = append(complaints, d.Code)
		}
	}
	return review.New(review.Config{
		QA: rec.qa, Archive: archive, Card: cfg.QA.ScoreCard(),
		ServiceLevel: func(queue string) (time.Duration, bool) {
			sl, ok := levels[queue]
			return sl, ok
		},
		Rules: cfg.QA.Rules(), ComplaintCodes: complaints, Location: cfg.Location(),
		Teams: cfg.AgentTeams(),
		Lease: cfg.QA.ClaimLease, Log: log.With("component", "qa"),
	})
}
