package console

import "strings"

// Role is what a user may do: a set of capabilities, listed in one table
// (roleCapabilities) so that every route's check reads the same rules.
type Role string

// The roles of the service standards' team (§2).
const (
	// RoleAgent (客服专员): its own agent's state and calls, and the queue
	// totals; the recordings of the calls it took part in, the caller's
	// number masked to its last 4 digits.
	RoleAgent Role = "agent"
	// RoleQA (QA reviewer): the reports and the queue totals, and every
	// recording (to score it), the caller's number masked to its last 4
	// digits: judging the service needs the voice, not the number; the
	// review queue, its own evaluations and timed comments. It sees no
	// live call and acts on no agent.
	RoleQA Role = "qa"
	// RoleManager (客服经理): reads everything, acts on nothing: every
	// agent, call and queue, the event stream, the reports, every recording
	// with the caller's number, and the recordings' access audit. It does not
	// listen in (that is a supervisor's job) and does not change agents'
	// states.
	RoleManager Role = "manager"
	// RoleSupervisor (客服主管): every agent and call; acts on every agent
	// (pausing its recording for card data too); listens, whispers and
	// barges in from its own configured device only; the reports; every
	// recording with the caller's number (it calls complainants back).
	RoleSupervisor Role = "supervisor"
	// RoleAdmin: all a supervisor may do, managing the flows, and the
	// recordings' retention (legal holds, deletion before expiry) and
	// access audit.
	RoleAdmin Role = "admin"
)

// roleNames lists the roles, least powerful first.
var roleNames = []Role{RoleAgent, RoleQA, RoleManager, RoleSupervisor, RoleAdmin}

// capability is one thing a role may do beyond acting on its own agent,
// which every user with a 工号 may.
type capability int

const (
	// seeAll: read every agent and call (an agent sees only its own).
	seeAll capability = iota
	// actOnAll: change any agent's state and call (log in, ready, hold,
	// transfer...).
	actOnAll
	// supervise: listen, whisper and barge in, from the user's own device.
	supervise
	// readReports: GET /api/reports and GET /api/complaints/report.
	readReports
	// manageFlows: reload and list the flows.
	manageFlows
	// hearRecordings: search, play and download every recording (without
	// it, only those of calls the user's own agent took part in).
	hearRecordings
	// seeCallers: caller numbers in recordings unmasked (without it, all
	// but the last 4 characters are masked, and recordings cannot be
	// searched by caller).
	seeCallers
	// manageRetention: set and release legal holds, delete a recording
	// before its expiry.
	manageRetention
	// readAudit: query and export the audit of recording access.
	readAudit
	// ownSoftphone: a browser softphone session of the user's own (its
	// 工号's, else its user name's), to take calls or listen in from. A
	// user with a 工号 has one whatever its role.
	ownSoftphone
	// reviewCalls: QA's review work: the review queue, scoring calls
	// (their own evaluations), timed comments on recordings, taking part
	// in calibrations, and reading the evaluations that are not drafts.
	// Without it a user with a 工号 sees (and acknowledges or disputes)
	// only its own agent's submitted evaluations.
	reviewCalls
	// superviseQA: resolve disputed evaluations (uphold or re-score), set
	// up calibrations and read their reports, and read QA's report.
	superviseQA
	// handleComplaints: see every complaint and act on any (without it, a
	// user with a 工号 sees and acts on the complaints it owns).
	handleComplaints
)

// roleCapabilities is the whole authorisation table.
var roleCapabilities = map[Role][]capability{
	RoleAgent:      {ownSoftphone},
	RoleQA:         {readReports, hearRecordings, reviewCalls},
	RoleManager:    {seeAll, readReports, hearRecordings, seeCallers, readAudit, reviewCalls, superviseQA, handleComplaints},
	RoleSupervisor: {seeAll, actOnAll, supervise, readReports, hearRecordings, seeCallers, ownSoftphone, reviewCalls, superviseQA, handleComplaints},
	RoleAdmin: {seeAll, actOnAll, supervise, readReports, manageFlows, hearRecordings, seeCallers,
		manageRetention, readAudit, ownSoftphone, reviewCalls, superviseQA, handleComplaints},
}

// Valid says whether r is one of the roles.
func (r Role) Valid() bool {
	_, ok := roleCapabilities[r]
	return ok
}

// can says whether r has capability c.
func (r Role) can(c capability) bool {
	for _, have := range roleCapabilities[r] {
		if have == c {
			return true
		}
	}
	return false
}

// Roles lists the role names, least powerful first.
func Roles() []Role { return append([]Role(nil), roleNames...) }

// roleList is the roles for a message: "agent, qa, manager, supervisor,
// admin".
func roleList() string {
	names := make([]string, len(roleNames))
	for i, r := range roleNames {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
