package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// The agent's scripted phrases (service standards §3): one click plays a
// standard prompt to the caller, in the caller's language; the scripts
// that end a call (a silent caller, a line too quiet or too noisy) run
// the whole sequence, waits included, and then end the call as the agent's.

// ErrUnknownPhrase means a phrase the standards do not have.
var ErrUnknownPhrase = errors.New("no such phrase")

// ErrScriptRunning means the agent's call is already running a script
// that ends it.
var ErrScriptRunning = errors.New("a script that ends the call is running")

// scriptWait is the standards' wait between the phrases of a script and
// before its hang-up.
const scriptWait = 5 * time.Second

// scriptStep is a step of a phrase: a prompt to play, or a wait (prompt
// empty). A phrase whose last step is a wait ends the call after it.
type scriptStep struct {
	prompt string
	wait   time.Duration
}

// phrases are the agent's phrases by name.
var phrases = map[string][]scriptStep{
	// One prompt each.
	"greeting":      {{prompt: "silence-hello"}},   // 您好!请问有什么可以帮助您?
	"louder":        {{prompt: "louder"}},          // 对不起!请您大声一点,好吗?
	"mandarin":      {{prompt: "mandarin"}},        // 对不起,请您讲普通话,好吗?谢谢!
	"handset":       {{prompt: "handset"}},         // 对不起,您的声音太小,请您拿起话筒说话好吗?
	"anything-else": {{prompt: "anything-else"}},   // 请问您还有其他问题吗?
	"goodbye":       {{prompt: "goodbye"}},         // 谢谢,再见,感谢您的支持。
	"please-hold":   {{prompt: "std/please-hold"}}, // 请稍候。
	// Scripts that end the call.
	"silent": {{prompt: "silence-hello"}, {wait: scriptWait}, {prompt: "silence-hello"}, {wait: scriptWait},
		{prompt: "silence-bye"}, {wait: scriptWait}},
	"too-quiet": {{prompt: "quiet-bye"}, {wait: scriptWait}},
	"noise":     {{prompt: "noise-bye"}, {wait: scriptWait}},
}

// Phrases lists the phrases an agent may play, in order: the single
// prompts, then the scripts that end the call.
func Phrases() []string {
	names := make([]string, 0, len(phrases))
	for n := range phrases {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ea, eb := EndsCall(a), EndsCall(b); ea != eb {
			if ea {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return names
}

// EndsCall says whether the phrase is a script that ends the call.
func EndsCall(name string) bool {
	steps := phrases[name]
	return len(steps) > 0 && steps[len(steps)-1].prompt == ""
}

// Phrase plays the named phrase to the caller of the agent's connected
// call. A script that ends the call runs to its end (unless the caller or
// the agent hangs up first); the agent's part is then recorded as ended by
// "script" and the engine hangs the caller up as the agent's.
func (s *Service) Phrase(ctx context.Context, agent, name string) error {
	steps, ok := phrases[name]
	if !ok {
		return fmt.Errorf("%w: %q (the phrases are %s)", ErrUnknownPhrase, name, strings.Join(Phrases(), ", "))
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.script != nil {
			return "", ErrScriptRunning
		}
		ses.mark("phrase", agent, map[string]string{"phrase": name})
		if !EndsCall(name) {
			ses.play(ctx, ses.caller, "phrase", sound(ses.lang, steps[0].prompt))
			return "", nil
		}
		ses.log.Info("agent runs a script that ends the call", "agent", agent, "script", name)
		ses.script = slices.Clone(steps)
		ses.scriptStep(ctx)
		return "", nil
	})
	return err
}

// scriptStep runs the script's next step: a prompt (played then goes on),
// a wait (the timer goes on), or, past the last, the end of the call.
func (ses *session) scriptStep(ctx context.Context) {
	if ses.phase != connected || ses.leg == nil {
		ses.script = nil
		return
	}
	if len(ses.script) == 0 {
		ses.script = nil
		l := ses.leg
		ses.dropLeg(ctx)
		ses.endWithAgent(ctx, l, ivr.EndedByScript)
		ses.result = ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: l.answered, EndedBy: ivr.EndedByScript}
		ses.phase = done
		return
	}
	step := ses.script[0]
	ses.script = ses.script[1:]
	if step.prompt != "" {
		ses.play(ctx, ses.caller, "script", sound(ses.lang, step.prompt))
		return
	}
	ses.arm(step.wait, "script")
}
