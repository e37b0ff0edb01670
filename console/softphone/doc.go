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
// BenchmarkGateway200 forwards 50 packets/s each way for 200 sessions
// with a call attached (20,000 packets/s), the load (the browsers and the
// Asterisk sides) in a child process, and reports the gateway's CPU per
// forwarded packet, its share of one core, the kernel's part of it, and
// its forwarding delay per direction:
//
//	go test -run '^$' -bench Gateway -benchtime 1x ./console/softphone/
//
// (-cpuprofile shows where it goes). On the 2-core development machine,
// shared with other work (CPU pressure 88-98% in every run), December
// 2026, twenty-one runs: 18.1-22.6 µs of CPU per packet (median 20.7),
// that is about 41% of one core for 200 calls, against the budget of
// 12.5 µs (25%); nine runs in the same hour before the interceptors went
// and the browser's RTP was forwarded from the SRTP session: 21.6-25.6
// µs (median 22.9, 46%). Forwarding delay towards Asterisk p99 30-60 µs;
// towards the browser p99 50-700 ms (p50 2-12 ms), before as after: on a
// machine that saturated, the Asterisk-side readers wait for a core.
//
// 9.0-9.5 µs of each packet is the kernel's (gateway-sys-µs/pkt): each
// packet is read once and sent once, and a sendto on loopback costs some
// 3.6 µs of system time on that machine, the delivery into the receiving
// socket included; batching system calls (recvmmsg on the Asterisk side)
// saves only their entry, about 0.3 µs each. The rest is mostly pion's:
// towards the browser its write path (SRTP, the DTLS/SRTP mux, ICE);
// towards Asterisk its receive path, which hands each packet from ICE's
// socket reader to the DTLS/SRTP mux's goroutine and on to the SRTP
// session's, where the gateway forwards it. The gateway's own code
// (routing, rewriting) is about 1 µs. The budget leaves some 3 µs beside
// the kernel's part: it would take at least a media path of the
// gateway's own after the handshake (SRTP on the ICE socket, no
// goroutine hand-offs), and pion keeps the SRTP keys inside its DTLS
// transport.
//
// Measured and not kept: one ICE socket for every session (pion's UDP
// mux): 17.2-20.9 µs (median 19.9) against 18.1-22.2 µs (median 21.2),
// nine runs each in turn; in three more rounds 17.6-18.4 against
// 18.4-20.4 µs, the kernel's part 7.0-8.0 against 7.9-9.3 µs (fewer
// sockets to poll), and reading that socket with recvmmsg added nothing
// sure (16.5-19.7 µs). About 7% less, then; but it would tie ICE to the
// interfaces present at start and to one port per address, which
// ICEPortMin and ICEPortMax do not say: a choice for the deployment. Not tried, for what the profile shows:
// AES-128-GCM instead of the AES-256-GCM pion prefers (sealing and
// opening are about 4% of the CPU, and fewer AES rounds would save a
// fraction of that), and no SRTP replay protection (under 1%; it keeps
// replayed packets from reaching Asterisk).
package softphone
