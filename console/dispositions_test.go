package console_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// dispositionACD takes the test center's dispositions as acd.Service does:
// a code of the list, for an agent with a call.
type dispositionACD struct {
	*centerACD
	codes []string
	mu    sync.Mutex
	given []string
}

func (d *dispositionACD) SetDisposition(_ context.Context, agent, code, note string) error {
	if !slices.Contains(d.codes, code) {
		return fmt.Errorf("%w: %q", acd.ErrBadDisposition, code)
	}
	d.centerACD.mu.Lock()
	_, err := d.callOf(agent)
	d.centerACD.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: agent %s", queue.ErrNoCallToDispose, agent)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.given = append(d.given, agent+" "+code+" "+note)
	return nil
}

// TestDispositions: every signed-in user reads the codes; an agent gives
// its own call one (a code of the list, with a note); without a call 409,
// an unknown code 400, another agent's call 403, a server without them 503.
func TestDispositions(t *testing.T) {
	codes := []console.DispositionView{
		{Code: "usage", Kind: "inquiry", Zh: "产品使用方法", En: "How to use the product"},
		{Code: "quality", Kind: "complaint", Zh: "产品质量", En: "Product quality"},
	}
	var d *dispositionACD
	e := newEnv(t, func(c *console.Config) {
		d = &dispositionACD{centerACD: c.ACD.(*centerACD), codes: []string{"usage", "quality"}}
		c.Dispositions, c.Dispositioner = codes, d
	})
	lilei, hanmei, qiu := e.login("lilei"), e.login("hanmei"), e.login("qiu")
	var list struct{ Dispositions []console.DispositionView }
	e.must(http.StatusOK, "GET", "/api/dispositions", qiu, "", &list)
	if !slices.Equal(list.Dispositions, codes) {
		t.Errorf("GET /api/dispositions: %+v", list.Dispositions)
	}
	e.must(http.StatusConflict, "POST", "/api/agents/1001/disposition", lilei, `{"code":"usage"}`, nil)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.must(http.StatusBadRequest, "POST", "/api/agents/1001/disposition", lilei, `{"code":"weather"}`, nil)
	e.must(http.StatusBadRequest, "POST", "/api/agents/1001/disposition", lilei, `{"note":"no code"}`, nil)
	e.must(http.StatusForbidden, "POST", "/api/agents/1001/disposition", hanmei, `{"code":"usage"}`, nil)
	var got console.DispositionRequest
	e.must(http.StatusOK, "POST", "/api/agents/1001/disposition", lilei, `{"code":"quality","note":"screen cracked"}`, &got)
	if got.Code != "quality" || got.Note != "screen cracked" || !slices.Equal(d.given, []string{"1001 quality screen cracked"}) {
		t.Errorf("disposition answer %+v, given %q", got, d.given)
	}

	plain := newEnv(t)
	plain.must(http.StatusServiceUnavailable, "POST", "/api/agents/1001/disposition", plain.login("lilei"), `{"code":"usage"}`, nil)
}
