// The console's queue page (uses window.ConsoleKit from console.js).
"use strict";
(function () {
  const { body, $, status, api, cell, link, when, rows, send, handlers, onOpen, say } = window.ConsoleKit;

  const CASEWORK = {
    queued: "Waiting for a caseworker", accepted: "Accepted", contacted: "Contacted",
    in_progress: "In progress", closed: "Closed",
  };
  const names = (typeof Intl.DisplayNames === "function")
    ? new Intl.DisplayNames(["en-GB"], { type: "language" }) : null;
  // "Vietnamese": the name only (staff never see a language code).
  function languageName(code) {
    let name = null;
    try { name = names && code ? names.of(code) : null; } catch (e) { name = null; }
    return name && name !== code ? name : "Another language";
  }

  // -- live chats: waiting time in words (counting on between pushes), "new message" badge,
  // interpreter needed / arranged; the row's buttons keep keyboard focus across re-renders.
  let me = null;        // the signed-in user's e-mail (whose chats are "with you")
  let received = 0;     // when the shown waiting times were true

  function duration(seconds) {
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "less than a minute";
    const hours = Math.floor(minutes / 60), rest = minutes % 60;
    const m = rest + (rest === 1 ? " minute" : " minutes");
    if (!hours) return m;
    const h = hours + (hours === 1 ? " hour" : " hours");
    return rest ? h + " " + m : h;
  }
  function tickWaiting() {
    const extra = (Date.now() - received) / 1000;
    document.querySelectorAll("#live [data-seconds]").forEach((el) => {
      el.textContent = duration(Number(el.dataset.seconds) + extra);
    });
  }
  function button(text, key, onclick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.dataset.focusKey = key; b.onclick = onclick;
    return b;
  }
  function renderLive(items) {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.focusKey : undefined;
    const tb = rows("live");
    received = Date.now();
    items.forEach((c) => {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      cell(tr, c.id);
      const state = cell(tr, c.status === "waiting" ? "Waiting"
        : (c.operator === me ? "With you" : "With " + (c.operator || "an operator")));
      if (c.unread) {
        const badge = document.createElement("strong");
        badge.className = "badge"; badge.textContent = "New message";
        state.appendChild(document.createTextNode(" ")); state.appendChild(badge);
      }
      cell(tr, c.language_name || languageName(c.language));
      const interp = cell(tr, "");
      if (c.interpreter_arranged) {
        const done = document.createElement("span");
        done.textContent = "Interpreter arranged"; done.tabIndex = -1;
        done.dataset.focusKey = "interpreter-" + c.id;
        interp.appendChild(done);
      } else if (c.interpreter_needed) {
        interp.appendChild(document.createTextNode("Needed "));
        const b = button("Interpreter arranged", "interpreter-" + c.id, async () => {
          try { await api("/api/live/" + c.id + "/interpreter", {}); status("Recorded: interpreter arranged for chat " + c.id + "."); }
          catch (e) { status(say(e)); }
        });
        b.setAttribute("aria-label", "Interpreter arranged for chat " + c.id);
        interp.appendChild(b);
      } else {
        interp.textContent = "Not needed";
      }
      cell(tr, c.channel_name || "");
      const waiting = cell(tr, "");
      if (c.status === "waiting") {
        waiting.dataset.seconds = c.waiting_seconds;
        waiting.textContent = duration(c.waiting_seconds);
      } else {
        waiting.textContent = "Accepted";
      }
      const td = cell(tr, "");
      if (c.status === "waiting") {
        const b = button("Accept", "accept-" + c.id, async () => {
          try { await api("/api/live/" + c.id + "/accept", {}); location.href = "/console/live/" + c.id; }
          catch (e) { status(say(e)); }
        });
        b.className = "accept";
        b.setAttribute("aria-label", "Accept chat " + c.id);
        td.appendChild(b);
      } else {
        link(td, "/console/live/" + c.id, "Open");
        td.lastChild.dataset.focusKey = "open-" + c.id;
        td.lastChild.setAttribute("aria-label", "Open chat " + c.id);
      }
      tb.appendChild(tr);
    });
    if (focused) {
      const again = document.querySelector('#live [data-focus-key="' + focused + '"]');
      if (again) again.focus();
    }
  }
  // Once per page: the socket's queue pushes are taken from the start (the first comes as the
  // socket opens, before the page's own reads may have returned).
  let pushed = null;
  async function startLive() {
    if (!$("live")) return;
    handlers.push((m) => {
      if (m.type !== "queue") return;
      pushed = m.live;
      if (me !== null) renderLive(m.live);
    });
    setInterval(tickWaiting, 15000);
    me = (await api("/api/me")).user.email;
  }

  // Partner names for operators and admins (a caseworker's queue holds only their own partner).
  const partners = {};
  async function loadPartners() {
    if (!["operator", "admin"].includes(body.dataset.role)) return;
    try { (await api("/api/admin/partners")).forEach((p) => { partners[p.id] = p.name; }); }
    catch (e) { /* the ids stay */ }
  }

  async function queuePage() {
    const q = await api("/api/queue");
    if (!Object.keys(partners).length) await loadPartners();
    if ($("live")) {
      renderLive(pushed || q.live);
      const tb = rows("callbacks");
      q.callbacks.forEach((c) => {
        const tr = document.createElement("tr");
        if (c.overdue) tr.className = "overdue";
        if (c.reference) link(cell(tr, ""), "/console/cases/" + c.reference, c.reference);
        else cell(tr, "No report");
        cell(tr, c.language_name || languageName(c.language)); cell(tr, c.safe_times);
        cell(tr, c.may_leave_message === null ? "Not asked"
          : (c.may_leave_message ? "Yes" : "No: do not leave a message"));
        cell(tr, when(c.due) + (c.overdue ? " (overdue)" : ""));
        const b = document.createElement("button"); b.type = "button"; b.textContent = "Done";
        b.setAttribute("aria-label", "Callback " + (c.reference || c.id) + " done");
        b.onclick = async () => {
          try { await api("/api/callbacks/" + c.id + "/status", { status: "done" }); queuePage(); }
          catch (e) { status(say(e)); }
        };
        cell(tr, "").appendChild(b);
        tb.appendChild(tr);
      });
    }
    const tb = rows("casework");
    q.casework.forEach((c) => {
      const tr = document.createElement("tr");
      if (c.overdue) tr.className = "overdue";
      link(cell(tr, ""), "/console/cases/" + c.reference, c.reference);
      cell(tr, c.language_name || languageName(c.language));
      cell(tr, c.partner_id
        ? (c.partner_name || partners[c.partner_id] || "A partner no longer in the directory")
        : "Not matched yet");
      cell(tr, CASEWORK[c.status] || "In the caseworker queue");
      // Overdue in words, not by colour alone: each promise already past its date says so.
      [c.first_contact_due, c.caseworker_due].forEach((due) => {
        const late = c.overdue && due && new Date(due).getTime() < Date.now();
        cell(tr, when(due) + (late ? " (overdue)" : ""));
      });
      tb.appendChild(tr);
    });
  }

  window.ConsoleKit.run(async () => { await startLive(); await queuePage(); });
})();
