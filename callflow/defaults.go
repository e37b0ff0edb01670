package callflow

import "time"

// The defaults of the flow language, in one place. The silent-caller script
// and its 5 s waits are those of the service standards (§3).
const (
	defaultTimezone = "UTC"

	defaultMenuTimeout = 5 * time.Second // for a key after the menu's prompt
	defaultRetries     = 2               // invalid inputs before on_fail
	defaultSilenceWait = 5 * time.Second // after each prompt of the silent-caller script

	defaultMinDigits    = 1
	defaultMaxDigits    = 20
	defaultTerminator   = "#"
	defaultFirstTimeout = 5 * time.Second
	defaultInterDigit   = 3 * time.Second

	defaultLookupMethod  = "GET"
	defaultLookupTimeout = 3 * time.Second

	defaultMaxLength  = 60 * time.Second // of a voice message
	defaultMaxSilence = 5 * time.Second
	defaultBeep       = true

	defaultTransferTimeout = 30 * time.Second // ringing the external number
	defaultSurveyTimeout   = 5 * time.Second
	defaultSurveyRetries   = 1
	defaultCurrency        = "CNY"

	maxRetries  = 10
	maxPriority = 100
	maxDigits   = 64
)

// defaultSilence is the no-input script of every menu and collect:
// greet, wait 5 s, greet again, wait 5 s, apologise, wait 5 s, hang up.
func defaultSilence() NoInput {
	return NoInput{
		Prompts: []string{PromptSilenceHello, PromptSilenceHello, PromptSilenceBye},
		Wait:    defaultSilenceWait,
		Then:    HangupNode,
	}
}
