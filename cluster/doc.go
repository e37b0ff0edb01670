// Package cluster is the shared routing state of several Hotline instances,
// each driving its own Asterisk, in PostgreSQL: one logical queue per name
// across all of them. It owns the tables of migration 0015
// (cluster_instances, cluster_queues, cluster_agents, cluster_callers): the
// instances and their heartbeats, the queues' routing rules, the agents and
// their states, the callers waiting, ringing an agent (an offer: a
// reservation) or connected — and the routing decision over them. It does
// no ARI, HTTP or console work and touches no other table: the ACD carries
// its offers out on Asterisk, the console shows its views.
//
// # Who writes what
//
// Rows are written by their owner: a caller's row by the instance whose
// Asterisk holds the call (Enqueue, Abandon, Answered, NoAnswer, EndCall,
// ToCallback refuse another instance's call with ErrNotOwner); an agent's
// agent-set states (login, ready, not ready, logout) by the instance the
// agent uses, recorded as its home. Only routing (offers, ring timeouts,
// ended wrap-ups) and the reaper change rows across instances.
//
// A caller's row carries its screen pop (Caller.Details: an opaque JSON
// object the ACD fills, such as the caller's number, IVR path and
// language; at most MaxDetails bytes, refused above with
// ErrDetailsTooBig), which every Offer of it carries as given.
//
// # Routing and what is serialised
//
// [Cluster.Route] is one transaction holding one advisory lock for the
// whole centre (pg_advisory_xact_lock, blocking). It applies the offers
// rung out (caller back in its place with its original arrival, agent
// NotReady "missed") and the wrap-ups ended by time (agent Ready; not
// those of a queue that requires a disposition: see below), then matches as
// queue.Center does: waiting callers in order — priority, then arrival,
// then the order queued — across every queue and instance, each with the
// first Ready agent by its queue's strategy (then longest idle, then added
// first) who has the queue's and the caller's skills at the level its wait
// requires. One lock for the centre, not one per queue, because an agent
// who serves several queues must go to the longest-waiting caller among
// them: per-queue decisions would each see the agent free and race for
// it, and the winner would be whoever came first, not who waited longest.
// A single lock also makes ring timeouts and wrap-up ends apply exactly
// once. It is a blocking lock, not a try-lock: an instance whose change
// committed just as another's decision had read the rows would otherwise
// skip the decision its change needs. Decisions are short (see Figures).
//
// The lock orders decisions; the rows guarantee the invariant. An offer is
// one statement of two conditional updates in the decision's transaction,
// the caller's `state = 'waiting'` and the agent's `state = ready` (row
// locks, each condition re-checked on the row's latest version; a row
// changed meanwhile by its owner — a hang-up, a break — fails the
// condition and the decision moves on), committed before anyone rings:
// an agent is reserved for at most one call and a call offered to at most
// one agent, by the database, whatever the timing. Every other change
// locks a caller's row before its agent's, so they cannot deadlock.
//
// Waiting callers are found through an index on (queue, class, priority,
// arrived, seq) for waiting rows, class being the caller's own skills: a
// skip scan reads the first callers of each bucket, so a decision costs
// the number of buckets and Ready agents, not the number waiting; as in
// queue.Center, a bucket whose first caller no agent can serve is done.
//
// # Wake-ups
//
// Each instance keeps one connection of its own LISTENing (not from the
// pool) on hotline_cluster_work (a caller queued, an agent Ready, a caller
// back in line: Route) and hotline_cluster_<instance> (an offer or ring
// timeout of its caller decided elsewhere, an offer withdrawn by the
// reaper, and the steps of other instances' calls that hold its agents:
// see below); [Cluster.Events] delivers them. When the connection is lost (a
// database restart) it reconnects every Config.Reconnect on the clock and
// then sends EventResync: notifications sent meanwhile are lost, so the
// instance routes once and reconciles its calls ([Cluster.Calls]). A
// decision returns the next time that time alone makes work due
// ([Decision.Wake]; [Cluster.Wake] reads the earliest deadline of the
// centre).
//
// Two instances also send each other messages about one call
// ([Cluster.Send], [Cluster.Receive]; messages.go): what a browser agent's
// home and the caller's instance say while the agent answers and talks.
// A message is a row of cluster_messages; the NOTIFY sent with it
// (EventMessage) only wakes the receiver, which reads its rows then and
// after every resync, so a lost notification delays a message but does not
// lose it; rows unread after MessageTTL are deleted by any reader.
//
// # The agent's home
//
// Each agent's state is kept by its home instance's queue.Center too (see
// deploy/scale-out.md), so the home must follow the calls of other
// instances that reserve its agents. The cluster tells it, on its own
// channel, in the transaction of each change (a change rolled back sends
// nothing), in the order of the changes, and only when the home is not the
// caller's instance (that one knows already: it carries the call):
//
//	kind            payload                                    sent by                                   the home's Center
//	hold            Offer (all of it, Details included)        the instance whose Route made the offer   Hold(call, agent, queue)
//	hold-answered   Call: State OnCall                         the caller's instance (Answered)          Answered
//	hold-no-answer  Call: State NotReady, Reason "missed"      the caller's instance (NoAnswer), or the  NoAnswer
//	                                                           Route that found the offer rung out
//	hold-abandoned  Call: State Ready, Reason "abandoned"      the caller's instance (Abandon)           Abandon
//	hold-ended      Call: State WrapUp (WrapUpEnds,            the caller's instance (EndCall)           EndCall
//	                Disposition) or Ready
//	hold-lost       Call: Reason "instance lost", State Ready  the reaper (Reap; the caller's Leave)     Lost
//	                (it rang) or WrapUp/Ready (it was answered)
//
// Call (HomeCall) always names the call, the caller's instance, the agent
// and the queue. The instance that routes may be the home itself: it hears
// its hold on its own channel like any other. A home that missed events
// (EventResync) reconciles its Center with [Cluster.HeldCalls] (the calls
// of other instances that hold its agents, ringing or connected, and those
// its agents wrap up) and [Cluster.Agents].
//
// Wrap-ups: after a call of a queue with RequireDisposition the agent's
// wrap-up does not end by time in the database (Route skips it, and Wake
// does not count it); it ends when the home says so, with SetReady,
// SetNotReady or Logout, once its Center has the disposition (the home's
// Center ends it at the end of the wrap-up time if the disposition came
// first, or at the disposition: the home then calls SetReady). Without
// it, the wrap-up ends by time in both: the database at WrapUpEnds (the
// next Route at or after it), the home's Center by its own timer at the
// same time (its EndCall started the same wrap-up time on hold-ended),
// so they agree and the home need not tell the cluster. A wrap-up of a
// dead home's agent ends with the agent logged out by the reaper.
//
// # Instances and the reaper
//
// [New] registers the instance; a name in use by a live instance is
// refused (ErrInstanceInUse), a dead one's is free once reaped. A heartbeat
// goroutine stamps the row every Config.Heartbeat. [Cluster.Reap], run by
// any instance periodically, under the same advisory lock (so exactly
// once), marks dead the instances whose heartbeat is older than DeadAfter:
// their waiting and ringing callers are removed and returned as lost (the
// agents Ready again, reason "instance lost", not "missed"), their
// connected calls end (agent to wrap-up; the agents' homes hear
// hold-lost), their call-backs are adopted by
// the reaping instance and keep their place, agents homed on them are
// logged out (an offer ringing one is withdrawn and its caller is back in
// line; one on a call at its end). An instance reaped while alive gets
// ErrInstanceDead from Heartbeat, Enqueue and the agent-set states. A
// reaper judges nobody dead until it has itself reached the database for
// DeadAfter without a failed heartbeat: after an outage of PostgreSQL
// every heartbeat is old, and the others get the time to beat again
// (TestReapAfterOutage).
// [Cluster.Leave] does the same for the instance itself at a clean
// shutdown, so its name is free at once; its call-backs are left for the
// next Reap of a live instance to adopt (or for its own restart). Reap is
// not run in the background: the caller runs it every few seconds and
// writes what it returns into the call records.
//
// # Time
//
// Every timestamp is the injected clock's (Config.Clock), at microsecond
// precision, never the database's now(): instances must run NTP, and tests
// drive a fake clock.
//
// # Figures
//
// Measured by TestFigures, which prints them and checks nothing about time:
//
//	go test -count=1 ./cluster/ -run TestFigures -v -cluster.figures
//
// It sets up 2 instances, 2,000 agents (logged in, skills in 4 queues of the
// 4 strategies, relaxing levels) and 20,000 waiting callers (both
// instances, 2 priorities, own skills), then times Route after an agent
// becomes Ready (it offers one caller) and after a caller arrives (no
// agent free), one instance alone, then both working at once; then one
// instance's cycle
// (an agent Ready, Route, the offer's no answer, NotReady: one call routed
// each) alone for 10 s and with the second instance doing the same at
// once; and, as a control, the same drop for work that takes no routing
// lock (an agent Ready then NotReady). On the development machine (2 cores
// shared with PostgreSQL and other jobs, load average 3 to 4.5), three
// runs of the final code on 2026-12-07:
//
//	one instance alone, after an agent is Ready:  p50 0.97-1.53 ms, p99 2.2-3.5 ms
//	one instance alone, after a caller arrives:   p50 0.32-0.47 ms, p99 0.63-0.96 ms
//	2 instances at once, after an agent is Ready: p50 1.37-1.76 ms, p99 3.3-4.1 ms (max 7.0)
//	2 instances at once, after a caller arrives:  p50 0.49-0.63 ms, p99 2.2-2.5 ms
//	one instance's calls routed/s:                288-335 alone, 223-276 with the other: a drop of 14-22%
//	control, no routing lock:                     no drop (-10 to -25%: the second instance used idle CPU)
//
// Three runs on 2026-12-07 afternoon, after the ACD's wiring (load average
// 0.5 to 2): after an agent is Ready, one instance alone p99 2.9-4.1 ms, 2
// instances at once p99 3.5-3.9 ms (max 6.6-7.2); after a caller arrives,
// 2 instances p99 2.2-2.3 ms; one instance's calls routed/s 267-279 alone,
// 226-259 with the other: a drop of 5%, 15% and 17% (the control: no drop).
//
// Earlier runs, on a busier machine (load average 6) and before the last
// round-trip savings, gave p99 up to 7.7 ms and drops of 30-63%, with the
// control dropping 27-51%: the figures follow the machine's load. What the
// lock costs is its hold time, one decision (4 round trips and the
// statements, about 0.5-1 ms): the centre decides at most about 1,000
// times a second, far above a hotline's few decisions a second per queue.
// The index cluster_callers_waiting makes a decision independent of the
// number waiting (see above).
//
// # Where it stands
//
// deploy/scale-out.md says how the instances take part (each agent's
// state stays with its home instance's queue.Center; this package is the
// matcher and the lock) and what remains to wire it into the ACD.
//
// # Not carried over from queue.Center
//
// Overflow, maximum wait and length, NoAgentsOverflow, outbound calls,
// transfers, the dispositions themselves (the cluster keeps only that a
// wrap-up waits for one), estimated waits and the day's totals are out of
// scope here: they stay with each instance's queue.Center or come later.
package cluster
