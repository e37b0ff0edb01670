package acd

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
)

// PBX is what the service asks of Asterisk: ring agents and customers,
// play to channels, hold music, bridges and snoops. Each call returns once
// Asterisk accepted the command; what follows (StasisStart on answer,
// PlaybackFinished, ChannelDestroyed) arrives as events through
// [Service.Handler].
type PBX interface {
	// Originate rings endpoint ("PJSIP/1001") on a channel with the given
	// id, which enters the application (with appArgs) once answered; it
	// gives up after timeout.
	Originate(ctx context.Context, channelID, endpoint, callerID string, timeout time.Duration, appArgs string) error
	Hangup(ctx context.Context, channelID, reason string) error
	Play(ctx context.Context, channelID, playbackID string, media ...string) error
	StopPlayback(ctx context.Context, playbackID string) error
	StartMOH(ctx context.Context, channelID, class string) error
	StopMOH(ctx context.Context, channelID string) error
	CreateBridge(ctx context.Context, bridgeID, kind string) error
	AddToBridge(ctx context.Context, bridgeID, channelID string) error
	RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error
	DestroyBridge(ctx context.Context, bridgeID string) error
	// Snoop makes a channel (snoopID) that hears channelID in the spy
	// direction and speaks into it in the whisper direction ("none", "in",
	// "out", "both").
	Snoop(ctx context.Context, channelID, snoopID, spy, whisper, appArgs string) error
	// BridgeChannels lists the channels in a bridge (GET /bridges/{id});
	// ErrGone if there is no such bridge.
	BridgeChannels(ctx context.Context, bridgeID string) ([]string, error)
	// PlaybackState is a playback's state (GET /playbacks/{id}): queued,
	// playing...; ErrGone once it is over.
	PlaybackState(ctx context.Context, playbackID string) (string, error)
	// ChannelState is a channel's state (GET /channels/{id}): Ring, Up...;
	// ErrGone if there is no such channel.
	ChannelState(ctx context.Context, channelID string) (string, error)
	// ExternalMedia makes an externalMedia channel (channelID) in the
	// application that exchanges PCMU RTP over UDP, both directions, with
	// externalHost (host:port). Its StasisStart comes a moment after the
	// reply, and it cannot join a bridge before that; its own address is in
	// its UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT variables.
	// Asterisk's externalMedia takes no application arguments: its
	// StasisStart has none, and the channel's id tells what it is.
	ExternalMedia(ctx context.Context, channelID, externalHost string) error
	// ChannelVar reads a channel variable (GET /channels/{id}/variable);
	// ErrGone on a 404 (no such channel, or no such variable).
	ChannelVar(ctx context.Context, channelID, name string) (string, error)
	// SendDTMF sends digits out of a channel to its far end (POST
	// /channels/{id}/dtmf).
	SendDTMF(ctx context.Context, channelID, digits string) error
}

// ariPBX adapts the ari/v6 REST client. Like the engine's Media, its calls
// take no context: a cancelled ctx stops a call before it is sent, and the
// transport's timeouts bound the rest.
type ariPBX struct {
	cl  ari.Client
	app string
}

// NewPBX returns the service's PBX over an ari/v6 REST client of the
// application app.
func NewPBX(cl ari.Client, app string) PBX { return ariPBX{cl: cl, app: app} }

func chanKey(id string) *ari.Key   { return ari.NewKey(ari.ChannelKey, id) }
func bridgeKey(id string) *ari.Key { return ari.NewKey(ari.BridgeKey, id) }

func (p ariPBX) Originate(ctx context.Context, id, endpoint, callerID string, timeout time.Duration, appArgs string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	_, err := p.cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: endpoint, ChannelID: id, CallerID: callerID, Timeout: secs, App: p.app, AppArgs: appArgs,
	})
	return err
}

func (p ariPBX) Hangup(ctx context.Context, id, reason string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ivr.RetryTransport(func() error { return p.cl.Channel().Hangup(chanKey(id), reason) })
}

func (p ariPBX) Play(ctx context.Context, id, playbackID string, media ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.cl.Channel().Play(chanKey(id), playbackID, media...)
	return err
}

func (p ariPBX) StopPlayback(ctx context.Context, playbackID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Playback().Stop(ari.NewKey(ari.PlaybackKey, playbackID))
}

func (p ariPBX) StartMOH(ctx context.Context, id, class string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Channel().MOH(chanKey(id), class)
}

func (p ariPBX) StopMOH(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Channel().StopMOH(chanKey(id))
}

func (p ariPBX) CreateBridge(ctx context.Context, id, kind string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.cl.Bridge().Create(bridgeKey(id), kind, id)
	return err
}

func (p ariPBX) AddToBridge(ctx context.Context, bridgeID, channelID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Bridge().AddChannel(bridgeKey(bridgeID), channelID)
}

func (p ariPBX) RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Bridge().RemoveChannel(bridgeKey(bridgeID), channelID)
}

func (p ariPBX) DestroyBridge(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Bridge().Delete(bridgeKey(id))
}

func (p ariPBX) Snoop(ctx context.Context, id, snoopID, spy, whisper, appArgs string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.cl.Channel().Snoop(chanKey(id), snoopID, &ari.SnoopOptions{
		App: p.app, AppArgs: appArgs, Spy: ari.Direction(spy), Whisper: ari.Direction(whisper),
	})
	return err
}

func (p ariPBX) BridgeChannels(ctx context.Context, id string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := p.cl.Bridge().Data(bridgeKey(id))
	if err != nil {
		return nil, gone(err)
	}
	return d.ChannelIDs, nil
}

func (p ariPBX) PlaybackState(ctx context.Context, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d, err := p.cl.Playback().Data(ari.NewKey(ari.PlaybackKey, id))
	if err != nil {
		return "", gone(err)
	}
	return d.State, nil
}

func (p ariPBX) ChannelState(ctx context.Context, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d, err := p.cl.Channel().Data(chanKey(id))
	if err != nil {
		return "", gone(err)
	}
	return d.State, nil
}

// gone makes Asterisk's 404 ErrGone.
func gone(err error) error {
	if ivr.StatusOf(err) == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrGone, err)
	}
	return err
}

func (p ariPBX) ExternalMedia(ctx context.Context, id, externalHost string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.cl.Channel().ExternalMedia(nil, ari.ExternalMediaOptions{
		ChannelID: id, App: p.app, ExternalHost: externalHost, Encapsulation: "rtp", Transport: "udp",
		ConnectionType: "client", Format: "ulaw", Direction: "both",
	})
	return err
}

func (p ariPBX) ChannelVar(ctx context.Context, id, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	v, err := p.cl.Channel().GetVariable(chanKey(id), name)
	if err != nil {
		return "", gone(err)
	}
	return v, nil
}

func (p ariPBX) SendDTMF(ctx context.Context, id, digits string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.cl.Channel().SendDTMF(chanKey(id), digits, nil)
}
