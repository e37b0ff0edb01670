package followup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// --- the loop --------------------------------------------------------------

// Run recovers this instance's leftovers, then passes now and every
// Policy.Every until ctx ends; a failed pass is logged and the next one
// tries again. It waits for the work it started before it returns.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.bg = context.WithoutCancel(ctx)
	s.mu.Unlock()
	defer s.wg.Wait()
	if err := s.Recover(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("follow-up: recovering this instance's calls", "err", err)
	}
	tick := s.cfg.Clock.NewTicker(s.p.Every)
	defer tick.Stop()
	for {
		if err := s.Pass(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("follow-up: a pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.Chan():
		}
	}
}

// Recover ends the automated attempts this instance left under way when
// it stopped, as lost (retried by policy). Call it before the first pass.
func (s *Service) Recover(ctx context.Context) error {
	if s.cfg.Dialer == nil {
		return nil
	}
	ids, err := s.cfg.Store.Expired(ctx, s.now(), s.cfg.Instance)
	if err != nil {
		return err
	}
	s.mu.Lock()
	live := map[string]bool{}
	for _, d := range s.dials {
		live[d.task] = true
	}
	s.mu.Unlock()
	for _, id := range ids {
		if !live[id] {
			s.lost(ctx, id, false)
		}
	}
	return nil
}

// Pass is one round of the loop: the triggers' scan, the cancelling of
// tasks whose complaint moved on, the reaping of expired leases, and
// (within the allowed hours) the claiming and dialling of due automated
// tasks within the limits.
func (s *Service) Pass(ctx context.Context) error {
	now := s.now()
	// A failed trigger or reaping does not hold the calls back; a failed
	// cancelling does (a task of a complaint that moved on may be due).
	var errs []error
	if err := s.trigger(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if n, err := s.cfg.Store.CancelStale(ctx, now); err != nil {
		return errors.Join(append(errs, err)...)
	} else if n > 0 {
		s.log.Info("follow-up: tasks cancelled: their complaints moved on", "count", n)
	}
	s.renew(ctx, now)
	if ids, err := s.cfg.Store.Expired(ctx, now, ""); err != nil {
		errs = append(errs, err)
	} else {
		for _, id := range ids {
			s.lost(ctx, id, true)
		}
	}
	if s.cfg.Dialer == nil || !s.p.Hours.Open(now) {
		return errors.Join(errs...)
	}
	s.mu.Lock()
	for id, d := range s.dials {
		// An answered call that ended and whose journey never came here
		// (its lease is over: reaped as lost) no longer holds a place.
		if d.answered && !d.hungUp.IsZero() && now.Sub(d.hungUp) > s.p.Lease {
			delete(s.dials, id)
			s.log.Warn("follow-up: no journey came for an answered call; forgotten", "followup", d.task, "channel", id)
		}
	}
	free := s.p.MaxCalls - len(s.dials)
	s.mu.Unlock()
	if free <= 0 {
		return errors.Join(errs...)
	}
	tasks, err := s.cfg.Store.Claim(ctx, now, s.cfg.Instance, now.Add(s.p.Lease), free,
		Limits{PerDay: s.p.PerNumberPerDay, Gap: s.p.MinGap})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, t := range tasks {
		s.dial(ctx, t)
	}
	return errors.Join(errs...)
}

// trigger makes the tasks the triggers call for; automated ones due
// outside the allowed hours wait for the next opening.
func (s *Service) trigger(ctx context.Context, now time.Time) error {
	p := s.p
	if p.Complaint == "" && p.DispositionMode == "" && p.SampleMode == "" {
		return nil
	}
	tr := Triggers{Complaint: p.Complaint, Dispositions: p.DispositionMode, Codes: p.Dispositions,
		Sample: p.SampleMode, Share: p.SampleShare, Within: p.Within, Delay: p.Delay,
		MaxAttempts: p.Attempts, PreviewAttempts: p.PreviewAttempts, Team: p.Team}
	if p.FlowNumber != "" {
		tr.Exclude = []string{p.FlowNumber}
	}
	if len(tr.Codes) == 0 {
		tr.Dispositions = ""
	}
	if tr.Share == 0 {
		tr.Sample = ""
	}
	made, err := s.cfg.Store.Trigger(ctx, now.In(s.cfg.Zone).Format("20060102"), now, tr)
	if err != nil {
		return err
	}
	for _, t := range made {
		s.log.Info("follow-up task made", "followup", t.ID, "reason", t.Reason, "mode", t.Mode, "complaint", t.ComplaintID)
		var err error
		switch {
		case t.Mode == Preview && t.Reason == ForComplaint && t.Agent == "" && t.Team == "":
			t, err = s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error { s.offer(ctx, t); return nil })
		case t.Mode == Preview:
		default:
			if next := p.Hours.Next(t.NotBefore); !next.Equal(t.NotBefore) {
				t, err = s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error {
					if t.State == Pending {
						t.NotBefore = next
					}
					return nil
				})
			}
		}
		if err != nil {
			return err
		}
		s.changed(t) // the console shows the new task
	}
	return nil
}

// dialID is an automated attempt's channel ID.
func dialID(task string, seq int) string {
	return "followup-" + strings.ToLower(task) + "-" + strconv.Itoa(seq)
}

// dial originates the customer's channel for a claimed task's attempt.
func (s *Service) dial(ctx context.Context, t Task) {
	seq := t.Attempts
	d := &dial{channel: dialID(t.ID, seq), task: t.ID, seq: seq, started: s.now()}
	s.mu.Lock()
	s.dials[d.channel] = d
	d.timer = s.cfg.Clock.AfterFunc(s.p.RingTimeout+checkMargin, func() { s.check(d) })
	s.mu.Unlock()
	endpoint := fmt.Sprintf(s.p.Endpoint, t.Number)
	s.log.Info("follow-up: dialling the customer", "followup", t.ID, "attempt", seq, "channel", d.channel, "endpoint", endpoint)
	if _, err := s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error {
		if a := open(t); a != nil && a.Seq == seq {
			a.CallID = d.channel
		}
		return nil
	}); err != nil {
		s.log.Error("follow-up: keeping the attempt's channel", "followup", t.ID, "err", err)
	}
	if err := s.cfg.Dialer.Originate(ctx, d.channel, endpoint, s.p.CallerID, s.p.RingTimeout, s.p.FlowNumber); err != nil {
		s.log.Warn("follow-up: the dial failed", "followup", t.ID, "err", err)
		if s.forget(d.channel) != nil {
			s.notReached(ctx, d, OutcomeFailed)
		}
	}
}

// forget removes a dial under way; nil if it was not there (its end was
// handled already).
// dialled tells whether channel is one of this instance's automated
// calls under way.
func (s *Service) dialled(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials[channel] != nil
}

func (s *Service) forget(channel string) *dial {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dials[channel]
	if d != nil {
		delete(s.dials, channel)
		d.timer.Stop()
	}
	return d
}

// async runs work on the events' behalf (Event and RecordJourney must
// return quickly).
func (s *Service) async(work func(ctx context.Context)) {
	s.mu.Lock()
	ctx := s.bg
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		work(ctx)
	}()
}

// answered: a dialled customer picked up; the engine runs the flow (the
// lease is renewed for it).
func (s *Service) answered(channel string) {
	s.mu.Lock()
	d := s.dials[channel]
	if d == nil || d.answered {
		s.mu.Unlock()
		return
	}
	d.answered = true
	d.renewed = s.now()
	d.timer.Stop()
	s.mu.Unlock()
	s.async(func(ctx context.Context) {
		t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, l *Lease) error {
			if a := open(t); t.State == Dialling && a != nil && a.Seq == d.seq {
				a.Outcome = OutcomeAnswered
				l.Until = s.now().Add(s.p.Lease) // the flow runs: the claim holds from the answer
				return nil
			}
			return refuse(t, fmt.Sprintf("attempt %d ended already", d.seq)) // the result came first
		})
		if errors.Is(err, ErrStep) {
			return
		}
		if err != nil {
			s.log.Error("follow-up: keeping the answer", "followup", d.task, "err", err)
			return
		}
		s.changed(t)
	})
}

// ended: a dialled channel ended; before its answer, the attempt did not
// reach the customer.
func (s *Service) ended(channel string, cause int) {
	s.mu.Lock()
	d := s.dials[channel]
	if d == nil || d.answered {
		if d != nil && d.hungUp.IsZero() {
			d.hungUp = s.now() // the flow is over: its journey is due
		}
		s.mu.Unlock()
		return
	}
	delete(s.dials, channel)
	d.timer.Stop()
	s.mu.Unlock()
	s.async(func(ctx context.Context) { s.notReached(ctx, d, outcomeOf(cause)) })
}

// renew extends the leases of this instance's answered calls while their
// flow runs, each once half a lease has gone by since the last renewal, so
// that a flow longer than a lease is not reaped as lost (and the customer
// called again) by another instance. A call whose channel Asterisk no
// longer has (its end was not seen: events lost) is taken for ended.
func (s *Service) renew(ctx context.Context, now time.Time) {
	s.mu.Lock()
	var due []*dial
	for _, d := range s.dials {
		if d.answered && d.hungUp.IsZero() && now.Sub(d.renewed) >= s.p.Lease/2 {
			due = append(due, d)
		}
	}
	s.mu.Unlock()
	for _, d := range due {
		if s.cfg.Dialer != nil {
			if gone, err := s.cfg.Dialer.Gone(ctx, d.channel); err == nil && gone {
				s.mu.Lock()
				if d.hungUp.IsZero() {
					d.hungUp = now
				}
				s.mu.Unlock()
				continue
			}
		}
		_, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, l *Lease) error {
			// The attempt answered (its outcome set at the answer) and not
			// ended, still this instance's.
			n := len(t.Tries)
			if t.State == Dialling && n > 0 && t.Tries[n-1].Seq == d.seq && t.Tries[n-1].Ended.IsZero() && l.Instance == s.cfg.Instance {
				l.Until = now.Add(s.p.Lease)
				return nil
			}
			return refuse(t, fmt.Sprintf("attempt %d is no longer this instance's", d.seq))
		})
		switch {
		case err == nil:
			s.mu.Lock()
			d.renewed = now
			s.mu.Unlock()
		case !errors.Is(err, ErrStep):
			s.log.Warn("follow-up: renewing the lease of a call under way", "followup", d.task, "err", err)
		}
	}
}

// check asks Asterisk about a dial whose end was not seen in time (its
// events may be lost): gone, it did not reach the customer; else it asks
// again later.
func (s *Service) check(d *dial) {
	s.mu.Lock()
	if s.dials[d.channel] != d || d.answered {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.async(func(ctx context.Context) {
		gone, err := s.cfg.Dialer.Gone(ctx, d.channel)
		if err != nil || !gone {
			if err != nil {
				s.log.Warn("follow-up: asking Asterisk about a dial", "channel", d.channel, "err", err)
			}
			s.mu.Lock()
			if s.dials[d.channel] == d && !d.answered {
				d.timer = s.cfg.Clock.AfterFunc(checkMargin, func() { s.check(d) })
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		still := s.dials[d.channel] == d && !d.answered
		if still {
			delete(s.dials, d.channel)
		}
		s.mu.Unlock()
		if still {
			s.log.Warn("follow-up: the dial's channel is gone and its end was not seen", "followup", d.task, "channel", d.channel)
			s.notReached(ctx, d, OutcomeNoAnswer)
		}
	})
}

// notReached ends an automated attempt that did not reach the customer:
// retried after RetryAfter (within the allowed hours) while attempts
// remain, else unreached or the fallback.
func (s *Service) notReached(ctx context.Context, d *dial, outcome string) {
	now := s.now()
	t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, _ *Lease) error {
		a := open(t)
		if t.State != Dialling || a == nil || a.Seq != d.seq {
			return refuse(t, fmt.Sprintf("attempt %d is not under way", d.seq))
		}
		a.Outcome, a.Ended = outcome, now
		s.retry(ctx, t, now)
		return nil
	})
	if err != nil {
		s.log.Error("follow-up: keeping an attempt that did not reach the customer", "followup", d.task, "outcome", outcome, "err", err)
		return
	}
	s.log.Info("follow-up: the customer was not reached", "followup", t.ID, "attempt", d.seq, "outcome", outcome, "state", t.State)
	s.changed(t)
}

// retry decides what follows a failed automated attempt.
func (s *Service) retry(ctx context.Context, t *Task, now time.Time) {
	if t.Attempts < t.MaxAttempts {
		t.State, t.NotBefore = Pending, s.p.Hours.Next(now.Add(s.p.RetryAfter))
		return
	}
	if s.p.Fallback == FallbackPreview {
		s.offer(ctx, t)
		return
	}
	t.State = Unreached
	t.Result = &Result{Reached: false, By: By, At: now}
}

// lost ends a dialling task's attempt whose instance stopped (or, expired
// false, this instance's leftover at its start) as lost.
func (s *Service) lost(ctx context.Context, id string, expired bool) {
	now := s.now()
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, l *Lease) error {
		if t.State != Dialling {
			return refuse(t, "it is no longer dialling")
		}
		if expired && l.Until.After(now) {
			return refuse(t, "its lease was renewed")
		}
		// The attempt under way, answered or not: how it ended is not
		// known (an answered one's journey never came).
		if n := len(t.Tries); n > 0 && t.Tries[n-1].Ended.IsZero() {
			t.Tries[n-1].Outcome, t.Tries[n-1].Ended = OutcomeLost, now
		}
		s.retry(ctx, t, now)
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrStep) {
			s.log.Error("follow-up: reaping a lost attempt", "followup", id, "err", err)
		}
		return
	}
	s.log.Warn("follow-up: an attempt was lost with its instance", "followup", id, "state", t.State)
	s.changed(t)
}

// journey: a call's journey ended; a follow-up call's gives the result.
func (s *Service) journey(j *ivr.Journey) {
	d := s.forget(j.CallID)
	if d == nil {
		return
	}
	vars := maps.Clone(j.Vars)
	at := j.Ended.UTC().Truncate(time.Microsecond)
	if at.IsZero() {
		at = s.now()
	}
	s.async(func(ctx context.Context) { s.result(ctx, d, vars, at) })
}

// result keeps an answered automated attempt's result from the flow's
// variables and takes it to the complaint.
func (s *Service) result(ctx context.Context, d *dial, vars map[string]string, at time.Time) {
	answers := map[string]string{}
	for _, q := range s.p.Questions {
		if v, ok := vars[q]; ok && v != "" {
			answers[q] = v
		}
	}
	var satisfied *bool
	if v, err := strconv.Atoi(vars[s.p.SatisfiedVar]); err == nil {
		ok := v >= s.p.SatisfiedMin
		satisfied = &ok
	}
	t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, _ *Lease) error {
		if t.State != Dialling || len(t.Tries) == 0 || t.Tries[len(t.Tries)-1].Seq != d.seq {
			return refuse(t, fmt.Sprintf("attempt %d is not under way", d.seq))
		}
		a := &t.Tries[len(t.Tries)-1]
		a.Outcome, a.Ended = OutcomeAnswered, at
		res := &Result{Reached: true, Satisfied: satisfied, Answers: answers, CallID: d.channel, By: By, At: at}
		if satisfied == nil && !s.p.FollowUpUnanswered && s.p.Fallback == FallbackPreview {
			s.offer(ctx, t)
			return nil
		}
		if satisfied == nil && !s.p.FollowUpUnanswered {
			res.Note = "no satisfaction answer"
		}
		t.State, t.Result = Done, res
		return nil
	})
	if err != nil {
		s.log.Error("follow-up: keeping the result", "followup", d.task, "err", err)
		return
	}
	s.log.Info("follow-up: the customer was reached", "followup", t.ID, "state", t.State, "answers", answers)
	if t.State == Done && (satisfied != nil || s.p.FollowUpUnanswered) {
		s.apply(ctx, t, Actor)
	}
	s.changed(t)
}
