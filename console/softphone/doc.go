// Package softphone is the media plane of the agents' browser softphone:
// a [Gateway] holds one WebRTC peer connection per signed-in browser
// ([Session]) and bridges its audio to Asterisk through an ARI
// externalMedia channel (RTP, PCMU, 20 ms, over UDP).
//
// # What it owns, and what not
//
// It owns the peer connections (ICE, DTLS, SRTP), the UDP sockets of both
// sides, shared by every session, the forwarding between them and a
// watchdog. It makes no ARI request and knows no call, queue or agent:
// its caller (the ACD) creates the externalMedia channel with the
// session's [Session.ExternalHost] as external_host and format ulaw,
// reads the channel's UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT,
// and hands that address to [Session.Attach]; at the call's end it calls
// [Session.Detach] (and hangs up the channel). It carries no signalling
// either: the console carries the browser's offer and the gateway's
// answer over its own authenticated connection; [Gateway.Open] takes the
// offer and returns the answer. It reads no flags, files or environment:
// everything comes in a [Config].
//
// # Signalling and the peer connection
//
// The gateway is its own WebRTC endpoint, for audio alone: ICE as a lite
// agent (RFC 8445 §2.5: host candidates only, answering the browser's
// connectivity checks and sending on the pair the browser nominates),
// DTLS-SRTP (pion's dtls for the handshake, the certificates checked
// against the SDP fingerprints, then pion's srtp contexts with the keys it
// exports: AES-128-GCM first), RTCP multiplexed and bundled on one pair.
// It needs no STUN or TURN server of its own: the browsers must reach one
// of its addresses (or NAT1To1IPs), directly or through a TURN relay of
// their own, which the console gives the page (GET /api/softphone): a
// TURN server that shares a secret with Hotline, with a username and
// credential of the page's user's own for a while (the TURN REST scheme
// coturn's use-auth-secret checks; [Gateway.ICEServersFor]), so that no
// page holds a password common to all.
//
// The gateway does not trickle: [Gateway.Open] answers at once with
// every candidate (one address per interface, opened at the first use of
// the address). The browser may trickle its own with
// [Session.AddICECandidate] (checked, and not needed: a lite agent
// learns the browser's addresses from its checks), and restart ICE (a new
// offer on the same connection, after a network change) through
// [Session.Renegotiate]: new credentials on both sides, the DTLS
// association and the call carry on. The answer accepts PCMU/8000 alone
// (no telephone-event: digits reach Asterisk some other way; the console
// has buttons), so an offer without PCMU is refused ([ErrNoPCMU]); other
// m-lines are rejected. An agent keeps one peer connection all day; calls
// come and go on it.
//
// # Forwarding, timing and rewriting
//
// Payloads pass as they are: no decoding, no transcoding, no jitter
// buffer, no pacing; each packet is forwarded on the goroutine that read
// it, so the sender's timing is kept. Both sides are a few UDP sockets
// shared by every session: towards Asterisk one address, bound on
// [Config.RTPHost] (every session's external_host); towards the browsers
// one address per local IP. On Linux a few sockets share each address
// (SO_REUSEPORT, one per processor), the system handing each source's
// datagrams to one of them; elsewhere it is one socket. A goroutine per
// socket reads it, as many datagrams per system call as are queued
// (recvmmsg on Linux), and tells the sessions apart by the address each
// datagram comes from: on the Asterisk side the externalMedia channel's
// own RTP address, which [Session.Attach] was given; on the browsers'
// side the addresses their signed ICE checks came from. A datagram from
// any other address is dropped, and nothing is forwarded either way
// while a session has no call attached. Each externalMedia channel sends
// from a port of its own, so attaching an address takes it from any
// other session still holding it (a call Asterisk has ended). The
// browser's SRTP is opened and sent on to Asterisk, and Asterisk's RTP
// sealed and sent to the browser, on the reader's goroutine, what one
// batch of reads produced going out with one sendmmsg per socket (system
// calls the runtime does not schedule around: a UDP socket's reads and
// sends, non-blocking, never wait), from the socket the other side knows
// (symmetric RTP); a datagram the socket has no room for is dropped. The
// gateway sends no RTCP (the browser plays audio without reports; it
// reports to nobody) and drops the browser's.
//
// Two things keep the threads' wake-ups down, which cost more than the
// forwarding itself on a virtual machine. The sockets are not in the
// runtime's poller, which watches every socket for writability too and
// on Linux is woken by each datagram a UDP socket sends: each socket has
// an epoll instance of its own, watching reading only, which the runtime
// polls instead (a reader asks its socket before each wait: a read
// through the runtime forgets what the poller said before it began). And
// while the gateway is busy (over [Config.BusyRate]
// packets a second, some 30 calls by default), the readers stop waking
// for each datagram: one goroutine (the pump), woken by a timerfd every
// [Config.BusyWindow] (0.5 ms), reads every socket and forwards what
// came meanwhile; a packet waits 0.25 ms on average for it. Under half
// the rate for 100 ms, the readers take over again.
//
// With [Config.RealtimePriority], the pump runs on a thread of its own
// under SCHED_FIFO (as Asterisk's media threads do under its -p): at
// the normal priority, now and then a tick waits a millisecond or more
// for a CPU that the kernel leaves to another process (every run of the
// benchmark below had dozens of ticks over 1 ms late in 12 s; at a
// realtime priority none). Only the pump gets it: it waits for its timer
// in the kernel and forwards at most pumpBatches batches a socket a
// tick, so it cannot keep a CPU from the database or Asterisk for long.
// Refused (no CAP_SYS_NICE, no RLIMIT_RTPRIO), it says so in the log and
// runs at the normal priority.
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
// (PCMU); towards the browser it is the one the answer gave PCMU, and the
// SSRC the answer announced.
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
// [Config.NoMediaTimeout] ([ReasonNoMedia], once per attached call);
// nothing at all from the browser, not even its ICE checks (browsers send
// one every 5 s or so), for [Config.ICEDisconnectedTimeout] and then
// [Config.ICEGrace] more ([ReasonICE]); the peer connection closed, e.g.
// the tab closed (the browser's DTLS close_notify) or its DTLS handshake
// failed ([ReasonClosed], at once, and the session is closed). The ACD
// decides what a report means for the call: ring-no-answer while offering
// it, the agent's hang-up once talking.
//
// # Cost
//
// BenchmarkGateway200 forwards 50 packets/s each way for 200 sessions
// with a call attached (20,000 packets/s), the load (the browsers, pion
// peer connections, and the Asterisk sides) in a child process, and
// reports the gateway's CPU per forwarded packet, its share of one core,
// the kernel's part of it, and its forwarding delay per direction, from
// each packet's arrival in the kernel to the return of the system call
// that sends it on:
//
//	go test -run '^$' -bench Gateway -benchtime 1x ./console/softphone/
//
// BenchmarkGateway200Realtime is the same with the pump at a realtime
// priority ([Config.RealtimePriority] 1; skipped where the system
// refuses it). (-cpuprofile shows where the CPU goes; perf record -g -p
// on the benchmark's process shows the kernel's part; its log gives the
// delay's tail: p90, p99.9, the largest, the share over 1 ms; run under
// chrt -r 1, the whole gateway process has a realtime priority and its
// load the normal one.)
//
// On the 2-core development machine, a virtual machine whose speed
// drifts by the hour, so that figures compare within a round, 7
// December 2026. At the normal priority, three rounds of runs twenty
// minutes apart: 10.8, 12.3 and 12.5 µs of CPU per packet; 13.8-15.0
// (four runs); 9.6-11.3 (four runs): 19-30% of one core for 200 calls
// against the budget of 25%, 5.7-9.5 µs of it the kernel's.
// Forwarding delay, kernel to kernel: p50 0.31-0.39 ms (the pump's
// wait); p99 0.67-0.90 ms, 1.1-2.6 ms and 0.59-1.03 ms in the three
// rounds; p99.9 2.3-5.5 ms. Later that day, the machine faster: 8.4-10.5
// µs (17-21% of a core) in some thirty runs, p99 0.6-1.5 ms.
//
// That tail is the scheduler's, not the gateway's code: with the pump
// instrumented, every run at the normal priority had 63-130 ticks more
// than 1 ms late (of 24,000 in 12 s, the latest 4.1-7.4 ms), each holding
// up the packets of its wait: the kernel leaving the pump's thread
// waiting while it runs another's, the load's. A nice of -5 or -10 or a
// shorter EEVDF slice (sched_setattr's sched_runtime 0.1 ms, with which a
// lone timer thread's lateness over 0.5 ms went from 1.1-1.8% to
// 0.07-0.08%) left 29-103; the load without its garbage collector, or the
// arrival stamped later in the kernel, did not take the tail away either.
// At a realtime priority, no tick was 1 ms late. The pump at a realtime
// priority (BenchmarkGateway200Realtime), eleven runs in four rounds: p99
// 0.55-0.70 ms, p99.9 1.0-5.1 ms, 9.0-10.2 µs per packet (18-20% of a
// core); at the normal priority in the same rounds, p99 0.76-1.09 ms,
// 8.3-9.6 µs. (Earlier that day, the whole process under chrt -r 1: p99
// 0.54-0.77 ms for 11.5-14.3 µs; the pump on a locked realtime thread,
// blocking in the runtime's system call: 13-15 µs, a thread switch more
// per tick, which waiting in the kernel with the P kept, and the timer
// out of the runtime's poller, took away. The price of the P kept: while
// busy, the rest of the program has one P fewer; waiting in the runtime's
// system call instead, as with GOMAXPROCS 1, costs 10.9-11.3 µs a packet,
// p99 0.60-0.64 ms.) What is still over 1 ms at a realtime priority
// (0.1-0.6% of packets) waited inside a tick's work, in its system calls
// and between them (instrumented: 11-51 ticks a run took over 0.5 ms, up
// to 7.6 ms), with the thread not running: the virtual machine's vCPU, or
// the kernel's own work. (A BusyWindow of 0.25 ms, at the normal
// priority, three runs: 2.3-2.8 µs a packet more, p99 0.90-1.09 ms
// against 1.10-1.49 ms at 0.5 ms in the same round: better, still over 1
// ms.)
//
// The gateway as it was on pion/webrtc's peer connections (ICE agent,
// DTLS/SRTP mux and SRTP sessions, each handing every packet to another
// goroutine), in the same rounds: 29.4-30.3, 31.3 and 24.9 µs per packet
// (50-63% of a core), towards the browser p99 1.7-3.0 ms; later:
// 25.3-26.6 µs, p99 1.4-2.3 ms.
//
// The way there, measured the same day: the own media path (lite ICE,
// SRTP on the readers' goroutines) 14.7-17.9 µs, from 28.2-30.8; the
// runtime's system calls replaced by raw ones (no scheduling around
// them, no wake-up of the runtime's monitor thread) about 3 µs of it;
// batching the sends and skipping the read that would only say EAGAIN,
// some 4% (the skip is gone since: it left a datagram that came while a
// batch was handled unread until the next one came); sockets out of the
// runtime's poller, within the noise alone;
// the pump, the figures above with its timer read raw (with the
// runtime's read, which woke the monitor thread at every tick: 14.9 and
// 16.6 µs, 0.30 thread sleeps per packet, against 13.5-14.2 µs and 0.10
// read raw in the runs just after). Tried and not kept: the sockets of an
// address sending from one of them and the pump sending once per tick
// (no gain, a worse p99). Without
// the pump, reading each datagram as it comes: p50 50-75 µs, but p99
// 1.1-1.6 ms with the load competing (73-83 µs at a realtime priority,
// for 18.7-20.4 µs per packet).
//
// Where the CPU goes (perf): the sends, mostly the kernel's loopback
// delivery into the receiving socket and the wake-up of its reader (the
// load process: on a network, that half is the other machine's); the
// pump's wake-ups, one per tick; the reads; AES-GCM about 1 µs each way;
// the gateway's own code well under 1 µs.
package softphone
