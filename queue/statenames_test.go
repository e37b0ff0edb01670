package queue_test

import (
	"testing"

	"github.com/hotline-ivr/hotline/queue"
)

// TestStateNamesAreTheSchemas: the machine names of the agent states are
// those the agent_state_changes table documents (store/migrations/0001):
// logged_out, ready, not_ready, ringing, on_call, wrap_up; and they read
// back, "reserved" (the name of older records) included.
func TestStateNamesAreTheSchemas(t *testing.T) {
	tests := []struct {
		state queue.AgentState
		text  string
		human string
	}{
		{queue.LoggedOut, "logged_out", "logged out"},
		{queue.NotReady, "not_ready", "not ready"},
		{queue.Ready, "ready", "ready"},
		{queue.Reserved, "ringing", "ringing"},
		{queue.OnCall, "on_call", "on call"},
		{queue.WrapUp, "wrap_up", "wrap-up"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			b, err := tt.state.MarshalText()
			if err != nil || string(b) != tt.text {
				t.Errorf("MarshalText = %q, %v; want %q", b, err, tt.text)
			}
			if got := tt.state.String(); got != tt.human {
				t.Errorf("String = %q, want %q", got, tt.human)
			}
			var back queue.AgentState
			if err := back.UnmarshalText(b); err != nil || back != tt.state {
				t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
			}
		})
	}
	var old queue.AgentState
	if err := old.UnmarshalText([]byte("reserved")); err != nil || old != queue.Reserved {
		t.Errorf(`UnmarshalText("reserved") = %v, %v; want Reserved`, old, err)
	}
}
