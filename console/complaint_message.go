package console

import (
	"fmt"
	"mime"
	"net/http"

	"github.com/hotline-ivr/hotline/recordings"
)

// complaintMessage handles GET /api/complaints/{id}/message: the voice
// message of a complaint the IVR took down (its recording of kind
// message), played as /api/recordings/{id}/audio plays a recording, with
// HTTP Range, and under the recordings' rules: the roles that hear every
// recording hear it; an agent hears it once the complaint is its own (an
// agent took part in no call of it, so the recording search does not
// give it one). Every play, and every refusal, is audited.
func (s *Server) complaintMessage(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.recordings == nil {
		return errNoRecordings
	}
	u := sess.user
	c, err := s.complaintFor(r, u)
	if err != nil {
		return err
	}
	if c.MessageRecording == "" {
		return httpErrorf(http.StatusNotFound, "complaint %s has no voice message", c.ID)
	}
	if !u.Role.can(hearRecordings) && (c.Owner == "" || c.Owner != complaintOwner(u)) {
		return s.deny(r, sess, c.MessageRecording,
			fmt.Sprintf("play of complaint %s's voice message by %q, who does not own it", c.ID, complaintOwner(u)),
			fmt.Sprintf("you may hear the voice message of complaint %s once it is yours", c.ID))
	}
	d, err := s.recordings.Details(r.Context(), c.MessageRecording)
	if err != nil {
		return err
	}
	audio, err := s.recordings.Open(r.Context(), d)
	if err != nil {
		return err
	}
	defer audio.Close()
	detail := "complaint " + c.ID + "'s voice message, whole file"
	if rg := r.Header.Get("Range"); rg != "" {
		detail = "complaint " + c.ID + "'s voice message, range " + clip(rg, 200)
	}
	if err := s.audit(r, s.actor(r, sess).Entry(recordings.ActionPlay, d.ID, detail)); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "private, no-store")
	if d.SHA256 != "" {
		h.Set("ETag", `"`+d.SHA256+`"`)
	}
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": d.ID + ".wav"}))
	http.ServeContent(w, r, "", audio.ModTime(), audio)
	return nil
}
