package acd

import (
	"context"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// announce tells a waiting caller its position and estimated wait, and
// offers a call-back once the queue allows it.
func (ses *session) announce(ctx context.Context) {
	pl, err := ses.s.center.Position(ses.id)
	if err != nil {
		return
	}
	lang := ses.lang
	var media []string
	if ahead := pl.Position - 1; ahead > 0 {
		media = append(media, sound(lang, "queue/ahead"))
		media = append(media, ivr.SpeakNumber(int64(ahead), lang)...)
		media = append(media, sound(lang, "queue/callers-waiting"))
	} else {
		media = append(media, sound(lang, "queue/still-waiting"))
	}
	if pl.EWTKnown {
		minutes := max(int64((pl.EWT+time.Minute-1)/time.Minute), 1)
		media = append(media, sound(lang, "queue/expected-wait"))
		media = append(media, ivr.SpeakNumber(minutes, lang)...)
		media = append(media, sound(lang, "queue/minutes"))
	}
	if pl.CanCallback && ses.keys != nil {
		media = append(media, sound(lang, "queue/callback-offer"))
		ses.cbOffered = true
	}
	ses.music(ctx, false)
	// The period runs from one announcement's start to the next.
	ses.armAnnouncement()
	ses.play(ctx, ses.caller, "announce", media...)
}
