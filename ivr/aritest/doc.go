// Package aritest is an in-memory Asterisk 22 that speaks ARI over real HTTP
// and WebSocket, in the spirit of net/http/httptest.
//
// It owns the emulated PBX: channels, bridges, playbacks, live and stored
// recordings, SIP endpoints, Stasis applications and the events they
// receive, plus a scripting API (Dial, Party, Endpoint) with which tests play
// callers and agents. Audio is real: playbacks last as long as their WAV
// file, recordings are 8 kHz WAV files rendered from what the legs sent, and
// externalMedia channels exchange PCMU RTP over UDP. Every timer runs on an
// injected clock so a test can advance a five-second timeout instantly.
//
// Behaviour follows what a real Asterisk 22 does (see ari.md in the shared
// docs); where the emulator leaves something out (dialplan applications
// other than Stasis, Local channels, video) it answers with an error rather
// than pretending. It must not import the call engine or anything above it:
// the engine is tested against it, never the other way round.
package aritest
