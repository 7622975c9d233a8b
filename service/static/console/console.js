// Console pages: fetch JSON from /api, render with textContent only (never innerHTML with data),
// send the CSRF token on every state change, and keep one WebSocket for live chats.
"use strict";
(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const page = body.dataset.page;
  const $ = (id) => document.getElementById(id);
  const status = (text) => { const el = $("status"); if (el) el.textContent = text; };

  async function api(path, data) {
    const options = data === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data),
    };
    const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options));
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(json.error || ("HTTP " + response.status));
    return json;
  }
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
  function when(iso) { return iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "Europe/London" }) : ""; }
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
    socket.onmessage = (event) => { const m = JSON.parse(event.data); handlers.forEach((h) => h(m)); };
  }
  function send(type, id, extra) {
    socket.send(JSON.stringify(Object.assign({ type: type, id: Number(id), csrf_token: csrf }, extra || {})));
  }

  // -- pages ------------------------------------------------------------------------------------
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

  async function livePage() {
    const id = body.dataset.requestId;
    const list = $("transcript");
    const shown = new Set();  // the page load and the socket can both deliver a line
    function add(line) {
      const key = line.sender + "|" + line.at + "|" + line.text;
      if (shown.has(key)) return;
      shown.add(key);
      const li = document.createElement("li");
      li.className = line.sender; li.textContent = line.sender + ": " + line.text;
      list.appendChild(li); list.scrollTop = list.scrollHeight;
    }
    async function load() {
      const t = await api("/api/live/" + id);
      $("chat-meta").textContent = "· " + t.language + (t.interpreter_needed ? " · interpreter needed" : "") + " · " + t.channel + " · " + t.status;
      t.lines.forEach(add);
    }
    // A line the person sent while this page had no socket (page load, reconnect) is read here.
    onOpen.push(() => load().catch((e) => status(e.message)));
    await load();
    handlers.push((m) => {
      if (m.type === "line" && String(m.id) === String(id)) add(m);
      if (m.type === "error") status(m.error);
      if (m.type === "ok") status(m.for + " done");
    });
    $("reply-form").onsubmit = (e) => {
      e.preventDefault();
      const text = $("reply").value.trim();
      if (!text) return;
      send("reply", id, { text: text }); $("reply").value = "";
    };
    $("accept").onclick = () => send("accept", id);
    $("handback").onclick = () => send("handback", id);
    $("close").onclick = () => send("close", id);
  }

  async function casePage() {
    const ref = body.dataset.reference;
    $("ref").textContent = ref;
    const c = await api("/api/cases/" + encodeURIComponent(ref));
    const out = $("case-body"); out.replaceChildren();
    const dl = document.createElement("dl");
    function item(k, v) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = typeof v === "object" ? JSON.stringify(v, null, 1) : String(v);
      dl.appendChild(dt); dl.appendChild(dd);
    }
    ["status", "created_at", "language", "channel", "police_referral", "caseworker_requested"].forEach((k) => item(k, c[k]));
    item("incident", c.incident); item("contact", c.contact);
    item("consents", (c.consents || []).map((x) => x.kind + ": " + x.value + (x.withdrawn_at ? " (withdrawn)" : "")).join("; "));
    if (c.casework) item("casework", c.casework);
    item("contact attempts", (c.attempts || []).map((a) => when(a.at) + " " + a.outcome + " by " + a.by).join("; "));
    item("notes", (c.notes || []).map((n) => when(n.at) + " " + n.by + ": " + n.text).join("\n"));
    out.appendChild(dl);
    const run = async (path, data) => { try { await api("/api/cases/" + encodeURIComponent(ref) + path, data); status("Saved."); casePage(); } catch (e) { status(e.message); } };
    $("attempt").onclick = () => run("/attempts", { outcome: $("outcome").value });
    $("set-status").onclick = () => run("/status", { status: $("cw-status").value });
    $("add-note").onclick = () => { const text = $("note").value; $("note").value = ""; run("/notes", { text: text }); };
    if ($("unlock")) $("unlock").onclick = () => run("/unlock", {});
  }

  async function adminPage() {
    const users = await api("/api/admin/users");
    const tb = rows("users");
    users.forEach((u) => {
      const tr = document.createElement("tr");
      cell(tr, u.email); cell(tr, u.role); cell(tr, u.organisation); cell(tr, u.languages.join(",")); cell(tr, u.active ? "yes" : "no");
      const b = document.createElement("button"); b.textContent = u.active ? "Disable" : "Enable";
      b.onclick = async () => { await api("/api/admin/users/" + u.id + "/active", { active: !u.active }); adminPage(); };
      cell(tr, "").appendChild(b); tb.appendChild(tr);
    });
    const h = await api("/api/admin/hours");
    $("h-opens").value = h.opens; $("h-closes").value = h.closes; $("h-days").value = h.weekdays.join(",");
    $("h-region").value = h.region; $("h-closures").value = h.closures.map((c) => c.day).join("\n");
    const pb = rows("partners");
    (await api("/api/admin/partners")).forEach((p) => {
      const tr = document.createElement("tr");
      cell(tr, p.id); cell(tr, p.name); cell(tr, p.languages.join(",")); cell(tr, p.regions.join(",")); cell(tr, p.support.join(","));
      pb.appendChild(tr);
    });
    const ab = rows("audit");
    (await api("/api/admin/audit")).forEach((a) => {
      const tr = document.createElement("tr"); cell(tr, when(a.at)); cell(tr, a.user); cell(tr, a.action); cell(tr, a.subject); ab.appendChild(tr);
    });
    $("new-user").onsubmit = async (e) => {
      e.preventDefault();
      try {
        await api("/api/admin/users", {
          email: $("nu-email").value, role: $("nu-role").value, organisation: $("nu-org").value || null,
          languages: $("nu-langs").value.split(",").map((x) => x.trim()).filter(Boolean), password: $("nu-password").value,
        });
        status("Account created."); adminPage();
      } catch (err) { status(err.message); }
    };
    $("hours").onsubmit = async (e) => {
      e.preventDefault();
      try {
        await api("/api/admin/hours", {
          opens: $("h-opens").value, closes: $("h-closes").value, region: $("h-region").value,
          weekdays: $("h-days").value.split(",").map((x) => Number(x.trim())).filter((x) => !Number.isNaN(x)),
          closures: $("h-closures").value.split(/\s+/).filter(Boolean).map((d) => ({ day: d })),
        });
        status("Hours saved.");
      } catch (err) { status(err.message); }
    };
  }

  connect();
  const pages = { queue: queuePage, live: livePage, case: casePage, admin: adminPage };
  (pages[page] || (async () => {}))().catch((e) => status(e.message));
})();
