package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// The demo's contact centre: the queues the smart-home flow sends callers
// to, agents on the emulator's SIP endpoints, and console users with
// known passwords. The simulated agents are driven here through the
// emulator's scripting API, as phones would be: their endpoints answer a
// few seconds after ringing, and the agent hangs up after a talk time.

// demoQueues are the flow's queues: vip (priority callers, overflowing to
// after-sales), complaints (its own skill; a voice message when nobody is
// logged in) and after-sales (a call-back offered after 40 s).
func demoQueues() []config.Queue {
	vip := config.DefaultQueue()
	vip.Name = "vip"
	vip.Strategy = "skills-by-level"
	vip.Levels = []config.Level{{After: 0, MinLevel: 8}, {After: 20 * time.Second, MinLevel: 1}}
	vip.WrapUp = 5 * time.Second
	vip.MaxWait = 2 * time.Minute
	vip.Overflow = config.Overflow{Action: "queue", Queue: "after-sales"}
	vip.ServiceLevel = 10 * time.Second
	vip.AnnounceEvery = 20 * time.Second
	vip.HandleTimeSeed = 45 * time.Second

	complaints := config.DefaultQueue()
	complaints.Name = "complaints"
	complaints.Skills = []string{"complaints"}
	complaints.WrapUp = 10 * time.Second
	complaints.WhenNoAgents = "overflow"
	complaints.Overflow = config.Overflow{Action: "message"}
	complaints.AnnounceEvery = 30 * time.Second
	complaints.CallbackAfter = time.Minute
	complaints.HandleTimeSeed = time.Minute

	afterSales := config.DefaultQueue()
	afterSales.Name = "after-sales"
	afterSales.Strategy = "round-robin"
	afterSales.WrapUp = 5 * time.Second
	afterSales.MaxLength = 20
	afterSales.Overflow = config.Overflow{Action: "callback"}
	afterSales.KeepArrival = true
	afterSales.AnnounceEvery = 20 * time.Second
	afterSales.CallbackAfter = 40 * time.Second
	afterSales.HandleTimeSeed = 45 * time.Second
	return []config.Queue{vip, complaints, afterSales}
}

// demoAgent is a simulated agent and how it starts the day.
type demoAgent struct {
	config.Agent
	start string // "ready", "not_ready" (on a break), or "logged_out"
}

// demoAgents: 1001 is left logged out for a person to sign in as, on the
// console's browser softphone (WebRTC/1001); the others, on emulated SIP
// phones, take calls from the start but one, who is in training.
var demoAgents = []demoAgent{
	{config.Agent{ID: "1001", Name: "李娜 Li Na", Skills: map[string]int{"zh": 8, "en": 6}}, "logged_out"},
	{config.Agent{ID: "1002", Name: "王伟 Wang Wei", Skills: map[string]int{"zh": 9}}, "ready"},
	{config.Agent{ID: "1003", Name: "张敏 Zhang Min", Skills: map[string]int{"zh": 7, "en": 9}}, "ready"},
	{config.Agent{ID: "1004", Name: "陈杰 Chen Jie", Skills: map[string]int{"zh": 8, "complaints": 8}}, "ready"},
	{config.Agent{ID: "1005", Name: "刘洋 Liu Yang", Skills: map[string]int{"zh": 6, "complaints": 5}}, "ready"},
	{config.Agent{ID: "1006", Name: "赵磊 Zhao Lei", Skills: map[string]int{"zh": 9, "en": 5}, Queues: []string{"vip"}}, "ready"},
	{config.Agent{ID: "1007", Name: "孙丽 Sun Li", Skills: map[string]int{"zh": 7}}, "not_ready"},
}

// person says whether a person plays the agent, on the browser
// softphone; the others are simulated.
func (a demoAgent) person() bool { return a.start == "logged_out" }

// demoLogin is a console user of the demo, with its password.
type demoLogin struct {
	user, password string
	role           console.Role
	agent          string
	device         string // where a supervisor listens in from
}

// demoPassword is every demo user's password; the demo prints it.
const demoPassword = "demo"

var demoLogins = []demoLogin{
	{user: "1001", password: demoPassword, role: console.RoleAgent, agent: "1001"},
	{user: "supervisor", password: demoPassword, role: console.RoleSupervisor, device: acd.SoftphonePrefix + "supervisor"},
	{user: "manager", password: demoPassword, role: console.RoleManager},
	{user: "admin", password: demoPassword, role: console.RoleAdmin, device: "PJSIP/2009"},
}

// demoCentre puts the demo's queues, agents and console users into cfg,
// and adds the agents' SIP endpoints and the trunk that call-backs dial
// out on to the emulator.
func demoCentre(cfg *config.Config, emu *aritest.Server) (*demoFloor, error) {
	cfg.Queues = demoQueues()
	cfg.Callbacks.CallerID = demoNumber
	cfg.Instance.Name = "demo"
	// The person at the softphone runs the browser on this machine.
	cfg.Softphone.ICELoopback = true
	floor := &demoFloor{emu: emu, phones: map[string]*aritest.Endpoint{}}
	for _, a := range demoAgents {
		if a.person() {
			a.Device = acd.SoftphonePrefix + a.ID
			cfg.Agents = append(cfg.Agents, a.Agent)
			continue
		}
		a.Device = "PJSIP/" + a.ID
		cfg.Agents = append(cfg.Agents, a.Agent)
		// Phones answer a few seconds after they ring.
		floor.phones[a.ID] = emu.AddEndpoint("PJSIP", a.ID, aritest.AnswerAfter(time.Duration(2+rand.IntN(3))*time.Second))
	}
	floor.trunk = emu.AddEndpoint("PJSIP", "trunk", aritest.AnswerAfter(4*time.Second))
	for _, l := range demoLogins {
		// The demo prints its passwords for all to see: hashing them at
		// bcrypt's full cost would protect nothing and slow every start.
		hash, err := bcrypt.GenerateFromPassword([]byte(l.password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		cfg.Console.Users = append(cfg.Console.Users, config.User{Name: l.user, Role: string(l.role), Agent: l.agent, Device: l.device, PasswordHash: string(hash)})
		if tech, res, ok := strings.Cut(l.device, "/"); ok && tech+"/" != acd.SoftphonePrefix {
			emu.AddEndpoint(tech, res, aritest.AnswerAfter(2*time.Second)) // the supervisor's phone
		}
	}
	return floor, nil
}

// printLogins writes the console's address and the demo's sign-ins.
func printLogins(w io.Writer, addr string) {
	fmt.Fprintf(w, "  console  http://%s/ in a browser (its JSON API under /api/: sign in with POST /api/login {\"user\":...,\"password\":...})\n", addr)
	for _, l := range demoLogins {
		who := string(l.role)
		if l.device != "" {
			who += " (listens in from " + deviceName(l.device) + ")"
		}
		if l.agent != "" {
			who += " " + l.agent + " (logged out: log in, then ready, on the page, and take calls on its softphone with your microphone and speakers)"
		}
		fmt.Fprintf(w, "           %-11s password %-5s %s\n", l.user, l.password, who)
	}
}

// demoFloor is the simulated agents' phones and the trunk to customers.
type demoFloor struct {
	emu    *aritest.Server
	phones map[string]*aritest.Endpoint // by agent ID
	trunk  *aritest.Endpoint
}

// run starts the agents' day as demoAgents says and answers every call
// their phones and the trunk get, until ctx ends and every call it is
// driving has gone.
func (f *demoFloor) run(ctx context.Context, log *slog.Logger, centre *acd.Service) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, a := range demoAgents {
		if a.start == "logged_out" {
			continue
		}
		err := centre.Login(ctx, a.ID)
		if err == nil && a.start == "ready" {
			err = centre.Ready(ctx, a.ID)
		}
		if err == nil && a.start == "not_ready" {
			err = centre.NotReady(ctx, a.ID, "training")
		}
		if err != nil {
			log.Warn("simulated agent did not start its day", "agent", a.ID, "error", err)
		}
	}
	for _, a := range demoAgents {
		// The person who signs in as an agent takes its calls on the
		// browser softphone; the others are simulated.
		if !a.person() {
			wg.Go(func() { f.answer(ctx, log, centre, a.ID) })
		}
	}
	wg.Go(func() { f.customers(ctx) })
}

// answer takes every call that rings agent's phone: once it is up, the
// agent talks for a while (sometimes putting the caller on hold to check
// something) and hangs up. A simulated agent now and then takes a break
// after a call.
func (f *demoFloor) answer(ctx context.Context, log *slog.Logger, centre *acd.Service, agent string) {
	var wg sync.WaitGroup
	defer wg.Wait()
	phone := f.phones[agent]
	for {
		call, err := phone.NextCall(ctx)
		if err != nil {
			return
		}
		wg.Go(func() {
			// When the demo stops, the agent puts the phone down.
			defer func() { _ = call.Hangup() }() // a no-op once the call ended
			if err := call.WaitState(ctx, "Up"); err != nil {
				return // it rang out, or the caller hung up first
			}
			talk := time.Duration(15+rand.IntN(25)) * time.Second
			log.Debug("simulated agent talking", "agent", agent, "channel", call.ID(), "for", talk)
			if rand.IntN(4) == 0 {
				if !wait(ctx, call, talk/3) {
					return
				}
				if err := centre.Hold(ctx, agent); err == nil {
					wait(ctx, call, 5*time.Second)
					_ = centre.Unhold(ctx, agent)
				}
				talk -= talk / 3
			}
			if !wait(ctx, call, talk) {
				return
			}
			_ = call.Hangup()
			if rand.IntN(6) == 0 {
				f.takeBreak(ctx, log, centre, agent)
			}
		})
	}
}

// takeBreak puts a simulated agent on a short break once its call has
// ended.
func (f *demoFloor) takeBreak(ctx context.Context, log *slog.Logger, centre *acd.Service, agent string) {
	changed, stop := centre.Subscribe()
	defer stop()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for onCall(centre, agent) {
		select {
		case <-changed:
		case <-timeout.C:
			return
		case <-ctx.Done():
			return
		}
	}
	if err := centre.NotReady(ctx, agent, "break"); err != nil {
		log.Debug("simulated agent stays on", "agent", agent, "error", err)
		return
	}
	t := time.NewTimer(time.Duration(20+rand.IntN(20)) * time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
		_ = centre.Ready(ctx, agent)
	}
}

// onCall says whether the agent is still on its call.
func onCall(centre *acd.Service, agent string) bool {
	for _, a := range centre.Snapshot().Agents {
		if a.ID == agent {
			return a.State == queue.OnCall
		}
	}
	return false
}

// wait lets d pass on the call; false when the call ended or ctx did
// first.
func wait(ctx context.Context, call *aritest.Party, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-call.Done():
	case <-ctx.Done():
	}
	return false
}

// customers takes the call-backs dialled out on the trunk: the trunk
// answers by itself, and the customer talks until the agent hangs up, or
// the demo stops.
func (f *demoFloor) customers(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		call, err := f.trunk.NextCall(ctx)
		if err != nil {
			return
		}
		wg.Go(func() {
			select {
			case <-call.Done():
			case <-ctx.Done():
				_ = call.Hangup()
			}
		})
	}
}

// deviceName is a device as the start-up text shows it.
func deviceName(device string) string {
	if strings.HasPrefix(device, acd.SoftphonePrefix) {
		return "the browser softphone"
	}
	return device
}

// agentIDs lists the demo's agents and their phones, for the start-up
// text.
func agentIDs() string {
	var person, simulated []string
	for _, a := range demoAgents {
		if a.person() {
			person = append(person, a.ID)
		} else {
			simulated = append(simulated, a.ID)
		}
	}
	return strings.Join(person, ", ") + " on the browser softphone (you), " + strings.Join(simulated, ", ") + " on emulated phones PJSIP/<id>"
}
