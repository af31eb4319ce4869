// spsmg operator console: polls /console/api/state every second and renders
// it; actions are POSTs to /admin/v1/ signed like the SPMS API (HMAC-SHA256
// of METHOD, target, timestamp, nonce and body joined by "\n", under the
// admin secret), with WebCrypto. The key and secret live in this tab's
// sessionStorage only. Everything is built with DOM calls (textContent),
// never from HTML strings.
"use strict";

const POLL_MS = 1000;
const ARM_MS = 4000; // a destructive button asks for a second click within this
const store = window.sessionStorage;
let armed = null; // {action, target, until}
let busy = false;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function num(v, digits) {
  if (v === null || v === undefined) return "–";
  return v.toLocaleString("en-US", { maximumFractionDigits: digits ?? 1 });
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + u[i];
}

function ms(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  return seconds < 0.001 ? (seconds * 1e6).toFixed(0) + " µs" : (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1) + " ms";
}

function duration(s) {
  return s < 60 ? s.toFixed(0) + " s" : s < 3600 ? (s / 60).toFixed(0) + " min" : s < 172800 ? (s / 3600).toFixed(1) + " h" : (s / 86400).toFixed(1) + " d";
}

function since(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString("en-GB") + " (" + duration(Math.max(0, (Date.now() - d.getTime()) / 1000)) + ")";
}

function actionButton(action, target, label, danger) {
  const isArmed = armed && armed.action === action && armed.target === target && armed.until > Date.now();
  const b = el("button", { type: "button", "data-action": action, "data-target": target, "data-danger": danger ? "1" : "" },
    isArmed ? "confirm " + label + "?" : label);
  if (isArmed) b.className = "armed";
  if (!credentials()) { b.disabled = true; b.title = "enter the admin key and secret above"; }
  return b;
}

function fill(tbody, rows, empty, cols) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { class: "muted", colSpan: cols }, empty))]));
}

function render(s) {
  const ready = document.getElementById("ready");
  ready.textContent = s.ready ? "ready" : "not ready: " + s.not_ready_reason;
  ready.className = "badge " + (s.ready ? "ok" : "bad");
  document.getElementById("summary").textContent =
    s.protocol + " · up " + duration(s.uptime_seconds) + " · " + num(s.decisions_per_second) + " MT/s decided";
  document.getElementById("updated").textContent = "updated " + new Date(s.taken).toLocaleTimeString("en-GB");

  fill(document.querySelector("#connections tbody"), s.connections.map(c => {
    const use = c.window ? c.inflight / c.window : 0;
    const bar = el("span", { class: "bar" + (use >= 1 ? " full" : "") }, el("span"));
    bar.firstChild.style.width = Math.min(100, use * 100).toFixed(0) + "%";
    return el("tr", { "data-conn": String(c.id) },
      el("td", { class: "num" }, c.id),
      el("td", {}, c.account, c.role === "receiver" ? el("span", { class: "muted" }, " (receiver)") : null),
      el("td", {}, c.remote),
      el("td", {}, since(c.since)),
      el("td", {}, bar, c.inflight + " / " + c.window),
      el("td", { class: "num" }, num(c.submits_per_second)),
      el("td", {}, actionButton("close", String(c.id), "close", true)));
  }), "no SP logged in", 7);

  fill(document.querySelector("#accounts tbody"), s.accounts.map(a => {
    const state = a.suspended
      ? el("span", { class: "pill bad", title: "by " + a.suspended_by + (a.suspend_reason ? ": " + a.suspend_reason : "") },
        "suspended since " + new Date(a.suspended_since).toLocaleString("en-GB"))
      : el("span", { class: "pill ok" }, "active");
    return el("tr", { "data-account": a.id },
      el("td", {}, a.id),
      el("td", {}, state),
      el("td", { class: "num" }, a.connections + " / " + a.max_connections),
      el("td", { class: "num" }, num(a.allowed_per_second)),
      el("td", { class: "num" }, num(a.refused_per_second)),
      el("td", { class: "num" }, num(a.backlog, 0)),
      el("td", {}, a.suspended ? actionButton("resume", a.id, "resume", false) : actionButton("suspend", a.id, "suspend", true)));
  }), "no account configured", 7);

  fill(document.querySelector("#binds tbody"), s.binds.map(b => {
    const health = b.healthy ? el("span", { class: "pill ok" }, "healthy")
      : el("span", { class: "pill bad", title: b.last_unhealthy || "" }, b.state === "unhealthy" ? "unhealthy" : "down");
    const rotation = b.drained ? el("span", { class: "pill warn" }, "drained") : el("span", { class: "pill" }, "in rotation");
    return el("tr", { "data-bind": String(b.id) },
      el("td", { class: "num" }, b.id),
      el("td", { class: "num" }, b.loop),
      el("td", {}, b.state, b.local_addr ? el("span", { class: "muted" }, " " + b.local_addr) : null),
      el("td", {}, rotation),
      el("td", { class: "num" }, b.inflight + " / " + b.window),
      el("td", { class: "num" }, ms(b.rtt_p99_seconds)),
      el("td", {}, health),
      el("td", {}, b.drained ? actionButton("restore", String(b.id), "restore", false) : actionButton("drain", String(b.id), "drain", true)));
  }), "no bind", 8);

  fill(document.querySelector("#decisions tbody"), s.decisions.map(d =>
    el("tr", {},
      el("td", {}, d.reason),
      el("td", {}, el("span", { class: "pill " + (d.result === "allow" ? "ok" : "warn") }, d.result)),
      el("td", { class: "num" }, num(d.per_second)),
      el("td", { class: "num" }, num(d.total, 0)))), "no MT decided yet", 4);

  const st = s.store;
  const rows = [
    ["state", el("span", { class: "pill " + (st.available ? "ok" : "bad") }, st.available ? "available" : "UNAVAILABLE: MT refused, MO forwarded")],
    ["backend", st.backend],
  ];
  if (st.path) rows.push(["path", st.path]);
  if (st.free_bytes !== null) rows.push(["free", bytes(st.free_bytes) + " of " + bytes(st.total_bytes)]);
  rows.push(["reserve", st.reserve_bytes === null ? "none configured" : bytes(st.reserve_bytes) + (st.space_low ? " (below it: nothing is written)" : "")]);
  if (st.error) rows.push(["error", st.error]);
  document.getElementById("store").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));

  document.getElementById("admin-state").textContent = !s.admin_configured
    ? "The admin API is off (no http.admin in the configuration): the console is read-only."
    : credentials() ? "Actions are signed as “" + credentials().key + "”." : "Enter the admin key and secret to act.";
  const rb = document.getElementById("reload");
  const rbArmed = armed && armed.action === "reload" && armed.until > Date.now();
  rb.textContent = rbArmed ? "confirm reload?" : "Reload config";
  rb.className = rbArmed ? "armed" : "";
  rb.disabled = !credentials();
}

async function poll() {
  try {
    const r = await fetch("/console/api/state", { cache: "no-store" });
    if (!r.ok) throw new Error(r.status + " " + (await r.text()));
    render(await r.json());
  } catch (e) {
    const ready = document.getElementById("ready");
    ready.textContent = "no answer: " + e.message;
    ready.className = "badge bad";
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function credentials() {
  const key = store.getItem("spsmg.admin.key"), secret = store.getItem("spsmg.admin.secret");
  return key && secret ? { key, secret } : null;
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), b => b.toString(16).padStart(2, "0")).join("");
}

// signedPost sends one admin request, signed as the API's package doc says.
async function signedPost(target, body) {
  const c = credentials();
  if (!window.isSecureContext || !crypto.subtle) {
    throw new Error("this page is not a secure context, so it cannot sign: use https, or http on 127.0.0.1");
  }
  const enc = new TextEncoder();
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const key = await crypto.subtle.importKey("raw", enc.encode(c.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = await crypto.subtle.sign("HMAC", key, enc.encode(["POST", target, ts, nonce, body].join("\n")));
  const headers = { "X-App-Key": c.key, "X-Timestamp": ts, "X-Nonce": nonce, "X-Signature": hex(sig) };
  if (body) headers["Content-Type"] = "application/json";
  const r = await fetch(target, { method: "POST", headers, body, cache: "no-store" });
  const answer = await r.json().catch(() => ({ code: "http_" + r.status, message: r.statusText }));
  return { ok: r.ok, answer };
}

const paths = {
  suspend: t => "/admin/v1/accounts/" + encodeURIComponent(t) + "/suspend",
  resume: t => "/admin/v1/accounts/" + encodeURIComponent(t) + "/resume",
  close: t => "/admin/v1/connections/" + encodeURIComponent(t) + "/close",
  drain: t => "/admin/v1/binds/" + encodeURIComponent(t) + "/drain",
  restore: t => "/admin/v1/binds/" + encodeURIComponent(t) + "/restore",
  reload: () => "/admin/v1/reload",
};

// status shows the outcome of the last thing done; data-action names the
// action it answers ("" for the credential buttons), "pending" while it runs.
function status(text, cls, action) {
  const s = document.getElementById("action-status");
  s.textContent = text;
  s.className = cls;
  s.setAttribute("data-action", action || "");
}

async function act(action, target) {
  const note = document.getElementById("admin-note").value.trim();
  const body = note ? JSON.stringify({ reason: note }) : "";
  busy = true;
  status(action + " " + target + " …", "pending", action);
  try {
    const { ok, answer } = await signedPost(paths[action](target), body);
    if (ok) {
      status(new Date().toLocaleTimeString("en-GB") + " " + answer.action + " " + (answer.target || "") + ": " + answer.result +
        (answer.warning ? " (" + answer.warning + ")" : ""), "ok", action);
    } else {
      status(action + " " + target + ": " + answer.code + ": " + answer.message, "bad", action);
    }
  } catch (e) {
    status(action + " " + target + ": " + e.message, "bad", action);
  } finally {
    busy = false;
  }
}

document.addEventListener("click", e => {
  const b = e.target.closest("button[data-action]");
  if (!b || b.disabled || busy) return;
  const action = b.getAttribute("data-action"), target = b.getAttribute("data-target");
  const danger = b.getAttribute("data-danger") === "1" || action === "reload";
  if (danger && !(armed && armed.action === action && armed.target === target && armed.until > Date.now())) {
    armed = { action, target, until: Date.now() + ARM_MS };
    b.textContent = "confirm " + b.textContent + "?";
    b.className = "armed";
    return;
  }
  armed = null;
  act(action, target);
});

document.getElementById("admin-form").addEventListener("submit", e => {
  e.preventDefault();
  const key = document.getElementById("admin-key").value.trim();
  const secret = document.getElementById("admin-secret").value;
  if (key && secret) {
    store.setItem("spsmg.admin.key", key);
    store.setItem("spsmg.admin.secret", secret);
    document.getElementById("admin-secret").value = "";
    status("credentials kept in this tab only", "ok");
  }
});

document.getElementById("admin-forget").addEventListener("click", () => {
  store.removeItem("spsmg.admin.key");
  store.removeItem("spsmg.admin.secret");
  status("credentials forgotten", "ok");
});

const c0 = credentials();
if (c0) document.getElementById("admin-key").value = c0.key;
poll();
