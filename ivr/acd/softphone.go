package acd

import "net/netip"

// SoftphonePrefix starts the device of an agent (or a supervisor) whose
// phone is the console's browser softphone: "WebRTC/<id>", where id is
// the softphone session's ID (the agent's ID; a supervisor's user name).
// Such a device is not originated to: it rings in the browser (the call's
// view says ringing), the agent answers through the console, and the
// service then joins the browser's audio to the call through an ARI
// externalMedia channel.
const SoftphonePrefix = "WebRTC/"

// Softphones is the media plane of the browser softphones
// (console/softphone's Gateway), by session ID.
type Softphones interface {
	// ExternalHost is the host:port to give as external_host when creating
	// the externalMedia channel for session id; an error when the browser
	// has no open session.
	ExternalHost(id string) (string, error)
	// Attach joins session id to channel, whose Asterisk side sends from
	// asterisk (its UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT).
	Attach(id, channel string, asterisk netip.AddrPort) error
	// Detach ends session id's part in channel; nothing if another
	// channel (or none) is attached.
	Detach(id, channel string)
}
