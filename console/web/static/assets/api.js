// The console's JSON API and its event stream. The session is the
// HttpOnly cookie POST /api/login sets; the page never sees the token.

// ApiError is an answer other than 2xx: its status and the API's message.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// call sends a request (body: an object sent as JSON) and returns the
// decoded answer, or null for 204.
export async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  if (!resp.ok) throw new ApiError(resp.status, data?.error ?? `HTTP ${resp.status}`);
  return data;
}

// agentPath is the path of an agent's action.
export function agentPath(id, action) {
  return `/api/agents/${encodeURIComponent(id)}/${action}`;
}

// Live is the snapshot stream: it calls each listener with every
// snapshot (the newest state, scoped to the user), and onStatus with
// true / false as the connection comes and goes. EventSource reconnects
// by itself.
export class Live {
  constructor() {
    this.listeners = new Set();
    this.statusListeners = new Set();
    this.last = null;
    this.receivedAt = 0;
    this.source = null;
    this.stopped = false;
    this.retry = 0;
  }
  start() {
    if (this.source) return;
    this.stopped = false;
    const src = new EventSource("/api/stream");
    this.source = src;
    src.addEventListener("snapshot", (ev) => {
      this.last = JSON.parse(ev.data);
      this.receivedAt = performance.now();
      for (const f of this.listeners) f(this.last);
    });
    src.addEventListener("open", () => this.status(true));
    src.addEventListener("error", () => {
      this.status(false);
      // EventSource retries a dropped connection by itself, but gives up
      // on an answer other than 200: the session ended (401), or the
      // server is restarting behind a proxy (502). Ask which.
      if (src.readyState === EventSource.CLOSED && this.source === src) {
        this.source = null;
        this.recover();
      }
    });
  }
  async recover() {
    try {
      await call("GET", "/api/me");
    } catch (err) {
      if (err.status === 401) {
        document.dispatchEvent(new Event("hotline:signed-out"));
        return;
      }
    }
    this.retry = setTimeout(() => {
      if (!this.stopped) this.start();
    }, 3000);
  }
  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.last = null;
  }
  status(up) {
    for (const f of this.statusListeners) f(up);
  }
  // subscribe calls f with each snapshot, the latest at once if any.
  subscribe(f) {
    this.listeners.add(f);
    if (this.last) f(this.last);
    return () => this.listeners.delete(f);
  }
  onStatus(f) {
    this.statusListeners.add(f);
  }
  // elapsed is the seconds since the last snapshot arrived: views add it
  // to the snapshot's durations to count on between snapshots.
  elapsed() {
    return this.last ? (performance.now() - this.receivedAt) / 1000 : 0;
  }
}
