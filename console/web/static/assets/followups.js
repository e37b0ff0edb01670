// Follow-up visits (回访): the agent desktop's panel (the tasks offered to
// the agent or its team, due first; a task's complaint and original
// call; take, call through the server, the result form), the
// supervisors' list of every task, and a complaint's follow-ups on its
// page. Times of the next try are the centre's (the server gives them in
// its time zone).

import { call } from "./api.js";
import { $, failed, flash, h, setAttr, setText } from "./dom.js";
import { dateTime, t } from "./i18n.js";

function label(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

// isSet says whether an RFC 3339 time is set (Go's zero time is not).
function isSet(iso) {
  return !!iso && !iso.startsWith("0001-");
}

// centreTime renders an RFC 3339 time as the wall clock it was written
// in: the server writes the next tries in the centre's time zone.
export function centreTime(iso) {
  if (!isSet(iso)) return "";
  return iso.slice(0, 10) + " " + iso.slice(11, 16);
}

const stateLabel = (st) => label("fu.st." + st, st);
const reasonLabel = (r) => label("fu.reason." + r, r);
const modeLabel = (m) => label("fu.mode." + m, m);
const outcomeLabel = (o) => (o ? label("fu.out." + o, o) : t("fu.out.open"));
const isOpen = (st) => st === "offered" || st === "pending" || st === "dialling";

// resultText sums a task's result up: reached or not, and the note.
function resultText(f) {
  const r = f.result;
  if (!r) return "";
  return (r.reached ? t("fu.reached") : t("fu.notReached")) + (r.note ? ` · ${r.note}` : "");
}

// satisfactionText is the customer's answer: satisfied or not, and the
// scores.
function satisfactionText(f) {
  const r = f.result;
  if (!r || !r.reached) return "";
  const parts = [];
  if (r.satisfied === true) parts.push(t("fu.satisfiedYes"));
  if (r.satisfied === false) parts.push(t("fu.satisfiedNo"));
  const a = r.answers ?? {};
  if (a.product) parts.push(t("fu.productScore", { n: a.product }));
  if (a.service) parts.push(t("fu.serviceScore", { n: a.service }));
  return parts.join(" · ");
}

// triesList is a task's attempts, one item each.
function triesList(f) {
  return h("ol", { class: "fu-tries" },
    ...(f.tries ?? []).map((a) =>
      h("li", { "data-outcome": a.outcome ?? "" },
        `#${a.seq} · ${dateTime(a.started_at)} · ${a.by} · ${outcomeLabel(a.outcome)}` + (a.call_id ? ` · ${a.call_id}` : "")),
    ),
  );
}

// renderComplaintFollowUps draws a complaint's follow-ups on its page:
// each with its state, attempts and result.
export function renderComplaintFollowUps(box, list) {
  box.hidden = !list;
  if (!list) return;
  const rows = list.map((f) =>
    h("tr", { "data-id": f.id, "data-state": f.state },
      h("td", {}, f.id), h("td", {}, modeLabel(f.mode)), h("td", { class: "fu-state" }, stateLabel(f.state)),
      h("td", {}, f.agent || f.team || ""), h("td", {}, triesList(f)),
      h("td", { class: "fu-result" }, resultText(f)), h("td", { class: "fu-satisfaction" }, satisfactionText(f))),
  );
  $("cmp-fu-rows").replaceChildren(...rows);
  $("cmp-fu-none").hidden = list.length > 0;
}

// AgentFollowUps is the desk's panel: the agent's tasks, one task's page,
// and its call followed from the desk's call view.
export class AgentFollowUps {
  constructor(me, complaintLive) {
    this.me = me;
    this.list = null; // null: no follow-ups on this server
    this.zone = "";
    this.task = null; // the task opened, with its complaint
    this.call = null; // the desk's current call
    this.effect = null; // what the last result did: {code, time}
    this.abort = new AbortController();
    const sig = { signal: this.abort.signal };
    $("fu-mine-rows").addEventListener("click", (ev) => {
      const id = ev.target.closest("[data-id]")?.dataset.id;
      if (id) this.open(id);
    }, sig);
    $("fu-take").addEventListener("click", () => this.step("take"), sig);
    $("fu-call").addEventListener("click", () => this.step("dial"), sig);
    $("fu-close").addEventListener("click", () => this.closeTask(), sig);
    $("fu-result-form").addEventListener("submit", (ev) => this.submit(ev), sig);
    $("fu-result-form").addEventListener("change", () => this.renderForm(), sig);
    // The original call's recording (for the roles that hear every one)
    // opens on the review page.
    $("fu-recording").addEventListener("click", () => {
      if (this.task?.recording_id) document.dispatchEvent(new CustomEvent("hotline:review", { detail: { recording: this.task.recording_id } }));
    }, sig);
    $("fu-open-complaint").addEventListener("click", () => {
      if (this.task?.complaint) document.dispatchEvent(new CustomEvent("hotline:complaint", { detail: { id: this.task.complaint.id } }));
    }, sig);
    // A complaint's change may be a follow-up's: read the list again.
    this.unsubscribe = complaintLive.subscribe(() => this.load());
    // New tasks are offered by the service: look for them now and then.
    this.timer = setInterval(() => this.load(), 30000);
    this.load();
  }

  stop() {
    this.abort.abort();
    this.unsubscribe();
    clearInterval(this.timer);
  }

  relabel() {
    this.renderList();
    this.renderTask();
  }

  async load() {
    try {
      const l = await call("GET", "/api/followups?state=offered");
      this.list = l.followups;
      this.zone = l.time_zone;
    } catch (err) {
      if (err.status !== 503) return failed(err);
      this.list = null; // no follow-ups on this server
      clearInterval(this.timer);
    }
    this.renderList();
  }

  renderList() {
    $("agent-followups").hidden = this.list === null;
    const rows = this.list ?? [];
    $("fu-mine-none").hidden = rows.length > 0;
    setText($("fu-mine-next"), t("fu.nextTry", { zone: this.zone }));
    $("fu-mine-rows").replaceChildren(
      ...rows.map((f) =>
        h("tr", { "data-id": f.id, class: "link", "data-taken": f.agent === this.me.agent ? "true" : null },
          h("td", {}, f.id), h("td", {}, reasonLabel(f.reason)), h("td", {}, f.number),
          h("td", {}, f.agent === this.me.agent ? t("fu.taken") : t("fu.offeredTeam", { team: f.team || "" })),
          h("td", {}, centreTime(f.not_before)), h("td", {}, `${f.attempts} / ${f.max_attempts}`)),
      ),
    );
  }

  async open(id) {
    flash("");
    try {
      this.task = await call("GET", "/api/followups/" + encodeURIComponent(id));
    } catch (err) {
      return failed(err);
    }
    this.effect = null;
    $("fu-result-form").reset();
    this.clearErrors();
    this.renderTask();
  }

  closeTask() {
    this.task = null;
    this.renderTask();
  }

  // step takes the task or calls the customer; the answer is the task
  // as it is now.
  async step(action) {
    if (!this.task) return;
    flash("");
    try {
      this.task = await call("POST", `/api/followups/${encodeURIComponent(this.task.id)}/${action}`);
      document.body.dataset.lastFollowUpAction = action; // for tests
    } catch (err) {
      failed(err);
    }
    this.renderTask();
    this.load();
  }

  // update follows the desk's call: the follow-up's call shows its phase.
  update(current) {
    this.call = current;
    this.renderCall();
  }

  // dialled is the call of the task's last attempt by this agent.
  dialled() {
    const tries = this.task?.tries ?? [];
    const last = tries[tries.length - 1];
    return last && last.by === this.me.agent && last.call_id ? last : null;
  }

  // renderCall shows the follow-up's call from the desk's call view:
  // the agent's phone ringing, the customer being dialled, talking; once
  // it is over, the result is asked for.
  renderCall() {
    const el = $("fu-call-state");
    $("fu-call").disabled = !!this.call; // one call at a time
    const a = this.dialled();
    const c = a && this.call?.call_id === a.call_id ? this.call : null;
    const phase = c ? c.phase || "talking" : a && !a.outcome && this.task.state === "offered" ? "ended" : "";
    el.hidden = !phase;
    setAttr(el, "data-phase", phase || null);
    setText(el, phase ? t("fu.phase." + phase) : "");
  }

  renderTask() {
    const f = this.task;
    $("fu-task").hidden = !f;
    if (!f) return;
    setText($("fu-task-title"), t("fu.titleOne", { id: f.id }));
    setText($("fu-task-state"), stateLabel(f.state));
    setAttr($("fu-task"), "data-state", f.state);
    const c = f.complaint;
    const fields = [
      ["reason", t("fu.reason"), reasonLabel(f.reason)],
      ["number", t("fu.number"), f.number],
      ["call", t("fu.originalCall"), f.call_id ?? ""],
      ["attempts", t("fu.attempts"), `${f.attempts} / ${f.max_attempts}`],
      ["next", t("fu.nextTry", { zone: this.zone }), isOpen(f.state) ? centreTime(f.not_before) : ""],
    ];
    if (c) {
      fields.push(
        ["complaint", t("cmp.titleOne", { id: c.id }), label("cmp.st." + c.state, c.state)],
        ["complainant", t("cmp.complainant"), c.complainant],
        ["content", t("cmp.content"), c.content],
        ["wants", t("cmp.wants"), c.wants],
        ["resolution", t("cmp.resolution"), c.resolution],
        ["owner", t("cmp.owner"), c.owner],
      );
    }
    $("fu-task-fields").replaceChildren(...fields.flatMap(([k, name, v]) => [h("dt", {}, name), h("dd", { "data-field": k }, v ?? "")]));
    $("fu-open-complaint").hidden = !c;
    $("fu-recording").hidden = !f.recording_id;
    $("fu-task-history-box").hidden = !c;
    $("fu-task-history").replaceChildren(
      ...(c?.changes ?? []).map((ch) =>
        h("li", { "data-action": ch.action },
          `${dateTime(ch.at)} · ${ch.actor} · ${label("cmp.act." + ch.action, ch.action)}` + (ch.to ? ` · ${label("cmp.st." + ch.to, ch.to)}` : ""),
          ch.note ? h("q", {}, ch.note) : null),
      ),
    );
    $("fu-task-tries").replaceChildren(triesList(f));
    const mine = f.agent === this.me.agent;
    const open = f.state === "offered";
    $("fu-take").hidden = mine || !open;
    $("fu-call").hidden = !mine || !open;
    $("fu-result-form").hidden = !mine || !open || !this.dialled();
    setText($("fu-effect"), this.effect ? t("fu.effect." + this.effect.code, { time: this.effect.time }) : "");
    $("fu-effect").hidden = !this.effect;
    this.renderForm();
    this.renderCall();
  }

  // renderForm shows the customer's answers only when reached.
  renderForm() {
    const reached = $("fu-result-form").reached.value === "yes";
    $("fu-answers").hidden = !reached;
  }

  clearErrors() {
    for (const el of $("fu-result-form").querySelectorAll(".field-error")) {
      el.textContent = "";
      el.hidden = true;
    }
  }

  // fieldError shows the server's refusal at the field it names, when
  // the form has it; else as the page's message.
  fieldError(err) {
    const m = /(?:^|: )(satisfied|note|answers\.product|answers\.service): /.exec(err.message ?? "");
    const el = m && err.status === 400 ? $("fu-err-" + m[1].replace("answers.", "")) : null;
    if (!el) return failed(err);
    el.textContent = label("fu.err." + m[1], err.message);
    el.title = err.message;
    el.hidden = false;
  }

  async submit(ev) {
    ev.preventDefault();
    flash("");
    this.clearErrors();
    const f = ev.target;
    const body = { reached: f.reached.value === "yes" };
    if (body.reached) {
      if (f.satisfied.value) body.satisfied = f.satisfied.value === "yes";
      const answers = {};
      if (f.product.value) answers.product = f.product.value;
      if (f.service.value) answers.service = f.service.value;
      if (Object.keys(answers).length) body.answers = answers;
    }
    const note = f.note.value.trim();
    if (note) body.note = note;
    try {
      this.task = await call("POST", `/api/followups/${encodeURIComponent(this.task.id)}/result`, body);
    } catch (err) {
      return this.fieldError(err);
    }
    this.effect = { code: this.task.effect, time: centreTime(this.task.not_before) };
    f.reset();
    this.renderTask();
    this.load();
  }
}

// FollowUpsPage is the supervisors' list of every task.
export class FollowUpsPage {
  constructor(me, complaintLive) {
    this.me = me;
    this.list = [];
    this.zone = "";
    this.abort = new AbortController();
    const sig = { signal: this.abort.signal };
    $("fu-filter").addEventListener("change", () => this.load(), sig);
    $("fu-list").addEventListener("click", (ev) => {
      const id = ev.target.closest("[data-complaint]")?.dataset.complaint;
      if (id) document.dispatchEvent(new CustomEvent("hotline:complaint", { detail: { id } }));
    }, sig);
    this.unsubscribe = complaintLive.subscribe(() => this.load());
    this.load();
  }

  stop() {
    this.abort.abort();
    this.unsubscribe();
  }

  relabel() {
    this.render();
  }

  shown() {
    this.load();
  }

  async load() {
    const filter = $("fu-filter").value;
    const q = filter === "open" ? "?state=offered,pending,dialling" : filter ? "?state=" + filter : "";
    try {
      const l = await call("GET", "/api/followups" + q + (q ? "&" : "?") + "limit=500");
      this.list = l.followups;
      this.zone = l.time_zone;
    } catch (err) {
      if (err.status === 503) return document.dispatchEvent(new Event("hotline:no-followups"));
      failed(err);
    }
    this.render();
  }

  render() {
    setText($("fu-list-next"), t("fu.nextTry", { zone: this.zone }));
    $("fu-list-none").hidden = this.list.length > 0;
    $("fu-list").tBodies[0].replaceChildren(
      ...this.list.map((f) =>
        h("tr", { "data-id": f.id, "data-state": f.state },
          h("td", {}, f.id), h("td", {}, reasonLabel(f.reason)),
          h("td", {}, f.complaint_id ? h("button", { type: "button", class: "linklike", "data-complaint": f.complaint_id }, f.complaint_id) : ""),
          h("td", {}, f.number), h("td", {}, modeLabel(f.mode)), h("td", { class: "fu-state" }, stateLabel(f.state)),
          h("td", {}, f.agent || f.team || ""), h("td", {}, `${f.attempts} / ${f.max_attempts}`),
          h("td", { class: "fu-next" }, isOpen(f.state) ? centreTime(f.not_before) : ""),
          h("td", { class: "fu-result" }, resultText(f)), h("td", { class: "fu-satisfaction" }, satisfactionText(f))),
      ),
    );
  }
}
