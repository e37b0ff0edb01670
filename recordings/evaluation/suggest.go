package evaluation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/recordings/talk"
)

// Facts are what is known of an agent's part of a call; a nil or empty
// fact is unknown, and an item that needs it gets no suggestion.
type Facts struct {
	// AgentIDAnnounced: the recording's agent_id marker (the engine played
	// the agent's ID to the caller).
	AgentIDAnnounced *bool
	// HungUpBy is who ended the call: caller, agent or system.
	HungUpBy  string
	Holds     *int
	HoldTime  *time.Duration
	Transfers *int
	// NextCall is how long after this call the same caller called again;
	// nil when it has not (yet). Since is how long ago the call ended.
	NextCall *time.Duration
	Since    time.Duration
	// CSAT is the caller's survey answer, 1 to 5.
	CSAT *int
	// WithinSL: the call was answered within its queue's service level.
	WithinSL *bool
	// WrapUp is the agent's wrap-up time.
	WrapUp *time.Duration
	// Disposition is the agent's wrap-up code ("" when none was given,
	// if the call record is known: Recorded).
	Disposition string
	Recorded    bool // the call's record was found (Disposition is meaningful)
	// Complaint is the complaint registered for the call: nil when there
	// is none; Missing names its fields of the standard left empty.
	Complaint *ComplaintFacts
	// Talk is the voice activity of the conversation's recording.
	Talk *talk.Analysis
}

// ComplaintFacts is what a call's complaint holds of the standard's
// fields (time, complainant, contact, content, category, what the caller
// wants).
type ComplaintFacts struct {
	ID      string
	Missing []string // the fields left empty, by name
}

// Suggestion is an answer a sourced item is given before the reviewer
// looks, with the facts behind it.
type Suggestion struct {
	Item   string         `json:"item"`
	Answer string         `json:"answer"`
	Why    scorecard.Text `json:"why"`
}

// Suggest answers the card's sourced items from the facts; items whose
// facts are unknown get none.
func Suggest(card *scorecard.Scorecard, f Facts) []Suggestion {
	var out []Suggestion
	for _, it := range card.Items() {
		if it.Source == nil {
			continue
		}
		if s, ok := suggest(it, *it.Source, f); ok {
			s.Item = it.ID
			out = append(out, s)
		}
	}
	return out
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// both is an argument of why said in each language.
type both struct{ zh, en string }

// why is a suggestion's reason in both languages; an argument that is a
// both is put in each language's own words.
func why(zh, en string, args ...any) scorecard.Text {
	zhArgs, enArgs := make([]any, len(args)), make([]any, len(args))
	for i, a := range args {
		zhArgs[i], enArgs[i] = a, a
		if b, ok := a.(both); ok {
			zhArgs[i], enArgs[i] = b.zh, b.en
		}
	}
	return scorecard.Text{Zh: fmt.Sprintf(zh, zhArgs...), En: fmt.Sprintf(en, enArgs...)}
}

// limit says a time limit as people do: 2分钟 / 2 min, 10秒 / 10 s,
// 1分30秒 / 1 min 30 s.
func limit(d time.Duration) both {
	m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case m == 0:
		return both{fmt.Sprintf("%d秒", s), fmt.Sprintf("%d s", s)}
	case s == 0:
		return both{fmt.Sprintf("%d分钟", m), fmt.Sprintf("%d min", m)}
	}
	return both{fmt.Sprintf("%d分%d秒", m, s), fmt.Sprintf("%d min %d s", m, s)}
}

// party names who hung up.
func party(who string) both {
	switch who {
	case "caller":
		return both{"客户", "the caller"}
	case "agent":
		return both{"坐席", "the agent"}
	case "system":
		return both{"系统", "the system"}
	}
	return both{who, who}
}

func suggest(it scorecard.Item, src scorecard.Source, f Facts) (Suggestion, bool) {
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) }
	switch src.From {
	case "agent_id_announced":
		if f.AgentIDAnnounced == nil {
			return Suggestion{}, false
		}
		if *f.AgentIDAnnounced {
			return Suggestion{Answer: "yes", Why: why("录音中有播报工号的标记", "the recording marks the agent's ID announced")}, true
		}
		return Suggestion{Answer: "no", Why: why("录音中没有播报工号的标记", "the recording has no mark of the agent's ID announced")}, true
	case "caller_hung_up_first":
		if f.HungUpBy == "" {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(f.HungUpBy == "caller"), Why: why("挂机方：%s", "hung up by %s", party(f.HungUpBy))}, true
	case "hold_count":
		if f.Holds == nil {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(*f.Holds <= src.Max), Why: why("保持%d次（上限%d次）", "%d holds (at most %d)", *f.Holds, src.Max)}, true
	case "hold_time":
		if f.HoldTime == nil {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(*f.HoldTime <= src.MaxTime), Why: why("保持共%s秒（上限%s）", "on hold %s s in all (at most %s)", secs(*f.HoldTime), limit(src.MaxTime))}, true
	case "transfer_count":
		if f.Transfers == nil {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(*f.Transfers <= src.Max), Why: why("转接%d次（上限%d次）", "%d transfers (at most %d)", *f.Transfers, src.Max)}, true
	case "first_contact":
		window := time.Duration(src.Days) * 24 * time.Hour
		switch {
		case f.NextCall != nil && *f.NextCall <= window:
			return Suggestion{Answer: "no", Why: why("客户%.1f天后再次来电（%d天内）", "the caller called again %.1f days later (within %d)", f.NextCall.Hours()/24, src.Days)}, true
		case f.Since >= window:
			return Suggestion{Answer: "yes", Why: why("客户%d天内未再来电", "no call from the caller within %d days", src.Days)}, true
		}
		return Suggestion{Answer: "yes", Why: why("至今未再来电（已过%.1f天，共%d天）", "no call again so far (%.1f of %d days passed)", f.Since.Hours()/24, src.Days)}, true
	case "survey_result":
		if f.CSAT == nil {
			if it.NA {
				return Suggestion{Answer: scorecard.NA, Why: why("客户未参与满意度调查", "the caller took no survey")}, true
			}
			return Suggestion{}, false
		}
		if it.Answer == scorecard.Scale {
			return Suggestion{Answer: strconv.Itoa(*f.CSAT), Why: why("满意度%d分", "survey: %d of 5", *f.CSAT)}, true
		}
		return Suggestion{Answer: yes(*f.CSAT >= src.MinCSAT), Why: why("满意度%d分（至少%d分）", "survey: %d of 5 (at least %d)", *f.CSAT, src.MinCSAT)}, true
	case "answered_within_sl":
		if f.WithinSL == nil {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(*f.WithinSL), Why: why("是否在服务水平时间内接听：%s", "answered within the service level: %s", yes(*f.WithinSL))}, true
	case "wrap_up_time":
		if f.WrapUp == nil {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(*f.WrapUp <= src.MaxTime), Why: why("话后处理%s秒（上限%s）", "wrap-up %s s (at most %s)", secs(*f.WrapUp), limit(src.MaxTime))}, true
	case "complaint_registered":
		switch {
		case f.Complaint == nil && it.NA && f.Recorded:
			return Suggestion{Answer: scorecard.NA, Why: why("本通话未登记投诉", "no complaint was registered for the call")}, true
		case f.Complaint == nil:
			return Suggestion{}, false
		case len(f.Complaint.Missing) == 0:
			return Suggestion{Answer: "yes", Why: why("投诉%s各项齐全", "complaint %s holds every field", f.Complaint.ID)}, true
		}
		return Suggestion{Answer: "no", Why: why("投诉%s缺少：%s", "complaint %s lacks: %s", f.Complaint.ID, strings.Join(f.Complaint.Missing, ", "))}, true
	case "disposition_given":
		if !f.Recorded {
			return Suggestion{}, false
		}
		return Suggestion{Answer: yes(f.Disposition != ""), Why: why("处理结果代码：%q", "disposition: %q", f.Disposition)}, true
	}
	if f.Talk == nil {
		return Suggestion{}, false
	}
	t := f.Talk
	switch src.From {
	case "dead_air":
		return Suggestion{Answer: yes(t.LongestDeadAir <= src.MaxTime), Why: why("最长冷场%s秒（上限%s）", "longest dead air %s s (at most %s)", secs(t.LongestDeadAir), limit(src.MaxTime))}, true
	case "over_talk":
		return Suggestion{Answer: yes(t.OverTalkTime <= src.MaxTime), Why: why("抢话共%s秒（上限%s）", "over-talk %s s in all (at most %s)", secs(t.OverTalkTime), limit(src.MaxTime))}, true
	case "agent_talk_ratio":
		ok := t.AgentShare >= src.MinRatio && t.AgentShare <= src.MaxRatio
		return Suggestion{Answer: yes(ok), Why: why("坐席说话占比%.0f%%（%.0f%%–%.0f%%）", "the agent's share of the talking %.0f%% (%.0f%%–%.0f%%)", 100*t.AgentShare, 100*src.MinRatio, 100*src.MaxRatio)}, true
	case "customer_monologue":
		l := t.LongestMonologue.Len()
		return Suggestion{Answer: yes(l <= src.MaxTime), Why: why("客户最长独白%s秒（上限%s）", "the caller's longest monologue %s s (at most %s)", secs(l), limit(src.MaxTime))}, true
	}
	return Suggestion{}, false
}
