// The agent desktop: the agent's state, always visible, the actions on
// it, and the current call from the event stream with hold, transfer and
// the recording's pause for card data. The phone's controls (answer,
// reject, mute, keypad, hang-up) are the Softphone's, in #softphone.

import { agentPath, call } from "./api.js";
import { $, failed, flash, h, setAttr, setText } from "./dom.js";
import { dateTime, duration, language, outcome, t } from "./i18n.js";
import { Softphone } from "./softphone.js";
import { AgentComplaints } from "./complaints.js";
import { AgentFollowUps } from "./followups.js";

// connectedPhases are those in which the call can be held, transferred
// or listened to.
const connectedPhases = new Set(["talking", "held"]);
// reasons are the not-ready reasons the page offers or the center sets;
// another (a supervisor's own words) is shown as it is.
const reasons = new Set(["break", "meal", "meeting", "training", "coaching", "admin", "login", "missed", "lost"]);

export class AgentDesk {
  constructor(me, live, complaintLive) {
    this.me = me;
    this.live = live;
    this.lastCallView = null; // the last call seen, for a complaint in wrap-up
    this.agent = null; // the AgentView
    this.call = null; // the acd.CallView
    this.at = null; // the snapshot's time
    this.agentAt = 0; // when this.agent came (performance.now())
    this.queues = "";
    this.pciPaused = false;
    this.pciCall = "";
    this.abort = new AbortController();
    const on = (id, f) => $(id).addEventListener("click", f, { signal: this.abort.signal });
    $("agent-actions").addEventListener("click", (ev) => this.stateAction(ev), { signal: this.abort.signal });
    on("hold", () => this.act("hold"));
    on("unhold", () => this.act("unhold"));
    on("survey", () => this.act("survey"));
    on("xfer-queue-go", () => this.act("transfer", { queue: $("xfer-queue").value }));
    on("xfer-agent-go", () => this.act("transfer", { agent: $("xfer-agent").value.trim() }));
    on("pci-pause", () => this.pci("pause"));
    on("pci-resume", () => this.pci("resume"));
    $("phrases").addEventListener("click", (ev) => this.phrase(ev), { signal: this.abort.signal });
    $("dispo-form").addEventListener("submit", (ev) => this.dispose(ev), { signal: this.abort.signal });
    this.phrases = [];
    this.dispositions = null; // null: none on this server
    this.disposedCall = "";
    this.lastCall = "";
    this.history = null; // the screen pop's earlier calls of this.historyCall
    this.historyCall = "";
    this.day = null;
    this.dayState = "";
    this.phone = new Softphone($("softphone"), {
      agent: me.agent,
      act: (action, body) => this.act(action, body),
      now: () => (this.at ? Date.parse(this.at) + this.live.elapsed() * 1000 : Date.now()),
    });
    // The event stream back after a break: the server may have restarted,
    // and the phone's connection with it.
    let down = false;
    live.onStatus((up) => {
      if (!up) down = true;
      else if (down) {
        down = false;
        this.phone.reconnectIfDown();
      }
    });
    this.complaints = me.agent ? new AgentComplaints(me, complaintLive) : null;
    this.followups = me.agent ? new AgentFollowUps(me, complaintLive) : null;
    this.loadLists();
    this.unsubscribe = live.subscribe((snap) => this.snapshot(snap));
    this.timer = setInterval(() => this.tick(), 1000);
    $("agent-none").hidden = !!me.agent;
    $("agent-actions").hidden = !me.agent;
    this.render();
  }

  stop() {
    this.complaints?.stop();
    this.followups?.stop();
    this.phone.stop();
    this.abort.abort();
    this.unsubscribe();
    clearInterval(this.timer);
  }

  relabel() {
    this.complaints?.relabel();
    this.followups?.relabel();
    this.phone.relabel();
    this.drawLists();
    this.renderHistory();
    this.renderDay();
    this.render();
  }

  // loadLists reads the scripted phrases and the disposition codes; a
  // server without them (503) shows none.
  async loadLists() {
    const [phrases, dispositions] = await Promise.allSettled([call("GET", "/api/phrases"), call("GET", "/api/dispositions")]);
    this.phrases = phrases.status === "fulfilled" ? phrases.value.phrases : [];
    this.dispositions = dispositions.status === "fulfilled" ? dispositions.value.dispositions : null;
    this.drawLists();
    this.render();
  }

  // loadHistory reads the caller's earlier calls for the call's screen
  // pop, once per call; a server without them shows none.
  async loadHistory(callID) {
    this.historyCall = callID;
    this.history = null;
    try {
      const pop = await call("GET", agentPath(this.me.agent, "screen-pop"));
      if (pop.call.call_id === this.historyCall) this.history = pop.history;
    } catch {
      // 503: no call records here; 404: the call is already over
    }
    this.renderHistory();
  }

  renderHistory() {
    const rows = this.history ?? [];
    $("history").hidden = this.history === null;
    $("history-none").hidden = rows.length > 0;
    $("history-rows").replaceChildren(
      ...rows.map((p) =>
        h("tr", { "data-call": p.call_id },
          h("td", {}, dateTime(p.arrived_at)), h("td", {}, p.hotline), h("td", {}, p.queue ?? ""),
          h("td", {}, outcome(p.outcome)), h("td", {}, p.agent ?? ""), h("td", {}, p.disposition ?? ""), h("td", {}, p.csat || "")),
      ),
    );
  }

  // loadDay reads the agent's own day: at sign-in and after each call.
  async loadDay() {
    try {
      this.day = await call("GET", agentPath(this.me.agent, "today"));
    } catch {
      this.day = null; // no call records on this server
    }
    this.renderDay();
  }

  renderDay() {
    const d = this.day;
    $("today").hidden = !d;
    if (d) setText($("today"), t("today.line", { answered: d.answered, aht: duration(d.handle_time_seconds), csat: d.csat_answers ? d.csat.toFixed(1) : "–" }));
  }

  drawLists() {
    $("phrases").replaceChildren(
      ...this.phrases.map((p) => h("button", { type: "button", "data-phrase": p.name, class: p.ends_call ? "ends" : null }, label("phrase." + p.name, p.name))),
    );
    const select = $("dispo-code");
    const chosen = select.value;
    const groups = new Map();
    for (const d of this.dispositions ?? []) {
      if (!groups.has(d.kind)) groups.set(d.kind, h("optgroup", { label: label("dispo." + d.kind, d.kind) }));
      groups.get(d.kind).append(h("option", { value: d.code }, language() === "zh" ? d.zh : d.en));
    }
    select.replaceChildren(...groups.values());
    if (chosen) select.value = chosen;
  }

  async phrase(ev) {
    const name = ev.target.closest("button[data-phrase]")?.dataset.phrase;
    if (name) await this.act("phrase", { phrase: name });
  }

  async dispose(ev) {
    ev.preventDefault();
    flash("");
    const callID = this.call?.call_id ?? this.lastCall;
    try {
      await call("POST", agentPath(this.me.agent, "disposition"), { code: $("dispo-code").value, note: $("dispo-note").value.trim() });
      this.disposedCall = callID;
      this.render();
    } catch (err) {
      failed(err);
    }
  }

  snapshot(snap) {
    this.at = snap.at;
    this.agent = snap.agents.find((a) => a.id === this.me.agent) ?? null;
    this.agentAt = performance.now();
    const mine = snap.calls.filter((c) => c.agent === this.me.agent);
    this.call = mine.find((c) => c.call_id === this.agent?.call_id) ?? mine[0] ?? null;
    const names = snap.queues.map((q) => q.name);
    if (names.join("\n") !== this.queues) {
      this.queues = names.join("\n");
      $("xfer-queue").replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    }
    this.render();
  }

  // stateAction runs the state button clicked.
  async stateAction(ev) {
    const act = ev.target.closest("button")?.dataset.act;
    if (!act) return;
    await this.act(act, act === "not-ready" ? { reason: $("nr-reason").value } : undefined);
  }

  // act posts an action on the agent; its answer is the agent as it is
  // now, shown at once (the stream follows).
  async act(action, body) {
    flash("");
    try {
      const a = await call("POST", agentPath(this.me.agent, action), body);
      document.body.dataset.lastAction = action; // the last action answered, for tests
      this.agent = a;
      this.agentAt = performance.now();
      if (a.call) this.call = a.call;
      else if (!a.call_id) this.call = null;
      this.render();
    } catch (err) {
      failed(err);
    }
  }

  async pci(what) {
    flash("");
    try {
      const v = await call("POST", agentPath(this.me.agent, "recording/" + what), { reason: t("call.pciReason") });
      this.pciPaused = v.recording === "paused";
      this.pciCall = this.call?.call_id ?? "";
      this.render();
    } catch (err) {
      failed(err);
    }
  }

  // render draws everything from the last state.
  render() {
    const a = this.agent;
    const state = a?.state ?? "logged_out";
    setAttr($("agent-state"), "data-state", state);
    setText($("state-label"), t("state." + state));
    const reason = state === "not_ready" && a?.reason ? (reasons.has(a.reason) ? t("reason." + a.reason) : a.reason) : "";
    setText($("state-reason"), reason);
    for (const b of $("agent-actions").querySelectorAll("button")) b.disabled = !allowed(b.dataset.act, state);
    this.renderCall();
    if (this.agent) this.phone.update(this.agent.device, this.call);
    if (this.me.agent && state !== this.dayState) {
      // The day's figures change as calls end: read them again on each
      // change of state (sign-in included).
      this.dayState = state;
      this.loadDay();
    }
    if (this.call && this.call.call_id !== this.historyCall) this.loadHistory(this.call.call_id);
    // The disposition: during the call and its wrap-up.
    if (this.call && this.call.call_id !== this.lastCall) {
      this.lastCall = this.call.call_id;
      $("dispo-note").value = "";
    }
    if (this.call) this.lastCallView = this.call;
    this.complaints?.update(this.call, this.lastCallView, state);
    this.followups?.update(this.call);
    $("dispo-form").hidden = !this.dispositions?.length || !(this.call || state === "wrap_up");
    $("dispo-saved").hidden = this.disposedCall === "" || this.disposedCall !== (this.call?.call_id ?? this.lastCall);
    this.tick();
  }

  renderCall() {
    const c = this.call;
    $("no-call").hidden = !!c;
    $("call").hidden = !c;
    if (!c) return;
    if (this.pciCall !== c.call_id) this.pciPaused = false;
    const phase = c.phase || "talking";
    setAttr($("call-phase"), "data-phase", phase);
    setText($("call-phase"), t("call.phase") + ": " + t("phase." + phase) + (c.callback ? " · " + t("call.callback") : ""));
    setText($("call-caller"), c.caller);
    setText($("call-hotline"), c.hotline);
    setText($("call-queue"), c.queue);
    setText($("call-path"), c.path.join(" › "));
    setText($("call-vars"), Object.entries(c.vars).map(([k, v]) => `${k}: ${v}`).join("; "));
    setText($("call-language"), c.language ? t("lang." + c.language) : "");
    const connected = connectedPhases.has(phase);
    $("call-wait-hint").hidden = connected;
    $("hold").hidden = phase === "held";
    $("unhold").hidden = phase !== "held";
    for (const id of ["hold", "unhold", "survey", "xfer-queue-go", "xfer-agent-go", "pci-pause", "pci-resume"]) $(id).disabled = !connected;
    for (const b of $("phrases").querySelectorAll("button")) b.disabled = !connected;
    $("pci-pause").hidden = this.pciPaused;
    $("pci-resume").hidden = !this.pciPaused;
    $("pci-state").hidden = !this.pciPaused;
  }

  // tick counts the timers on between snapshots.
  tick() {
    const a = this.agent;
    const e = (performance.now() - this.agentAt) / 1000;
    let timer = "";
    if (a?.state === "wrap_up" && a.wrap_up_left_seconds) {
      timer = t("state.wrapLeft", { time: duration(a.wrap_up_left_seconds - e, true) });
    } else if (a?.since) {
      timer = t("state.in", { time: duration(a.in_state_seconds + e) });
    }
    setText($("state-timer"), timer);
    this.phone.tick();
    const c = this.call;
    if (c && this.at) {
      const end = c.answered ? Date.parse(c.answered) : Date.parse(this.at) + this.live.elapsed() * 1000;
      setText($("call-wait"), duration((end - Date.parse(c.arrived)) / 1000));
    }
  }
}

// label is key's text, or fallback when i18n.js has none (a name the
// server added since).
function label(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

// allowed says whether the state button act makes sense in state; the
// server has the last word.
function allowed(act, state) {
  switch (act) {
    case "login":
      return state === "logged_out";
    case "ready":
      return state === "not_ready" || state === "wrap_up";
    case "not-ready":
      return state === "ready" || state === "not_ready" || state === "wrap_up";
    case "wrap-up/end":
      return state === "wrap_up";
    case "logout":
      return state === "ready" || state === "not_ready";
  }
  return false;
}
