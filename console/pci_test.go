package console_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// pciACD pauses the recordings of the test center's calls: an agent
// without a connected call has nothing to pause (acd.ErrNoCall), as in
// acd.Service.
type pciACD struct {
	*centerACD
	mu         sync.Mutex
	log        []string
	unrecorded bool // the call's queue does not record (acd.ErrNotRecorded)
}

func (p *pciACD) record(op, agent, reason string) error {
	p.centerACD.mu.Lock()
	_, err := p.callOf(agent)
	p.centerACD.mu.Unlock()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.unrecorded {
		return acd.ErrNotRecorded
	}
	p.log = append(p.log, fmt.Sprintf("%s %s: %s", op, agent, reason))
	return nil
}

func (p *pciACD) PauseRecording(_ context.Context, agent, reason string) error {
	return p.record("pause", agent, reason)
}

func (p *pciACD) ResumeRecording(_ context.Context, agent, reason string) error {
	return p.record("resume", agent, reason)
}

func (p *pciACD) calls() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%q", p.log)
}

// TestPCIPause: an agent pauses and resumes its own call's recording with
// a reason; a supervisor may too, named in the reason; nobody else; an
// agent without a call gets 409; a server without it 503.
func TestPCIPause(t *testing.T) {
	var pci *pciACD
	e := newEnv(t, func(c *console.Config) {
		pci = &pciACD{centerACD: c.ACD.(*centerACD)}
		c.PCI = pci
	})
	lilei, hanmei, wang, qiu := e.login("lilei"), e.login("hanmei"), e.login("wang"), e.login("qiu")

	res := e.do("POST", "/api/agents/1001/recording/pause", lilei, `{"reason":"card number"}`)
	if res.status != http.StatusConflict {
		t.Errorf("pause without a call: %d %s, want 409", res.status, res.body)
	}
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")

	var v console.PCIView
	e.must(http.StatusOK, "POST", "/api/agents/1001/recording/pause", lilei, `{"reason":"card number"}`, &v)
	if v.Agent != "1001" || v.Recording != "paused" || v.Reason != "card number" {
		t.Errorf("pause: %+v", v)
	}
	e.must(http.StatusBadRequest, "POST", "/api/agents/1001/recording/resume", lilei, `{"reason":"  "}`, nil)
	e.must(http.StatusForbidden, "POST", "/api/agents/1001/recording/resume", hanmei, `{"reason":"done"}`, nil)
	e.must(http.StatusForbidden, "POST", "/api/agents/1001/recording/resume", qiu, `{"reason":"done"}`, nil)
	e.must(http.StatusOK, "POST", "/api/agents/1001/recording/resume", wang, `{"reason":"card number taken"}`, &v)
	if v.Recording != "resumed" || v.Reason != "card number taken (by supervisor wang)" {
		t.Errorf("resume by a supervisor: %+v", v)
	}
	if got, want := pci.calls(), `["pause 1001: card number" "resume 1001: card number taken (by supervisor wang)"]`; got != want {
		t.Errorf("PCI calls %s, want %s", got, want)
	}

	pci.mu.Lock()
	pci.unrecorded = true
	pci.mu.Unlock()
	if res := e.do("POST", "/api/agents/1001/recording/pause", lilei, `{"reason":"card number"}`); res.status != http.StatusConflict {
		t.Errorf("pause of a call that is not recorded: %d %s, want 409", res.status, res.body)
	}

	plain := newEnv(t)
	plain.must(http.StatusServiceUnavailable, "POST", "/api/agents/1001/recording/pause", plain.login("lilei"), `{"reason":"card"}`, nil)
}
