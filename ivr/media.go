package ivr

import (
	"context"
	"errors"
	"net/url"

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
