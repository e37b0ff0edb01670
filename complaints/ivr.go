package complaints

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// IVRComplaint is a complaint the IVR took down: a call's journey event of
// kind "complaint" (ivr.EventComplaint) as stored with the call's events.
// The call engine writes it with the rest of the journey, through the
// journey spool while PostgreSQL is away; IngestIVR registers it.
type IVRComplaint struct {
	CallID string
	Seq    int       // the event's number in the call: one complaint per event
	At     time.Time // when the complaint was taken down: its registration time
	Node   string
	// What the event says (see ivr.EventComplaint).
	Hotline, Caller, Contact string
	Category, Fallback, Team string
	Recording                string // Asterisk's stored recording of the voice message
	Seconds                  int    // -1: unknown
	StartedAt                time.Time
	EndedBy                  string
	Path                     string
}

// IVRStore is the part of the Store that ingests the IVR's complaints.
type IVRStore interface {
	// PendingIVR returns up to limit complaint events of calls that no
	// complaint was registered from yet, oldest first.
	PendingIVR(ctx context.Context, limit int) ([]IVRComplaint, error)
	// CreateIVR stores r (as Create does) as the complaint of event c,
	// unless one is stored for that event already: then it stores
	// nothing and returns false. Two instances creating one event's
	// complaint at once store one.
	CreateIVR(ctx context.Context, day string, c IVRComplaint, r Record, first Change) (Record, bool, error)
}

// Messages keeps the voice messages of the IVR's complaints with the
// call recordings (package recordings' pipeline, kind message): KeepMessage
// hands Asterisk's stored recording to it and returns the recording's ID.
// Keeping the same message again is no error and gives the same ID.
type Messages interface {
	KeepMessage(ctx context.Context, c IVRComplaint) (string, error)
}

// IVRActor is who the IVR's registrations are by.
const IVRActor = "ivr"

// IngestIVR registers the complaints the IVR took down that are not
// registered yet (at most batch per call, repeated until none is left),
// each exactly once whichever Services scan at once, from any instance:
// source "ivr", the call, the caller as complainant, the contact,
// category and team the call gave, the content from what the IVR knows
// (the voice message's length, the caller's path), the 24 h clock from
// the call's time, and no owner: the first person who takes a step on it
// owns it (ActTake or any other step). Its voice message is handed to
// Messages first, when there is one, and linked. A complaint that cannot
// be registered now (the database, Messages, a category that is not
// configured) is logged and tried again at the next scan; IngestIVR
// returns how many it registered and the first error.
func (s *Service) IngestIVR(ctx context.Context) (int, error) {
	st, ok := s.cfg.Store.(IVRStore)
	if !ok {
		return 0, nil
	}
	batch := s.cfg.ScanBatch
	total := 0
	var first error
	failed := map[string]bool{} // events that failed this pass, not to be tried again in it
	for {
		pending, err := st.PendingIVR(ctx, batch+len(failed))
		if err != nil {
			return total, fmt.Errorf("reading the IVR's complaints: %w", err)
		}
		progress := false
		for _, c := range pending {
			key := fmt.Sprintf("%s/%d", c.CallID, c.Seq)
			if failed[key] {
				continue
			}
			created, err := s.registerIVR(ctx, st, c)
			if err != nil {
				failed[key] = true
				s.log.Error("complaints: an IVR complaint could not be registered; the next scan tries again", "call", c.CallID, "event", c.Seq, "err", err)
				if first == nil {
					first = err
				}
				if ctx.Err() != nil {
					return total, first
				}
				continue
			}
			progress = true
			if created {
				total++
			}
		}
		if !progress || len(pending) < batch+len(failed) {
			return total, first
		}
	}
}

// registerIVR registers c, unless it is registered already (false).
func (s *Service) registerIVR(ctx context.Context, st IVRStore, c IVRComplaint) (bool, error) {
	category := c.Category
	if _, ok := s.cfg.Categories[category]; !ok {
		category = c.Fallback
	}
	cat, ok := s.cfg.Categories[category]
	if !ok {
		return false, fmt.Errorf("%w: neither category %q nor the fallback %q is a configured complaint category", ErrInvalid, c.Category, c.Fallback)
	}
	team := c.Team
	if team == "" {
		team = cat.Team
	}
	if team == "" {
		return false, fmt.Errorf("%w: the IVR named no team and category %q has no default team", ErrInvalid, category)
	}
	r := Registration{
		CallID: c.CallID, Hotline: c.Hotline, Source: "ivr",
		Complainant: "来电 " + orUnknown(c.Caller), Contact: c.Contact, Content: ivrContent(c), Category: category, Team: team,
	}
	if strings.TrimSpace(r.Contact) == "" {
		r.Contact = orUnknown(c.Caller)
	}
	for _, f := range []struct{ name, v string }{
		{"hotline", r.Hotline}, {"call_id", r.CallID}, {"complainant", r.Complainant}, {"contact", r.Contact}, {"team", r.Team},
	} {
		if err := field(f.name, f.v, f.name == "hotline" || f.name == "call_id", maxShort); err != nil {
			return false, err
		}
	}
	registered := c.At.UTC().Truncate(time.Microsecond)
	rec := s.newRecord(r, "", team, registered)
	if s.cfg.Messages != nil && c.Recording != "" {
		id, err := s.cfg.Messages.KeepMessage(ctx, c)
		if err != nil {
			return false, fmt.Errorf("keeping the voice message %s of call %s: %w", c.Recording, c.CallID, err)
		}
		rec.MessageRecording = id
	}
	rec, created, err := st.CreateIVR(ctx, s.day(registered), c, rec,
		Change{At: registered, Actor: IVRActor, Action: ActRegister, To: Registered, Team: team, Due: rec.Resolve.Due,
			Note: "taken down by the IVR; nobody owns it until someone takes it (首问负责制)"})
	if err != nil || !created {
		return false, err
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
	if _, err := s.announce(ctx, rec, team, now); err != nil && !errors.Is(err, ErrStep) {
		s.log.Error("complaints: an IVR complaint is registered but not marked notified", "complaint", rec.ID, "err", err)
	}
	return true, nil
}

func orUnknown(number string) string {
	if strings.TrimSpace(number) == "" {
		return "未知号码 unknown"
	}
	return number
}

// ivrContent is what the IVR knows of a complaint, in the centre's words.
func ivrContent(c IVRComplaint) string {
	var b strings.Builder
	if c.Seconds >= 0 {
		fmt.Fprintf(&b, "IVR 投诉语音留言 %d 秒，请收听录音。", c.Seconds)
	} else {
		b.WriteString("IVR 投诉语音留言（时长未知），请收听录音。")
	}
	if c.EndedBy == "hangup" {
		b.WriteString("来电者说完后挂机。")
	}
	if c.Path != "" {
		fmt.Fprintf(&b, "\n来电路径 IVR path: %s", c.Path)
	}
	if c.Category != "" && c.Category != c.Fallback {
		fmt.Fprintf(&b, "\n来电者选择的类别 Category chosen: %s", c.Category)
	}
	fmt.Fprintf(&b, "\nVoice message of %s, left in the IVR.", secondsText(c.Seconds))
	return b.String()
}

func secondsText(n int) string {
	if n < 0 {
		return "unknown length"
	}
	return fmt.Sprintf("%d s", n)
}

// ownerOrSupervisors is who a notice for the owner goes to: the owner,
// or, while nobody owns the complaint, the supervisors.
func (s *Service) ownerOrSupervisors(r Record) []string {
	if r.Owner != "" {
		return []string{r.Owner}
	}
	return s.cfg.Supervisors
}
