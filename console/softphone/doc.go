// Package softphone is the media plane of the agents' browser softphone:
// a [Gateway] holds one WebRTC peer connection per signed-in browser
// ([Session]) and bridges its audio to Asterisk through an ARI
// externalMedia channel (RTP, PCMU, 20 ms, over UDP).
//
// # What it owns, and what not
//
// It owns the peer connections, one UDP socket on the Asterisk side shared
// by every session, the forwarding between them and a watchdog. It makes no
// ARI request and knows no call, queue or agent: its caller (the ACD)
// creates the externalMedia channel with the session's
// [Session.ExternalHost] as external_host and format ulaw, reads the
// channel's UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT, and hands
// that address to [Session.Attach]; at the call's end it calls
// [Session.Detach] (and hangs up the channel). It carries no signalling
// either: the console carries the browser's offer and the gateway's
// answer over its own authenticated connection; [Gateway.Open] takes the
// offer and returns the answer. It reads no flags, files or environment:
// everything comes in a [Config].
//
// # Signalling
//
// The gateway does not trickle: [Gateway.Open] returns once its ICE
// candidates are gathered, so the answer holds them all. The browser may
// trickle its own with [Session.AddICECandidate], and restart ICE (a new
// offer on the same connection, after a network change) through
// [Session.Renegotiate]. The media engine knows PCMU/8000 alone (no
// telephone-event: digits reach Asterisk some other way; the console has
// buttons), so the answer accepts nothing else and an offer without PCMU
// is refused ([ErrNoPCMU]). An agent keeps one peer connection all day;
// calls come and go on it.
//
// # Forwarding, timing and rewriting
//
// Payloads pass as they are: no decoding, no transcoding, no jitter
// buffer, no pacing; each packet is forwarded on the goroutine that read
// it, so the sender's timing is kept. Towards Asterisk, the gateway has
// one UDP address, bound on [Config.RTPHost]: every session's
// external_host. On Linux a few sockets share it (SO_REUSEPORT, one per
// processor), and the system hands each source's datagrams to one of
// them; elsewhere it is one socket. A goroutine per socket reads it, as
// many datagrams per system call as are queued (recvmmsg on Linux), and
// tells the calls apart by the address each datagram comes from: the
// externalMedia channel's own RTP address, which [Session.Attach] was
// given. A datagram from an address no session has attached (a call not
// yet attached, one detached, a stranger) is dropped, and nothing is
// forwarded either way while a session has no call attached. Each
// externalMedia channel sends from a port of its own, so attaching an
// address takes it from any other session still holding it (a call
// Asterisk has ended). The browser's RTP goes to Asterisk from the same
// address (so symmetric RTP holds), each session's forwarding goroutine
// calling sendto itself, concurrently; a datagram the socket has no room
// for (Asterisk not reading) is dropped. The browser's RTP is forwarded
// on pion's SRTP session goroutine, as it is decrypted: the gateway gives
// pion the buffers of the incoming streams, and once the browser's track
// is known its buffer forwards each packet instead of queueing it for
// another goroutine. The peer connections run no interceptors (no RTCP
// reports, NACK, TWCC or stats: per-packet work of no use for PCMU
// audio; the browser plays audio without reports from the gateway).
//
// Each direction leaves the gateway as one continuous RTP stream for the
// life of the session, whatever calls come and go: a rewriter keeps one
// outgoing SSRC and adds offsets to the incoming sequence numbers and
// timestamps. Within one incoming stream the offsets are fixed (loss and
// reordering pass through unchanged); when a new one starts (a new call,
// or Asterisk changing its SSRC within one) they are picked again so that
// the sequence number follows the last one sent and the timestamp
// advances by the wall time since the last packet sent, in whole 20 ms
// frames (one at least), with the marker bit set; late packets of the
// stream replaced are dropped. Towards Asterisk the payload type is 0
// (PCMU) and the SSRC is the session's own; towards the browser, pion's
// track sets the SSRC and payload type the answer announced.
//
// Mute ([Gateway.Mute], [Session.SetMute]) replaces each browser packet's
// payload towards Asterisk by PCMU silence of the same length, keeping its
// sequence number and timestamp, so Asterisk's timing holds. A call
// starts unmuted.
//
// # Watchdog
//
// One goroutine checks every session a few times per timeout and reports
// to [Config.OnDead]: a call attached and no RTP from the browser for
// [Config.NoMediaTimeout] ([ReasonNoMedia], once per attached call); ICE
// disconnected or failed for [Config.ICEGrace] ([ReasonICE]); the peer
// connection closed, e.g. the tab closed ([ReasonClosed], at once, and the
// session is closed). The ACD decides what a report means for the call:
// ring-no-answer while offering it, the agent's hang-up once talking.
//
// # Cost
//
// BenchmarkGateway200 measures the forwarding delay and CPU with 200
// sessions (go test -run '^$' -bench Gateway -benchtime 1x ./console/softphone/);
// -cpuprofile shows where it goes. Most of a forwarded packet's CPU is
// not the gateway's own code: towards the browser, pion's write path
// (report interceptor, SRTP, ICE) and the kernel's UDP send, about a
// quarter of it; towards Asterisk, pion's receive path, four goroutines
// handing each packet on (ICE's reader, the DTLS/SRTP mux, the SRTP
// session, the track reader), a third; the system calls (a send each way,
// and the reads) a third of the whole, with the scheduler's wake-ups. The
// gateway's own part is the shared Asterisk-side sockets and their
// batched reads, the rewriting and one sendto per packet towards Asterisk.
package softphone
