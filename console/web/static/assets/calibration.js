// QA's calibration page: several reviewers score one call blind, and the
// report compares them once every one has submitted. A reviewer sees the
// calibrations waiting for their score and scores one in the review
// page's workspace (review.js), which shows them nothing of the others'.
// A supervisor, manager or administrator starts a calibration (a call,
// an agent and the reviewers picked from the users who review calls),
// follows who has submitted, and reads the report: the mean score and
// its spread, each item's consensus and agreement (the low ones marked),
// and each reviewer's score, deviation from the mean and the items they
// answered otherwise than the consensus.

import { call } from "./api.js";
import { $, failed, flash, h, setText } from "./dom.js";
import { dateTime, language, t } from "./i18n.js";

const supervisors = new Set(["supervisor", "manager", "admin"]);

// lowAgreement: an item whose share of reviewers giving the most common
// answer is below this is marked.
export const lowAgreement = 0.75;

// farDeviation: a reviewer's score this many points or more from the
// mean is marked.
export const farDeviation = 5;

function text(x) {
  if (!x) return "";
  return x[language()] || x.zh || x.en || "";
}

export class Calibrations {
  constructor(me) {
    this.me = me;
    this.supervisor = supervisors.has(me.role);
    this.list = [];
    this.reviewers = [];
    this.picked = new Set();
    this.open = null; // {cal, report, pending, card} of the report shown
    this.cards = new Map(); // "name/version" → card
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const on = (id, type, f) => $(id).addEventListener(type, f, { signal });
    $("cal-new").hidden = !this.supervisor;
    on("cal-new", "submit", (ev) => this.create(ev));
    on("cal-reviewers", "change", (ev) => {
      const box = ev.target.closest("input[type=checkbox]");
      if (!box) return;
      if (box.checked) this.picked.add(box.value);
      else this.picked.delete(box.value);
    });
    on("cal-mine", "click", (ev) => {
      const b = ev.target.closest("button[data-score]");
      if (b) this.score(Number(b.dataset.score));
    });
    on("cal-all", "click", (ev) => {
      const b = ev.target.closest("button[data-report]");
      if (b) this.report(Number(b.dataset.report));
    });
    on("cal-back", "click", () => this.showLists());
    setText($("cal-all-title"), this.allTitle());
    $("cal-report").hidden = true;
    $("cal-lists").hidden = false;
  }

  stop() {
    this.abort.abort();
    $("cal-mine").tBodies[0].replaceChildren();
    $("cal-all").tBodies[0].replaceChildren();
    $("cal-report").hidden = true;
  }

  shown() {
    if (!$("cal-report").hidden && this.open) this.report(this.open.cal.id);
    else this.load();
  }

  relabel() {
    setText($("cal-all-title"), this.allTitle());
    this.drawLists();
    if (this.open) this.drawReport();
  }

  allTitle() {
    return t(this.supervisor ? "cal.all" : "cal.mine");
  }

  // The lists.

  showLists() {
    this.open = null;
    $("cal-report").hidden = true;
    $("cal-lists").hidden = false;
    this.load();
  }

  async load() {
    try {
      const page = await call("GET", "/api/qa/calibrations?limit=100");
      this.list = page.calibrations ?? [];
      this.reviewers = page.reviewers ?? [];
      this.drawLists();
    } catch (err) {
      failed(err);
    }
  }

  // waitingForMe: the calibrations the user is in and has not submitted.
  waitingForMe() {
    return this.list.filter((c) => c.reviewers.includes(this.me.user) && !c.submitted.includes(this.me.user));
  }

  drawLists() {
    const mine = this.waitingForMe();
    $("cal-mine").tBodies[0].replaceChildren(
      ...mine.map((c) =>
        h(
          "tr",
          { "data-calibration": c.id },
          h("td", {}, "#" + c.id),
          h("td", {}, c.call_id),
          h("td", {}, c.agent),
          h("td", {}, c.created_by),
          h("td", {}, dateTime(c.created_at)),
          h("td", {}, h("button", { type: "button", class: "primary", "data-score": c.id }, t("cal.score"))),
        ),
      ),
    );
    $("cal-mine-none").hidden = mine.length > 0;
    $("cal-all").tBodies[0].replaceChildren(
      ...this.list.map((c) =>
        h(
          "tr",
          { "data-calibration": c.id, "data-pending": c.pending.length },
          h("td", {}, "#" + c.id),
          h("td", {}, c.call_id),
          h("td", {}, c.agent),
          h(
            "td",
            { class: "cal-progress-cell" },
            t("cal.submittedOf", { n: c.submitted.length, of: c.reviewers.length }),
            " ",
            this.who(c),
          ),
          h("td", {}, c.created_by),
          h("td", {}, dateTime(c.created_at)),
          h("td", {}, h("button", { type: "button", "data-report": c.id }, t(c.pending.length ? "cal.progressOpen" : "cal.report"))),
        ),
      ),
    );
    $("cal-all-none").hidden = this.list.length > 0;
    if (this.supervisor) this.drawPicker();
  }

  // who shows each reviewer of c, marked submitted or not.
  who(c) {
    return c.reviewers.map((r) => {
      const done = c.submitted.includes(r);
      return h("span", { class: "cal-who", "data-reviewer": r, "data-submitted": String(done), title: t(done ? "cal.submitted" : "cal.pending") }, r);
    });
  }

  drawPicker() {
    const fs = $("cal-reviewers");
    const legend = fs.querySelector("legend");
    fs.replaceChildren(
      legend,
      ...this.reviewers.map((r) =>
        h("label", { class: "qa-option" }, h("input", { type: "checkbox", name: "reviewer", value: r, ".checked": this.picked.has(r) }), r),
      ),
    );
  }

  // prefill fills the form in with a call and its agent (from the
  // review page), for the supervisor to pick the reviewers.
  prefill(callID, agent) {
    if (!this.supervisor) return;
    if (!$("cal-report").hidden) this.showLists();
    const form = $("cal-new");
    form.call_id.value = callID;
    form.agent.value = agent;
    form.scrollIntoView({ block: "nearest" });
  }

  async create(ev) {
    ev.preventDefault();
    const form = ev.target;
    flash("");
    const body = { call_id: form.call_id.value.trim(), agent: form.agent.value.trim(), reviewers: [...this.picked].sort() };
    try {
      const created = await call("POST", "/api/qa/calibrations", body);
      form.reset();
      this.picked.clear();
      await this.load();
      document.body.dataset.calCreated = String(created.id);
    } catch (err) {
      failed(err);
    }
  }

  // score opens the user's own blind evaluation in calibration id in the
  // review page's workspace; its "back" comes back here.
  async score(id) {
    flash("");
    try {
      const e = await call("POST", `/api/qa/calibrations/${id}/start`);
      document.dispatchEvent(new CustomEvent("hotline:calibrate", { detail: { evaluation: e } }));
    } catch (err) {
      failed(err);
    }
  }

  // The report.

  async card(name, version) {
    const key = `${name}/${version}`;
    if (!this.cards.has(key)) this.cards.set(key, await call("GET", `/api/qa/cards/${encodeURIComponent(name)}/${version}`));
    return this.cards.get(key);
  }

  async report(id) {
    flash("");
    const cal = this.list.find((c) => c.id === id);
    if (!cal) return;
    try {
      const cardP = this.card(cal.scorecard, cal.scorecard_version);
      let report = null;
      let pending = cal.pending;
      try {
        const r = await call("GET", `/api/qa/calibrations/${id}/report`);
        report = r.report;
        pending = r.pending ?? [];
      } catch (err) {
        if (err.status !== 409) throw err; // 409: blind to its own reviewers until all have submitted
      }
      this.open = { cal, report, pending, card: await cardP };
      $("cal-lists").hidden = true;
      $("cal-report").hidden = false;
      this.drawReport();
    } catch (err) {
      failed(err);
    }
  }

  drawReport() {
    const { cal, report, pending, card } = this.open;
    const done = report && pending.length === 0;
    $("cal-report").dataset.calibration = String(cal.id);
    $("cal-report").dataset.complete = String(!!done);
    setText($("cal-title"), t("cal.title", { id: cal.id, call: cal.call_id, agent: cal.agent }));
    const submitted = cal.reviewers.filter((r) => !pending.includes(r));
    $("cal-progress").replaceChildren(
      t("cal.submittedOf", { n: submitted.length, of: cal.reviewers.length }),
      " ",
      ...this.who({ ...cal, submitted }),
    );
    const blind = $("cal-blind");
    blind.hidden = !!done;
    setText(blind, pending.length ? t("cal.blind", { who: pending.join("、") }) : "");
    $("cal-result").hidden = !done;
    if (!done) return;

    const items = new Map();
    for (const s of card.sections) for (const it of s.items) items.set(it.id, it);
    const title = (id) => text(items.get(id)?.title) || id;
    const answer = (id, a) => {
      const it = items.get(id);
      if (a === undefined || a === "") return "—";
      if (a === "na") return t("qa.na");
      if (it?.answer === "yes_no") return t(a === "yes" ? "qa.yes" : "qa.no");
      if (it?.answer === "choice") return text((it.choices ?? []).find((c) => c.id === a)?.title) || a;
      return a;
    };
    setText($("cal-mean"), report.mean_score.toFixed(1));
    $("cal-mean").dataset.value = String(report.mean_score);
    setText($("cal-spread"), report.score_spread.toFixed(1));
    $("cal-spread").dataset.value = String(report.score_spread);
    setText($("cal-agreement"), `${Math.round(report.agreement * 1000) / 10}%`);
    $("cal-agreement").dataset.value = String(report.agreement);

    $("cal-reviewers-table").tBodies[0].replaceChildren(
      ...report.reviewers.map((d) =>
        h(
          "tr",
          { "data-reviewer": d.reviewer, "data-score": d.score, "data-deviation": d.deviation, "data-differs": (d.disagrees ?? []).join(" ") },
          h("td", {}, d.reviewer),
          h("td", {}, d.score.toFixed(1)),
          h("td", { class: Math.abs(d.deviation) >= farDeviation ? "cal-dev-far" : "" }, (d.deviation > 0 ? "+" : "") + d.deviation.toFixed(1)),
          h("td", {}, (d.disagrees ?? []).map(title).join("、") || "—"),
        ),
      ),
    );
    // Items without a consensus (the answers split evenly) count against
    // no reviewer: say so, or two reviewers seem never to differ.
    const ties = report.items.filter((ia) => !ia.consensus).length;
    $("cal-ties").hidden = ties === 0;
    $("cal-ties").dataset.count = String(ties);
    setText($("cal-ties"), ties ? t("cal.ties", { n: ties }) : "");
    const names = [...cal.reviewers];
    $("cal-items").tHead.rows[0].replaceChildren(
      h("th", {}, t("cal.item")),
      h("th", {}, t("cal.consensus")),
      h("th", {}, t("cal.agreement")),
      ...names.map((r) => h("th", {}, r)),
    );
    $("cal-items").tBodies[0].replaceChildren(
      ...report.items.map((ia) => {
        const low = ia.agreement < lowAgreement;
        return h(
          "tr",
          { class: low ? "low" : "", "data-item": ia.item, "data-agreement": ia.agreement, "data-consensus": ia.consensus, "data-low": String(low) },
          h("td", {}, title(ia.item)),
          h("td", {}, ia.consensus ? answer(ia.item, ia.consensus) : t("cal.noConsensus")),
          h("td", { class: "cal-agree" }, `${Math.round(ia.agreement * 100)}%`),
          ...names.map((r) => {
            const a = ia.answers?.[r];
            const differs = ia.consensus !== "" && a !== ia.consensus;
            return h("td", { "data-reviewer": r, "data-answer": a ?? "", class: differs ? "cal-differs" : "" }, answer(ia.item, a));
          }),
        );
      }),
    );
  }
}
