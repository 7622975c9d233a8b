// The console's live page (uses window.ConsoleKit from console.js): the conversation as the person
// saw it, the chat's state (waiting → accepted by you → handed back / closed) with only the actions
// that state allows, typed and prepared replies. The form choosing the language the prepared
// messages are listed in is a plain form (it works without this script): shown with them.
"use strict";
(function () {
  const { body, $, status, api, send, handlers, onOpen, say } = window.ConsoleKit;

  const ENDED = {
    returned: "This chat was handed back to the assistant.",
    closed: "This chat is closed.",
    left: "The person went back to the assistant before anyone accepted the chat.",
    timed_out: "Nobody accepted this chat in time: the assistant offered the person a callback.",
  };
  const DONE = {
    accept: "You accepted this chat.",
    reply: "Sent.",
    canned: "Prepared message sent.",
    interpreter: "Recorded: interpreter arranged.",
    handback: "You handed the chat back to the assistant.",
    close: "You closed the chat.",
  };

  async function livePage() {
    const id = body.dataset.requestId;
    const list = $("transcript");
    let chat = null;            // the chat's state as the server last told it
    let gone = null;            // why the chat cannot be shown (another operator, erased)
    const shown = new Set();    // the page load and the socket can both deliver a line
    const mine = [];            // operator lines shown: {text, at} (the echo and the tracker differ in time)
    const listing = $("canned-language-form");  // absent when the page has no chat id
    if (listing) listing.hidden = true;  // until the chat is known to be this operator's

    function who(sender) {
      if (sender === "person") return "Person";
      if (sender === "bot") return "Assistant";
      if (chat && chat.mine) return "You";
      return (chat && chat.operator) || "Operator";
    }
    function duplicate(line) {
      const key = line.sender + "|" + line.at + "|" + line.text;
      if (shown.has(key)) return true;
      shown.add(key);
      if (line.sender !== "operator") return false;
      if (mine.some((m) => m.text === line.text && Math.abs(m.at - line.at) < 30)) return true;
      mine.push({ text: line.text, at: line.at });
      return false;
    }
    function add(line, quiet) {
      if (duplicate(line)) return;
      const li = document.createElement("li");
      li.className = line.sender;
      const name = document.createElement("span");
      name.className = "sender"; name.textContent = who(line.sender) + ": ";
      li.appendChild(name);
      const words = document.createElement("span");
      words.textContent = line.text;
      // Their language where the words are surely in it (the assistant's, a button, a prepared message).
      if (chat && (line.sender === "bot" || line.english)) words.lang = chat.language;
      li.appendChild(words);
      if (line.english) {
        const en = document.createElement("span");
        en.className = "english"; en.lang = "en";
        en.textContent = " (English: " + line.english + ")";
        li.appendChild(en);
      }
      if (line.choices && line.choices.length) {
        // The buttons offered, each as the person saw it with its English meaning beside it.
        const offered = document.createElement("span");
        offered.className = "choices";
        offered.appendChild(document.createTextNode(" · Buttons: "));
        line.choices.forEach((title, i) => {
          if (i) offered.appendChild(document.createTextNode(" | "));
          const own = document.createElement("span");
          if (chat) own.lang = chat.language;
          own.textContent = title;
          offered.appendChild(own);
          const english = (line.choices_english || [])[i];
          if (english && english !== title) {
            const en = document.createElement("span");
            en.className = "english"; en.lang = "en";
            en.textContent = " (" + english + ")";
            offered.appendChild(en);
          }
        });
        li.appendChild(offered);
      }
      list.appendChild(li); list.scrollTop = list.scrollHeight;
      if (line.sender === "person" && !quiet) looked();
    }
    // The operator has the chat in view: its new messages count as read in the queue.
    function looked() {
      if (chat && chat.mine && chat.status === "active" && document.visibilityState === "visible") {
        try { send("seen", id); } catch (e) { /* no socket yet: it re-reads on opening */ }
      }
    }

    function show(el, on) { el.hidden = !on; }
    function render() {
      const active = chat && chat.status === "active";
      const mineActive = active && chat.mine;
      const waiting = chat && chat.status === "waiting";
      let meta = "";
      let state;
      if (chat) {
        meta = "· " + chat.language_name;
        if (chat.interpreter_arranged) meta += " · interpreter arranged";
        else if (chat.interpreter_needed) meta += " · interpreter needed";
        meta += " · " + chat.channel_name;
        if (waiting) state = "Waiting for an operator. Accept the chat to start talking.";
        else if (mineActive) state = "Accepted by you: the person sees what you send.";
        else if (active) state = "With " + (chat.operator || "another operator") + ".";
        else state = ENDED[chat.status] || "This chat has ended.";
      } else {
        state = gone || "Loading the chat…";
      }
      $("chat-meta").textContent = meta;
      $("chat-state").textContent = state;
      show($("accept-row"), Boolean(waiting));
      show($("interpreter-row"), Boolean((waiting || mineActive) && chat.interpreter_needed
        && !chat.interpreter_arranged));
      show($("end-row"), Boolean(active && (chat.mine || body.dataset.role === "admin")));
      ["accept", "interpreter", "handback", "close"].forEach((name) => { $(name).disabled = false; });
      show($("back-row"), !waiting && !mineActive && (Boolean(chat) || Boolean(gone)));
      // Writing is a step only the operator who accepted the chat can take: hidden otherwise.
      show($("reply-form"), Boolean(mineActive));
      show($("canned-form"), Boolean(mineActive));
      if (listing) show(listing, Boolean(mineActive));
      ["reply", "send", "canned", "send-canned"].forEach((name) => { $(name).disabled = !mineActive; });
    }
    async function load() {
      try {
        const t = await api("/api/live/" + id);
        chat = t; gone = null;
        render();
        t.lines.forEach((line) => add(line, true));
        looked();
      } catch (e) {
        if (e.message === "another operator has this chat") gone = "Another operator has this chat.";
        else if (e.message === "no such chat" || e.status === 404) gone = "This chat is no longer available.";
        else {
          status(e.status === null ? say(e) + " Trying again." : "The chat could not be read just now; trying again.");
          setTimeout(load, 5000);
          return;
        }
        chat = null;
        render();
      }
    }
    // Keyboard users keep their place: after a step, focus goes where the next step is.
    async function after(kind) {
      await load();
      if (kind === "accept" && !$("reply").disabled) $("reply").focus();
      if ((kind === "handback" || kind === "close") && !$("back-row").hidden) $("back").focus();
      if (kind === "interpreter") $("chat-state").focus();
      if (kind === "reply" && !$("reply").disabled) $("reply").focus();
      if (kind === "canned" && !$("canned").disabled) $("send-canned").focus();
    }
    let pending = null;  // the button of the step waiting for the server (focus returns to it)

    handlers.push((m) => {
      if (m.type === "line" && String(m.id) === String(id)) add(m);
      if (m.type === "error" && (m.id === undefined || String(m.id) === String(id))) {
        status(m.error); render();  // what was typed stays in the box
        if (pending && !pending.disabled && !pending.closest("[hidden]")) pending.focus();
        pending = null;
      }
      if (m.type === "ok" && String(m.id) === String(id)) {
        status(DONE[m.for] || "Done.");
        if (m.for === "reply") $("reply").value = "";
        after(m.for);
      }
      if (m.type === "queue" && chat) {
        // Someone else's step (accepted elsewhere, closed by an admin, the person erased the chat).
        const item = m.live.find((c) => String(c.id) === String(id));
        const now = item ? item.status : "ended";
        const was = ["waiting", "active"].includes(chat.status) ? chat.status : "ended";
        if (now !== was || (item && item.interpreter_arranged !== chat.interpreter_arranged)) load();
      }
    });
    // One step at a time: the button waits for the server's answer (no message sent twice).
    function step(kind, button, extra) {
      try {
        send(kind, id, extra);
        pending = button;
        if (button) button.disabled = true;
      } catch (e) {
        status("Not connected just now: try again in a moment.");
      }
    }
    $("reply-form").onsubmit = (e) => {
      e.preventDefault();
      const text = $("reply").value.trim();
      if (text) step("reply", $("send"), { text: text });
    };
    $("canned-form").onsubmit = (e) => {
      e.preventDefault();
      step("canned", $("send-canned"), { key: $("canned").value });
    };
    $("accept").onclick = () => step("accept", $("accept"));
    $("interpreter").onclick = () => step("interpreter", $("interpreter"));
    $("handback").onclick = () => step("handback", $("handback"));
    $("close").onclick = () => step("close", $("close"));
    // A line the person sent while this page had no socket (page load, reconnect) is read here.
    onOpen.push(() => load());
    document.addEventListener("visibilitychange", looked);
    await load();
    // Back from choosing the listing language (or told it could not be used): focus is where
    // the operator goes on from, the prepared messages (or the language list).
    const target = { "#canned": "canned", "#canned-language": "canned-language" }[location.hash];
    if (target && $(target) && !$(target).disabled && !$(target).closest("[hidden]")) $(target).focus();
  }

  window.ConsoleKit.run(livePage);
})();
