// The supervisors' wallboard: the queues and the agents, live from the
// event stream. Each queue and agent has one row, kept by its key and
// changed cell by cell, so a snapshot of 500 agents costs only the cells
// that changed; snapshots arriving faster than frames are drawn once per
// frame, the newest.

import { call } from "./api.js";
import { $, failed, flash, h, setAttr, setText } from "./dom.js";
import { duration, percent, t } from "./i18n.js";

const modes = ["listen", "whisper", "barge"];
const connectedPhases = new Set(["talking", "held"]);

// stats is what the browser tests read: how many frames were drawn and
// how long the last took.
const stats = { renders: 0, lastMs: 0, maxMs: 0 };
window.hotlineBoard = stats;

export class Board {
  constructor(me, live) {
    this.me = me;
    this.live = live;
    this.canSupervise = me.role === "supervisor" || me.role === "admin";
    this.queueRows = new Map(); // name -> {tr, cells}
    this.agentRows = new Map(); // id -> {tr, cells, buttons, agent}
    this.queueOrder = "";
    this.agentOrder = "";
    this.pending = null;
    this.frame = 0;
    this.session = null; // {session, agent, mode}
    this.abort = new AbortController();
    const signal = this.abort.signal;
    $("board").classList.toggle("no-supervise", !this.canSupervise);
    $("queues").tBodies[0].replaceChildren();
    $("agents").tBodies[0].replaceChildren();
    $("agents").tBodies[0].addEventListener("click", (ev) => this.supervise(ev), { signal });
    $("sup-bar").addEventListener("click", (ev) => this.switchMode(ev), { signal });
    $("sup-end").addEventListener("click", () => this.endSupervision(), { signal });
    this.unsubscribe = live.subscribe((snap) => this.schedule(snap));
    this.timer = setInterval(() => this.tick(), 1000);
    this.showSession();
  }

  stop() {
    this.abort.abort();
    this.unsubscribe();
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
  }

  relabel() {
    for (const row of this.agentRows.values()) this.agentRow(row, row.agent, row.call, true);
    if (this.live.last) this.render(this.live.last);
    this.showSession();
  }

  schedule(snap) {
    this.pending = snap;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    const snap = this.pending;
    this.pending = null;
    if (!snap) return;
    const t0 = performance.now();
    this.render(snap);
    const ms = performance.now() - t0;
    stats.renders++;
    stats.lastMs = ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
    document.body.dataset.boardRenders = String(stats.renders);
  }

  render(snap) {
    this.renderQueues(snap.queues);
    const calls = new Map();
    for (const c of snap.calls) if (c.agent) calls.set(c.agent, c);
    const aBody = $("agents").tBodies[0];
    const seenA = new Set();
    for (const a of snap.agents) {
      seenA.add(a.id);
      let row = this.agentRows.get(a.id);
      if (!row) {
        row = this.newAgentRow(a.id);
        this.agentRows.set(a.id, row);
      }
      row.received = performance.now();
      this.agentRow(row, a, calls.get(a.id) ?? null, false);
    }
    this.order(aBody, this.agentRows, seenA, snap.agents.map((a) => a.id), "agentOrder");
  }

  // renderQueues draws the queues' rows and says which day their totals
  // are: today in the centre's time zone, from its midnight or from the
  // server's start.
  renderQueues(queues) {
    const qBody = $("queues").tBodies[0];
    const seenQ = new Set();
    for (const q of queues) {
      seenQ.add(q.name);
      let row = this.queueRows.get(q.name);
      if (!row) {
        row = { cells: Array.from({ length: 9 }, () => h("td")) };
        row.tr = h("tr", { "data-queue": q.name }, row.cells);
        this.queueRows.set(q.name, row);
      }
      const c = row.cells;
      setText(c[0], q.name);
      setText(c[1], q.waiting);
      setText(c[2], duration(q.longest_wait_seconds));
      setText(c[3], percent(q.service_level));
      setText(c[4], percent(q.abandon_rate));
      setText(c[5], q.answered);
      setText(c[6], q.abandoned);
      setText(c[7], `${q.ready} / ${q.logged_in}`);
      setText(c[8], duration(q.aht_seconds));
      setAttr(row.tr, "data-waiting", q.waiting > 0 ? "yes" : null);
    }
    this.order(qBody, this.queueRows, seenQ, queues.map((q) => q.name), "queueOrder");
    const q = queues[0];
    if (!q?.day || !q.since) return;
    const when = { day: q.day, time: q.since.slice(11, 16) };
    const whole = q.since.startsWith(q.day + "T00:00:00");
    setText($("board").querySelector("h2 small"), whole ? t("board.today", when) : t("board.todaySince", when));
    const offset = /([+-]\d\d:\d\d|Z)$/.exec(q.since)?.[1] ?? "Z";
    const end = Date.parse(`${q.day}T00:00:00${offset}`) + 864e5;
    if (!(end <= this.dayEnd)) {
      this.dayEnd = this.dayAsk = end;
      this.dayRetry = 6e4;
    }
  }

  // newDay asks for the queues once the centre's day is over (no event
  // may come for a while at night, and a new day's totals start at 0);
  // while the server's day is not over (another clock), it asks again
  // after a minute, then less and less often.
  async newDay() {
    if (this.dayCheck) return;
    this.dayCheck = true;
    try {
      this.renderQueues((await call("GET", "/api/queues")).queues);
    } catch {
      // The stream's next snapshot will do.
    } finally {
      if (this.dayAsk <= Date.now()) {
        this.dayAsk = Date.now() + this.dayRetry;
        this.dayRetry = Math.min(2 * this.dayRetry, 36e5);
      }
      this.dayCheck = false;
    }
  }

  // order drops the rows no longer there and puts the rows in the
  // snapshot's order, only when the set of keys changed.
  order(body, rows, seen, keys, field) {
    const key = keys.join("\n");
    if (key === this[field]) return;
    this[field] = key;
    for (const [k, row] of rows) {
      if (!seen.has(k)) {
        row.tr.remove();
        rows.delete(k);
      }
    }
    body.append(...keys.map((k) => rows.get(k).tr));
  }

  newAgentRow(id) {
    const cells = Array.from({ length: 8 }, () => h("td"));
    const buttons = modes.map((m) => h("button", { type: "button", "data-mode": m, "data-agent": id }));
    cells[7].append(...buttons);
    cells[7].className = "sup-col";
    return { tr: h("tr", { "data-agent": id }, cells), cells, buttons, agent: null, call: null, received: 0 };
  }

  // agentRow updates row's cells from a and its call c; labels redraws
  // the text that depends on the language only.
  agentRow(row, a, c, labels) {
    const cl = row.cells;
    const prev = row.agent;
    row.agent = a;
    row.call = c;
    if (labels || !prev) {
      for (let i = 0; i < modes.length; i++) setText(row.buttons[i], t("sup." + modes[i]));
    }
    setText(cl[0], a.id);
    setText(cl[1], a.name);
    setAttr(row.tr, "data-state", a.state);
    setText(cl[2], t("state." + a.state) + (a.state === "not_ready" && a.reason ? ` (${reasonText(a.reason)})` : ""));
    setText(cl[3], a.since ? duration(a.in_state_seconds) : "");
    setText(cl[4], a.queue ?? "");
    setText(cl[5], c ? `${c.caller} · ${t("phase." + (c.phase || "talking"))}` : "");
    setText(cl[6], a.answered);
    const can = this.canSupervise && !!this.me.device && !!c && connectedPhases.has(c.phase || "talking");
    for (const b of row.buttons) {
      if (b.disabled === can) b.disabled = !can;
    }
    setAttr(cl[7], "title", this.canSupervise && !this.me.device ? t("sup.noDevice") : null);
  }

  // tick counts each agent's time in state on between snapshots, and
  // notices the end of the centre's day.
  tick() {
    if (this.dayAsk && Date.now() >= this.dayAsk) this.newDay();
    const now = performance.now();
    for (const row of this.agentRows.values()) {
      const a = row.agent;
      if (a?.since) setText(row.cells[3], duration(a.in_state_seconds + (now - row.received) / 1000));
    }
  }

  async supervise(ev) {
    const b = ev.target.closest("button[data-mode]");
    if (!b) return;
    flash("");
    try {
      if (this.session) await call("DELETE", `/api/supervision/${encodeURIComponent(this.session.session)}`).catch(() => {});
      const s = await call("POST", `/api/agents/${encodeURIComponent(b.dataset.agent)}/supervise`, { mode: b.dataset.mode });
      this.session = s;
    } catch (err) {
      this.session = null;
      failed(err);
    }
    this.showSession();
  }

  async switchMode(ev) {
    const mode = ev.target.closest("button[data-sup-switch]")?.dataset.supSwitch;
    if (!mode || !this.session) return;
    flash("");
    try {
      await call("POST", `/api/supervision/${encodeURIComponent(this.session.session)}`, { mode });
      this.session.mode = mode;
    } catch (err) {
      failed(err);
    }
    this.showSession();
  }

  async endSupervision() {
    if (!this.session) return;
    flash("");
    try {
      await call("DELETE", `/api/supervision/${encodeURIComponent(this.session.session)}`);
    } catch (err) {
      if (err.status !== 404) failed(err); // 404: it had ended already
    }
    this.session = null;
    this.showSession();
  }

  showSession() {
    const s = this.session;
    $("sup-bar").hidden = !s;
    if (!s) return;
    setText($("sup-text"), t("sup.active", { mode: t("sup." + s.mode), agent: s.agent, session: s.session }));
    for (const b of $("sup-bar").querySelectorAll("[data-sup-switch]")) b.disabled = b.dataset.supSwitch === s.mode;
  }
}

function reasonText(r) {
  const key = "reason." + r;
  const s = t(key);
  return s === key ? r : s;
}
