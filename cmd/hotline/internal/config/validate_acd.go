package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/recordings/evaluation"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

var (
	// agentID is what the queue package takes as a 工号 (and a queue name).
	agentID   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	userRoles = roleNames()
	// device is a channel technology and resource: PJSIP/2001.
	device = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*/\S+$`)
)

// validateACD checks the queues, agents, call-backs, instance and console:
// each against the rules of the package that takes it (queue.QueueConfig's
// Validate, queue.New, Center.SetAgent), with every problem at its line.
func (d *decoder) validateACD(c *Config) {
	queues := d.validateQueues(c.Queues)
	var center *queue.Center
	if !d.HasProblemUnder("queues") {
		center, _ = queue.New(queue.Config{Queues: c.QueueConfigs()})
	}
	agents := d.validateAgents(c.Agents, queues, center)
	d.validateCallbacks(c.Callbacks)
	d.validateTransfers(c.Transfers)
	if !appName.MatchString(c.Instance.Name) {
		d.at("instance.name", "unique among the servers sharing the database and the same after a restart, like hotline-1; the default is the host name",
			"%q is not a usable instance name", c.Instance.Name)
	}
	d.validateConsole(c.Console, agents)
}

// validateQueues checks every queue, and then all of them together as
// queue.New would; it returns the queue names, each with its index.
func (d *decoder) validateQueues(qs []Queue) map[string]int {
	names := map[string]int{}
	strategies := strategyNames()
	for i, q := range qs {
		p := fmt.Sprintf("queues[%d]", i)
		switch j, dup := names[q.Name]; {
		case q.Name == "":
			d.at(p+".name", "like after-sales: flows name the queue in their queue nodes", "is required")
		case dup:
			d.at(p+".name", "queue names are unique", "%q is already the name of queues[%d], on line %d", q.Name, j, d.Lines[fmt.Sprintf("queues[%d]", j)])
		default:
			names[q.Name] = i
		}
		if !slices.Contains(strategies, q.Strategy) {
			d.at(p+".strategy", suggestOne(q.Strategy, strategies), "%q is not a routing strategy", q.Strategy)
		}
		d.oneOf(p+".when_no_agents", q.WhenNoAgents, noAgentsNames)
		d.oneOf(p+".overflow.action", q.Overflow.Action, overflowActionNames)
		if q.Overflow.Queue != "" && q.Overflow.Action != "queue" && slices.Contains(overflowActionNames, q.Overflow.Action) {
			d.at(p+".overflow.queue", "remove it, or make the action queue", "only the action queue names a queue; the action is %s", q.Overflow.Action)
		}
	}
	// The queue package's own rules, each reported at its key.
	for i, q := range qs {
		for _, err := range unjoin(q.QueueConfig().Validate()) {
			d.queueProblem(fmt.Sprintf("queues[%d]", i), err)
		}
	}
	for i, q := range qs {
		p := fmt.Sprintf("queues[%d].overflow.queue", i)
		if t := q.Overflow.Queue; t != "" && q.Overflow.Action == "queue" && t != q.Name {
			if _, ok := names[t]; !ok {
				d.at(p, knownNames("queues", names), "there is no queue %q", t)
			}
		}
	}
	// Together, the queues that are valid on their own: what is left is
	// what only the whole set shows (a loop of overflows). Overflows into
	// missing or invalid queues were reported above.
	var valid []queue.QueueConfig
	for i, q := range qs {
		if j, ok := names[q.Name]; ok && j == i && !d.HasProblemUnder(fmt.Sprintf("queues[%d]", i)) {
			valid = append(valid, q.QueueConfig())
		}
	}
	if _, err := queue.New(queue.Config{Queues: valid}); err != nil {
		for _, e := range unjoin(err) {
			name, field, msg, _ := splitQueueError(e)
			i, ok := names[name]
			switch {
			case field == "overflow.queue" && strings.HasPrefix(msg, "there is no queue"):
			case !ok:
				d.at("queues", "", "%s", strings.TrimPrefix(e.Error(), queue.ErrInvalidQueue.Error()+": "))
			default:
				d.queueProblem(fmt.Sprintf("queues[%d]", i), e)
			}
		}
	}
	return names
}

// queueProblem reports one of the queue package's errors about the queue
// at path, at the key it names.
func (d *decoder) queueProblem(path string, err error) {
	_, field, msg, ok := splitQueueError(err)
	if !ok {
		d.at(path, "", "%s", strings.TrimPrefix(err.Error(), queue.ErrInvalidQueue.Error()+": "))
		return
	}
	// A step of levels has two keys: say which one is wrong.
	if levelItem.MatchString(field) {
		if strings.HasPrefix(msg, "level ") {
			field += ".min_level"
		} else {
			field += ".after"
		}
	}
	d.at(path+"."+field, "", "%s", msg)
}

var levelItem = regexp.MustCompile(`^levels\[\d+\]$`)

// splitQueueError reads the queue package's `queue "NAME": FIELD: MSG`.
func splitQueueError(err error) (name, field, msg string, ok bool) {
	s, found := strings.CutPrefix(err.Error(), queue.ErrInvalidQueue.Error()+": queue ")
	if !found {
		return "", "", "", false
	}
	quoted, qerr := strconv.QuotedPrefix(s)
	if qerr != nil {
		return "", "", "", false
	}
	name, _ = strconv.Unquote(quoted)
	rest, found := strings.CutPrefix(s[len(quoted):], ": ")
	if !found {
		return name, "", "", false
	}
	field, msg, ok = strings.Cut(rest, ": ")
	return name, field, msg, ok && field != "" && !strings.Contains(field, " ")
}

// validateAgents checks every agent, and has center (the queues, when
// they are valid) take it; it returns the agents' IDs, each with its index.
func (d *decoder) validateAgents(as []Agent, queues map[string]int, center *queue.Center) map[string]int {
	ids := map[string]int{}
	for i, a := range as {
		p := fmt.Sprintf("agents[%d]", i)
		switch j, dup := ids[a.ID]; {
		case a.ID == "":
			d.at(p+".id", "the agent's 工号, which callers hear, like 1001", "is required")
		case !agentID.MatchString(a.ID):
			d.at(p+".id", "use letters and digits, like 1001", "%q is not a usable agent ID", a.ID)
		case dup:
			d.at(p+".id", "agent IDs are unique", "%q is already the ID of agents[%d], on line %d", a.ID, j, d.Lines[fmt.Sprintf("agents[%d]", j)])
		default:
			ids[a.ID] = i
		}
		if a.Device == "" {
			d.at(p+".device", "where to ring the agent, like PJSIP/1001", "is required")
		} else if tech, res, ok := strings.Cut(a.Device, "/"); !ok || tech == "" || res == "" {
			d.at(p+".device", "TECHNOLOGY/RESOURCE, like PJSIP/1001", "%q is not a device", a.Device)
		} else if id, soft := strings.CutPrefix(a.Device, acd.SoftphonePrefix); soft && id != a.ID && a.ID != "" {
			d.at(p+".device", fmt.Sprintf("an agent's browser softphone is %s followed by its own ID: %s%s", acd.SoftphonePrefix, acd.SoftphonePrefix, a.ID),
				"%q is not agent %s's softphone", a.Device, a.ID)
		}
		for _, s := range slices.Sorted(maps.Keys(a.Skills)) {
			if lv := a.Skills[s]; lv < queue.MinSkillLevel || lv > queue.MaxSkillLevel {
				d.at(p+".skills."+s, fmt.Sprintf("levels go from %d (any) to %d (the best)", queue.MinSkillLevel, queue.MaxSkillLevel),
					"level %d is out of range", lv)
			}
		}
		d.validateTeam(p+".team", a.Team)
		for j, q := range a.Queues {
			qp := fmt.Sprintf("%s.queues[%d]", p, j)
			if _, ok := queues[q]; !ok {
				d.at(qp, knownNames("queues", queues), "there is no queue %q", q)
			} else if slices.Contains(a.Queues[:j], q) {
				d.at(qp, "", "%q is listed twice", q)
			}
		}
		// What the queue package would still refuse, should its rules be
		// stricter than the checks above.
		if center != nil && !d.HasProblemUnder(p) {
			if err := center.SetAgent(a.AgentConfig()); err != nil {
				d.at(p, "", "%s", strings.TrimPrefix(err.Error(), queue.ErrInvalidAgent.Error()+": "))
			}
		}
	}
	return ids
}

// validateTeam checks an agent's team: a name, as reports show it, or
// nothing.
func (d *decoder) validateTeam(field, team string) {
	const hint = "a team's name as QA's report shows it, like After-sales or 投诉组; leave it out for none"
	switch {
	case team == "":
	case strings.TrimSpace(team) == "":
		d.at(field, hint, "is blank")
	case strings.TrimSpace(team) != team:
		d.at(field, hint, "%q starts or ends with spaces", team)
	case strings.IndexFunc(team, unicode.IsControl) >= 0:
		d.at(field, hint, "%q holds a control character", team)
	case utf8.RuneCountInString(team) > maxTeamName:
		d.at(field, hint, "%q is longer than %d characters", team, maxTeamName)
	case team == evaluation.NoTeam:
		d.at(field, hint, "%q is what the report calls the agents in no team", team)
	}
}

// maxTeamName bounds a team's name.
const maxTeamName = 64

func (d *decoder) validateCallbacks(c Callbacks) {
	if strings.Count(c.CustomerEndpoint, "%s") != 1 || strings.Count(c.CustomerEndpoint, "%") != 1 {
		d.at("callbacks.customer_endpoint", `one %s for the customer's number, like "PJSIP/%s@trunk"`,
			"%q does not hold exactly one %%s", c.CustomerEndpoint)
	}
	if c.Attempts < 1 {
		d.at("callbacks.attempts", "dials of a customer before the request is given up", "%d is less than 1", c.Attempts)
	}
	d.positive("callbacks.retry_delay", c.RetryDelay)
	d.positive("callbacks.ring_timeout", c.RingTimeout)
}

// roleNames lists the console's roles by name.
func roleNames() []string {
	var out []string
	for _, r := range console.Roles() {
		out = append(out, string(r))
	}
	return out
}

func (d *decoder) validateConsole(c Console, agents map[string]int) {
	d.positive("console.session_ttl", c.SessionTTL)
	if c.PasswordChecks < 0 {
		d.at("console.password_checks", "0 is half the CPUs; 1 or 2 keeps sign-ins from taking the CPU from calls", "%d is less than 0", c.PasswordChecks)
	}
	names := map[string]int{}
	userOf := map[string]int{} // 工号 -> user index
	for i, u := range c.Users {
		p := fmt.Sprintf("console.users[%d]", i)
		switch j, dup := names[u.Name]; {
		case u.Name == "":
			d.at(p+".name", "what the user signs in with", "is required")
		case dup:
			d.at(p+".name", "user names are unique", "%q is already the name of console.users[%d], on line %d", u.Name, j, d.Lines[fmt.Sprintf("console.users[%d]", j)])
		default:
			names[u.Name] = i
		}
		d.oneOf(p+".role", u.Role, userRoles)
		switch {
		case u.Device == "", !slices.Contains(userRoles, u.Role):
		case u.Role != string(console.RoleSupervisor) && u.Role != string(console.RoleAdmin):
			d.at(p+".device", "only supervisors and administrators listen in, from the device given here", "a %s has no device", u.Role)
		case !device.MatchString(u.Device):
			d.at(p+".device", "the supervisor's own phone or softphone, like PJSIP/2001", "%q is not a device", u.Device)
		case strings.HasPrefix(u.Device, acd.SoftphonePrefix) && u.Device != acd.SoftphonePrefix+u.Name && u.Name != "":
			d.at(p+".device", fmt.Sprintf("a user's browser softphone is %s followed by its own name: %s%s", acd.SoftphonePrefix, acd.SoftphonePrefix, u.Name),
				"%q is not %s's softphone", u.Device, u.Name)
		}
		switch j, taken := userOf[u.Agent]; {
		case u.Agent == "" && u.Role == string(console.RoleAgent):
			d.at(p+".agent", "an agent user acts on its own agent only: give its 工号, one of agents:", "is required")
		case u.Agent == "":
		case !hasKey(agents, u.Agent):
			d.at(p+".agent", knownNames("agents", agents), "there is no agent %q", u.Agent)
		case taken:
			d.at(p+".agent", "one user per agent", "agent %q is already console.users[%d]'s, on line %d", u.Agent, j, d.Lines[fmt.Sprintf("console.users[%d]", j)])
		default:
			userOf[u.Agent] = i
		}
		if u.PasswordHash == "" {
			d.at(p+".password_hash", "the bcrypt hash of the password; hotline passwd makes one", "is required")
		} else if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			d.at(p+".password_hash", "give the bcrypt hash of the password, never the password; hotline passwd makes one",
				"is not a bcrypt hash")
		}
	}
}

// knownNames is a hint listing the names of a list: "queues: a, b".
func knownNames(list string, names map[string]int) string {
	if len(names) == 0 {
		return "there is none under " + list + ":"
	}
	sorted := slices.SortedFunc(maps.Keys(names), func(a, b string) int { return names[a] - names[b] })
	return list + ": " + strings.Join(sorted, ", ")
}

// suggestOne names the closest choice, and lists them all.
func suggestOne(v string, choices []string) string {
	for _, c := range choices {
		if strictyaml.EditDistance(strings.ToLower(v), c) <= 2 {
			return fmt.Sprintf("did you mean %s? use one of: %s", c, strings.Join(choices, ", "))
		}
	}
	return "use one of: " + strings.Join(choices, ", ")
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// unjoin lists the errors errors.Join put together.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (d *decoder) validateTransfers(t Transfers) {
	if strings.Count(t.Endpoint, "%s") != 1 || strings.Count(t.Endpoint, "%") != 1 {
		d.at("transfers.endpoint", `one %s for the number, like "PJSIP/%s@trunk"`,
			"%q does not hold exactly one %%s", t.Endpoint)
	}
	d.positive("transfers.ring_timeout", t.RingTimeout)
}
