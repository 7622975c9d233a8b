// The console's shared helpers (every page loads this first, then its own <page>.js): fetch JSON
// from /api, render with textContent only (never innerHTML with data), send the CSRF token on every
// state change, and keep one WebSocket for live chats. Exposed as window.ConsoleKit.
"use strict";
(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const page = body.dataset.page;
  const $ = (id) => document.getElementById(id);
  // The status line reads as a sentence, also for the service's terse reasons ("this chat is
  // not active" -> "This chat is not active.").
  function sentence(text) {
    const t = String(text || "").trim();
    if (!t) return "";
    return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?…)]$/.test(t) ? "" : ".");
  }
  const status = (text) => { const el = $("status"); if (el) el.textContent = sentence(text); };

  async function api(path, data) {
    const options = data === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data),
    };
    let response;
    try {
      response = await fetch(path, Object.assign({ credentials: "same-origin" }, options));
    } catch (e) {
      throw problem(null, null);  // no answer at all (offline, the service restarting)
    }
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw problem(response.status, json.error);
    return json;
  }
  // An error staff may read: the service's own words, or a sentence; never a status code or a
  // programming message (e.status keeps the code for the page's logic).
  const NO_ANSWER = "The console could not reach the service just now. Please try again in a moment.";
  function problem(code, words) {
    const e = new Error(words || (code === null ? NO_ANSWER
      : "Something went wrong on the service's side. Please try again in a moment."));
    e.status = code; e.staffWords = true;
    return e;
  }
  function say(e) { return e && e.staffWords ? e.message : NO_ANSWER; }
  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }
  function link(td, href, text) {
    const a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a);
  }
  // In words, London time, like the server-rendered pages: "Wednesday 9 December 2026 at 17:00".
  const WHEN = { timeZone: "Europe/London", weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" };
  function when(iso) { return iso ? new Date(iso).toLocaleString("en-GB", WHEN) : ""; }
  function rows(id) { const tb = document.querySelector("#" + id + " tbody"); tb.replaceChildren(); return tb; }

  // -- live socket ------------------------------------------------------------------------------
  let socket = null;
  const handlers = [];
  const onOpen = [];  // pages that must catch up on what was pushed while no socket was open
  function connect() {
    if (!["operator", "admin"].includes(body.dataset.role)) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/live/ws");
    socket.onopen = () => {
      const p = $("presence"); if (p) { p.textContent = "online"; p.classList.add("online"); }
      onOpen.forEach((f) => f());
    };
    socket.onclose = () => {
      const p = $("presence"); if (p) { p.textContent = "offline"; p.classList.remove("online"); }
      setTimeout(connect, 3000);
    };
    socket.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === "queue") waitingNotice(m.live || []);
      handlers.forEach((h) => h(m));
    };
  }
  // Away from the queue (a case, the list, admin, another chat), the header says when people are
  // waiting for an operator, and links to the queue.
  function waitingNotice(live) {
    const notice = $("waiting-notice");
    if (!notice) return;
    const waiting = live.filter((c) => c.status === "waiting").length;
    notice.hidden = page === "queue" || !waiting;
    notice.textContent = waiting === 1 ? "1 chat waiting" : waiting + " chats waiting";
  }
  function send(type, id, extra) {
    socket.send(JSON.stringify(Object.assign({ type: type, id: Number(id), csrf_token: csrf }, extra || {})));
  }

  window.ConsoleKit = {
    body: body, csrf: csrf, page: page, $: $, status: status, api: api, cell: cell, link: link,
    when: when, rows: rows, send: send, handlers: handlers, onOpen: onOpen, say: say,
    // The page's function runs up to its first await (registering its socket handlers), then
    // the socket connects, so nothing pushed on open is missed.
    run: (f) => { const done = f(); connect(); return done.catch((e) => status(say(e))); },
  };
})();
