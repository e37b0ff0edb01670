// QA's review page: the review queue and the evaluations (a reviewer's
// own, the disputed ones for a supervisor, an agent's "my evaluations"),
// and the workspace where one is scored: the recording's two channels as
// a waveform, the player, the event timeline under it with the PCI gaps
// and holds shaded and the timed comments placed on it, and the
// scorecard beside it with the suggested answers, the live score and
// grade, the workflow's actions and the evaluation's history.

import { call } from "./api.js";
import { $, failed, flash, h, setText } from "./dom.js";
import { dateTime, duration, language, t } from "./i18n.js";

const supervisors = new Set(["supervisor", "manager", "admin"]);
const reviewers = new Set(["qa", "supervisor", "manager", "admin"]);

// The timeline's spans: what opens one and what closes it.
const spans = { pci_pause: ["pci_resume", "pci"], hold: ["unhold", "hold"] };

// score scores answers on card as scorecard.Score does: the weight earned
// over the weight of the items that apply (N/A drops out), 0 when an
// auto-fail item failed, to one decimal. Unanswered items are counted in
// missing and left out.
export function score(card, answers) {
  let earned = 0;
  let possible = 0;
  let missing = 0;
  const autoFailed = [];
  for (const s of card.sections) {
    for (const it of s.items) {
      const a = answers[it.id];
      if (a === undefined || a === "") {
        missing++;
        continue;
      }
      if (a === "na") continue;
      const [share, fails] = itemShare(it, a);
      possible += it.weight;
      earned += it.weight * share;
      if (fails) autoFailed.push(it.id);
    }
  }
  let value = 100; // every item N/A: nothing was wrong
  if (autoFailed.length > 0) value = 0;
  else if (possible > 0) value = Math.round((1000 * earned) / possible) / 10;
  return { score: value, grade: gradeOf(value), autoFailed, missing };
}

function itemShare(it, a) {
  switch (it.answer) {
    case "yes_no":
      return a === "yes" ? [1, false] : [0, it.auto_fail];
    case "scale": {
      const v = Number(a);
      return [v / it.max, it.auto_fail && v === 0];
    }
    case "choice": {
      const c = (it.choices ?? []).find((c) => c.id === a);
      return c ? [c.share, !!c.fails] : [0, false];
    }
  }
  return [0, false];
}

// gradeOf is the grade of §6 of the service standards (scorecard.GradeOf).
export function gradeOf(s) {
  if (s >= 90) return "four_stars";
  if (s >= 85) return "three_stars";
  if (s >= 80) return "two_stars";
  if (s >= 70) return "one_star";
  if (s >= 60) return "pass";
  return "fail";
}

// text is a scorecard label ({zh, en}) in the page's language.
function text(x) {
  if (!x) return "";
  return x[language()] || x.zh || x.en || "";
}

// answerLabel is an answer as people read it.
function answerLabel(it, a) {
  if (a === "na") return t("qa.na");
  if (it.answer === "yes_no") return t(a === "yes" ? "qa.yes" : "qa.no");
  if (it.answer === "choice") return text((it.choices ?? []).find((c) => c.id === a)?.title) || a;
  return a;
}

export class Review {
  constructor(me) {
    this.me = me;
    this.supervisor = supervisors.has(me.role);
    this.reviewer = reviewers.has(me.role);
    this.queue = [];
    this.evals = [];
    this.ev = null; // the evaluation open, if any
    this.card = null;
    this.answers = {};
    this.recording = null; // {id, duration, events, waveform}
    this.comments = [];
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const on = (id, type, f) => $(id).addEventListener(type, f, { signal });
    $("qa-queue-card").hidden = !this.reviewer;
    $("qa-comment-form").hidden = !this.reviewer; // agents read the comments
    $("qa-evals-filter").hidden = !this.supervisor;
    if (this.supervisor) $("qa-evals-state").value = "disputed";
    on("qa-evals-state", "change", () => this.loadEvaluations());
    on("qa-queue", "click", (ev) => this.start(ev));
    on("qa-evals", "click", (ev) => {
      const b = ev.target.closest("button[data-open]");
      if (b) this.open(Number(b.dataset.open));
    });
    on("qa-back", "click", () => {
      const back = this.returnTo;
      this.showLists();
      if (back) document.dispatchEvent(new CustomEvent("hotline:show", { detail: { view: back } }));
    });
    on("qa-card", "change", (ev) => this.answered(ev));
    // A supervisor starts a calibration of the call open, on the
    // calibration page.
    on("qa-calibrate", "click", () => {
      const v = this.recording?.view;
      if (v) document.dispatchEvent(new CustomEvent("hotline:calibrate-call", { detail: { call: v.call_id, agent: v.agent } }));
    });
    on("qa-actions", "click", (ev) => {
      const b = ev.target.closest("button[data-qa-act]");
      if (b) this.act(b.dataset.qaAct);
    });
    on("qa-wave", "click", (ev) => {
      const r = ev.currentTarget.getBoundingClientRect();
      this.seek(((ev.clientX - r.left) / r.width) * this.total());
    });
    on("qa-shades", "click", (ev) => {
      const r = $("qa-wave").getBoundingClientRect();
      this.seek(((ev.clientX - r.left) / r.width) * this.total());
    });
    for (const id of ["qa-timeline", "qa-comment-marks", "qa-events", "qa-comments"]) {
      on(id, "click", (ev) => {
        const b = ev.target.closest("[data-offset]");
        if (b) this.seek(Number(b.dataset.offset));
      });
    }
    on("qa-speeds", "click", (ev) => {
      const b = ev.target.closest("button[data-rate]");
      if (b) this.speed(Number(b.dataset.rate));
    });
    on("qa-play", "click", () => {
      const audio = $("qa-audio");
      if (audio.paused) audio.play().catch((err) => failed(err));
      else audio.pause();
    });
    for (const type of ["play", "pause", "ended"]) on("qa-audio", type, () => setText($("qa-play"), t($("qa-audio").paused ? "qa.play" : "qa.pause")));
    on("qa-audio", "timeupdate", () => this.tick());
    on("qa-audio", "seeked", () => this.tick());
    on("qa-audio", "durationchange", () => {
      if (this.recording) this.drawRecording();
    });
    on("qa-comment-form", "submit", (ev) => this.addComment(ev));
    window.addEventListener("resize", () => this.drawWave(), { signal });
    setText($("qa-evals-title"), this.listTitle());
    $("qa-work").hidden = true;
    $("qa-lists").hidden = false;
  }

  stop() {
    this.abort.abort();
    this.unloadAudio();
    $("qa-queue").tBodies[0].replaceChildren();
    $("qa-evals").tBodies[0].replaceChildren();
    $("qa-work").hidden = true;
  }

  shown() {
    if (!$("qa-lists").hidden) this.refresh();
    else this.drawWave();
  }

  relabel() {
    setText($("qa-evals-title"), this.listTitle());
    setText($("qa-play"), t($("qa-audio").paused ? "qa.play" : "qa.pause"));
    this.drawQueue();
    this.drawEvaluations();
    if (this.card) this.drawCard();
    if (this.ev) this.drawEvaluation();
    if (this.recording) this.drawRecording();
  }

  listTitle() {
    if (this.me.role === "agent") return t("qa.mine");
    if (this.supervisor) return t("qa.evaluations");
    return t("qa.myReviews");
  }

  // The lists.

  showLists() {
    this.returnTo = null;
    this.ev = null;
    this.card = null;
    this.recording = null;
    this.unloadAudio();
    $("qa-work").hidden = true;
    $("qa-lists").hidden = false;
    setText($("qa-evals-title"), this.listTitle());
    this.refresh();
  }

  refresh() {
    if (this.reviewer) this.loadQueue();
    this.loadEvaluations();
  }

  async loadQueue() {
    try {
      const q = await call("GET", "/api/qa/queue?limit=100");
      this.queue = q.calls ?? [];
      this.drawQueue();
    } catch (err) {
      failed(err);
    }
  }

  drawQueue() {
    $("qa-queue").tBodies[0].replaceChildren(
      ...this.queue.map((c) =>
        h(
          "tr",
          { "data-call": c.call_id, "data-agent": c.agent },
          h("td", {}, c.call_id),
          h("td", {}, c.agent),
          h("td", {}, (c.reasons ?? []).map((r) => t("qa.reason." + r)).join("、")),
          h("td", {}, c.picked_at ? dateTime(c.picked_at) : ""),
          h("td", {}, c.claimed_by ?? ""),
          h(
            "td",
            {},
            h("button", { type: "button", "data-start": c.call_id, "data-agent": c.agent }, t(c.claimed_by === this.me.user ? "qa.continue" : "qa.start")),
            c.claimed_by === this.me.user ? h("button", { type: "button", "data-release": c.call_id, "data-agent": c.agent }, t("qa.release")) : null,
          ),
        ),
      ),
    );
    $("qa-queue-none").hidden = this.queue.length > 0;
  }

  async loadEvaluations() {
    const q = new URLSearchParams({ limit: "100" });
    if (this.me.role === "qa") q.set("reviewer", this.me.user);
    const state = this.supervisor ? $("qa-evals-state").value : "";
    if (state) q.set("state", state);
    try {
      const page = await call("GET", "/api/qa/evaluations?" + q.toString());
      this.evals = page.evaluations ?? [];
      this.drawEvaluations();
    } catch (err) {
      failed(err);
    }
  }

  drawEvaluations() {
    $("qa-evals").tBodies[0].replaceChildren(
      ...this.evals.map((e) =>
        h(
          "tr",
          { "data-evaluation": e.id, "data-state": e.state },
          h("td", {}, e.call_id),
          h("td", {}, e.agent),
          h("td", {}, e.reviewer),
          h("td", {}, t("qa.state." + e.state)),
          h("td", {}, e.score ?? "—"),
          h("td", {}, e.grade ? t("qa.grade." + e.grade) : ""),
          h("td", {}, dateTime(e.updated_at)),
          h("td", {}, h("button", { type: "button", "data-open": e.id }, t("qa.open"))),
        ),
      ),
    );
    $("qa-evals-none").hidden = this.evals.length > 0;
  }

  async start(ev) {
    const rel = ev.target.closest("button[data-release]");
    if (rel) return this.release(rel.dataset.release, rel.dataset.agent);
    const b = ev.target.closest("button[data-start]");
    if (!b) return;
    flash("");
    try {
      const path = `/api/qa/queue/${encodeURIComponent(b.dataset.start)}/${encodeURIComponent(b.dataset.agent)}/start`;
      await this.show(await call("POST", path));
    } catch (err) {
      failed(err);
    }
  }

  // release gives up the user's claim on a call in the queue.
  async release(callID, agent) {
    flash("");
    try {
      await call("POST", `/api/qa/queue/${encodeURIComponent(callID)}/${encodeURIComponent(agent)}/release`);
      await this.loadQueue();
    } catch (err) {
      failed(err);
    }
  }

  async open(id) {
    flash("");
    try {
      await this.show(await call("GET", `/api/qa/evaluations/${id}`));
    } catch (err) {
      failed(err);
    }
  }

  // showCalibration shows the user's own blind evaluation in a
  // calibration (from the calibration page, which "back" returns to).
  async showCalibration(e, returnTo) {
    flash("");
    this.returnTo = returnTo;
    await this.show(e);
  }

  // openRecording opens a recording found by the search, without an
  // evaluation: to listen and comment.
  async openRecording(id) {
    flash("");
    this.returnTo = null;
    this.ev = null;
    this.card = null;
    $("qa-lists").hidden = true;
    $("qa-work").hidden = false;
    $("qa-card").replaceChildren();
    $("qa-history").replaceChildren();
    $("qa-actions").hidden = true;
    document.querySelector("#qa-work .qa-scorecard").hidden = true;
    setText($("qa-title"), t("qa.recordingTitle", { id }));
    setText($("qa-state"), "");
    await this.loadRecording(id);
  }

  // The workspace.

  async show(e) {
    this.ev = e;
    this.answers = { ...(e.answers ?? {}) };
    $("qa-lists").hidden = true;
    $("qa-work").hidden = false;
    document.querySelector("#qa-work .qa-scorecard").hidden = false;
    $("qa-act-comment").value = "";
    const card = call("GET", `/api/qa/cards/${encodeURIComponent(e.scorecard)}/${e.scorecard_version}`);
    const rec = e.recording_id ? this.loadRecording(e.recording_id) : this.noRecording();
    this.card = await card;
    this.drawCard();
    this.drawEvaluation();
    await rec;
  }

  editable() {
    const e = this.ev;
    if (!e) return false;
    if (e.state === "draft") return e.reviewer === this.me.user;
    if (e.calibration_id) return false; // a calibration's: its reviewer's alone, until submitted
    return this.supervisor && (e.state === "disputed" || e.state === "submitted");
  }

  // allowed lists the actions the user may take on the evaluation.
  allowed() {
    const e = this.ev;
    const out = new Set();
    if (e.state === "draft" && e.reviewer === this.me.user) out.add("save").add("submit");
    if (e.calibration_id) return out; // a calibration's: only its reviewer scores it
    if (e.state === "submitted" && this.me.agent && this.me.agent === e.agent) out.add("acknowledge").add("dispute");
    if (this.supervisor && e.state === "disputed") out.add("uphold");
    if (this.supervisor && (e.state === "disputed" || e.state === "submitted")) out.add("rescore");
    return out;
  }

  drawCard() {
    const suggested = new Map((this.ev?.suggestions ?? []).map((s) => [s.item, s]));
    const editable = this.editable();
    const sections = this.card.sections.map((s) =>
      h(
        "fieldset",
        { class: "qa-section", "data-section": s.id },
        h("legend", {}, text(s.title)),
        s.items.map((it) => this.drawItem(it, suggested.get(it.id), editable)),
      ),
    );
    $("qa-card").replaceChildren(h("h2", {}, text(this.card.title)), ...sections);
    this.rescore();
  }

  drawItem(it, sug, editable) {
    const options = [];
    if (it.answer === "yes_no") options.push(["yes", t("qa.yes")], ["no", t("qa.no")]);
    if (it.answer === "scale") for (let v = 0; v <= it.max; v++) options.push([String(v), String(v)]);
    if (it.answer === "choice") for (const c of it.choices ?? []) options.push([c.id, text(c.title)]);
    if (it.na) options.push(["na", t("qa.na")]);
    const a = this.answers[it.id];
    return h(
      "div",
      { class: "qa-item", "data-item": it.id, "data-answer": a ?? "" },
      h(
        "div",
        { class: "qa-item-head" },
        h("span", { class: "qa-item-title" }, text(it.title)),
        h("span", { class: "qa-weight" }, t("qa.weight", { n: it.weight })),
        it.auto_fail ? h("span", { class: "badge warn qa-autofail-item" }, t("qa.autoFailItem")) : null,
        h("span", { class: "badge warn qa-override", hidden: true }, t("qa.override")),
      ),
      text(it.guide) ? h("div", { class: "qa-guide" }, text(it.guide)) : null,
      h(
        "div",
        { class: "qa-options" },
        options.map(([v, label]) =>
          h(
            "label",
            { class: "qa-option" },
            h("input", { type: "radio", name: it.id, value: v, ".checked": a === v, disabled: !editable }),
            label,
          ),
        ),
      ),
      sug
        ? h("div", { class: "qa-suggestion", "data-suggested": sug.answer }, t("qa.suggested", { answer: answerLabel(it, sug.answer) }), " — ", text(sug.why))
        : null,
    );
  }

  answered(ev) {
    const input = ev.target;
    // A card being drawn anew (or closed) takes no answers meanwhile.
    if (input.type !== "radio" || !this.card) return;
    this.answers[input.name] = input.value;
    this.rescore();
  }

  // rescore shows the live score and grade, and marks the overrides.
  rescore() {
    const suggested = new Map((this.ev?.suggestions ?? []).map((s) => [s.item, s.answer]));
    for (const el of document.querySelectorAll("#qa-card .qa-item")) {
      const id = el.dataset.item;
      const a = this.answers[id] ?? "";
      el.dataset.answer = a;
      const over = suggested.has(id) && a !== "" && a !== suggested.get(id);
      el.classList.toggle("overridden", over);
      el.querySelector(".qa-override").hidden = !over;
    }
    const r = score(this.card, this.answers);
    const sc = $("qa-score");
    setText(sc, r.score.toFixed(1));
    sc.dataset.score = String(r.score);
    const g = $("qa-grade");
    setText(g, t("qa.grade." + r.grade));
    g.dataset.grade = r.grade;
    setText($("qa-pending"), r.missing ? t("qa.missing", { n: r.missing }) : "");
    $("qa-autofail").hidden = r.autoFailed.length === 0;
  }

  drawEvaluation() {
    const e = this.ev;
    $("qa-work").dataset.evaluation = String(e.id);
    setText($("qa-title"), e.calibration_id ? t("qa.calibrationTitle", { id: e.calibration_id, call: e.call_id, agent: e.agent, reviewer: e.reviewer }) : t("qa.evaluationTitle", { id: e.id, call: e.call_id, agent: e.agent, reviewer: e.reviewer }));
    const st = $("qa-state");
    setText(st, t("qa.state." + e.state));
    st.dataset.state = e.state;
    const allowed = this.allowed();
    for (const b of document.querySelectorAll("#qa-actions [data-qa-act]")) b.hidden = !allowed.has(b.dataset.qaAct);
    $("qa-actions").hidden = allowed.size === 0;
    $("qa-history").replaceChildren(
      ...(e.changes ?? []).map((c) =>
        h(
          "li",
          { "data-action": c.action, "data-seq": c.seq },
          h("span", { class: "qa-when" }, dateTime(c.at)),
          " ",
          t("qa.change", { actor: c.actor, action: t("qa.act." + c.action), to: t("qa.state." + c.to) }),
          c.score !== null && c.score !== undefined ? " · " + t("qa.scored", { score: c.score }) : "",
          Object.keys(c.overrides ?? {}).length ? " · " + t("qa.overrides", { n: Object.keys(c.overrides).length }) : "",
          c.comment ? h("q", {}, c.comment) : null,
        ),
      ),
    );
  }

  async act(action) {
    const comment = $("qa-act-comment").value.trim();
    const body = { comment };
    if (action === "save" || action === "submit" || action === "rescore") body.answers = this.answers;
    flash("");
    try {
      const e = await call("POST", `/api/qa/evaluations/${this.ev.id}/${action}`, body);
      this.ev = e;
      this.answers = { ...(e.answers ?? {}) };
      $("qa-act-comment").value = "";
      this.drawCard();
      this.drawEvaluation();
      document.body.dataset.qaLast = action;
    } catch (err) {
      failed(err);
    }
  }

  // The recording.

  noRecording() {
    this.recording = null;
    $("qa-calibrate").hidden = true;
    this.unloadAudio();
    $("qa-recording").hidden = true;
    $("qa-no-recording").hidden = false;
  }

  async loadRecording(id) {
    try {
      const [tl, cm] = await Promise.all([
        call("GET", `/api/recordings/${encodeURIComponent(id)}/timeline`),
        call("GET", `/api/recordings/${encodeURIComponent(id)}/comments`),
      ]);
      const wf = tl.waveform;
      const length = wf ? wf.left.length * wf.interval_seconds : 0;
      this.recording = { id, view: tl.recording, events: tl.events ?? [], waveform: wf, duration: Math.max(tl.recording.duration_seconds || 0, length) };
      this.comments = cm.comments ?? [];
      $("qa-no-recording").hidden = true;
      $("qa-recording").hidden = false;
      const audio = $("qa-audio");
      if (tl.recording.audio) {
        audio.src = tl.recording.audio;
        audio.playbackRate = 1;
        this.markSpeed(1);
      } else {
        this.unloadAudio();
      }
      this.drawRecording();
    } catch (err) {
      failed(err);
      this.noRecording();
    }
  }

  unloadAudio() {
    const audio = $("qa-audio");
    audio.pause();
    audio.removeAttribute("src");
    audio.load();
  }

  // total is the length the waveform and the timeline span, in seconds.
  total() {
    const d = $("qa-audio").duration;
    return Number.isFinite(d) && d > 0 ? d : this.recording?.duration || 1;
  }

  drawRecording() {
    const v = this.recording?.view;
    $("qa-calibrate").hidden = !(this.supervisor && v?.call_id && v?.agent && !this.ev?.calibration_id);
    this.drawWave();
    this.drawTimeline();
    this.drawComments();
    this.tick();
  }

  // drawWave draws the two channels' peaks as two lanes: the caller above,
  // the agent below.
  drawWave() {
    const wf = this.recording?.waveform;
    const canvas = $("qa-wave");
    if (!this.recording || $("qa-work").hidden) return;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 160;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const lane = height / 2;
    g.strokeStyle = "#d8dde3";
    g.beginPath();
    g.moveTo(0, lane);
    g.lineTo(width, lane);
    g.stroke();
    if (!wf) return;
    const total = this.total();
    const draw = (peaks, top, colour) => {
      g.fillStyle = colour;
      const mid = top + lane / 2;
      // One bar per pixel column: the largest peak of the intervals in it.
      for (let x = 0; x < width; x++) {
        const from = Math.floor(((x / width) * total) / wf.interval_seconds);
        const to = Math.max(from + 1, Math.floor((((x + 1) / width) * total) / wf.interval_seconds));
        let p = 0;
        for (let i = from; i < to && i < peaks.length; i++) p = Math.max(p, peaks[i]);
        const hgt = (p / 32767) * (lane / 2 - 4);
        if (hgt < 0.5) continue; // silence: nothing drawn
        g.fillRect(x, mid - hgt, 1, 2 * hgt);
      }
    };
    draw(wf.left, 0, "#0969da");
    draw(wf.right, lane, "#1a7f37");
    canvas.dataset.drawn = String(wf.left.length);
  }

  // drawTimeline places the events at their offsets, and shades the PCI
  // gaps and the holds over the waveform.
  drawTimeline() {
    const total = this.total();
    const at = (s) => `${Math.min(100, Math.max(0, (s / total) * 100))}%`;
    const events = this.recording.events;
    const shades = [];
    const open = {};
    for (const e of events) {
      if (spans[e.kind]) open[e.kind] = e.offset_seconds;
      for (const [start, [end, cls]] of Object.entries(spans)) {
        if (e.kind === end && open[start] !== undefined) {
          shades.push([cls, open[start], e.offset_seconds]);
          delete open[start];
        }
      }
    }
    for (const [start, from] of Object.entries(open)) shades.push([spans[start][1], from, total]); // never closed
    $("qa-shades").replaceChildren(
      ...shades.map(([cls, from, to]) => {
        const el = h("div", { class: "qa-shade " + cls, "data-from": from, "data-to": to, title: t("qa." + cls + "Gap") });
        el.style.left = at(from);
        el.style.width = `${Math.max(0.3, ((to - from) / total) * 100)}%`;
        return el;
      }),
    );
    $("qa-timeline").replaceChildren(
      ...events.map((e) => {
        const el = h("button", { type: "button", class: "qa-mark", "data-kind": e.kind, "data-source": e.source, "data-offset": e.offset_seconds, title: `${duration(e.offset_seconds)} ${this.eventLabel(e)}` });
        el.style.left = at(e.offset_seconds);
        return el;
      }),
    );
    $("qa-events").replaceChildren(
      ...events.map((e) =>
        h(
          "li",
          {},
          h("button", { type: "button", class: "linklike", "data-offset": e.offset_seconds, "data-kind": e.kind }, duration(e.offset_seconds)),
          " ",
          this.eventLabel(e),
          e.actor ? ` · ${e.actor}` : "",
          e.reason ? ` · ${e.reason}` : "",
        ),
      ),
    );
  }

  eventLabel(e) {
    const key = "qa.event." + e.kind;
    const s = t(key);
    return s === key ? e.kind : s;
  }

  drawComments() {
    const total = this.total();
    $("qa-comment-marks").replaceChildren(
      ...this.comments.map((c) => {
        const el = h("button", { type: "button", class: "qa-comment-mark", "data-comment": c.id, "data-offset": c.offset_seconds, title: `${duration(c.offset_seconds)} ${c.author}: ${c.body}` }, "✎");
        el.style.left = `${Math.min(100, (c.offset_seconds / total) * 100)}%`;
        return el;
      }),
    );
    $("qa-comments").replaceChildren(
      ...this.comments.map((c) =>
        h(
          "li",
          { "data-comment": c.id },
          h("button", { type: "button", class: "linklike", "data-offset": c.offset_seconds }, duration(c.offset_seconds)),
          " ",
          h("strong", {}, c.author),
          " ",
          c.body,
        ),
      ),
    );
  }

  async addComment(ev) {
    ev.preventDefault();
    const body = $("qa-comment-body").value.trim();
    if (!body || !this.recording) return;
    const req = { offset_seconds: Math.round($("qa-audio").currentTime * 10) / 10, body };
    if (this.ev) req.evaluation_id = this.ev.id;
    flash("");
    try {
      const c = await call("POST", `/api/recordings/${encodeURIComponent(this.recording.id)}/comments`, req);
      this.comments = [...this.comments, c].sort((a, b) => a.offset_seconds - b.offset_seconds);
      $("qa-comment-body").value = "";
      this.drawComments();
    } catch (err) {
      failed(err);
    }
  }

  seek(s) {
    const audio = $("qa-audio");
    if (!audio.src || !Number.isFinite(s)) return;
    audio.currentTime = Math.max(0, Math.min(s, this.total()));
    this.tick();
  }

  speed(rate) {
    $("qa-audio").playbackRate = rate;
    this.markSpeed(rate);
  }

  markSpeed(rate) {
    for (const b of document.querySelectorAll("#qa-speeds button")) b.setAttribute("aria-pressed", String(Number(b.dataset.rate) === rate));
  }

  // tick moves the play head and the time shown.
  tick() {
    if (!this.recording) return;
    const audio = $("qa-audio");
    const total = this.total();
    const now = audio.currentTime || 0;
    $("qa-playhead").style.left = `${Math.min(100, (now / total) * 100)}%`;
    setText($("qa-time"), `${duration(now)} / ${duration(total)}`);
  }
}
