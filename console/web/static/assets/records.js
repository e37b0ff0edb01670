// The recordings list: a search form, a table, and a player on the API's
// audio (which the browser seeks in with HTTP Range). Only the roles that
// see callers' numbers may search by one.

import { call } from "./api.js";
import { $, failed, flash, h } from "./dom.js";
import { dateTime, duration, outcome, t } from "./i18n.js";

const seeCallers = new Set(["manager", "supervisor", "admin"]);

export class Records {
  constructor(me) {
    this.me = me;
    this.next = "";
    this.query = null;
    this.rows = [];
    this.abort = new AbortController();
    const signal = this.abort.signal;
    $("rec-caller").hidden = !seeCallers.has(me.role);
    $("rec-form").addEventListener("submit", (ev) => this.search(ev), { signal });
    $("rec-more").addEventListener("click", () => this.load(true), { signal });
    $("rec-table").tBodies[0].addEventListener("click", (ev) => this.play(ev), { signal });
    this.clear();
  }

  stop() {
    this.abort.abort();
    this.stopAudio();
    this.clear();
  }

  stopAudio() {
    const audio = $("rec-audio");
    audio.pause();
    audio.removeAttribute("src");
    audio.hidden = true;
    $("rec-playing").hidden = true;
  }

  clear() {
    this.rows = [];
    $("rec-table").tBodies[0].replaceChildren();
    $("rec-none").hidden = true;
    $("rec-more").hidden = true;
  }

  relabel() {
    // The dates follow the language.
    $("rec-table").tBodies[0].replaceChildren(...this.rows.map((r) => this.row(r)));
  }

  search(ev) {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const q = new URLSearchParams();
    for (const [k, v] of form) {
      const s = String(v).trim();
      if (!s) continue;
      // datetime-local has no zone: it is the browser's local time.
      q.set(k, k === "from" || k === "to" ? new Date(s).toISOString() : s);
    }
    this.query = q;
    this.clear();
    this.load(false);
  }

  async load(more) {
    flash("");
    const q = new URLSearchParams(this.query ?? "");
    if (more && this.next) q.set("after", this.next);
    try {
      const page = await call("GET", "/api/recordings?" + q.toString());
      this.rows.push(...page.recordings);
      $("rec-table").tBodies[0].append(...page.recordings.map((r) => this.row(r)));
      this.next = page.next ?? "";
      $("rec-more").hidden = !this.next;
      $("rec-none").hidden = this.rows.length > 0;
    } catch (err) {
      failed(err);
    }
  }

  row(r) {
    return h(
      "tr",
      { "data-recording": r.id },
      h("td", {}, dateTime(r.started_at)),
      h("td", {}, r.hotline),
      h("td", {}, r.queue),
      h("td", {}, r.agent),
      h("td", {}, r.caller),
      h("td", {}, duration(r.duration_seconds)),
      h("td", {}, outcome(r.outcome)),
      h("td", {}, r.csat || ""),
      h("td", {}, r.pci_pauses),
      h("td", {}, r.state),
      h(
        "td",
        {},
        r.audio ? h("button", { type: "button", "data-play": r.audio, "data-id": r.id }, t("rec.play")) : "",
        h("button", { type: "button", "data-review": r.id }, t("rec.review")),
      ),
    );
  }

  play(ev) {
    const r = ev.target.closest("button[data-review]");
    if (r) {
      this.stopAudio();
      document.dispatchEvent(new CustomEvent("hotline:review", { detail: { recording: r.dataset.review } }));
      return;
    }
    const b = ev.target.closest("button[data-play]");
    if (!b) return;
    const audio = $("rec-audio");
    audio.src = b.dataset.play;
    audio.hidden = false;
    const p = $("rec-playing");
    p.textContent = t("rec.playing", { id: b.dataset.id });
    p.hidden = false;
    audio.play().catch(() => {}); // the user may press play on the player itself
  }
}
