package console_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// TestComplaintVoiceMessage: the voice message of a complaint the IVR
// took down plays at /api/complaints/{id}/message for those who hear every
// recording and, once it is theirs, for its owner; an agent who has not
// taken it yet is refused (403, audited); for another agent's complaint
// it is not there (404), nor for a complaint without one.
func TestComplaintVoiceMessage(t *testing.T) {
	var fc *fakeComplaints
	r := newRecEnv(t, func(c *console.Config) {
		fc = newFakeComplaints(c.Clock)
		c.Complaints, c.Dispositions = fc, complaintCodes
	})
	audio := stereo(media.Tone(2*time.Second, 0.3, 440), nil) // the caller left, the right silent
	r.add(rec{id: "msg-c7-4", caller: "13800138007", audio: audio})
	put := func(id, owner, message string) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		fc.byID[id] = &complaints.Complaint{ID: id, CallID: "c7", Hotline: "4008001234", Source: "ivr", Registered: recT0,
			Complainant: "来电 13800138007", Contact: "13800138007", Content: "IVR 投诉语音留言 2 秒", Category: "quality",
			Owner: owner, Teams: []string{"quality"}, State: complaints.Notified, MessageRecording: message}
		fc.order = append(fc.order, id)
	}
	put("C20261102-000001", "", "msg-c7-4")
	put("C20261102-000002", "", "")
	wang, lilei, hanmei := r.login("wang"), r.login("lilei"), r.login("hanmei")

	res := r.do("GET", "/api/complaints/C20261102-000001/message", wang, "")
	if res.status != http.StatusOK || !bytes.Equal(res.body, audio) || res.header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("a supervisor plays the message: %d, %d bytes (%s); want 200 and the %d stored", res.status, len(res.body), res.header.Get("Content-Type"), len(audio))
	}
	plays := r.audit(recordings.AuditQuery{RecordingID: "msg-c7-4", Action: recordings.ActionPlay})
	if len(plays) != 1 || plays[0].Actor != "wang" || !strings.Contains(plays[0].Detail, "C20261102-000001") {
		t.Errorf("the play's audit: %+v", plays)
	}
	if res := r.do("GET", "/api/complaints/C20261102-000001/message", wang, "", "Range", "bytes=44-1043"); res.status != http.StatusPartialContent || len(res.body) != 1000 {
		t.Errorf("a range: %d, %d bytes; want 206 and 1000", res.status, len(res.body))
	}
	if res := r.do("GET", "/api/complaints/C20261102-000002/message", wang, ""); res.status != http.StatusNotFound {
		t.Errorf("a complaint without a message: %d, want 404", res.status)
	}
	// Nobody owns it: an agent sees it (待认领) but hears it once it took it;
	// the refusal is audited.
	if res := r.do("GET", "/api/complaints/C20261102-000001/message", lilei, ""); res.status != http.StatusForbidden {
		t.Errorf("an agent, the complaint nobody's: %d, want 403", res.status)
	}
	if denied := r.audit(recordings.AuditQuery{RecordingID: "msg-c7-4", Action: recordings.ActionDenied}); len(denied) != 1 || denied[0].Actor != "lilei" {
		t.Errorf("the refusal's audit: %+v", denied)
	}
	fc.mu.Lock()
	fc.byID["C20261102-000001"].Owner = "1001"
	fc.mu.Unlock()
	if res := r.do("GET", "/api/complaints/C20261102-000001/message", lilei, ""); res.status != http.StatusOK || !bytes.Equal(res.body, audio) {
		t.Errorf("its owner plays it: %d, %d bytes", res.status, len(res.body))
	}
	if res := r.do("GET", "/api/complaints/C20261102-000001/message", hanmei, ""); res.status != http.StatusNotFound {
		t.Errorf("another agent: %d, want 404", res.status)
	}
}
