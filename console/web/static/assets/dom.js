// Small DOM helpers: elements are built with h, never from HTML strings.

import { t } from "./i18n.js";

// h makes an element: attrs are attributes ("class", "data-x"...), or
// properties when their name starts with "." (".value"), or listeners
// when it starts with "on" ("onclick"); children are nodes or text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith(".")) el[k.slice(1)] = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// setText sets el's text only when it changed, so an unchanged cell costs
// no layout.
export function setText(el, s) {
  s = String(s);
  if (el.textContent !== s) el.textContent = s;
}

// setAttr sets (or, for null, removes) an attribute only when it changed.
export function setAttr(el, name, v) {
  if (v === null || v === undefined || v === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
    return;
  }
  v = v === true ? "" : String(v);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

// $ finds one element by its id.
export function $(id) {
  return document.getElementById(id);
}

// flash shows a message for the user (an error, usually), or hides it
// for "".
export function flash(msg) {
  const el = $("flash");
  el.textContent = msg;
  el.hidden = !msg;
}

// failed shows err (an ApiError or another) as the user reads it; a 401
// (the session ended) brings the sign-in back.
export function failed(err) {
  if (err?.status === 401) document.dispatchEvent(new Event("hotline:signed-out"));
  flash(t("error.generic", { msg: err?.message ?? String(err) }));
}
