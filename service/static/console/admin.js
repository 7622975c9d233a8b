// The console's admin page (uses window.ConsoleKit from console.js).
"use strict";
(function () {
  const { body, $, status, api, cell, link, when, rows, send, handlers, onOpen } = window.ConsoleKit;

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

  window.ConsoleKit.run(adminPage);
})();
