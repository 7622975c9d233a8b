// The console's live page (uses window.ConsoleKit from console.js).
"use strict";
(function () {
  const { body, $, status, api, cell, link, when, rows, send, handlers, onOpen } = window.ConsoleKit;

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

  window.ConsoleKit.run(livePage);
})();
