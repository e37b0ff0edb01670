package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// cardFlow says the call may be recorded, takes a card number
// (sensitive), then queues the caller.
const cardFlow = `flow: card
numbers: ["4008009999"]
languages: [zh]
start: notice
nodes:
  notice:
    play: {prompts: [recording-notice], next: card}
  card:
    collect: {prompt: anything-else, min_digits: 16, max_digits: 16, into: card_no, sensitive: true, next: q}
  q:
    queue: {name: support, next: bye, on_fail: bye}
  bye:
    hangup: {}
`

// TestServeRecordsCalls runs serve as configured (recordings of the IVR
// part for the hotline, conversations by default) and follows one call
// through: the caller keys a card number in a sensitive collect, waits
// for the agent, talks and hangs up. Two recordings are stored (the IVR
// part, paused around the card number, and the conversation), and a QA
// reviewer finds both through the console, with the caller masked, the
// PCI pause on the IVR part's timeline, and the audio seekable.
func TestServeRecordsCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dbURL := pgtest.New(t)
	emu := startEmulator(t)
	phone := emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(200*time.Millisecond))
	flows := t.TempDir()
	write(t, filepath.Join(flows, "card.yaml"), cardFlow)

	cfg := supportCentre(config.User{Name: "qiu", Role: "qa", PasswordHash: quickHash(t, "pw")},
		config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	cfg.Agents[0].Team = "售后 After-sales"
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir = dbURL, t.TempDir()
	cfg.Instance.Name = "test"
	cfg.Log.Level = "debug"
	cfg.Recordings.Storage = t.TempDir()
	cfg.Recordings.IVR = []string{"4008009999"}
	// QA samples often, so that the call is picked for review soon after
	// it ends.
	cfg.QA.SampleEvery = 100 * time.Millisecond

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogLines()
	centres := make(chan *acd.Service, 1)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
			cfg, ln, dirFlows(flows), "mode", "test", func(ctx context.Context, _ *slog.Logger, c *acd.Service) {
				centres <- c
				<-ctx.Done()
			})
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	centre := <-centres
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)
	if err := centre.Login(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := centre.Ready(ctx, "1001"); err != nil {
		t.Fatal(err)
	}

	const card = "4539578763621486"
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitHeard(ctx, "sound:hotline/zh/recording-notice"); err != nil {
		t.Fatal(err)
	}
	// The caller makes a sound all along; the card number is keyed once
	// the collect's prompt is over.
	if err := caller.SendTone(time.Minute, 700); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Wait(ctx, func(s aritest.Snapshot) bool {
		return slices.ContainsFunc(s.Heard, func(h aritest.Heard) bool {
			return h.Media == "sound:hotline/zh/anything-else" && !h.End.IsZero()
		})
	}); err != nil {
		t.Fatal(err)
	}
	if err := caller.Press(card); err != nil {
		t.Fatal(err)
	}
	agent, err := phone.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Talking: the caller and the agent each say something.
	if _, err := caller.Wait(ctx, func(s aritest.Snapshot) bool {
		return slices.ContainsFunc(s.Heard, func(h aritest.Heard) bool { return strings.Contains(h.Media, "at-your-service") && !h.End.IsZero() })
	}); err != nil {
		t.Fatalf("the agent was never put through: %v", err)
	}
	if err := agent.SendTone(time.Second, 1400); err != nil {
		t.Fatal(err)
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	logs.waitForCount(t, ctx, `"msg":"recordings: stored"`, 2)

	api := &apiClient{t: t, ctx: ctx, base: "http://" + ln.Addr().String()}
	var lr console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "qiu", Password: "pw"}, &lr)
	var page console.RecordingPage
	api.do(http.StatusOK, "GET", "/api/recordings", lr.Token, nil, &page)
	kinds := map[string]console.RecordingView{}
	for _, r := range page.Recordings {
		kinds[r.Kind] = r
		if r.CallID != caller.ID() || r.Caller != "*******8000" || !r.CallerMasked || r.State != "cleaned" {
			t.Errorf("recording %+v: want the call's, its caller masked for QA, stored and cleaned", r)
		}
	}
	ivrPart, talk := kinds["ivr"], kinds["conversation"]
	if len(page.Recordings) != 2 || ivrPart.ID == "" || talk.ID == "" {
		t.Fatalf("recordings %+v, want the IVR part and the conversation", page.Recordings)
	}
	if ivrPart.PCIPauses != 1 || talk.Agent != "1001" || talk.Queue != "support" {
		t.Errorf("IVR part %+v, conversation %+v", ivrPart, talk)
	}
	var tl console.TimelineView
	api.do(http.StatusOK, "GET", "/api/recordings/"+ivrPart.ID+"/timeline", lr.Token, nil, &tl)
	var marks []string
	for _, e := range tl.Events {
		if e.Source == "recording" {
			marks = append(marks, e.Kind+"/"+e.Actor)
		}
		if fmt.Sprint(e.Detail) != "" && strings.Contains(fmt.Sprint(e.Detail), card[:8]) {
			t.Errorf("the timeline shows the card number: %+v", e)
		}
	}
	if !slices.Contains(marks, "pci_pause/system") || !slices.Contains(marks, "pci_resume/system") || tl.Waveform == nil {
		t.Fatalf("IVR part's markers %v (waveform %v), want its PCI pause and resume", marks, tl.Waveform != nil)
	}
	// The IVR part: the caller's sound until the pause, then silence on
	// both sides for exactly the paused time.
	var paused, resumed float64
	for _, e := range tl.Events {
		switch e.Kind {
		case "pci_pause":
			paused = e.OffsetSeconds
		case "pci_resume":
			resumed = e.OffsetSeconds
		}
	}
	left, right := stereoPCM(t, api.get(t, "/api/recordings/"+ivrPart.ID+"/download", lr.Token))
	frame := func(sec float64) int { return int(sec * 8000) }
	if loud := peak(left[frame(0.1):frame(paused-0.03)]); loud < 5000 {
		t.Errorf("the caller's side before the pause peaks at %d, want the caller's tone", loud)
	}
	silent := longestSilence(left, right)
	if d := silent.Seconds() - (resumed - paused); d < -0.04 || d > 0.04 {
		t.Errorf("silence of %v in the IVR part, the pause lasted %.3f s (from %.3f s)", silent, resumed-paused, paused)
	}
	t.Logf("IVR part: %.3f s long, PCI pause from %.3f s to %.3f s, silent for %v on both sides",
		ivrPart.DurationSeconds, paused, resumed, silent)
	req, _ := http.NewRequestWithContext(ctx, "GET", api.base+"/api/recordings/"+talk.ID+"/audio", nil)
	req.Header.Set("Authorization", "Bearer "+lr.Token)
	req.Header.Set("Range", "bytes=44-1043")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || len(body) != 1000 {
		t.Errorf("a range of the conversation's audio: %d, %d bytes; want 206 with 1000", resp.StatusCode, len(body))
	}

	// QA: the sampler picks the call for review; the reviewer starts its
	// evaluation on the conversation's recording, with the suggestions
	// from the call's records and the recording's voice activity.
	logs.waitFor(t, ctx, `"msg":"review: calls picked for review"`)
	var queue console.ReviewQueueView
	api.do(http.StatusOK, "GET", "/api/qa/queue", lr.Token, nil, &queue)
	if len(queue.Calls) != 1 || queue.Calls[0].CallID != caller.ID() || queue.Calls[0].Agent != "1001" {
		t.Fatalf("review queue %+v, want the call", queue)
	}
	var ev console.EvaluationView
	api.do(http.StatusOK, "POST", "/api/qa/queue/"+caller.ID()+"/1001/start", lr.Token, nil, &ev)
	suggested := map[string]string{}
	for _, s := range ev.Suggestions {
		suggested[s.Item] = s.Answer
	}
	if ev.RecordingID != talk.ID || ev.State != "draft" || suggested["caller_hung_up_first"] != "yes" || suggested["dead_air"] == "" {
		t.Errorf("evaluation %+v, want a draft on the conversation with the suggestions", ev)
	}

	// The reviewer submits it; QA's report by team counts it in agent
	// 1001's team, as the config file gives it.
	answers := scorecard.Answers{}
	for _, it := range cfg.QA.ScoreCard().Items() {
		switch it.Answer {
		case scorecard.Scale:
			answers[it.ID] = fmt.Sprint(it.Max)
		case scorecard.Choice:
			for _, c := range it.Choices {
				if c.Share == 1 {
					answers[it.ID] = c.ID
				}
			}
		default:
			answers[it.ID] = "yes"
		}
	}
	api.do(http.StatusOK, "POST", fmt.Sprintf("/api/qa/evaluations/%d/submit", ev.ID), lr.Token, console.ActRequest{Answers: answers}, &ev)
	var boss console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "wang", Password: "pw"}, &boss)
	var rep console.QAReportView
	now := time.Now().UTC()
	api.do(http.StatusOK, "GET", "/api/qa/report?by=team&from="+now.Add(-time.Hour).Format(time.RFC3339)+"&to="+now.Add(time.Hour).Format(time.RFC3339),
		boss.Token, nil, &rep)
	if len(rep.Rows) != 2 || rep.Rows[0].Team != "售后 After-sales" || rep.Rows[0].Evaluations != 1 || rep.Rows[0].MeanScore != 100 || rep.Rows[1].Evaluations != 1 {
		t.Errorf("QA's report by team: %+v", rep)
	}
}

// get fetches path with the token and returns the body of a 200.
func (c *apiClient) get(t *testing.T, path, token string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(c.ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return b
}

// stereoPCM splits a 16-bit stereo WAV's data into its two channels.
func stereoPCM(t *testing.T, wav []byte) (left, right []int16) {
	t.Helper()
	for i := 12; i+8 <= len(wav); {
		id, size := string(wav[i:i+4]), int(binary.LittleEndian.Uint32(wav[i+4:]))
		i += 8
		if id != "data" {
			i += size + size%2
			continue
		}
		data := wav[i:min(i+size, len(wav))]
		for j := 0; j+4 <= len(data); j += 4 {
			left = append(left, int16(binary.LittleEndian.Uint16(data[j:])))
			right = append(right, int16(binary.LittleEndian.Uint16(data[j+2:])))
		}
		return left, right
	}
	t.Fatal("no data chunk in the WAV")
	return nil, nil
}

func peak(pcm []int16) int {
	p := 0
	for _, v := range pcm {
		p = max(p, abs(int(v)))
	}
	return p
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// longestSilence is the longest run of 10 ms frames silent on both
// channels.
func longestSilence(left, right []int16) time.Duration {
	const n = 80 // 10 ms at 8 kHz
	best, run := 0, 0
	for i := 0; i+n <= len(left) && i+n <= len(right); i += n {
		if peak(left[i:i+n]) < 200 && peak(right[i:i+n]) < 200 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return time.Duration(best) * 10 * time.Millisecond
}
