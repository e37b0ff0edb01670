package ivr

import "fmt"

// OutcomeCallback is a caller who left the queue with a call-back booked:
// the queue keeps its place and dials it back.
const OutcomeCallback = "callback"

// SpeakNumber is the media that speaks n in lang by the language's rules
// (the prompts of ivr/prompts), for the queue's position and wait
// announcements.
func SpeakNumber(n int64, lang string) []string { return soundsOf(number(n, lang), lang) }

// SpeakDigits is the media that speaks s digit by digit (an agent's 工号,
// a call-back number). It fails on anything but 0-9, * and #.
func SpeakDigits(s, lang string) ([]string, error) {
	words := make([]string, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			words = append(words, "digits/"+string(r))
		case r == '*':
			words = append(words, "digits/star")
		case r == '#':
			words = append(words, "digits/pound")
		default:
			return nil, fmt.Errorf("say digits: %q is not a digit", r)
		}
	}
	return soundsOf(words, lang), nil
}

func soundsOf(words []string, lang string) []string {
	media := make([]string, len(words))
	for i, w := range words {
		media[i] = "sound:hotline/" + lang + "/" + w
	}
	return media
}
