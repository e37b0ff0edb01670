package aritest

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Config describes one emulated Asterisk. The zero value works: a real
// clock, no sounds, recordings in a temporary folder, no authentication.
type Config struct {
	// Clock drives every timer (playbacks, ringing, recordings, RTP). Tests
	// pass a clockwork.FakeClock; cmd/ariemu uses the real clock.
	Clock clockwork.Clock
	// SoundsDir holds the WAV prompts, looked up as Asterisk does:
	// <dir>/<lang>/<name>.wav, then <dir>/<name>.wav.
	SoundsDir string
	// RecordingsDir is where recordings are written. Empty: a temporary
	// folder removed by Close.
	RecordingsDir string
	// Username and Password guard the ARI; both empty disables auth.
	Username, Password string
	// SystemName is asterisk.conf's systemname: GET /asterisk/info's
	// config name, and, as Asterisk does, the prefix of every channel's
	// unique ID ("<name>-<epoch>.<n>"). Empty: none, IDs "<epoch>.<n>".
	SystemName string
	// EntityID is the asterisk_id of events and GET /asterisk/info
	// (a MAC-like string). Empty: a random one.
	EntityID string
	// Dialplan routes a dialled number to a Stasis application. Nil: every
	// number goes to Stasis(DefaultApp, <number>).
	Dialplan func(context, exten string) (Route, bool)
	// DefaultApp is the application of the default dialplan ("hotline").
	DefaultApp string
	// RTPHost is the address externalMedia binds its UDP ports on
	// (default 127.0.0.1).
	RTPHost string
	// OnEvent, when set, sees every event message as it is queued for a
	// client (conformance tests validate them). It must not block.
	OnEvent func(msg []byte)
	// Logger receives the emulator's own diagnostics.
	Logger *slog.Logger
	// CallRetention is how long a call placed through the control API
	// stays queryable after it ended (0: 10 minutes; negative: not at
	// all), and CallRetentionMax how many ended calls are kept at most,
	// the oldest forgotten first (0: 1000; negative: none).
	CallRetention    time.Duration
	CallRetentionMax int
}

// Route is where the dialplan sends a call: Stasis(App, Args...).
type Route struct {
	App  string
	Args []string
}

// Server is one emulated Asterisk. Create it with New, serve Handler over
// HTTP (or use Start), and Close it.
type Server struct {
	cfg      Config
	clock    clockwork.Clock
	log      *slog.Logger
	entityID string
	started  time.Time
	routes   []route
	tmpDir   string

	mu        sync.Mutex
	closed    bool
	taskNow   time.Time // the due time of the task running now, if any
	tasks     taskHeap
	taskSeq   uint64
	wake      chan struct{}
	seq       uint64
	apps      map[string]*app
	channels  map[string]*channel
	bridges   map[string]*bridge
	playbacks map[string]*playback
	live      map[string]*liveRecording
	stored    map[string]*storedRecording
	endpoints map[string]*Endpoint
	parties   map[string]*Party        // calls placed through the control API, live and ended
	ended     []endedCall              // the ended ones in parties, oldest first
	cuts      map[string]time.Time     // events websocket cuts by application ("" all) until
	durations map[string]time.Duration // sound file durations by path
	samples   map[string][]int16       // decoded sound files, for rendering
	paths     map[string]string        // sound name and language -> file found
	stats     Stats
	rtpSignal chan struct{} // closed and replaced on every RTP packet
	load      load          // scripted callers of the control API

	done chan struct{}
	wg   sync.WaitGroup

	// afterWork (under mu) counts the answered requests whose work that
	// follows the answer (request.later) is still to run; afterDone
	// signals each end, for Sync.
	afterWork int
	afterDone sync.Cond

	httpServer *http.Server
	listener   net.Listener
}

// Stats counts what the emulator did, for load reports.
type Stats struct {
	Channels        int   `json:"channels"` // live now
	ChannelsCreated int64 `json:"channels_created"`
	EventsSent      int64 `json:"events_sent"`
	EventsDropped   int64 `json:"events_dropped"` // events for an application with no client
	RTPReceived     int64 `json:"rtp_received"`   // PCMU packets taken by externalMedia channels
}

// New returns a running emulator; its scheduler goroutine ends at Close.
func New(cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.DefaultApp == "" {
		cfg.DefaultApp = "hotline"
	}
	if cfg.RTPHost == "" {
		cfg.RTPHost = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:       cfg,
		clock:     cfg.Clock,
		log:       cfg.Logger,
		entityID:  cfg.EntityID,
		wake:      make(chan struct{}, 1),
		apps:      map[string]*app{},
		channels:  map[string]*channel{},
		bridges:   map[string]*bridge{},
		playbacks: map[string]*playback{},
		live:      map[string]*liveRecording{},
		stored:    map[string]*storedRecording{},
		endpoints: map[string]*Endpoint{},
		parties:   map[string]*Party{},
		durations: map[string]time.Duration{},
		rtpSignal: make(chan struct{}),
		done:      make(chan struct{}),
	}
	s.afterDone.L = &s.mu
	if s.entityID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		b[0] = b[0]&0xfe | 0x02 // locally administered, unicast
		s.entityID = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
	}
	if s.cfg.RecordingsDir == "" {
		dir, err := os.MkdirTemp("", "aritest-recordings-")
		if err != nil {
			return nil, fmt.Errorf("aritest: recordings folder: %w", err)
		}
		s.tmpDir = dir
		s.cfg.RecordingsDir = dir
	} else if err := os.MkdirAll(s.cfg.RecordingsDir, 0o755); err != nil {
		return nil, fmt.Errorf("aritest: recordings folder: %w", err)
	}
	if err := s.loadStored(); err != nil {
		return nil, err
	}
	s.started = s.clock.Now()
	s.routes = s.buildRoutes()
	s.wg.Add(1)
	go s.runScheduler()
	return s, nil
}

// Start serves the emulator on addr (":0" or "127.0.0.1:0" for a free
// port) until Close. URL tells where.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("aritest: listen %s: %w", addr, err)
	}
	s.listener = ln
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpServer.Serve(ln); err != nil && err != http.ErrServerClosed {
			s.log.Error("aritest: serve", "error", err)
		}
	}()
	return nil
}

// URL is the ARI base URL ("http://127.0.0.1:PORT/ari") once Start ran.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String() + "/ari"
}

// EntityID is the emulator's asterisk_id.
func (s *Server) EntityID() string { return s.entityID }

// Clock is the clock the emulator runs on.
func (s *Server) Clock() clockwork.Clock { return s.clock }

// RecordingsDir is the folder recordings are written to.
func (s *Server) RecordingsDir() string { return s.cfg.RecordingsDir }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Channels = len(s.channels)
	return st
}

// ChannelCount is the number of live channels.
func (s *Server) ChannelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels)
}

// Close hangs nothing up: it drops every websocket, stops the scheduler and
// the RTP sockets, and removes a temporary recordings folder.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var conns []*wsClient
	for _, a := range s.apps {
		if a.client != nil {
			conns = append(conns, a.client)
		}
	}
	for _, ch := range s.channels {
		if ch.rtp != nil {
			ch.rtp.close()
		}
	}
	s.mu.Unlock()
	close(s.done)
	for _, c := range conns {
		c.close()
	}
	if s.httpServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.httpServer.Shutdown(ctx)
		cancel()
	}
	s.wg.Wait()
	if s.tmpDir != "" {
		return os.RemoveAll(s.tmpDir)
	}
	return nil
}

// now is the emulated time: the due time of the running task, or the
// clock's. Callers hold s.mu.
func (s *Server) now() time.Time {
	if !s.taskNow.IsZero() {
		return s.taskNow
	}
	return s.clock.Now()
}

// nextID returns a unique id in Asterisk's "epoch.sequence" form, after
// "systemname-" when the system has a name. Callers hold s.mu.
func (s *Server) nextID() string {
	s.seq++
	if s.cfg.SystemName != "" {
		return fmt.Sprintf("%s-%d.%d", s.cfg.SystemName, s.started.Unix(), s.seq)
	}
	return fmt.Sprintf("%d.%d", s.started.Unix(), s.seq)
}

// nextSuffix returns the 8-hex-digit channel name suffix. Callers hold s.mu.
func (s *Server) nextSuffix() string {
	s.seq++
	return fmt.Sprintf("%08x", s.seq)
}

func (s *Server) recordingPath(name, format string) string {
	return filepath.Join(s.cfg.RecordingsDir, name+"."+format)
}
