// Complaints: their live events, the agent desktop's complaint form with
// the agent's own complaints and the caller's open ones (screen pop),
// and the complaints page: the list, the overdue first with a countdown
// to each deadline (24 h to resolve, 3 days to answer feedback), and a
// complaint's page with its history, its voice message (one the IVR took
// down) and the workflow's buttons. A complaint the IVR took down is
// nobody's until someone takes it (待认领, 首问负责制): the lists and its
// page offer the take.

import { agentPath, call } from "./api.js";
import { $, failed, flash, h, setAttr, setText } from "./dom.js";
import { dateTime, duration, language, t } from "./i18n.js";
import { renderComplaintFollowUps } from "./followups.js";

// ComplaintLive is GET /api/complaints/stream: it calls each listener
// with every event ({id, kind}); EventSource reconnects by itself, and a
// reconnection is an event too ("resync": read everything again).
export class ComplaintLive {
  constructor() {
    this.listeners = new Set();
    this.source = null;
    this.stopped = false;
    this.retry = 0;
  }
  start() {
    if (this.source) return;
    this.stopped = false;
    const src = new EventSource("/api/complaints/stream");
    this.source = src;
    let opened = false;
    src.addEventListener("complaint", (ev) => this.emit(JSON.parse(ev.data)));
    src.addEventListener("open", () => {
      if (opened) this.emit({ kind: "resync" });
      opened = true;
    });
    // EventSource gives up on an answer other than 200 (a proxy's 502
    // while the server restarts): try again a little later. A session
    // that ended is the main stream's to notice.
    src.addEventListener("error", () => {
      if (src.readyState !== EventSource.CLOSED || this.source !== src) return;
      this.source = null;
      this.retry = setTimeout(() => {
        if (!this.stopped) {
          this.start();
          this.emit({ kind: "resync" });
        }
      }, 3000);
    });
  }
  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
  }
  emit(ev) {
    for (const f of this.listeners) f(ev);
  }
  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

// isSet says whether an RFC 3339 time is set (Go's zero time is not).
function isSet(iso) {
  return !!iso && !iso.startsWith("0001-");
}

// runningDue is the complaint's running clock's deadline (ms), or null.
function runningDue(c) {
  if (isSet(c.resolve_due)) return Date.parse(c.resolve_due);
  if (isSet(c.feedback_due)) return Date.parse(c.feedback_due);
  return null;
}

// ServerClock counts the server's time on from a list's "at".
class ServerClock {
  constructor() {
    this.offset = 0;
  }
  set(at) {
    this.offset = Date.parse(at) - Date.now();
  }
  now() {
    return Date.now() + this.offset;
  }
}

// countdown renders the time left to c's deadline, or past it; "" when
// no clock runs.
function countdown(c, now) {
  const due = runningDue(c);
  if (due === null) return { text: "", over: false };
  const left = (due - now) / 1000;
  if (left >= 0) return { text: t("cmp.left", { time: duration(left, true) }), over: false };
  return { text: t("cmp.over", { time: duration(-left) }), over: true };
}

// Categories are the complaint categories of the dispositions, by code.
class Categories {
  constructor() {
    this.list = [];
  }
  async load() {
    try {
      const d = await call("GET", "/api/dispositions");
      this.list = d.dispositions.filter((x) => x.kind === "complaint");
    } catch {
      this.list = [];
    }
  }
  name(code) {
    const d = this.list.find((x) => x.code === code);
    return d ? (language() === "zh" ? d.zh : d.en) : code;
  }
}

function stateLabel(st) {
  return label("cmp.st." + st, st);
}

// actionLabel names a step of a complaint's history; one the page does
// not know is shown as it is.
function actionLabel(a) {
  return label("cmp.act." + a, a);
}

function label(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

// unowned says whether nobody owns c yet (one the IVR took down, until
// someone takes it: 待认领).
function unowned(c) {
  return !c.owner;
}

// unclaimed is the mark of an unowned complaint in a list, with its take
// button (data-cmp-take).
function unclaimed(c) {
  return [
    h("span", { class: "badge unclaimed" }, t("cmp.unclaimed")),
    h("button", { type: "button", class: "cmp-take", "data-cmp-take": c.id }, t("cmp.act.take")),
  ];
}

// take takes complaint id: it is the user's for good. A take that came
// after another's is refused, naming the owner (shown). It answers the
// complaint, or null.
async function take(id) {
  flash("");
  try {
    const c = await call("POST", `/api/complaints/${encodeURIComponent(id)}/take`, {});
    document.body.dataset.lastComplaintAction = "take"; // for tests
    return c;
  } catch (err) {
    failed(err);
    return null;
  }
}

// rowClick takes the complaint whose take button was clicked (then calls
// after), or opens the complaint of the row clicked.
async function rowClick(ev, after) {
  const b = ev.target.closest("button[data-cmp-take]");
  if (!b) return open(ev);
  b.disabled = true;
  await take(b.dataset.cmpTake);
  await after();
}

// AgentComplaints is the agent desktop's part: the form, the agent's own
// complaints, and the caller's open complaints in the screen pop.
export class AgentComplaints {
  constructor(me, live) {
    this.me = me;
    this.live = live;
    this.clock = new ServerClock();
    this.categories = new Categories();
    this.mine = null; // the agent's complaints; null: none on this server
    this.call = null; // the call the form is for (current or last)
    this.formCall = "";
    this.popCall = "";
    this.pop = null;
    this.abort = new AbortController();
    $("cmp-form").addEventListener("submit", (ev) => this.submit(ev), { signal: this.abort.signal });
    $("my-complaints-rows").addEventListener("click", (ev) => rowClick(ev, () => this.loadMine()), { signal: this.abort.signal });
    $("caller-complaints-rows").addEventListener("click", (ev) => open(ev), { signal: this.abort.signal });
    this.unsubscribe = live.subscribe(() => {
      this.loadMine();
      if (this.popCall) this.loadPop(this.popCall);
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.init();
  }

  async init() {
    await this.categories.load();
    this.drawCategories();
    await this.loadMine();
  }

  stop() {
    this.abort.abort();
    this.unsubscribe();
    clearInterval(this.timer);
  }

  relabel() {
    this.drawCategories();
    this.renderMine();
    this.renderPop();
    this.renderFor();
  }

  drawCategories() {
    const select = $("cmp-category");
    const chosen = select.value;
    select.replaceChildren(...this.categories.list.map((d) => h("option", { value: d.code }, this.categories.name(d.code))));
    if (chosen) select.value = chosen;
  }

  async loadMine() {
    try {
      const list = await call("GET", "/api/complaints");
      this.clock.set(list.at);
      this.mine = list.complaints;
      this.live.start(); // the server has complaints: follow them
    } catch {
      this.mine = null; // 503: no complaints on this server
    }
    this.renderMine();
  }

  renderMine() {
    $("agent-complaints").hidden = this.mine === null;
    $("cmp-form").hidden = this.mine === null || !this.call;
    const rows = this.mine ?? [];
    $("my-complaints-none").hidden = rows.length > 0;
    $("my-complaints-rows").replaceChildren(
      ...rows.map((c) =>
        h("tr", { "data-id": c.id, class: "link", "data-unowned": unowned(c) },
          h("td", {}, c.id), h("td", {}, c.complainant), h("td", {}, this.categories.name(c.category)),
          h("td", { class: "cmp-st" }, stateLabel(c.state), unowned(c) ? unclaimed(c) : null),
          h("td", { class: "cmp-due", "data-due": runningDue(c) ?? "" }, "")),
      ),
    );
    this.tick();
  }

  // update follows the desk: the agent's call (or, in wrap-up, the last
  // it took: lastCall).
  update(current, lastCall, state) {
    const c = current ?? (state === "wrap_up" ? lastCall : null);
    this.call = c;
    $("cmp-form").hidden = this.mine === null || !c;
    if (c && c.call_id !== this.formCall) {
      this.formCall = c.call_id;
      $("cmp-form").reset();
      $("cmp-contact").value = c.caller;
      $("cmp-saved").hidden = true;
    }
    this.renderFor();
    if (current && current.call_id !== this.popCall) this.loadPop(current.call_id);
    if (!current && this.popCall) {
      this.popCall = "";
      this.pop = null;
      this.renderPop();
    }
  }

  renderFor() {
    const c = this.call;
    setText($("cmp-for"), c ? t("cmp.forCall", { call: c.call_id, hotline: c.hotline }) : "");
    setText($("cmp-time"), dateTime(new Date(this.clock.now()).toISOString()));
  }

  async loadPop(callID) {
    this.popCall = callID;
    try {
      const list = await call("GET", agentPath(this.me.agent, "caller-complaints"));
      if (this.popCall === callID) this.pop = list.complaints;
    } catch {
      this.pop = null;
    }
    this.renderPop();
  }

  renderPop() {
    const rows = this.pop ?? [];
    $("caller-complaints").hidden = rows.length === 0;
    $("caller-complaints-rows").replaceChildren(
      ...rows.map((c) => {
        const line = `${c.id} · ${this.categories.name(c.category)} · ${stateLabel(c.state)} · ${dateTime(c.registered_at)}`;
        // Another agent's complaint is shown (the caller has it open) but
        // not opened: it is that agent's to read.
        if (this.me.role === "agent" && c.owner !== "" && c.owner !== this.me.agent) {
          return h("li", { class: "muted", "data-owner": c.owner }, `${line} · ${t("cmp.owner")} ${c.owner}`);
        }
        return h("li", { "data-id": c.id, class: "link" }, line);
      }),
    );
  }

  async submit(ev) {
    ev.preventDefault();
    flash("");
    const f = ev.target;
    const body = {
      call_id: this.call?.call_id,
      complainant: f.complainant.value.trim(),
      contact: f.contact.value.trim(),
      content: f.content.value.trim(),
      category: f.category.value,
      wants: f.wants.value.trim(),
      team: f.team.value.trim(),
    };
    try {
      const c = await call("POST", "/api/complaints", body);
      $("cmp-saved").hidden = false;
      setText($("cmp-saved"), t("cmp.saved", { id: c.id }));
      f.content.value = "";
      f.wants.value = "";
      await this.loadMine();
    } catch (err) {
      failed(err);
    }
  }

  tick() {
    setText($("cmp-time"), dateTime(new Date(this.clock.now()).toISOString()));
    tickDue($("my-complaints-rows"), this.clock.now());
  }
}

// tickDue redraws the countdowns of a table's rows.
function tickDue(root, now) {
  for (const td of root.querySelectorAll("[data-due]")) {
    const due = td.dataset.due;
    if (!due) {
      setText(td, "");
      continue;
    }
    const d = countdown({ resolve_due: new Date(Number(due)).toISOString() }, now);
    setText(td, d.text);
    setAttr(td, "data-over", d.over);
  }
}

// open shows the complaint of the row clicked on the complaints page.
function open(ev) {
  const id = ev.target.closest("[data-id]")?.dataset.id;
  if (id) document.dispatchEvent(new CustomEvent("hotline:complaint", { detail: { id } }));
}

// ComplaintsPage is the complaints list and a complaint's page.
export class ComplaintsPage {
  constructor(me, live) {
    this.me = me;
    this.live = live;
    this.clock = new ServerClock();
    this.categories = new Categories();
    this.list = [];
    this.current = null; // the complaint shown, with its history
    this.abort = new AbortController();
    const sig = { signal: this.abort.signal };
    $("cmp-list").addEventListener("click", (ev) => rowClick(ev, () => this.load()), sig);
    $("cmp-filter").addEventListener("change", () => this.load(), sig);
    $("cmp-back").addEventListener("click", () => this.back(), sig);
    $("cmp-actions").addEventListener("click", (ev) => this.act(ev), sig);
    // The parts of a complaint's page for one the IVR took down: the take
    // while nobody owns it, and the player of its voice message.
    this.takeButton = h("button", { type: "button", "data-cmp-act": "take", class: "primary", hidden: true });
    $("cmp-actions").prepend(this.takeButton);
    this.unclaimedBadge = h("span", { id: "cmp-unclaimed", class: "badge unclaimed", hidden: true });
    $("cmp-state").after(this.unclaimedBadge);
    this.player = h("audio", { id: "cmp-audio", controls: true, preload: "metadata" });
    this.messageHint = h("p", { id: "cmp-message-hint", class: "hint" });
    this.messageTitle = h("h3", {});
    this.messageBox = h("div", { id: "cmp-message", hidden: true }, this.messageTitle, this.player, this.messageHint);
    $("cmp-fields").after(this.messageBox);
    this.unsubscribe = live.subscribe((ev) => {
      this.load();
      if (this.current && (ev.id === this.current.id || ev.kind === "resync")) this.refresh(this.current.id);
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.init();
  }

  // refresh reads the complaint shown again; one the user no longer sees
  // (an unowned one someone else took) takes the page back to the list;
  // keepFlash keeps the message shown (a refused take's, naming the owner).
  async refresh(id, keepFlash = false) {
    let c;
    try {
      c = await call("GET", "/api/complaints/" + encodeURIComponent(id));
    } catch (err) {
      if (err.status !== 404) return failed(err);
      if (this.current?.id !== id) return;
      this.back();
      if (!keepFlash) flash(t("cmp.gone", { id }));
      return;
    }
    if (this.current?.id !== id) return;
    this.current = c;
    this.renderDetail();
  }

  async init() {
    await this.categories.load();
    await this.load();
  }

  stop() {
    this.abort.abort();
    this.unsubscribe();
    clearInterval(this.timer);
  }

  relabel() {
    this.render();
    if (this.current) this.renderDetail();
  }

  shown() {
    this.load();
  }

  async load() {
    const filter = $("cmp-filter").value;
    const q = filter === "overdue" ? "?overdue=true" : filter === "open" ? "?state=registered,notified,in_progress,resolved,followed_up" : "";
    try {
      const list = await call("GET", "/api/complaints" + q);
      this.clock.set(list.at);
      this.list = list.complaints;
      this.live.start(); // the server has complaints: follow them
    } catch (err) {
      // A server without complaints (503) has no complaints page.
      if (err.status === 503) return document.dispatchEvent(new Event("hotline:no-complaints"));
      failed(err);
    }
    this.render();
  }

  render() {
    $("cmp-list-none").hidden = this.list.length > 0;
    $("cmp-list").tBodies[0].replaceChildren(
      ...this.list.map((c) =>
        h("tr", { "data-id": c.id, class: "link", "data-warned": c.warned, "data-breached": c.breached, "data-unowned": unowned(c) },
          h("td", {}, c.id), h("td", {}, dateTime(c.registered_at)), h("td", {}, c.complainant),
          h("td", {}, this.categories.name(c.category)), h("td", { class: "cmp-owner" }, unowned(c) ? unclaimed(c) : c.owner),
          h("td", {}, c.teams.join(", ")),
          h("td", {}, stateLabel(c.state)),
          h("td", { class: "cmp-due", "data-due": runningDue(c) ?? "" }, ""),
          h("td", { class: "cmp-marks" },
            c.breached ? h("span", { class: "badge bad" }, t("cmp.breached")) : c.warned ? h("span", { class: "badge warn" }, t("cmp.warned")) : "")),
      ),
    );
    this.tick();
  }

  back() {
    this.current = null;
    this.player.pause();
    $("cmp-detail").hidden = true;
    $("cmp-list-card").hidden = false;
    this.load();
  }

  async openComplaint(id) {
    flash("");
    try {
      this.current = await call("GET", "/api/complaints/" + encodeURIComponent(id));
    } catch (err) {
      return failed(err);
    }
    $("cmp-list-card").hidden = true;
    $("cmp-detail").hidden = false;
    this.renderDetail();
  }

  renderDetail() {
    const c = this.current;
    setText($("cmp-title"), t("cmp.titleOne", { id: c.id }));
    setText($("cmp-state"), stateLabel(c.state));
    setAttr($("cmp-detail"), "data-state", c.state);
    $("cmp-warned").hidden = !c.warned || c.breached;
    $("cmp-breached").hidden = !c.breached;
    this.unclaimedBadge.hidden = !unowned(c);
    setText(this.unclaimedBadge, t("cmp.unclaimed"));
    const fields = [
      ["cmp.registered", dateTime(c.registered_at)], ["cmp.complainant", c.complainant], ["cmp.contact", c.contact],
      ["cmp.category", this.categories.name(c.category)], ["cmp.content", c.content], ["cmp.wants", c.wants],
      ["cmp.owner", unowned(c) ? t("cmp.unclaimed") : c.owner], ["cmp.teams", c.teams.join(", ")], ["call.hotline", c.hotline], ["cmp.call", c.call_id],
      ["cmp.source", label("cmp.src." + c.source, c.source)], ["cmp.resolution", c.resolution],
    ];
    $("cmp-fields").replaceChildren(...fields.flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", { "data-field": k.slice(4) }, v ?? "")]));
    setAttr($("cmp-fields").querySelector('[data-field="owner"]'), "data-unowned", unowned(c));
    this.renderMessage(c);
    // While nobody owns it the page offers the take alone: the first step
    // makes its taker the owner for good (首问负责制), so it is made on
    // purpose.
    this.takeButton.hidden = !unowned(c);
    setText(this.takeButton, t("cmp.act.take"));
    for (const b of $("cmp-actions").querySelectorAll("button")) {
      b.disabled = b.dataset.cmpAct === "take" ? !unowned(c) : unowned(c) || !allowed(b.dataset.cmpAct, c.state);
    }
    renderComplaintFollowUps($("cmp-followups"), c.followups);
    $("cmp-history").replaceChildren(
      ...(c.changes ?? []).map((ch) =>
        h("li", { "data-action": ch.action },
          `${dateTime(ch.at)} · ${ch.actor} · ${actionLabel(ch.action)}` + (ch.from ? ` · ${stateLabel(ch.from)} → ${stateLabel(ch.to)}` : ` · ${stateLabel(ch.to)}`) + (ch.team ? ` · ${ch.team}` : ""),
          ch.note ? h("q", {}, ch.note) : null),
      ),
    );
    this.tick();
  }

  // renderMessage shows c's voice message: its player when the user may
  // hear it (the server gives where it plays), else why not.
  renderMessage(c) {
    const box = this.messageBox;
    box.hidden = !c.message_recording;
    setText(this.messageTitle, t("cmp.message"));
    const src = box.hidden ? "" : c.message ?? "";
    if ((this.player.getAttribute("src") ?? "") !== src) {
      this.player.pause();
      if (src) this.player.src = src;
      else {
        this.player.removeAttribute("src");
        this.player.load();
      }
    }
    this.player.hidden = !src;
    this.messageHint.hidden = !!src;
    setText(this.messageHint, unowned(c) ? t("cmp.messageAfterTake") : t("cmp.messageUnavailable"));
  }

  async act(ev) {
    const action = ev.target.closest("button[data-cmp-act]")?.dataset.cmpAct;
    if (!action || !this.current) return;
    const id = this.current.id;
    flash("");
    // The team is a hand-off's alone (the workflow refuses it on any
    // other step); a team typed in stays for the hand-off.
    const body = { note: $("cmp-note").value.trim() };
    if (action === "hand_off") body.team = $("cmp-team").value.trim();
    try {
      this.current = await call("POST", `/api/complaints/${encodeURIComponent(id)}/${action}`, body);
      $("cmp-note").value = "";
      if (action === "hand_off") $("cmp-team").value = "";
      document.body.dataset.lastComplaintAction = action; // for tests
      this.renderDetail();
    } catch (err) {
      failed(err);
      // Someone else took it first (the message names them): the page
      // shows it as it is now, or, when it is no longer the user's to
      // see, goes back to the list.
      if (action === "take" && err.status === 409) this.refresh(id, true);
    }
  }

  tick() {
    const now = this.clock.now();
    tickDue($("cmp-list").tBodies[0], now);
    if (this.current && !$("cmp-detail").hidden) {
      const d = countdown(this.current, now);
      setText($("cmp-countdown"), d.text);
      setAttr($("cmp-countdown"), "data-over", d.over);
    }
  }
}

// allowed says whether a workflow button makes sense in a state; the
// server has the last word.
function allowed(action, state) {
  switch (action) {
    case "notify":
      return state === "registered";
    case "start":
      return state === "registered" || state === "notified";
    case "resolve":
      return state === "registered" || state === "notified" || state === "in_progress";
    case "follow_up":
      return state === "resolved";
    case "close":
      return state === "followed_up";
    case "reopen":
      return state === "resolved" || state === "followed_up" || state === "closed";
    case "feedback": // the customer's word on an open complaint starts the 3-day clock
      return state !== "closed";
    case "hand_off":
      return state !== "closed";
  }
  return false;
}
