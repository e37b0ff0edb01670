package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Complaint takes a complaint down as a voice message: it plays Prompt
// (by default the standard [PromptComplaintInvite]), then the beep if
// Beep, and records what the caller says as a message node does (until
// MaxLength, MaxSilence of silence, the Terminator key or hang-up). The
// engine notes the complaint in the call's journey (its category,
// contact, team and recording), from which it is registered with the
// hotline's complaints, exactly once, with no owner yet: the first person
// who takes it owns it (首问负责制). Then the caller hears Thanks (by
// default [PromptComplaintThanks], 「您的投诉已登记，我们会在24小时内处理并
// 回复您。」) and the call goes to Next. A recording that fails or holds
// nothing registers nothing: the caller hears the apology, as after a
// message node.
//
// The category is the complaint category code Category, or, with
// CategoryVar, the value of that variable (set by an earlier node, such
// as a set node after a menu), Category being the fallback when the
// variable is empty or not a code. The contact is the number in
// ContactVar (collected earlier), or the caller's number when it is
// empty or not given. Team names the responsible team; "" is the
// category's default team.
//
//	complaint:
//	  category_var: complaint_kind   # set by an earlier node
//	  category: quality              # the fallback
//	  contact_var: contact_no        # collected earlier; default: the caller's number
//	  team: after-sales
//	  max_length: 2m
//	  next: bye
type Complaint struct {
	Prompt      string
	Beep        bool
	MaxLength   time.Duration
	MaxSilence  time.Duration
	Terminator  string // "#", "*", or "" for none
	Category    string // the category code; with CategoryVar, the fallback
	CategoryVar string // "" for none
	ContactVar  string // "" : the caller's number
	Team        string // "" : the category's default team
	Thanks      string // prompt
	Next        string
}

// The standard prompts of the complaint node.
const (
	PromptComplaintInvite = "complaint-invite" // please tell us your complaint after the tone
	PromptComplaintThanks = "complaint-thanks" // your complaint is registered; answered within 24 hours
)

var complaintKeys = []string{"prompt", "beep", "max_length", "max_silence", "terminator",
	"category", "category_var", "contact_var", "team", "thanks", "next"}

// CategoryCode is what a complaint category code looks like (the codes
// of the configuration's dispositions, like quality or wrong-item).
var CategoryCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func (p *parser) complaint(sc *scope, f *fields) *Complaint {
	c := &Complaint{Terminator: defaultTerminator, Prompt: PromptComplaintInvite, Thanks: PromptComplaintThanks}
	if f.has("prompt") {
		c.Prompt = p.prompt(f, "prompt")
	} else {
		p.usePrompt(PromptComplaintInvite, f.line, f.field("prompt"))
	}
	c.Beep = f.flag("beep", defaultBeep)
	if c.Beep {
		p.usePrompt(PromptBeep, f.lineOf("beep"), f.field("beep"))
	}
	c.MaxLength = f.dur("max_length", defaultMaxLength)
	c.MaxSilence = f.dur("max_silence", defaultMaxSilence)
	if f.has("terminator") {
		switch t := f.str("terminator", `"#", "*" or none`); t {
		case "#", "*":
			c.Terminator = t
		case "none":
			c.Terminator = ""
		case "":
		default:
			p.add(f.lineOf("terminator"), f.field("terminator"), `"#", "*", or none to stop only on silence or max_length`, "%q is not a terminator", t)
		}
	}
	hint := "a complaint category code of the configuration's dispositions, like quality"
	if f.has("category_var") {
		hint = "the category when the variable is empty or not a category code, like quality"
	}
	f.need("category", hint)
	if c.Category = f.str("category", hint); c.Category != "" && !CategoryCode.MatchString(c.Category) {
		p.add(f.lineOf("category"), f.field("category"), "letters, digits, '-' and '_', like quality or wrong-item", "%q is not a category code", c.Category)
	}
	p.f.categories[p.cur] = where{f.lineOf("category"), f.field("category")}
	c.CategoryVar = p.readVar(f, "category_var")
	c.ContactVar = p.readVar(f, "contact_var")
	if c.Team = f.str("team", "a team name, like after-sales"); c.Team != "" && !CategoryCode.MatchString(c.Team) {
		p.add(f.lineOf("team"), f.field("team"), "letters, digits, '-' and '_', like after-sales", "%q is not a team name", c.Team)
	}
	if f.has("thanks") {
		c.Thanks = p.prompt(f, "thanks")
	} else {
		p.usePrompt(PromptComplaintThanks, f.line, f.field("thanks"))
	}
	p.next(sc, f, "next", &c.Next)
	return c
}

// ComplaintCategory is the category of a complaint node's complaint for a
// call with variables vars: the variable's value when it is a category
// code, else the node's category.
func (c *Complaint) ComplaintCategory(vars map[string]string) string {
	if c.CategoryVar != "" {
		if v := vars[c.CategoryVar]; CategoryCode.MatchString(v) {
			return v
		}
	}
	return c.Category
}

// contactNumber is what a contact number may look like: digits, with a
// leading + and at most 32 of them.
var contactNumber = regexp.MustCompile(`^\+?[0-9]{3,32}$`)

// ComplaintContact is the contact of a complaint node's complaint: the
// number in ContactVar when it looks like one, else caller.
func (c *Complaint) ComplaintContact(vars map[string]string, caller string) string {
	if c.ContactVar != "" {
		if v := vars[c.ContactVar]; contactNumber.MatchString(v) {
			return v
		}
	}
	return caller
}

// CheckCategories reports each complaint node whose category (the fixed
// one, or the fallback of its category_var) is not one of known, the
// configuration's complaint categories: its complaints could not be
// registered.
func (f *Flow) CheckCategories(known []string) Problems {
	var ps Problems
	for _, n := range f.order {
		if n.Kind != KindComplaint || slices.Contains(known, n.Complaint.Category) {
			continue
		}
		at := f.categories[n.ID]
		ps = append(ps, Problem{File: f.File, Line: at.line, Field: at.field,
			Msg:  fmt.Sprintf("there is no complaint category %q", n.Complaint.Category),
			Hint: suggest(n.Complaint.Category, known, "complaint categories in the configuration (dispositions of kind complaint)")})
	}
	return ps
}
