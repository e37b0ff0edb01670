// Package callflow is the call-flow language: it parses a hotline's flow
// file (YAML), validates it, reporting every problem with its file, line and
// a hint, and compiles it into a [Flow], a graph of typed [Node]s that the
// call engine runs. A [Registry] holds the active version of each flow and
// swaps in new versions for new calls only. Versions go by contents: the
// same file is the same version, a changed one the next (a [VersionStore]
// can keep them across restarts). Given the queues (and the complaint
// categories) there are, a Registry refuses flows whose queue nodes
// (complaint nodes) name others.
//
// A flow file names the dialled numbers it answers, its languages (the first
// is the default), its time zone, business hours and holidays, its prompts
// (a sound per language), named lists of caller numbers, and its nodes:
//
//	flow: smart-home
//	numbers: ["4008001234"]
//	languages: [zh, en]
//	timezone: Asia/Shanghai
//	hours: {mon-fri: "09:00-18:00", sat: "09:00-12:00"}  # absent: open 24 h
//	holidays: ["2026-10-01..2026-10-07"]
//	lists: {vip: ["13800000001"]}
//	agent: agent               # the queue node menus fall back to
//	prompts:
//	  main-menu: {zh: hotline/zh/main-menu, en: hotline/en/main-menu}
//	  setup-help: {zh: hotline/zh/setup-help, en: hotline/en/setup-help}
//	start: main
//	nodes:
//	  main:
//	    menu: {prompt: main-menu, options: {"1": setup, "0": agent}}
//	  setup:
//	    play: {prompts: [setup-help], barge_in: true, next: main}
//	  agent:
//	    queue: {name: after-sales, next: bye}
//	  bye:
//	    hangup: {prompts: [goodbye]}
//
// Each node holds exactly one kind: play, menu, collect, branch, set, say,
// lookup, message, complaint, queue, transfer, survey, hangup or subflow. Node
// references are node IDs; inside a sub-flow they name the sub-flow's own
// nodes, and "return" goes back to the calling subflow node's next. Texts may
// hold variables, ${name}; the engine sets ${caller}, ${dialled} and ${lang}.
//
// The scripted phrases of the service standards are built-in prompts (see
// [StandardPrompts]) that a flow uses without declaring them, and may
// override: every menu and collect that hears nothing plays the silent-caller
// script by default, and every on_fail defaults to the flow's agent queue or
// else to an apology and hang-up. A message node with beep plays the beep
// prompt, a tone Hotline ships. [Flow.Sounds] lists every sound a flow may
// play, for checking that each is installed where Asterisk looks.
//
// Recording and sensitive input. The flow says when the caller hears that
// the call may be recorded: a play node with the built-in prompt
// recording-notice (「您的通话可能会被录音」, "Your call may be recorded"),
// usually the first node, on a hotline whose calls are recorded. A collect
// node with sensitive: true makes its variable sensitive (see
// [Flow.Sensitive]): the engine pauses the recording of the IVR part from
// the node's start to its end, keeps its keys as "*" and the variable
// masked in every record of the call (journey, handoff, the agent's
// screen pop), and keeps a lookup's URL in its records with the value
// replaced ([Lookup.Redacted]); a say node that speaks it pauses the
// recording too, and is kept in the records by the variable's name only.
//
// A link whose target is unknown is reported once, where it is: the nodes
// behind it are not reported again as never reached.
//
// testdata/smart-home.yaml is a complete example that uses every node kind
// and most keys; the doc of each node's type shows its keys.
//
// The package is pure: it reads no files, environment or clock, makes no
// network calls (a VersionStore, given by its caller, may) and starts no goroutines; its callers pass in bytes, times and
// variables. It must not import any other package of this module.
package callflow
