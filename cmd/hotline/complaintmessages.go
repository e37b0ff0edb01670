package main

import (
	"context"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/recordings"
)

// pipelineMessages keeps the voice messages of the complaints the IVR
// takes down with the call recordings: a job of kind message for the
// recordings' pipeline, which fetches Asterisk's stored recording as it
// fetches the others (complaints.Messages).
type pipelineMessages struct{ p *recordings.Pipeline }

func (m pipelineMessages) KeepMessage(ctx context.Context, c complaints.IVRComplaint) (string, error) {
	j := recordings.MessageJob(c.CallID, c.Seq, c.Recording, c.StartedAt, c.At, c.Seconds, c.Hotline, c.Caller)
	if err := m.p.Enqueue(ctx, j); err != nil {
		return "", err
	}
	return j.ID, nil
}

// complaintMessages is where the complaints keep their voice messages:
// nil without recordings (the messages stay on Asterisk).
func complaintMessages(r *recordingParts) complaints.Messages {
	if r == nil {
		return nil
	}
	return pipelineMessages{r.pipeline}
}
