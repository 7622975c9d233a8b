// The console's case page (uses window.ConsoleKit from console.js).
"use strict";
(function () {
  const { body, $, status, api, cell, link, when, rows, send, handlers, onOpen } = window.ConsoleKit;

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

  window.ConsoleKit.run(casePage);
})();
