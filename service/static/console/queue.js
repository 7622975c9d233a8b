// The console's queue page (uses window.ConsoleKit from console.js).
"use strict";
(function () {
  const { body, $, status, api, cell, link, when, rows, send, handlers, onOpen } = window.ConsoleKit;

  function renderLive(items) {
    const tb = rows("live");
    items.forEach((c) => {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      cell(tr, c.id); cell(tr, c.status); cell(tr, c.language);
      cell(tr, c.interpreter_needed ? "needed" : "no"); cell(tr, c.channel);
      cell(tr, Math.round(c.waiting_seconds / 60) + " min");
      const td = cell(tr, "");
      if (c.status === "waiting") {
        const b = document.createElement("button");
        b.textContent = "Accept"; b.className = "accept";
        b.onclick = async () => {
          try { await api("/api/live/" + c.id + "/accept", {}); location.href = "/console/live/" + c.id; }
          catch (e) { alert(e.message); }
        };
        td.appendChild(b);
      } else { link(td, "/console/live/" + c.id, "Open"); }
      tb.appendChild(tr);
    });
  }
  async function queuePage() {
    const q = await api("/api/queue");
    if ($("live")) {
      renderLive(q.live);
      const tb = rows("callbacks");
      q.callbacks.forEach((c) => {
        const tr = document.createElement("tr");
        if (c.overdue) tr.className = "overdue";
        link(cell(tr, ""), "/console/cases/" + c.reference, c.reference);
        cell(tr, c.language); cell(tr, c.safe_times);
        cell(tr, c.may_leave_message === null ? "?" : (c.may_leave_message ? "yes" : "NO"));
        cell(tr, when(c.due) + (c.overdue ? " (overdue)" : ""));
        const b = document.createElement("button"); b.textContent = "Done";
        b.onclick = async () => { await api("/api/callbacks/" + c.id + "/status", { status: "done" }); queuePage(); };
        cell(tr, "").appendChild(b);
        tb.appendChild(tr);
      });
      handlers.push((m) => { if (m.type === "queue") renderLive(m.live); });
    }
    const tb = rows("casework");
    q.casework.forEach((c) => {
      const tr = document.createElement("tr");
      if (c.overdue) tr.className = "overdue";
      link(cell(tr, ""), "/console/cases/" + c.reference, c.reference);
      cell(tr, c.language); cell(tr, c.partner_id || "unmatched"); cell(tr, c.status);
      cell(tr, when(c.first_contact_due)); cell(tr, when(c.caseworker_due));
      tb.appendChild(tr);
    });
  }

  window.ConsoleKit.run(queuePage);
})();
