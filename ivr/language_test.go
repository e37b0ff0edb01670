package ivr_test

import (
	"testing"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
)

// channelLanguage asks the emulator, as any ARI client would, for the
// language the channel reports.
func (r *rig) channelLanguage(id string) string {
	r.t.Helper()
	d, err := ivr.NewRESTClient(r.connCfg).Channel().Data(ari.NewKey(ari.ChannelKey, id))
	if err != nil {
		r.t.Fatal(err)
	}
	return d.Language
}

// TestChannelLanguageFollowsTheCall: Asterisk reports en on a channel
// unless told; the engine sets CHANNEL(language) to the call's language
// when the call starts and when the flow switches language.
func TestChannelLanguageFollowsTheCall(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	if got := r.channelLanguage(p.ID()); got != "zh" {
		t.Errorf("a zh call's channel reports language %q", got)
	}
	r.press(p, "9")
	r.heard(p, sound("en", "demo/main-menu"))
	if got := r.channelLanguage(p.ID()); got != "en" {
		t.Errorf("after switching to English the channel reports %q", got)
	}
	_ = p.Hangup()
	r.journey()
}
