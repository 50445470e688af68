// hantu dashboard: reads the API with the key the user gives (kept in this tab's sessionStorage only),
// refreshes every few seconds, follows /stream for fills and alerts, and sends control requests with a
// control key asked for at the moment of the click. Data is only ever written with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 3000;
let key = sessionStorage.getItem("hantu.key") || "";
let streaming = null;
const prices = new Map();

function fromFragment() {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    key = decodeURIComponent(m[1]);
    sessionStorage.setItem("hantu.key", key);
    history.replaceState(null, "", location.pathname);
  }
}

function say(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "message ok" : "message";
  m.hidden = !text;
}

async function api(path, opts = {}, withKey = key) {
  const headers = Object.assign({ "X-API-Key": withKey }, opts.headers || {});
  const r = await fetch(path, Object.assign({}, opts, { headers }));
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const e = body && body.error ? body.error : { code: String(r.status), message: r.statusText };
    throw new Error(`${e.code}: ${e.message}${body.request_id ? " (request " + body.request_id + ")" : ""}`);
  }
  return body;
}

function won(s) {
  const n = Number(s);
  return Number.isFinite(n) ? Math.round(n).toLocaleString("ko-KR") : "—";
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function fill(id, rows, render) {
  const body = $(id);
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    render(tr, r);
    body.appendChild(tr);
  }
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 8;
    td.textContent = "none";
    td.className = "empty";
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

function sign(n) { return n > 0 ? "up" : n < 0 ? "down" : ""; }

async function status() {
  const s = await api("/status");
  const st = $("state");
  st.textContent = s.control.state;
  st.className = "badge " + s.control.state;
  const t = $("trader");
  if (s.trader) {
    t.textContent = `${s.trader.mode} · ${s.trader.strategy} · ${s.trader.alive ? "alive" : "silent " + Math.round(s.trader.heartbeat_age_s) + " s"}`;
    t.className = "badge " + (s.trader.alive ? "alive" : "dead");
    $("equity-now").textContent = "equity " + won(s.trader.equity);
    const pnl = Number(s.trader.pnl_today);
    $("pnl-today").textContent = "today " + (pnl > 0 ? "+" : "") + won(pnl);
  } else {
    t.textContent = "no trader";
    t.className = "badge dead";
  }
}

async function positions() {
  const p = await api("/positions");
  fill("positions", p.positions, (tr, x) => {
    const last = prices.get(x.code) ?? x.last_price;
    const pnl = last * x.qty - Number(x.cost);
    cell(tr, x.code);
    cell(tr, x.qty.toLocaleString());
    cell(tr, x.avg_cost ? won(x.avg_cost) : "—");
    cell(tr, won(last));
    cell(tr, won(last * x.qty));
    cell(tr, (pnl > 0 ? "+" : "") + won(pnl), sign(pnl));
  });
}

async function orders() {
  const o = await api("/orders?status=open");
  fill("orders", o.orders, (tr, x) => {
    cell(tr, x.client_id);
    cell(tr, x.code);
    cell(tr, x.side, x.side === "buy" ? "up" : "down");
    cell(tr, x.qty.toLocaleString());
    cell(tr, x.limit_price ? won(x.limit_price) : "market");
    cell(tr, x.filled_qty.toLocaleString());
    cell(tr, x.status);
  });
}

async function picks() {
  const p = await api("/picks");
  $("picks-date").textContent = p.date ? "for " + p.date : "";
  fill("picks", p.picks, (tr, x) => {
    cell(tr, x.code);
    cell(tr, x.class);
    cell(tr, x.score == null ? "—" : x.score.toFixed(1));
    cell(tr, Math.round(x.confidence * 100) + "%");
  });
}

async function equity() {
  const e = await api("/equity");
  $("equity-run").textContent = e.run ? `${e.run} #${e.run_id}` : "";
  const svg = $("equity");
  svg.replaceChildren();
  const ys = e.points.map((p) => Number(p.equity));
  if (ys.length < 2) return;
  const lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
  const pts = ys.map((y, i) => [(i / (ys.length - 1)) * 800, 190 - ((y - lo) / span) * 180]);
  const d = pts.map(([x, y], i) => (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1)).join(" ");
  const ns = "http://www.w3.org/2000/svg";
  const area = document.createElementNS(ns, "path");
  area.setAttribute("d", d + " L800 200 L0 200 Z");
  area.setAttribute("class", "area");
  const line = document.createElementNS(ns, "path");
  line.setAttribute("d", d);
  line.setAttribute("class", "line");
  const title = document.createElementNS(ns, "title");
  title.textContent = `${e.points[0].date} ${won(ys[0])} → ${e.points[ys.length - 1].date} ${won(ys[ys.length - 1])}`;
  svg.append(area, line, title);
}

function logLine(ts, kind, text) {
  const li = document.createElement("li");
  const k = document.createElement("span");
  k.className = "kind-" + kind;
  k.textContent = kind;
  li.append(ts.replace("T", " ").slice(0, 19) + " ", k, " " + text);
  return li;
}

async function logs() {
  const l = await api("/logs?limit=50");
  const ul = $("alerts");
  ul.replaceChildren();
  for (const e of l.events.slice().reverse()) ul.appendChild(logLine(e.ts, e.kind, `[${e.source}] ${e.message}`));
  for (const line of l.lines.slice(-20).reverse()) ul.appendChild(logLine("", "log", line));
}

async function health() {
  const r = await fetch("/health");
  const h = await r.json();
  const ul = $("health");
  ul.replaceChildren();
  for (const d of h.dependencies) {
    const li = document.createElement("li");
    li.className = d.ok ? "ok" : "bad";
    li.textContent = `${d.name} — ${d.detail} (${d.latency_ms.toFixed(1)} ms)`;
    ul.appendChild(li);
  }
}

async function refresh() {
  if (!key) { say("Enter an API key to connect.", false); return; }
  const parts = [status, positions, orders, picks, equity, logs, health];
  const results = await Promise.allSettled(parts.map((f) => f()));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) say(failed.reason.message, false);
  else if ($("message").className !== "message ok") say("", true);
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

// /stream over fetch (EventSource cannot send the key header): fills and alerts go to the log,
// prices update the positions' P&L.
async function follow() {
  if (streaming || !key) return;
  streaming = new AbortController();
  try {
    const r = await fetch("/stream", { headers: { "X-API-Key": key }, signal: streaming.signal });
    if (!r.ok || !r.body) throw new Error("stream " + r.status);
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!ev || !data) continue;
        if (ev === "price") {
          const p = JSON.parse(data);
          prices.set(p.code, p.price);
        } else if (ev !== "hello") {
          const x = JSON.parse(data);
          const text = ev === "fill" ? `${x.side} ${x.qty} ${x.code} @ ${won(x.price)}` : ev === "order" ? `${x.client_id} ${x.status}` : x.message;
          $("alerts").prepend(logLine(x.ts || x.updated || "", ev, text));
        }
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") say("live feed: " + e.message, false);
  }
  streaming = null;
  setTimeout(follow, 5000);
}

async function control(path, body, label) {
  const ck = window.prompt(`Control key to ${label}:`);
  if (!ck) return;
  try {
    const r = await api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, ck);
    say(`${label}: trader set to ${r.state} by ${r.by}`, true);
    await status();
  } catch (e) {
    say(`${label} failed: ${e.message}`, false);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  fromFragment();
  $("key").value = key;
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    key = $("key").value.trim();
    sessionStorage.setItem("hantu.key", key);
    refresh();
    follow();
  });
  $("pause").addEventListener("click", () => control("/trader/pause", { reason: "dashboard" }, "pause"));
  $("resume").addEventListener("click", () => control("/trader/resume", { reason: "dashboard" }, "resume"));
  $("stop").addEventListener("click", () => {
    const flatten = $("flatten").checked;
    if (flatten && !window.confirm("Cancel every order and sell every holding, then stop?")) return;
    control("/trader/stop", { flatten, reason: "dashboard" }, flatten ? "stop and flatten" : "stop");
  });
  refresh();
  follow();
  setInterval(refresh, REFRESH_MS);
});
