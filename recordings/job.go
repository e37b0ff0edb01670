package recordings

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind says which part of a call a recording holds: the values of the
// recordings table's kind column (ivr.RecordingKind's).
type Kind string

const (
	Conversation Kind = "conversation" // from the first agent connected to the last party leaving
	IVR          Kind = "ivr"          // from answer to leaving the IVR
	// Message is a voice message the caller left in the IVR (a complaint
	// node's): one mono file, the caller's voice ([Mono]).
	Message Kind = "message"
)

// MaxAgentLead bounds Job.AgentLead (the table's check).
const MaxAgentLead = time.Minute

// State is where a recording is in its life: the values of the recordings
// table's state column.
type State string

// The states. A job starts Pending; the pipeline makes it Fetched (the
// files are checked and merged, their hash recorded; a worker that
// restarts fetches them again and checks it gets the same), Stored (in blob
// storage, recorded) and Cleaned (the originals deleted from Asterisk), or
// Failed. The Janitor makes an expired Cleaned recording Deleting, then
// Deleted once its blob is gone.
const (
	Pending  State = "pending"
	Fetched  State = "fetched"
	Stored   State = "stored"
	Cleaned  State = "cleaned"
	Failed   State = "failed"
	Deleting State = "deleting"
	Deleted  State = "deleted"
)

// Layout says what files Asterisk made of a conversation.
type Layout string

const (
	// Split: two aligned mono files, the customer's and the agent's
	// (snoop channels, each recorded on its own), merged into one stereo
	// file after the call.
	Split Layout = "split"
	// Stereo: one stereo file, customer left and agent right.
	Stereo Layout = "stereo"
	// Mono: one mono file, the caller's voice alone (a voice message); it
	// is stored as the others are, in the stereo WAV, the caller left and
	// the right silent, so that it plays and draws like any recording.
	Mono Layout = "mono"
)

// Job is a finished recording: what the capture side hands the pipeline
// when the conversation is over, and, once enqueued, the pipeline's
// progress with it. Enqueue reads the first group of fields; the rest is
// kept by the pipeline.
type Job struct {
	// ID names the recording, unique forever: 1 to 128 of A-Z a-z 0-9 . _ -
	// (it is part of the blob key). Enqueueing the same ID again is a no-op.
	ID     string
	CallID string // the call it recorded (calls.id)
	// Customer and Agent are the names of Asterisk's stored recordings of
	// the two sides (Split); or Stereo names one stereo file; or Mono one
	// mono file, a voice message's (Kind Message). Exactly one of the
	// three forms.
	Customer, Agent string
	Stereo          string
	Mono            string
	// Start and End bound the recorded conversation; Duration is how long
	// the audio must be (zero: End - Start).
	Start, End time.Time
	Duration   time.Duration
	Hotline    string // the dialled number
	Queue      string
	AgentID    string // the agent who took the conversation (the first, after transfers)
	Caller     string // the caller's number
	// RetentionClass picks a retention of Retention.Classes, like
	// "complaint"; empty: the hotline's.
	RetentionClass string
	PCIPauses      int // how often recording was paused for card data
	// Kind is the part of the call recorded (empty: Conversation).
	Kind Kind
	// LinkedCallID is, for a call-back's conversation, the call that
	// booked it.
	LinkedCallID string
	// AgentLead is how much later the agent's side (Split) started
	// recording than the customer's, negative if earlier, as Asterisk's
	// RecordingStarted events say; the merge pads the later side's start
	// by it so both sides share one clock. Whole milliseconds are kept.
	AgentLead time.Duration
	// Markers are the recording's timeline, stored with the job in one
	// transaction by Enqueue (not read back by the pipeline).
	Markers []Marker

	// The pipeline's progress.

	State     State
	Expires   time.Time // when the retention job may delete it; set by Enqueue
	Attempts  int       // claims so far
	LastError string
	SHA256    string // hex, of the stored stereo WAV; set with Fetched
	Size      int64  // bytes of the stored stereo WAV
	Audio     time.Duration
	BlobKey   string // set with Stored
}

// Layout is the job's layout: Stereo when it names a stereo file, Mono
// when it names a mono file.
func (j Job) Layout() Layout {
	switch {
	case j.Stereo != "":
		return Stereo
	case j.Mono != "":
		return Mono
	}
	return Split
}

// Sources are the Asterisk stored recordings the job takes: customer and
// agent, or the stereo file, or the mono file.
func (j Job) Sources() []string {
	switch {
	case j.Stereo != "":
		return []string{j.Stereo}
	case j.Mono != "":
		return []string{j.Mono}
	}
	return []string{j.Customer, j.Agent}
}

// SetSources sets the sources from a layout and names, as Sources gives
// them (for stores reading a job back).
func (j *Job) SetSources(l Layout, names []string) {
	j.Customer, j.Agent, j.Stereo, j.Mono = "", "", "", ""
	switch {
	case l == Stereo && len(names) == 1:
		j.Stereo = names[0]
	case l == Mono && len(names) == 1:
		j.Mono = names[0]
	case len(names) == 2:
		j.Customer, j.Agent = names[0], names[1]
	}
}

// KindOrDefault is the job's kind, Conversation when unset.
func (j Job) KindOrDefault() Kind {
	if j.Kind == "" {
		return Conversation
	}
	return j.Kind
}

// Length is how long the audio must be: Duration, or End - Start.
func (j Job) Length() time.Duration {
	if j.Duration > 0 {
		return j.Duration
	}
	return j.End.Sub(j.Start)
}

var (
	recordingID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	// Asterisk's stored recording names are file names below its
	// recording folder; the pipeline refuses anything that could climb
	// out of it or break the URL path.
	storedName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)
)

// Check reports every reason the job cannot be enqueued, as one ErrBadJob.
func (j Job) Check() error {
	var problems []string
	if !recordingID.MatchString(j.ID) {
		problems = append(problems, fmt.Sprintf("ID %q is not 1 to 128 of A-Z a-z 0-9 . _ - starting with a letter or digit", j.ID))
	}
	if j.CallID == "" {
		problems = append(problems, "it has no call ID")
	}
	forms := 0
	for _, given := range []bool{j.Customer != "" || j.Agent != "", j.Stereo != "", j.Mono != ""} {
		if given {
			forms++
		}
	}
	switch {
	case forms > 1:
		problems = append(problems, "it names both a stereo file and customer/agent files, or a mono file with either; give one form")
	case j.Stereo == "" && j.Mono == "" && (j.Customer == "" || j.Agent == ""):
		problems = append(problems, "it needs both the customer's and the agent's stored recording, or one stereo file, or one mono file")
	}
	if (j.Kind == Message) != (j.Mono != "") && forms == 1 {
		problems = append(problems, "a voice message (kind message) is one mono file, and a mono file is a voice message")
	}
	for _, n := range j.Sources() {
		if n != "" && (!storedName.MatchString(n) || strings.Contains(n, "..")) {
			problems = append(problems, fmt.Sprintf("stored recording name %q is not a plain Asterisk recording name", n))
		}
	}
	if j.Start.IsZero() || j.End.IsZero() {
		problems = append(problems, "it needs the conversation's start and end")
	} else if !j.End.After(j.Start) {
		problems = append(problems, fmt.Sprintf("it ends (%s) before it starts (%s)", j.End.Format(time.RFC3339), j.Start.Format(time.RFC3339)))
	}
	if j.Duration < 0 {
		problems = append(problems, fmt.Sprintf("duration %s is negative", j.Duration))
	}
	switch j.Kind {
	case "", Conversation, IVR, Message:
	default:
		problems = append(problems, fmt.Sprintf("kind %q is not %q, %q or %q", j.Kind, Conversation, IVR, Message))
	}
	if j.AgentLead.Abs() > MaxAgentLead {
		problems = append(problems, fmt.Sprintf("agent side lead %s is beyond %s", j.AgentLead, MaxAgentLead))
	}
	if j.AgentLead != 0 && (j.Stereo != "" || j.Mono != "") {
		problems = append(problems, "a stereo or mono file has no side lead")
	}
	for _, m := range j.Markers {
		if err := m.Check(); err != nil {
			problems = append(problems, strings.TrimPrefix(err.Error(), ErrBadJob.Error()+": "))
		}
	}
	if j.PCIPauses < 0 {
		problems = append(problems, fmt.Sprintf("PCI pauses %d is negative", j.PCIPauses))
	}
	for _, s := range []string{j.CallID, j.Hotline, j.Queue, j.AgentID, j.Caller, j.RetentionClass, j.LinkedCallID} {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			problems = append(problems, fmt.Sprintf("%q is not valid UTF-8 or holds a NUL byte", s))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w %q: %s", ErrBadJob, j.ID, strings.Join(problems, "; "))
	}
	return nil
}

// BlobKey is where the recording with the ID is kept in blob storage. It
// depends on the ID alone, so a write repeated after a crash replaces the
// same object; the two hex digits after "recordings/" spread keys over
// prefixes, which S3 partitions by.
func BlobKey(id string) string {
	h := uint32(2166136261) // FNV-1a, stable forever
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return fmt.Sprintf("recordings/%02x/%s.wav", h&0xff, id)
}
