package scorecard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// Answer types of an item.
const (
	YesNo  = "yes_no" // yes earns the weight, no nothing
	Scale  = "scale"  // 0..Max earns weight × value / Max
	Choice = "choice" // a choice earns weight × its share
)

// Scorecard is one QA form.
type Scorecard struct {
	// Name identifies the card across its versions: standard, complaints.
	Name     string    `yaml:"scorecard" json:"name"`
	Title    Text      `yaml:"title" json:"title"`
	Sections []Section `yaml:"sections" json:"sections"`
}

// Text is a label in both languages of the console.
type Text struct {
	Zh string `yaml:"zh" json:"zh"`
	En string `yaml:"en" json:"en"`
}

// Section groups items.
type Section struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	Items []Item `yaml:"items" json:"items"`
}

// Item is one thing a reviewer checks.
type Item struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	// Guide tells the reviewer what to listen for.
	Guide  Text    `yaml:"guide" json:"guide"`
	Weight float64 `yaml:"weight" json:"weight"`
	Answer string  `yaml:"answer" json:"answer"` // yes_no, scale or choice
	// Max is a scale's top value (scale answers run 0..Max).
	Max     int      `yaml:"max" json:"max,omitempty"`
	Choices []Option `yaml:"choices" json:"choices,omitempty"`
	// NA allows "not applicable": the item then drops out of the score.
	NA bool `yaml:"na" json:"na"`
	// AutoFail: failing the item (no; a scale's 0; a choice marked fails)
	// scores the whole evaluation 0.
	AutoFail bool `yaml:"auto_fail" json:"auto_fail"`
	// Source, when set, suggests the answer from the call (see Sources).
	Source *Source `yaml:"source" json:"source,omitempty"`
}

// Option is one of a choice item's answers.
type Option struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	// Share of the item's weight it earns, 0 to 1.
	Share float64 `yaml:"share" json:"share"`
	// Fails marks the answer that fails an auto-fail item.
	Fails bool `yaml:"fails" json:"fails,omitempty"`
}

// Source is where an item's suggested answer comes from, with its
// threshold: a yes_no item is suggested yes when the call keeps within it.
type Source struct {
	From string `yaml:"from" json:"from"` // one of Sources
	// Max bounds a count (holds, transfers).
	Max int `yaml:"max" json:"max,omitempty"`
	// MaxTime bounds a time (hold, wrap-up, dead air, over-talk, a
	// monologue).
	MaxTime time.Duration `yaml:"max_time" json:"max_time,omitempty"`
	// Days is the window of a repeat call (first-contact resolution).
	Days int `yaml:"days" json:"days,omitempty"`
	// MinCSAT is the lowest satisfying survey answer (1–5).
	MinCSAT int `yaml:"min_csat" json:"min_csat,omitempty"`
	// MinRatio and MaxRatio bound the agent's share of the talking.
	MinRatio float64 `yaml:"min_ratio" json:"min_ratio,omitempty"`
	MaxRatio float64 `yaml:"max_ratio" json:"max_ratio,omitempty"`
}

// sourceSpec is what a source takes.
type sourceSpec struct {
	about   string   // for people
	params  []string // the thresholds it needs
	answers []string // the answer types it can suggest
	audio   bool     // from the recording's channels rather than the call's metadata
}

// Sources are the names an item's source may take.
var sources = map[string]sourceSpec{
	"agent_id_announced":   {"the engine announced the agent's ID to the caller", nil, []string{YesNo}, false},
	"caller_hung_up_first": {"the caller, not the agent, ended the call", nil, []string{YesNo}, false},
	"hold_count":           {"the caller was put on hold at most max times", []string{"max"}, []string{YesNo}, false},
	"hold_time":            {"the caller's total hold time was at most max_time", []string{"max_time"}, []string{YesNo}, false},
	"transfer_count":       {"the call was transferred at most max times", []string{"max"}, []string{YesNo}, false},
	"first_contact":        {"the caller did not call again within days (first-contact resolution)", []string{"days"}, []string{YesNo}, false},
	"survey_result":        {"the caller's survey answer (1–5) was at least min_csat; a 5-point scale takes it as is", []string{"min_csat"}, []string{YesNo, Scale}, false},
	"answered_within_sl":   {"the call was answered within its queue's service level", nil, []string{YesNo}, false},
	"wrap_up_time":         {"the agent's wrap-up took at most max_time", []string{"max_time"}, []string{YesNo}, false},
	"disposition_given":    {"the agent gave the call a disposition code", nil, []string{YesNo}, false},
	"complaint_registered": {"a complaint registered for the call holds every field of the standard (N/A without one, where the item allows it)", nil, []string{YesNo}, false},
	"dead_air":             {"no stretch with both sides silent was longer than max_time", []string{"max_time"}, []string{YesNo}, true},
	"over_talk":            {"both sides spoke at once for at most max_time in all", []string{"max_time"}, []string{YesNo}, true},
	"agent_talk_ratio":     {"the agent's share of the talking was between min_ratio and max_ratio", []string{"min_ratio", "max_ratio"}, []string{YesNo}, true},
	"customer_monologue":   {"the caller's longest stretch of talking alone was at most max_time", []string{"max_time"}, []string{YesNo}, true},
}

// Sources lists the names a source may take, sorted.
func Sources() []string {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// FromAudio says whether source name is measured on the recording's
// channels (voice activity) rather than read from the call's metadata.
func FromAudio(name string) bool { return sources[name].audio }

// ErrInvalid is matched by the Problems a file that is not valid gives.
var ErrInvalid = errors.New("scorecard: invalid file")

// Problems is every problem of a scorecard file; it matches ErrInvalid.
type Problems struct{ strictyaml.Problems }

// Is reports whether target is ErrInvalid.
func (Problems) Is(target error) bool { return target == ErrInvalid }

// Load reads and parses the scorecard file at path.
func Load(path string) (*Scorecard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads a scorecard file called name: every problem is reported at
// once, at its line, with a hint.
func Parse(name string, data []byte) (*Scorecard, error) {
	d := strictyaml.New(name)
	var sc Scorecard
	d.Decode(data, &sc, func() any { return new(Scorecard) })
	if !d.Unreadable {
		validate(d, &sc)
	}
	if len(d.Problems) > 0 {
		return nil, Problems{d.Sorted()}
	}
	return &sc, nil
}

var ident = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func validate(d *strictyaml.Decoder, sc *Scorecard) {
	if !ident.MatchString(sc.Name) {
		d.At("scorecard", "a name like standard or complaints: lower case letters, digits, - and _", "%q is not a name", sc.Name)
	}
	text(d, "title", sc.Title)
	if len(sc.Sections) == 0 {
		d.At("sections", "a list of sections, each with its items", "there is none")
	}
	sections, items := map[string]int{}, map[string]string{}
	total := 0.0
	for i, s := range sc.Sections {
		p := fmt.Sprintf("sections[%d]", i)
		unique(d, p+".id", s.ID, sections, i, "sections")
		text(d, p+".title", s.Title)
		if len(s.Items) == 0 {
			d.At(p+".items", "each section has at least one item", "there is none")
		}
		for j, it := range s.Items {
			ip := fmt.Sprintf("%s.items[%d]", p, j)
			if !ident.MatchString(it.ID) {
				d.At(ip+".id", "lower case letters, digits, - and _", "%q is not an item ID", it.ID)
			} else if where, dup := items[it.ID]; dup {
				d.At(ip+".id", "item IDs are unique across the card", "%q is already the ID of %s", it.ID, where)
			} else {
				items[it.ID] = ip
			}
			validateItem(d, ip, it)
			total += it.Weight
		}
	}
	if len(items) > 0 && total <= 0 {
		d.At("sections", "give items a weight", "the items' weights add up to %v", total)
	}
}

func validateItem(d *strictyaml.Decoder, p string, it Item) {
	text(d, p+".title", it.Title)
	if it.Weight < 0 {
		d.At(p+".weight", "0 (counts for nothing, like a note) or more", "%v is negative", it.Weight)
	}
	switch it.Answer {
	case YesNo:
		notFor(d, p, it, it.Max != 0, "max")
		notFor(d, p, it, len(it.Choices) > 0, "choices")
	case Scale:
		if it.Max < 1 || it.Max > 10 {
			d.At(p+".max", "a scale runs 0..max, max from 1 to 10", "%d is not from 1 to 10", it.Max)
		}
		notFor(d, p, it, len(it.Choices) > 0, "choices")
	case Choice:
		notFor(d, p, it, it.Max != 0, "max")
		choices(d, p, it)
	default:
		d.At(p+".answer", "yes_no, scale (with max) or choice (with choices)", "%q is not an answer type", it.Answer)
	}
	if it.Source != nil {
		validateSource(d, p+".source", it)
	}
}

func notFor(d *strictyaml.Decoder, p string, it Item, set bool, key string) {
	if set {
		d.At(p+"."+key, "only a "+map[string]string{"max": "scale", "choices": "choice"}[key]+" item takes it", "a %s item takes no %s", it.Answer, key)
	}
}

func choices(d *strictyaml.Decoder, p string, it Item) {
	if len(it.Choices) < 2 {
		d.At(p+".choices", "at least two answers, each with an id, a title and a share of the weight", "%d given", len(it.Choices))
		return
	}
	seen := map[string]int{}
	fails, full := false, false
	for k, c := range it.Choices {
		cp := fmt.Sprintf("%s.choices[%d]", p, k)
		if !ident.MatchString(c.ID) {
			d.At(cp+".id", "lower case letters, digits, - and _", "%q is not an answer ID", c.ID)
		} else if c.ID == "na" {
			d.At(cp+".id", "allow N/A with na: true instead", `"na" is kept for not applicable`)
		} else {
			unique(d, cp+".id", c.ID, seen, k, p+".choices")
		}
		text(d, cp+".title", c.Title)
		if c.Share < 0 || c.Share > 1 {
			d.At(cp+".share", "the share of the item's weight it earns: 0 to 1, like 0.5", "%v is not from 0 to 1", c.Share)
		}
		fails = fails || c.Fails
		full = full || c.Share == 1
		if c.Fails && !it.AutoFail {
			d.At(cp+".fails", "only an auto_fail item has a failing answer", "the item is not auto_fail")
		}
	}
	if it.AutoFail && !fails {
		d.At(p+".choices", "mark the answer that fails it with fails: true", "an auto_fail item needs a failing answer")
	}
	if !full {
		d.At(p+".choices", "one answer earns the whole weight (share: 1)", "no answer has share 1")
	}
}

func validateSource(d *strictyaml.Decoder, p string, it Item) {
	src := it.Source
	spec, ok := sources[src.From]
	if !ok {
		d.At(p+".from", "one of: "+strings.Join(Sources(), ", "), "%q is not a source", src.From)
		return
	}
	if !slices.Contains(spec.answers, it.Answer) || (it.Answer == Scale && it.Max != 5) {
		d.At(p+".from", "it suggests "+strings.Join(spec.answers, " or ")+" answers (a scale of max 5)", "%s cannot answer a %s item", src.From, it.Answer)
	}
	set := map[string]bool{
		"max": src.Max != 0, "max_time": src.MaxTime != 0, "days": src.Days != 0,
		"min_csat": src.MinCSAT != 0, "min_ratio": src.MinRatio != 0, "max_ratio": src.MaxRatio != 0,
	}
	for _, k := range []string{"max", "max_time", "days", "min_csat", "min_ratio", "max_ratio"} {
		needed := slices.Contains(spec.params, k)
		switch {
		case set[k] && !needed:
			d.At(p+"."+k, src.From+": "+spec.about, "%s takes no %s", src.From, k)
		case !set[k] && needed && !(k == "min_csat" && it.Answer == Scale) && k != "min_ratio":
			d.At(p+"."+k, src.From+": "+spec.about, "%s needs %s", src.From, k)
		}
	}
	switch {
	case src.Max < 0:
		d.At(p+".max", "", "%d is negative", src.Max)
	case src.MaxTime < 0:
		d.At(p+".max_time", "", "%s is negative", src.MaxTime)
	case src.Days < 0 || src.Days > 90:
		d.At(p+".days", "from 1 to 90", "%d is not", src.Days)
	case src.MinCSAT < 0 || src.MinCSAT > 5:
		d.At(p+".min_csat", "the survey's answers run 1 to 5", "%d is not", src.MinCSAT)
	case src.MinRatio < 0 || src.MaxRatio > 1 || (set["max_ratio"] && src.MinRatio >= src.MaxRatio):
		d.At(p+".max_ratio", "shares from 0 to 1, min_ratio below max_ratio, like 0.3 and 0.7", "%v to %v is not a range", src.MinRatio, src.MaxRatio)
	}
}

func text(d *strictyaml.Decoder, p string, t Text) {
	if strings.TrimSpace(t.Zh) == "" || strings.TrimSpace(t.En) == "" {
		d.At(p, "both languages: {zh: 使用标准问候语, en: Standard greeting used}", "needs zh and en")
	}
}

func unique(d *strictyaml.Decoder, p, id string, seen map[string]int, i int, list string) {
	if !ident.MatchString(id) {
		d.At(p, "lower case letters, digits, - and _", "%q is not an ID", id)
		return
	}
	if j, dup := seen[id]; dup {
		d.At(p, "IDs are unique", "%q is already the ID of %s[%d]", id, list, j)
		return
	}
	seen[id] = i
}

// Items lists the card's items in order.
func (sc *Scorecard) Items() []Item {
	var all []Item
	for _, s := range sc.Sections {
		all = append(all, s.Items...)
	}
	return all
}

// Item finds an item by ID.
func (sc *Scorecard) Item(id string) (Item, bool) {
	for _, it := range sc.Items() {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Fingerprint names the card's content (not its file's layout or
// comments): two files that score alike have the same one.
func (sc *Scorecard) Fingerprint() string {
	b, err := json.Marshal(sc)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
