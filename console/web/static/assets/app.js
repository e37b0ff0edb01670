// The console's entry point: sign-in, the views each role gets, the
// language switch, and the one event stream the views share.

import { call, Live } from "./api.js";
import { $, failed, flash } from "./dom.js";
import { language, onLanguage, setLanguage, t, translate } from "./i18n.js";
import { AgentDesk } from "./agent.js";
import { Board } from "./board.js";
import { Records } from "./records.js";
import { Review } from "./review.js";
import { Calibrations } from "./calibration.js";
import { Softphone } from "./softphone.js";
import { ComplaintLive, ComplaintsPage } from "./complaints.js";
import { FollowUpsPage } from "./followups.js";

// views lists, for each role, the views it gets, the first its home. An
// agent-less supervisor has no desk; a user with an agent ID also gets
// the desk whatever its role.
const viewsByRole = {
  agent: ["agent", "complaints", "review", "recordings"],
  qa: ["review", "calibration", "recordings"],
  manager: ["board", "complaints", "followups", "review", "calibration", "recordings"],
  supervisor: ["board", "complaints", "followups", "review", "calibration", "recordings"],
  admin: ["board", "complaints", "followups", "review", "calibration", "recordings"],
};

const app = {
  me: null,
  live: new Live(),
  complaintLive: new ComplaintLive(),
  views: {},
  current: null,
  phone: null, // a supervisor's own browser phone, on the wallboard
};

function showOnly(id) {
  for (const el of document.querySelectorAll("main > .view")) el.hidden = el.id !== id;
}

function signedOut() {
  app.me = null;
  app.live.stop();
  app.complaintLive.stop();
  for (const v of Object.values(app.views)) v.stop?.();
  app.views = {};
  app.phone?.stop();
  app.phone = null;
  $("board-phone").hidden = true;
  $("tabs").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  showOnly("signin");
  document.body.dataset.view = "signin";
}

function signedIn(me) {
  app.me = me;
  const names = [...(viewsByRole[me.role] ?? [])];
  if (me.agent && !names.includes("agent")) names.unshift("agent");
  app.views = {};
  for (const name of names) {
    if (name === "agent") app.views.agent = new AgentDesk(me, app.live, app.complaintLive);
    if (name === "complaints") app.views.complaints = new ComplaintsPage(me, app.complaintLive);
    if (name === "followups") app.views.followups = new FollowUpsPage(me, app.complaintLive);
    if (name === "board") app.views.board = new Board(me, app.live);
    if (name === "recordings") app.views.recordings = new Records(me);
    if (name === "review") app.views.review = new Review(me);
    if (name === "calibration") app.views.calibration = new Calibrations(me);
  }
  // A supervisor without a desk whose phone is the browser listens in
  // from the wallboard's phone.
  if (!me.agent && app.views.board && me.device?.startsWith("WebRTC/")) {
    $("board-phone").hidden = false;
    app.phone = new Softphone($("board-phone"));
    app.phone.update(me.device, null);
  }
  for (const b of document.querySelectorAll("#tabs button")) b.hidden = !(b.dataset.view in app.views);
  $("tabs").hidden = names.length < 2;
  $("signout").hidden = false;
  showWho();
  if (names.includes("agent") || names.includes("board")) app.live.start();
  const wanted = location.hash.slice(1);
  show(names.includes(wanted) ? wanted : names[0]);
}

function showWho() {
  if (app.me) $("who").textContent = t("who", { user: app.me.user, role: t("role." + app.me.role) });
}

function show(name) {
  if (!(name in app.views)) return;
  app.current = name;
  showOnly(name);
  document.body.dataset.view = name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === name);
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  app.views[name].shown?.();
}

async function signIn(ev) {
  ev.preventDefault();
  const form = ev.target;
  flash("");
  try {
    const me = await call("POST", "/api/login", { user: form.user.value, password: form.password.value });
    form.reset();
    signedIn(me);
  } catch (err) {
    failed(err);
  }
}

async function signOut() {
  flash("");
  try {
    await call("POST", "/api/logout");
  } catch (err) {
    if (err.status !== 401) return failed(err);
  }
  signedOut();
}

async function main() {
  translate();
  $("lang").value = language();
  $("lang").addEventListener("change", (ev) => setLanguage(ev.target.value));
  onLanguage(() => {
    showWho();
    for (const v of Object.values(app.views)) v.relabel?.();
    app.phone?.relabel();
  });
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("tabs").addEventListener("click", (ev) => {
    const view = ev.target.closest("button")?.dataset.view;
    if (view) show(view);
  });
  app.live.onStatus((up) => {
    $("offline").hidden = up;
  });
  // The recordings' "review" button opens a recording on the review page.
  document.addEventListener("hotline:review", (ev) => {
    if (!app.views.review) return;
    show("review");
    app.views.review.openRecording(ev.detail.recording);
  });
  // The calibration page has a reviewer score a calibration in the
  // review page's workspace, whose "back" comes back to it.
  document.addEventListener("hotline:calibrate", (ev) => {
    if (!app.views.review) return;
    show("review");
    app.views.review.showCalibration(ev.detail.evaluation, "calibration");
  });
  // A server without complaints: no complaints page.
  document.addEventListener("hotline:no-complaints", () => {
    const v = app.views.complaints;
    if (!v) return;
    v.stop();
    delete app.views.complaints;
    document.querySelector('#tabs button[data-view="complaints"]').hidden = true;
    if (app.current === "complaints") show(Object.keys(app.views)[0]);
  });
  // A server without follow-up visits: no follow-ups page.
  document.addEventListener("hotline:no-followups", () => {
    const v = app.views.followups;
    if (!v) return;
    v.stop();
    delete app.views.followups;
    document.querySelector('#tabs button[data-view="followups"]').hidden = true;
    if (app.current === "followups") show(Object.keys(app.views)[0]);
  });
  // A complaint's row (the desk's, the list's) opens its page.
  document.addEventListener("hotline:complaint", (ev) => {
    if (!app.views.complaints) return;
    show("complaints");
    app.views.complaints.openComplaint(ev.detail.id);
  });
  document.addEventListener("hotline:show", (ev) => show(ev.detail.view));
  // The review page's "calibrate" button starts a calibration of its call.
  document.addEventListener("hotline:calibrate-call", (ev) => {
    if (!app.views.calibration) return;
    show("calibration");
    app.views.calibration.prefill(ev.detail.call, ev.detail.agent);
  });
  // A view's request answered 401: the session ended.
  document.addEventListener("hotline:signed-out", () => {
    if (app.me) signedOut();
  });
  try {
    signedIn(await call("GET", "/api/me"));
  } catch (err) {
    if (err.status !== 401) failed(err);
    signedOut();
  }
  document.body.dataset.ready = "true";
}

main();
