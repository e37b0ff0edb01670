package ivr_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// recovering is a Handler that rebuilds the application's channels from
// GET /applications/{name} on every connect, as the engine must after a
// reconnect, and follows StasisStart/StasisEnd in between.
type recovering struct {
	rest ari.Client
	mu   sync.Mutex
	ids  []string
	up   chan []string // the rebuilt view after each connect
	ev   chan string   // StasisStart channel ids
}

func (r *recovering) Connected(ctx context.Context) error {
	d, err := r.rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.ids = slices.Clone(d.ChannelIDs)
	r.mu.Unlock()
	r.up <- slices.Clone(d.ChannelIDs)
	return nil
}

func (r *recovering) Event(ctx context.Context, ev ari.Event) {
	if st, ok := ev.(*ari.StasisStart); ok {
		r.mu.Lock()
		r.ids = append(r.ids, st.Channel.ID)
		r.mu.Unlock()
		r.ev <- st.Channel.ID
	}
}

func (r *recovering) Disconnected(error) {}

// TestConnRecoversStateAfterDrop: the emulator drops the events socket; a
// call that arrives while we are away is declined, a call already in Stasis
// stays, and the view rebuilt on reconnect holds it.
func TestConnRecoversStateAfterDrop(t *testing.T) {
	emu, err := aritest.New(aritest.Config{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer http.DefaultClient.CloseIdleConnections() // after emu.Close: no keep-alive left for the leak check
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	h := &recovering{rest: ivr.NewRESTClient(cfg), up: make(chan []string, 4), ev: make(chan string, 4)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn := ivr.NewConn(cfg)
	done := make(chan error, 1)
	go func() { done <- conn.Run(ctx, h) }()

	if got := <-h.up; len(got) != 0 {
		t.Fatalf("first view %v, want empty", got)
	}
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	if id := <-h.ev; id != caller.ID() {
		t.Fatalf("StasisStart for %s, want %s", id, caller.ID())
	}
	emu.DropClients()
	if got := <-h.up; !slices.Equal(got, []string{caller.ID()}) {
		t.Errorf("view after reconnect %v, want [%s]", got, caller.ID())
	}
	cancel()
	<-done
}
