package main

import (
	"log/slog"
	"maps"
	"slices"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/console"
)

// followupMode is a trigger's mode as package followup takes it ("" for
// off).
func followupMode(m string) followup.Mode {
	if m == "off" {
		return ""
	}
	return followup.Mode(m)
}

// followupPolicy is the followup section as package followup takes it.
// flowAnswers says whether a flow answers the follow-up flow's number:
// without one the automated follow-ups cannot run, and their triggers
// offer the tasks to agents instead (logged).
func followupPolicy(cfg config.Config, flowAnswers bool, log *slog.Logger) followup.Policy {
	f := cfg.Followup
	p := followup.Policy{
		Complaint:   followupMode(f.After.Complaints),
		SampleShare: f.After.Sample.Share, SampleMode: followupMode(f.After.Sample.Mode),
		Delay: f.Delay, Hours: cfg.FollowupHours(),
		Attempts: f.Attempts, RetryAfter: f.RetryAfter,
		PerNumberPerDay: f.PerNumber.PerDay, MinGap: f.PerNumber.MinGap,
		MaxCalls: f.Concurrent, RingTimeout: f.RingTimeout,
		FlowNumber: f.FlowNumber, Endpoint: cfg.Callbacks.CustomerEndpoint, CallerID: cfg.Callbacks.CallerID,
		SatisfiedVar: f.Satisfied.Var, SatisfiedMin: f.Satisfied.AtLeast,
		Fallback: f.Fallback, Team: f.Team, Every: f.ScanEvery,
	}
	if p.SampleShare == 0 {
		p.SampleMode = ""
	}
	// Package followup has one mode for the dispositions: preview wins
	// over auto when they differ (an agent can always make the call).
	for _, code := range slices.Sorted(maps.Keys(f.After.Dispositions)) {
		switch m := followupMode(f.After.Dispositions[code]); m {
		case "":
		default:
			p.Dispositions = append(p.Dispositions, code)
			if p.DispositionMode != followup.Preview {
				p.DispositionMode = m
			}
		}
	}
	if !flowAnswers {
		auto := false
		for _, m := range []*followup.Mode{&p.Complaint, &p.DispositionMode, &p.SampleMode} {
			if *m == followup.Auto {
				*m, auto = followup.Preview, true
			}
		}
		if auto {
			log.Error("no flow of flows.dir answers followup.flow_number: the automated follow-up visits are offered to agents instead (add a flow with numbers: [\""+f.FlowNumber+"\"], like cmd/hotline/flows/followup.yaml)",
				"flow_number", f.FlowNumber)
		}
	}
	return p
}

// openFollowups builds the follow-up visits on the complaints and the
// database (nil without them); the ARI side dials through rest.
// changed tells the console of the moment (nil: none yet) of each task's
// step.
func openFollowups(cfg config.Config, rec records, cmp *complaintParts, flows *flowSet, rest ari.Client, changed func() *console.Server, clock clockwork.Clock, log *slog.Logger) (*followup.Service, error) {
	if cmp == nil || rec.followups == nil {
		return nil, nil
	}
	_, answers := flows.reg.ForNumber(cfg.Followup.FlowNumber)
	log = log.With("component", "followup")
	return followup.New(followup.Config{
		Store: rec.followups, Complaints: cmp.svc,
		Dialer:   followup.NewARIDialer(rest, cfg.ARI.Application),
		Instance: cfg.Instance.Name, Policy: followupPolicy(cfg, answers, log),
		Zone: cfg.Location(), Clock: clock, Logger: log,
		Changed: func(t followup.Task) {
			if c := changed(); c != nil {
				c.FollowUpChanged(t)
			}
		},
	})
}
