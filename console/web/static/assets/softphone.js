// The phone in the page. When the user's device is the browser
// ("WebRTC/<id>"), the page holds one RTCPeerConnection to Hotline all
// day (POST /api/softphone carries its offer; its ICE candidates trickle
// to /api/softphone/candidate) and plays the calls' audio in an autoplay
// <audio>; it reconnects with a new offer when the connection fails or
// the server restarts. A ringing call shows an incoming-call panel with a
// ring the page makes itself (WebAudio) and Answer / Reject; in a call,
// Mute, a DTMF keypad and Hang up. For a SIP phone the panel offers
// Reject and Hang up only: the agent answers on the phone.

import { agentPath, ApiError, call } from "./api.js";
import { $, failed, flash, h, setAttr, setText } from "./dom.js";
import { duration, t } from "./i18n.js";

const prefix = "WebRTC/";
// retryDelays are the waits, in seconds, before each new attempt to
// connect after a failure; the last repeats.
const retryDelays = [1, 2, 5, 10, 15];
// disconnectGrace is how long a disconnected connection may take to come
// back by itself before the page makes a new one (seconds).
const disconnectGrace = 5;
const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export class Softphone {
  // el is the phone's card; act(action, body) runs an action on the
  // agent (the desk's, which redraws from its answer); agent is the
  // user's 工号, "" for a supervisor's phone without one; now is the
  // server's time in ms (the snapshots' clock), for the caller's wait.
  constructor(el, { agent = "", act = null, now = Date.now } = {}) {
    this.el = el;
    this.now = now;
    this.agent = agent;
    this.actOnAgent = act;
    this.device = null; // unknown until the first update
    this.call = null; // the agent's call (acd.CallView)
    this.callID = "";
    this.muted = false;
    this.pc = null;
    this.mic = null;
    this.state = "off";
    this.problem = ""; // why the phone cannot work, for the status line
    this.attempt = 0;
    this.retryTimer = 0;
    this.graceTimer = 0;
    this.stopped = false;
    this.connecting = false;
    this.ring = new Ringer();
    this.build();
    this.onHide = () => this.pc?.close();
    window.addEventListener("pagehide", this.onHide);
    // A page reloaded with its sign-in has had no click yet, and a
    // browser may hold its sound back until one: any click lets it out.
    this.onPointer = () => this.unblockAudio();
    document.addEventListener("pointerdown", this.onPointer);
    // One phone per user: the server keeps one session, and a tab that
    // connects replaces another's. The tabs tell each other, so that the
    // one replaced stands aside (and offers to take the phone back)
    // rather than reconnecting against the other all day.
    this.tab = Math.random().toString(36).slice(2);
    this.channel = "BroadcastChannel" in window ? new BroadcastChannel("hotline-phone") : null;
    this.channel?.addEventListener("message", (ev) => {
      if (ev.data?.taken && ev.data.tab !== this.tab && ev.data.user === this.agent) this.standAside();
    });
    // For tests and the curious: the phone's state.
    window.hotlinePhone = this;
  }

  build() {
    const btn = (id, key, f, cls) => h("button", { type: "button", id, class: cls, "data-i18n": key, onclick: f }, t(key));
    this.status = h("p", { id: "sp-status", class: "sp-status", "data-state": "off" });
    this.audio = h("audio", { id: "sp-audio", autoplay: true });
    this.ringPanel = h("div", { id: "sp-ring", class: "sp-ring", hidden: true },
      h("strong", { "data-i18n": "sp.incoming" }, t("sp.incoming")),
      h("dl", { class: "details" },
        h("dt", { "data-i18n": "call.caller" }, t("call.caller")), h("dd", { id: "sp-caller" }),
        h("dt", { "data-i18n": "call.queue" }, t("call.queue")), h("dd", { id: "sp-queue" }),
        h("dt", { "data-i18n": "call.wait" }, t("call.wait")), h("dd", { id: "sp-wait" })),
      h("div", { class: "actions" },
        btn("sp-answer", "sp.answer", () => this.act("answer"), "answer"),
        btn("sp-reject", "sp.reject", () => this.act("reject"), "reject")));
    this.take = btn("sp-take", "sp.take", () => {
      this.attempt = 0;
      this.connect();
    });
    this.take.hidden = true;
    this.keypad = h("div", { id: "sp-keypad", class: "keypad", role: "group", "data-i18n-aria-label": "sp.keypad", "aria-label": t("sp.keypad") },
      ...digits.map((d) => h("button", { type: "button", "data-digit": d, onclick: () => this.dtmf(d) }, d)));
    this.inCall = h("div", { id: "sp-incall", hidden: true },
      h("div", { class: "actions" },
        h("button", { type: "button", id: "sp-mute", "aria-pressed": "false", onclick: () => this.mute(!this.muted) }, t("sp.mute")),
        h("span", { id: "sp-muted", class: "badge warn", "data-i18n": "sp.muted", hidden: true }, t("sp.muted")),
        btn("sp-hangup", "sp.hangup", () => this.act("hangup"), "reject")),
      this.keypad);
    this.body = h("div", { class: "sp-body" }, this.status, this.take, this.ringPanel, this.inCall, this.audio);
    this.el.append(this.body);
  }

  stop() {
    this.stopped = true;
    this.channel?.close();
    window.removeEventListener("pagehide", this.onHide);
    document.removeEventListener("pointerdown", this.onPointer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    this.ring.stop();
    this.hangUpPeer();
    for (const tr of this.mic?.getTracks() ?? []) tr.stop();
    this.mic = null;
    this.body.remove();
    if (window.hotlinePhone === this) delete window.hotlinePhone;
  }

  get browser() {
    return this.device?.startsWith(prefix) ?? false;
  }

  // update gives the phone the user's device and the agent's call, from
  // each snapshot (or the user's own configured device).
  update(device, callView) {
    if (this.stopped) return;
    device = device ?? "";
    if (device !== this.device) {
      const was = this.browser;
      this.device = device;
      if (this.browser && !was) this.connect();
      if (!this.browser && was) this.disconnect();
    }
    const c = callView ?? null;
    if ((c?.call_id ?? "") !== this.callID) {
      this.callID = c?.call_id ?? "";
      this.muted = false; // each call starts unmuted
    }
    this.call = c;
    this.render();
  }

  // connect opens a new peer connection and its session, replacing any.
  async connect() {
    if (this.stopped || !this.browser) return;
    this.connecting = true;
    try {
      await this.open();
    } finally {
      this.connecting = false;
    }
  }

  async open() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    this.hangUpPeer();
    this.problem = "";
    this.setState(this.attempt > 0 ? "reconnecting" : "connecting");
    try {
      if (!this.mic) this.mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      this.problem = t("sp.nomic", { msg: err.message || err.name });
      this.setState("off");
      return this.retry();
    }
    if (this.stopped || !this.browser) return;
    let iceServers = [];
    try {
      iceServers = (await call("GET", "/api/softphone")).ice_servers ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return failed(err);
      this.problem = err.message || String(err);
      this.setState("off");
      return this.retry();
    }
    if (this.stopped || !this.browser) return;
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    for (const track of this.mic.getAudioTracks()) pc.addTrack(track, this.mic);
    pc.addEventListener("track", (ev) => {
      this.audio.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
      this.audio.play().catch(() => {}); // autoplay may want a gesture first; the call's buttons give one
    });
    pc.addEventListener("connectionstatechange", () => this.peerState(pc));
    // Candidates trickle once the server has the session; those found
    // before wait for it.
    let open = false;
    const early = [];
    pc.addEventListener("icecandidate", (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) return;
      if (open) this.candidate(pc, ev.candidate.toJSON());
      else early.push(ev.candidate.toJSON());
    });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      const ans = await call("POST", "/api/softphone", { sdp: pc.localDescription.sdp });
      if (this.pc !== pc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: ans.sdp });
      open = true;
      this.muted = false; // a new session starts unmuted
      this.channel?.postMessage({ taken: true, tab: this.tab, user: this.agent });
      for (const c of early) this.candidate(pc, c);
      // The server closing its end (a sign-out elsewhere, a restart) ends
      // DTLS at once: no need to wait for ICE to notice.
      const dtls = pc.getSenders()[0]?.transport;
      dtls?.addEventListener("statechange", () => {
        if (this.pc === pc && (dtls.state === "closed" || dtls.state === "failed")) {
          this.setState("reconnecting");
          this.retry();
        }
      });
    } catch (err) {
      if (this.pc !== pc) return;
      this.hangUpPeer();
      if (err instanceof ApiError && err.status === 401) return failed(err);
      this.problem = t("sp.unavailable", { msg: err.message });
      this.setState("off");
      // 404 (no softphone here), 403 and 409 (not the browser's phone)
      // will not change by trying again.
      if (err instanceof ApiError && [403, 404, 409].includes(err.status)) return;
      this.retry();
    }
  }

  async candidate(pc, c) {
    try {
      await call("POST", "/api/softphone/candidate", c);
    } catch {
      // the session was replaced, or the server went away: the
      // connection's state says what comes next
    }
  }

  // peerState follows the connection: connected, or gone (failed at
  // once, disconnected after a grace), which makes a new one.
  peerState(pc) {
    if (this.pc !== pc) return;
    clearTimeout(this.graceTimer);
    switch (pc.connectionState) {
      case "connected":
        this.attempt = 0;
        this.problem = "";
        this.setState("connected");
        break;
      case "failed":
        this.setState("reconnecting");
        this.retry();
        break;
      case "disconnected":
        this.setState("reconnecting");
        this.graceTimer = setTimeout(() => {
          if (this.pc === pc && pc.connectionState !== "connected") this.retry();
        }, disconnectGrace * 1000);
        break;
    }
  }

  // retry connects again after the next delay.
  retry() {
    if (this.stopped || !this.browser) return;
    clearTimeout(this.retryTimer);
    const delay = retryDelays[Math.min(this.attempt, retryDelays.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), delay * 1000);
  }

  // reconnectIfDown connects at once when the phone is not connected
  // (the event stream came back: the server may have restarted).
  reconnectIfDown() {
    if (this.browser && !this.stopped && !this.connecting && !["connected", "connecting", "elsewhere"].includes(this.state)) {
      this.attempt = Math.max(this.attempt, 1);
      this.connect();
    }
  }

  // standAside gives the phone up to another tab of the same user.
  standAside() {
    if (this.stopped || !this.browser) return;
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    this.hangUpPeer();
    this.problem = "";
    this.setState("elsewhere");
  }

  hangUpPeer() {
    const pc = this.pc;
    this.pc = null;
    if (pc) pc.close();
    this.audio.srcObject = null;
  }

  // disconnect ends the browser phone: the device is no longer the
  // browser.
  disconnect() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    if (this.pc) call("DELETE", "/api/softphone").catch(() => {});
    this.hangUpPeer();
    this.setState("off");
  }

  setState(s) {
    this.state = s;
    this.render();
  }

  async act(action, body) {
    if (action === "answer") this.unblockAudio(); // the click is the gesture a browser may want
    if (this.actOnAgent) return this.actOnAgent(action, body);
    flash("");
    try {
      await call("POST", agentPath(this.agent, action), body);
    } catch (err) {
      failed(err);
    }
  }

  dtmf(d) {
    this.ring.beep(); // the key's feedback
    this.act("dtmf", { digits: d });
  }

  async mute(on) {
    flash("");
    try {
      const m = await call("POST", "/api/softphone/mute", { on });
      this.muted = m.muted;
      document.body.dataset.lastAction = "mute";
      this.render();
    } catch (err) {
      failed(err);
    }
  }

  // unblockAudio starts the call's audio and the ring if the browser held
  // them back for want of a user gesture.
  unblockAudio() {
    if (this.audio.srcObject && this.audio.paused) this.audio.play().catch(() => {});
    if (this.ring.ctx?.state === "suspended") this.ring.ctx.resume().catch(() => {});
  }

  relabel() {
    this.render();
  }

  render() {
    if (this.stopped) return;
    const dev = this.device ?? "";
    const c = this.call;
    const ringing = !!c && c.phase === "ringing" && !!this.agent;
    const inCall = !!c && !ringing && !!this.agent;
    let status;
    if (!this.browser) status = dev ? t("sp.state.sip", { device: dev }) : t("sp.state.none");
    else status = this.problem || t("sp.state." + this.state);
    setText(this.status, status);
    setAttr(this.status, "data-state", this.browser ? (this.problem ? "problem" : this.state) : "sip");
    this.take.hidden = !this.browser || this.state !== "elsewhere";
    this.ringPanel.hidden = !ringing;
    if (ringing) {
      setText($("sp-caller"), c.caller);
      setText($("sp-queue"), c.queue);
    }
    $("sp-answer").hidden = !this.browser;
    $("sp-answer").disabled = this.state !== "connected";
    // A supervisor's phone (no agent) has mute alone, for whispering
    // and barging in.
    const supervisor = !this.agent && this.browser && this.state === "connected";
    this.inCall.hidden = !inCall && !supervisor;
    $("sp-hangup").hidden = !this.agent;
    const talking = c?.phase === "talking";
    $("sp-mute").hidden = !this.browser;
    $("sp-mute").disabled = !supervisor && !talking && c?.phase !== "held";
    setText($("sp-mute"), t(this.muted ? "sp.unmute" : "sp.mute"));
    setAttr($("sp-mute"), "aria-pressed", this.muted ? "true" : "false");
    $("sp-muted").hidden = !this.muted || !this.browser;
    this.keypad.hidden = !this.browser || !this.agent;
    for (const b of this.keypad.querySelectorAll("button")) b.disabled = !talking;
    this.el.classList.toggle("ringing", ringing);
    if (ringing && this.browser) this.ring.start();
    else this.ring.stop();
    this.tick();
  }

  // tick counts the ringing caller's wait on.
  tick() {
    const c = this.call;
    if (c?.phase === "ringing") setText($("sp-wait"), duration((this.now() - Date.parse(c.arrived)) / 1000));
  }
}

// Ringer makes the ring in the page with WebAudio: a 440 + 480 Hz
// two-tone, 0.4 s on, 0.2 s off, 0.4 s on, then 2 s of silence, until
// stopped; no sound file.
class Ringer {
  constructor() {
    this.ctx = null;
    this.timer = 0;
    this.ringing = false;
  }
  context() {
    if (!this.ctx) this.ctx = new AudioContext();
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    return this.ctx;
  }
  // tone plays freqs from at for secs seconds.
  tone(at, secs, freqs, level = 0.12) {
    const ctx = this.context();
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(level, at + 0.01);
    gain.gain.setValueAtTime(level, at + secs - 0.01);
    gain.gain.linearRampToValueAtTime(0, at + secs);
    gain.connect(ctx.destination);
    for (const f of freqs) {
      const osc = ctx.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(at);
      osc.stop(at + secs);
    }
  }
  start() {
    if (this.ringing) return;
    this.ringing = true;
    const cycle = () => {
      const at = this.context().currentTime + 0.05;
      this.tone(at, 0.4, [440, 480]);
      this.tone(at + 0.6, 0.4, [440, 480]);
    };
    cycle();
    this.timer = setInterval(cycle, 3000);
    document.body.dataset.ringing = "true";
  }
  stop() {
    if (!this.ringing) return;
    this.ringing = false;
    clearInterval(this.timer);
    delete document.body.dataset.ringing;
    // Cut the cycle under way at once.
    this.ctx?.close().catch(() => {});
    this.ctx = null;
  }
  // beep is a key's short click of feedback.
  beep() {
    const ctx = this.context();
    this.tone(ctx.currentTime, 0.08, [1209, 697], 0.05);
  }
}
