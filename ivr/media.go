package ivr

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/CyCoreSystems/ari/v6"
)

// Media is what the engine asks of Asterisk for a call. Its calls return
// once Asterisk has accepted the command; what follows (PlaybackFinished,
// RecordingFinished...) arrives as events.
type Media interface {
	Answer(ctx context.Context, channelID string) error
	Hangup(ctx context.Context, channelID, reason string) error
	Play(ctx context.Context, channelID, playbackID string, media ...string) error
	StopPlayback(ctx context.Context, playbackID string) error
	Record(ctx context.Context, channelID, name string, opts ari.RecordingOptions) error
	// SetLanguage sets the channel's CHANNEL(language), so that what
	// Asterisk reports and plays by language matches the call's.
	SetLanguage(ctx context.Context, channelID, lang string) error
	// StartMOH plays the default music on hold to the channel until
	// something else is played or it is stopped.
	StartMOH(ctx context.Context, channelID string) error
	StopMOH(ctx context.Context, channelID string) error
	// Channel describes a channel the engine did not see arrive (one it
	// adopts at start).
	Channel(ctx context.Context, channelID string) (ChannelInfo, error)

	// Playback asks Asterisk whether a playback still exists (GET
	// /playbacks/{id}): found false (404) means it is over. A wait whose
	// end event may have been lost asks it rather than assuming.
	Playback(ctx context.Context, playbackID string) (state string, found bool, err error)
	// LiveRecording asks about a recording in progress (GET
	// /recordings/live/{name}); found false means it is over.
	LiveRecording(ctx context.Context, name string) (state string, found bool, err error)
	// StoredRecording says whether a finished recording was stored (GET
	// /recordings/stored/{name}).
	StoredRecording(ctx context.Context, name string) (found bool, err error)
}

// ChannelInfo is what the engine needs of a channel it adopts.
type ChannelInfo struct {
	Name, Caller string
	// Number is the dialled number: the first argument of Stasis() in
	// the dialplan, else the extension.
	Number string
	State  string // Up once answered
}

// ariMedia adapts the ari/v6 REST client. Its calls take no context (see
// NewRESTClient): a cancelled ctx stops a call before it is sent, and the
// transport's timeouts bound the rest.
type ariMedia struct{ cl ari.Client }

// NewMedia returns the engine's Media over an ari/v6 REST client.
func NewMedia(cl ari.Client) Media { return ariMedia{cl: cl} }

func chanKey(id string) *ari.Key { return ari.NewKey(ari.ChannelKey, id) }

func (m ariMedia) Answer(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Channel().Answer(chanKey(id))
}

func (m ariMedia) Hangup(ctx context.Context, id, reason string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return RetryTransport(func() error { return m.cl.Channel().Hangup(chanKey(id), reason) })
}

// RetryTransport runs a request again once when it failed in transport
// (the connection broke, like a keep-alive connection closed by the
// server as the request went out) rather than with an answer from
// Asterisk. Go retries such failures itself only for GET and the like, and
// a hang-up that is lost leaves a channel up; sending one twice is
// harmless (the second gets 404).
func RetryTransport(do func() error) error {
	err := do()
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = do()
	}
	return err
}

func (m ariMedia) Play(ctx context.Context, id, playbackID string, media ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := m.cl.Channel().Play(chanKey(id), playbackID, media...)
	return err
}

func (m ariMedia) StopPlayback(ctx context.Context, playbackID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Playback().Stop(ari.NewKey(ari.PlaybackKey, playbackID))
}

func (m ariMedia) Record(ctx context.Context, id, name string, opts ari.RecordingOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := m.cl.Channel().Record(chanKey(id), name, &opts)
	return err
}

func (m ariMedia) SetLanguage(ctx context.Context, id, lang string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Channel().SetVariable(chanKey(id), "CHANNEL(language)", lang)
}

func (m ariMedia) StartMOH(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Channel().MOH(chanKey(id), "")
}

func (m ariMedia) Playback(ctx context.Context, playbackID string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	d, err := m.cl.Playback().Data(ari.NewKey(ari.PlaybackKey, playbackID))
	if err != nil {
		if StatusOf(err) == http.StatusNotFound {
			return "", false, nil
		}
		return "", false, err
	}
	return d.State, true, nil
}

func (m ariMedia) LiveRecording(ctx context.Context, name string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	d, err := m.cl.LiveRecording().Data(ari.NewKey(ari.LiveRecordingKey, name))
	if err != nil {
		if StatusOf(err) == http.StatusNotFound {
			return "", false, nil
		}
		return "", false, err
	}
	return d.State, true, nil
}

func (m ariMedia) StoredRecording(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := m.cl.StoredRecording().Data(ari.NewKey(ari.StoredRecordingKey, name))
	if err != nil {
		if StatusOf(err) == http.StatusNotFound {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// StatusOf is the HTTP status of an ARI request's error, 0 if it has
// none. The ari/v6 client wraps it in types that unwrap with Cause rather
// than Unwrap, so both are followed (a bounded depth: a Cause that
// returns itself ends the search).
func StatusOf(err error) int {
	for depth := 0; err != nil && depth < 16; depth++ {
		if coded, ok := err.(interface{ Code() int }); ok {
			return coded.Code()
		}
		if c, ok := err.(interface{ Cause() error }); ok && c.Cause() != nil && c.Cause() != err {
			err = c.Cause()
			continue
		}
		err = errors.Unwrap(err)
	}
	return 0
}

func (m ariMedia) StopMOH(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cl.Channel().StopMOH(chanKey(id))
}

func (m ariMedia) Channel(ctx context.Context, id string) (ChannelInfo, error) {
	if err := ctx.Err(); err != nil {
		return ChannelInfo{}, err
	}
	d, err := m.cl.Channel().Data(chanKey(id))
	if err != nil {
		return ChannelInfo{}, err
	}
	info := ChannelInfo{Name: d.Name, State: d.State}
	if d.Caller != nil {
		info.Caller = d.Caller.Number
	}
	if d.Dialplan != nil {
		info.Number = d.Dialplan.Exten
		// Stasis(app,NUMBER,...): the dialled number is the first argument.
		if args := strings.Split(d.Dialplan.AppData, ","); d.Dialplan.AppName == "Stasis" && len(args) > 1 && args[1] != "" {
			info.Number = args[1]
		}
	}
	return info, nil
}
