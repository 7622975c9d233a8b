/*
 * Chat widget for the hate-incident reporting assistant.
 *
 * Embed on any page with one tag:
 *   <script src="https://SERVICE/widget.js" data-socket-url="https://RASA" defer></script>
 * Optional attributes:
 *   data-socket-path   socket.io path on the Rasa server (default "/socket.io")
 *   data-config-url    URL of a JSON {socketUrl, socketPath, exitUrl, initPayload} (the chat page
 *                      uses "/config.json"); its values override the attributes
 *   data-exit-url      neutral page that "Exit quickly" replaces this page with
 *   data-container     CSS selector of an element to fill (inline mode); without it the widget is
 *                      a floating panel opened by a button in the bottom corner
 *   data-init-payload  message sent (not shown) when the chat opens with nothing on screen, so the
 *                      bot greets first (default "/greet": the welcome with the 999 line and the
 *                      first question)
 *   data-erase-url     where "Exit quickly" asks the server to erase the conversation (default:
 *                      <socket URL>/webhooks/socketio/erase, served by channels/quick_exit.py)
 *
 * Speaks Rasa's socket.io channel protocol (rasa/core/channels/socketio.py) with
 * session_persistence on: the session id lives in sessionStorage so a reload continues the same
 * conversation, and the transcript is re-rendered from sessionStorage.
 *
 * Talking to a person: the handoff responses carry a marker (domain/people.yml `custom`, emitted by
 * Rasa's socket.io output as a bot_uttered message of its own, right after the response's text):
 * {"handoff": "waiting"} (queued), {"handoff": "live"} (a team member joined), {"handoff": "ended"}
 * (left, timed out, closed, handed back) and {"handoff": "live", "from": "operator"} after each
 * team member's message. While a person is expected nothing shows "Typing…" (the assistant does
 * not answer for them); while one is live, each message is held until its marker says who sent
 * it, so a team member's words are shown and announced as theirs ("Team member:"), never as the
 * assistant's. Text channels drop custom payloads (channels/twilio_channel.py, telegram_channel.py).
 *
 * Erasure: "Exit quickly" (button, or Esc twice) sends the session id with navigator.sendBeacon
 * (the page leaves at once; the browser delivers the beacon after) and wipes the screen and
 * storage. A typed "exit"/"stop" is erased by the bot, which then sends {"erased": true}: the
 * widget clears the screen and its storage so a reload shows nothing of it.
 *
 * Plain ES2017, no framework, no innerHTML for anything that came from the network.
 */
(function (root, factory) {
  "use strict";
  const api = factory(root);
  if (typeof module === "object" && module.exports) {
    module.exports = api; // Node, for the unit tests of the tables below.
  } else if (typeof document !== "undefined") {
    api.boot(document.currentScript);
  }
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  const STORAGE_PREFIX = "esea-chat:";
  const SESSION_KEY = STORAGE_PREFIX + "session";
  const TRANSCRIPT_KEY = STORAGE_PREFIX + "transcript";
  const GREETED_KEY = STORAGE_PREFIX + "greeted";
  const HANDOFF_KEY = STORAGE_PREFIX + "handoff";
  const DEFAULT_INIT_PAYLOAD = "/greet";
  const ERASE_PATH = "webhooks/socketio/erase";
  const MAX_TRANSCRIPT = 300;
  const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  const ESC_WINDOW_MS = 1500;
  const LOST_NOTICE_DELAY_MS = 1500;
  const TYPING_TIMEOUT_MS = 20000;
  // A message during a live chat waits at most this long for the marker saying who sent it (the
  // marker follows at once on the same socket; this only covers a marker that never comes).
  const HOLD_MS = 1500;
  // The handoff states a marker can set ("" = the assistant alone).
  const HANDOFF_STATES = { waiting: "waiting", live: "live", ended: "" };

  // Our language codes (bot/languages.yml) for browser language tags. The first browser language
  // we support wins; none supported gives no hint (null) and English UI text.
  const LANGUAGE_TAGS = {
    "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans", "zh": "zh-Hans",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant",
    "fil": "tl", "tl": "tl", "vi": "vi", "ko": "ko", "ja": "ja", "th": "th", "ms": "ms",
    "id": "id", "in": "id", "my": "my", "km": "km", "en": "en",
  };

  // The widget's own few UI strings; every conversational word comes from the bot's domain.
  // TODO(native review): all non-English strings below were written by a non-native speaker
  // and need review by native speakers from the communities before launch.
  const STRINGS = {
    "en": {
      title: "Chat", inputLabel: "Your message", placeholder: "Type your message…", send: "Send",
      exit: "Exit quickly", exitHint: "Or press Esc twice", typing: "Typing…",
      connectionLost: "The connection dropped. We are reconnecting — please wait a moment.",
      reconnected: "Connected again.", open: "Chat", close: "Minimise chat",
      you: "You:", bot: "Assistant:",
      operator: "Team member", operatorSr: "Team member:",
    },
    "zh-Hans": {
      title: "聊天", inputLabel: "你的消息", placeholder: "输入消息…", send: "发送",
      exit: "快速离开", exitHint: "或连按两次 Esc 键", typing: "正在输入…",
      connectionLost: "连接中断了，正在重新连接，请稍等。",
      reconnected: "已重新连接。", open: "聊天", close: "收起聊天",
      you: "你：", bot: "助手：",
      operator: "工作人员", operatorSr: "工作人员：",
    },
    "zh-Hant": {
      title: "聊天", inputLabel: "你的訊息", placeholder: "輸入訊息…", send: "傳送",
      exit: "快速離開", exitHint: "或連按兩次 Esc 鍵", typing: "正在輸入…",
      connectionLost: "連線中斷了，正在重新連線，請稍候。",
      reconnected: "已重新連線。", open: "聊天", close: "收起聊天",
      you: "你：", bot: "助理：",
      operator: "工作人員", operatorSr: "工作人員：",
    },
    "vi": {
      title: "Trò chuyện", inputLabel: "Tin nhắn của bạn", placeholder: "Nhập tin nhắn…",
      send: "Gửi", exit: "Thoát nhanh", exitHint: "Hoặc nhấn Esc hai lần", typing: "Đang soạn…",
      connectionLost: "Mất kết nối. Đang kết nối lại, vui lòng chờ một chút.",
      reconnected: "Đã kết nối lại.", open: "Trò chuyện", close: "Thu nhỏ",
      you: "Bạn:", bot: "Trợ lý:",
      operator: "Nhân viên hỗ trợ", operatorSr: "Nhân viên hỗ trợ:",
    },
    "ko": {
      title: "채팅", inputLabel: "메시지", placeholder: "메시지를 입력하세요…", send: "보내기",
      exit: "빠른 나가기", exitHint: "또는 Esc 키를 두 번 누르세요", typing: "입력 중…",
      connectionLost: "연결이 끊어졌습니다. 다시 연결하는 중이니 잠시만 기다려 주세요.",
      reconnected: "다시 연결되었습니다.", open: "채팅", close: "채팅 최소화",
      you: "나:", bot: "도우미:",
      operator: "상담원", operatorSr: "상담원:",
    },
    "ja": {
      title: "チャット", inputLabel: "メッセージ", placeholder: "メッセージを入力…", send: "送信",
      exit: "すぐに退出", exitHint: "Esc キーを2回押しても退出できます", typing: "入力中…",
      connectionLost: "接続が切れました。再接続しています。少々お待ちください。",
      reconnected: "再接続しました。", open: "チャット", close: "チャットを閉じる",
      you: "あなた：", bot: "アシスタント：",
      operator: "スタッフ", operatorSr: "スタッフ：",
    },
    "th": {
      title: "แชท", inputLabel: "ข้อความของคุณ", placeholder: "พิมพ์ข้อความ…", send: "ส่ง",
      exit: "ออกทันที", exitHint: "หรือกด Esc สองครั้ง", typing: "กำลังพิมพ์…",
      connectionLost: "การเชื่อมต่อขาดหาย กำลังเชื่อมต่อใหม่ โปรดรอสักครู่",
      reconnected: "เชื่อมต่อแล้ว", open: "แชท", close: "ย่อแชท",
      you: "คุณ:", bot: "ผู้ช่วย:",
      operator: "เจ้าหน้าที่", operatorSr: "เจ้าหน้าที่:",
    },
    "tl": {
      title: "Chat", inputLabel: "Ang mensahe mo", placeholder: "I-type ang mensahe mo…",
      send: "Ipadala", exit: "Umalis agad", exitHint: "O pindutin ang Esc nang dalawang beses",
      typing: "Nagta-type…",
      connectionLost: "Naputol ang koneksyon. Kumokonekta ulit, sandali lang.",
      reconnected: "Nakakonekta na ulit.", open: "Chat", close: "Isara ang chat",
      you: "Ikaw:", bot: "Katulong:",
      operator: "Miyembro ng team", operatorSr: "Miyembro ng team:",
    },
    "ms": {
      title: "Sembang", inputLabel: "Mesej anda", placeholder: "Taip mesej anda…", send: "Hantar",
      exit: "Keluar segera", exitHint: "Atau tekan Esc dua kali", typing: "Sedang menaip…",
      connectionLost: "Sambungan terputus. Sedang menyambung semula, sila tunggu sebentar.",
      reconnected: "Sudah bersambung semula.", open: "Sembang", close: "Kecilkan sembang",
      you: "Anda:", bot: "Pembantu:",
      operator: "Ahli pasukan", operatorSr: "Ahli pasukan:",
    },
    "id": {
      title: "Obrolan", inputLabel: "Pesan Anda", placeholder: "Ketik pesan Anda…", send: "Kirim",
      exit: "Keluar cepat", exitHint: "Atau tekan Esc dua kali", typing: "Sedang mengetik…",
      connectionLost: "Koneksi terputus. Sedang menyambung kembali, mohon tunggu sebentar.",
      reconnected: "Tersambung kembali.", open: "Obrolan", close: "Perkecil obrolan",
      you: "Anda:", bot: "Asisten:",
      operator: "Anggota tim", operatorSr: "Anggota tim:",
    },
    "my": {
      title: "ချတ်", inputLabel: "သင့်စာ", placeholder: "စာရိုက်ပါ…", send: "ပို့ရန်",
      exit: "အမြန်ထွက်ရန်", exitHint: "သို့မဟုတ် Esc ကို နှစ်ချက်နှိပ်ပါ", typing: "စာရိုက်နေသည်…",
      connectionLost: "ချိတ်ဆက်မှု ပြတ်သွားပါသည်။ ပြန်လည်ချိတ်ဆက်နေပါသည်၊ ခဏစောင့်ပါ။",
      reconnected: "ပြန်လည်ချိတ်ဆက်ပြီးပါပြီ။", open: "ချတ်", close: "ချတ်ကို ချုံ့ရန်",
      you: "သင်:", bot: "အကူ:",
      operator: "အဖွဲ့ဝင်", operatorSr: "အဖွဲ့ဝင်:",
    },
    "km": {
      title: "ជជែក", inputLabel: "សាររបស់អ្នក", placeholder: "វាយសាររបស់អ្នក…", send: "ផ្ញើ",
      exit: "ចាកចេញភ្លាមៗ", exitHint: "ឬចុច Esc ពីរដង", typing: "កំពុងវាយ…",
      connectionLost: "ការតភ្ជាប់បានដាច់។ កំពុងតភ្ជាប់ឡើងវិញ សូមរង់ចាំបន្តិច។",
      reconnected: "បានតភ្ជាប់ឡើងវិញ។", open: "ជជែក", close: "បង្រួមការជជែក",
      you: "អ្នក:", bot: "ជំនួយការ:",
      operator: "សមាជិកក្រុម", operatorSr: "សមាជិកក្រុម:",
    },
  };

  /**
   * Maps browser language tags (navigator.languages order) to our first supported code.
   * @param {ReadonlyArray<string>} tags BCP 47 tags, most preferred first.
   * @returns {string|null} One of our codes, or null when none is supported.
   */
  function pickLanguage(tags) {
    for (const raw of tags || []) {
      if (typeof raw !== "string" || !raw) continue;
      const parts = raw.toLowerCase().replace(/_/g, "-").split("-");
      // Script subtag first (zh-Hant-HK), then region (zh-TW), then the bare language.
      const candidates = [parts.slice(0, 2).join("-"), parts[0] + "-" + (parts[2] || ""), parts[0]];
      for (const candidate of candidates) {
        if (Object.prototype.hasOwnProperty.call(LANGUAGE_TAGS, candidate)) {
          return LANGUAGE_TAGS[candidate];
        }
      }
    }
    return null;
  }

  function browserLanguages() {
    const nav = root.navigator || {};
    const list = Array.isArray(nav.languages) && nav.languages.length ? nav.languages : [];
    return list.concat(nav.language ? [nav.language] : []);
  }

  // --- storage (sessionStorage only; every key we write starts with STORAGE_PREFIX) -----------

  function storageGet(key, fallback) {
    try {
      const raw = root.sessionStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (_err) {
      return fallback; // Storage blocked (private mode, embedded iframe policy): work without it.
    }
  }

  function storageSet(key, value) {
    try {
      root.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (_err) {
      /* Storage full or blocked: the conversation still works, it just won't survive reload. */
    }
  }

  function wipeStorage() {
    for (const store of [root.sessionStorage, root.localStorage]) {
      try {
        const ours = [];
        for (let i = 0; i < store.length; i += 1) {
          const key = store.key(i);
          if (key && key.indexOf(STORAGE_PREFIX) === 0) ours.push(key);
        }
        ours.forEach((key) => store.removeItem(key));
      } catch (_err) {
        /* Blocked storage holds nothing of ours. */
      }
    }
  }

  // --- small DOM helper --------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  let uid = 0;
  function nextId(name) {
    uid += 1;
    return "esea-" + name + "-" + uid;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const tag = el("script", { src: src, async: true });
      tag.onload = () => resolve();
      tag.onerror = () => reject(new Error("could not load " + src));
      document.head.appendChild(tag);
    });
  }

  // --- the widget ----------------------------------------------------------------------------

  /**
   * One chat: DOM, socket and transcript. Created once per page by boot().
   * @param {object} config {socketUrl, socketPath, exitUrl, initPayload, container, lang, hint}
   */
  function Chat(config) {
    this.config = config;
    this.t = STRINGS[config.lang] || STRINGS.en;
    this.sessionId = storageGet(SESSION_KEY, null);
    this.transcript = storageGet(TRANSCRIPT_KEY, []);
    if (!Array.isArray(this.transcript)) this.transcript = [];
    this.pending = [];
    this.confirmed = false; // True between session_confirm and the next disconnect.
    this.socket = null;
    this.exiting = false;
    this.lostTimer = null;
    this.lostShown = false;
    this.typingTimer = null;
    this.handoff = HANDOFF_STATES[storageGet(HANDOFF_KEY, "")] || "";
    this.held = []; // Messages of a live chat waiting for their marker.
    this.holdTimer = null;
    this.lastEsc = 0;
    this.greeted = Boolean(storageGet(GREETED_KEY, false));
  }

  Chat.prototype.render = function () {
    const t = this.t;
    const inputId = nextId("input");
    const floating = !this.config.container;

    this.exitButton = el("button", { type: "button", className: "esea-exit", text: t.exit });
    this.exitButton.addEventListener("click", () => this.exitQuickly());
    const headerChildren = [el("h2", { className: "esea-title", text: t.title }), this.exitButton];
    if (floating) {
      this.minButton = el("button", {
        type: "button", className: "esea-min", "aria-label": t.close, title: t.close, text: "–",
      });
      this.minButton.addEventListener("click", () => this.setOpen(false));
      headerChildren.splice(1, 0, this.minButton);
    }

    this.log = el("div", {
      className: "esea-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": t.title, tabindex: "0",
    });
    this.typing = el("p", { className: "esea-typing", hidden: true, "aria-hidden": "true" }, [
      el("span", { className: "esea-dots" }, [el("span"), el("span"), el("span")]),
      el("span", { text: t.typing }),
    ]);
    this.status = el("p", { className: "esea-status", role: "status", "aria-live": "polite" });
    this.input = el("textarea", {
      id: inputId, className: "esea-input", rows: "2", placeholder: t.placeholder,
      autocomplete: "off", enterkeyhint: "send", maxlength: "2000",
    });
    this.sendButton = el("button", { type: "submit", className: "esea-send", text: t.send });
    const form = el("form", { className: "esea-form" }, [
      el("label", { for: inputId, className: "esea-sr-only", text: t.inputLabel }),
      this.input,
      this.sendButton,
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendTyped();
    });
    this.input.addEventListener("keydown", (event) => {
      // Enter sends; Shift+Enter is a new line; never send while an IME is composing (CJK input).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.sendTyped();
      }
    });

    this.root = el("section", {
      className: "esea-chat" + (floating ? " esea-floating" : " esea-inline"),
      "aria-label": t.title, lang: this.config.lang,
    }, [
      el("header", { className: "esea-header" }, headerChildren),
      el("p", { className: "esea-hint", text: t.exitHint }),
      this.log, this.typing, this.status, form,
    ]);

    if (floating) {
      this.launcher = el("button", {
        type: "button", className: "esea-launcher", "aria-expanded": "false", text: t.open,
        lang: this.config.lang,
      });
      this.launcher.addEventListener("click", () => this.setOpen(true));
      document.body.appendChild(this.launcher);
      document.body.appendChild(this.root);
      this.setOpen(this.transcript.length > 0);
    } else {
      this.config.container.appendChild(this.root);
    }

    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const now = Date.now();
      if (now - this.lastEsc < ESC_WINDOW_MS) this.exitQuickly();
      this.lastEsc = now;
    });

    this.transcript.forEach((entry, index) => this.renderEntry(entry, index));
    this.scrollToEnd();
  };

  /**
   * Greets first, once: the bot's welcome (999 line) and first question appear without typing.
   * Not on a reload of a conversation (its transcript is on screen, or its greeting was already
   * sent), and a floating panel waits until it is opened: a visitor who only looks at the host
   * page starts nothing on the server.
   */
  Chat.prototype.maybeGreet = function () {
    if (!this.config.initPayload || this.greeted || this.transcript.length > 0) return;
    if (!this.confirmed || this.exiting || (this.launcher && this.root.hidden)) return;
    this.greeted = true;
    storageSet(GREETED_KEY, true);
    this.emit(this.config.initPayload, false);
  };

  Chat.prototype.setOpen = function (open) {
    if (!this.launcher) return;
    this.root.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) this.maybeGreet();
    if (open) {
      this.input.focus();
      this.scrollToEnd();
    } else {
      this.launcher.focus();
    }
  };

  Chat.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.renderEntry = function (entry, index) {
    const mine = entry.who === "user";
    const who = mine ? "user" : entry.who === "operator" ? "operator" : "bot";
    const prefix = { user: this.t.you, operator: this.t.operatorSr, bot: this.t.bot }[who];
    const bubble = el("div", { className: "esea-msg esea-" + who }, [
      el("span", { className: "esea-sr-only", text: prefix }),
    ]);
    if (who === "operator") {
      // Seen, not read twice: the screen-reader prefix above already says who is writing.
      bubble.appendChild(el("span", {
        className: "esea-from", "aria-hidden": "true", text: this.t.operator,
      }));
    }
    if (entry.text) bubble.appendChild(el("span", { className: "esea-text", text: entry.text }));
    if (entry.image) {
      bubble.appendChild(el("img", { className: "esea-image", src: entry.image, alt: "" }));
    }
    this.log.appendChild(bubble);
    if (!mine && entry.buttons && entry.buttons.length && !entry.done) {
      const group = el("div", { className: "esea-buttons", "data-entry": String(index) });
      for (const button of entry.buttons) {
        const node = el("button", { type: "button", className: "esea-choice", text: button.title });
        node.addEventListener("click", () => this.choose(button));
        group.appendChild(node);
      }
      this.log.appendChild(group);
    }
  };

  Chat.prototype.addEntry = function (entry) {
    this.transcript.push(entry);
    if (this.transcript.length > MAX_TRANSCRIPT) {
      this.transcript.splice(0, this.transcript.length - MAX_TRANSCRIPT);
    }
    storageSet(TRANSCRIPT_KEY, this.transcript);
    this.renderEntry(entry, this.transcript.length - 1);
    this.scrollToEnd();
  };

  /** Answered (or typed past) choices are removed: their payloads must not be sent twice. */
  Chat.prototype.closeChoices = function () {
    let changed = false;
    this.transcript.forEach((entry) => {
      if (entry.buttons && entry.buttons.length && !entry.done) {
        entry.done = true;
        changed = true;
      }
    });
    this.log.querySelectorAll(".esea-buttons").forEach((group) => group.remove());
    if (changed) storageSet(TRANSCRIPT_KEY, this.transcript);
  };

  Chat.prototype.sendTyped = function () {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.closeChoices();
    this.addEntry({ who: "user", text: text });
    this.emit(text);
    this.input.focus();
  };

  Chat.prototype.choose = function (button) {
    this.closeChoices();
    this.addEntry({ who: "user", text: button.title });
    this.emit(button.payload);
    this.input.focus(); // The clicked button is gone; keep focus somewhere useful.
  };

  Chat.prototype.emit = function (message, silent) {
    // Waiting for or talking to a person: the assistant will not answer, so no "Typing…".
    if (!silent && !this.handoff) this.showTyping(true);
    const send = () => {
      this.socket.emit("user_uttered", {
        message: message,
        session_id: this.sessionId,
        customData: {
          channel: "web", language_hint: this.config.hint, hint_source: "browser",
        },
      });
    };
    if (this.socket && this.socket.connected && this.confirmed) send();
    else this.pending.push(send); // Flushed on the next session_confirm.
  };

  Chat.prototype.showTyping = function (on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_TIMEOUT_MS);
  };

  Chat.prototype.onBotMessage = function (data) {
    if (!data || typeof data !== "object") return;
    this.showTyping(false);
    if (data.erased === true) {
      this.forgetErased();
      return;
    }
    const buttons = (data.quick_replies || data.buttons || [])
      .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
      .map((b) => ({ title: b.title, payload: b.payload }));
    const entry = { who: "bot", text: typeof data.text === "string" ? data.text : "" };
    if (buttons.length) entry.buttons = buttons;
    const attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      const src = String(attachment.payload.src || "");
      if (/^https:\/\//.test(src)) entry.image = src;
    }
    if (!(entry.text || entry.buttons || entry.image)) {
      this.onMarker(data);
      return;
    }
    if (this.handoff === "live") this.hold(entry);
    else this.addEntry(entry);
  };

  /** A handoff marker (see the header): who sent the held messages, and the new state. */
  Chat.prototype.onMarker = function (data) {
    if (!Object.prototype.hasOwnProperty.call(HANDOFF_STATES, data.handoff)) return;
    const fromOperator = data.from === "operator";
    this.release(fromOperator ? "operator" : "bot");
    // A person has the chat now: the assistant's choices on screen would go to nobody (its open
    // question is asked again when the chat is handed back).
    if (data.handoff === "live" && this.handoff !== "live") this.closeChoices();
    this.handoff = HANDOFF_STATES[data.handoff];
    storageSet(HANDOFF_KEY, this.handoff);
    if (this.handoff) this.showTyping(false);
  };

  Chat.prototype.hold = function (entry) {
    this.held.push(entry);
    if (!this.holdTimer) {
      // No marker came: during a live chat the messages are the team member's.
      this.holdTimer = setTimeout(() => this.release("operator"), HOLD_MS);
    }
  };

  Chat.prototype.release = function (who) {
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held.splice(0).forEach((entry) => {
      entry.who = who;
      this.addEntry(entry);
    });
  };

  /**
   * The bot erased the conversation (typed "exit"/"stop"): clear the screen and our storage, keep
   * on screen only the bot's reply that said so (not stored), so a reload shows nothing of it.
   * The session id stays: the server's conversation behind it is empty now.
   */
  Chat.prototype.forgetErased = function () {
    let lastUser = -1;
    this.transcript.forEach((entry, index) => {
      if (entry.who === "user") lastUser = index;
    });
    const said = this.transcript.slice(lastUser + 1).filter((entry) => entry.who === "bot");
    this.transcript = [];
    this.pending = [];
    this.held = [];
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.handoff = "";
    this.log.textContent = "";
    wipeStorage();
    if (this.sessionId) storageSet(SESSION_KEY, this.sessionId);
    said.forEach((entry) => this.renderEntry(entry, -1));
    this.scrollToEnd();
  };

  /** The URL "Exit quickly" posts the session id to. */
  Chat.prototype.eraseUrl = function () {
    if (this.config.eraseUrl) return new URL(this.config.eraseUrl, root.location.href).href;
    const base = new URL(this.config.socketUrl || "/", root.location.href).href;
    return new URL(ERASE_PATH, base.endsWith("/") ? base : base + "/").href;
  };

  /** Asks the server to erase the conversation without waiting for an answer (none is given). */
  Chat.prototype.eraseOnServer = function () {
    if (!this.sessionId) return;
    let url;
    try {
      url = this.eraseUrl();
    } catch (_err) {
      return;
    }
    // text/plain keeps it a "simple" cross-origin request: no preflight to wait for.
    const body = JSON.stringify({ session_id: this.sessionId });
    const nav = root.navigator || {};
    try {
      if (typeof nav.sendBeacon === "function" && nav.sendBeacon(url, body)) return;
    } catch (_err) {
      /* fall through to fetch */
    }
    try {
      root.fetch(url, {
        method: "POST", body: body, keepalive: true, mode: "no-cors", credentials: "omit",
        headers: { "Content-Type": "text/plain" },
      }).catch(() => {});
    } catch (_err) {
      /* Leaving matters more: the server's retention deletes it in time anyway. */
    }
  };

  Chat.prototype.setStatus = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  };

  Chat.prototype.connectionLost = function () {
    if (this.exiting || this.lostTimer) return;
    // Wait a moment: a quick reconnect should not flash a worrying message.
    this.lostTimer = setTimeout(() => {
      this.lostShown = true;
      this.setStatus(this.t.connectionLost);
    }, LOST_NOTICE_DELAY_MS);
  };

  Chat.prototype.connected = function () {
    clearTimeout(this.lostTimer);
    this.lostTimer = null;
    if (this.lostShown) {
      this.lostShown = false;
      this.setStatus(this.t.reconnected);
      setTimeout(() => {
        if (!this.lostShown) this.setStatus("");
      }, 3000);
    }
  };

  Chat.prototype.connect = function () {
    const io = root.io;
    this.socket = io(this.config.socketUrl, {
      path: this.config.socketPath,
      // WebSocket first: it needs no CORS. Long-polling is the fallback behind strict proxies.
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => {
      this.confirmed = false;
      this.connected();
      // Also on every reconnect: Rasa puts this socket into the session's room again.
      this.socket.emit("session_request", { session_id: this.sessionId });
    });
    this.socket.on("session_confirm", (sessionId) => {
      const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      this.confirmed = true;
      if (id) {
        this.sessionId = id;
        storageSet(SESSION_KEY, id);
      }
      this.maybeGreet();
      this.pending.splice(0).forEach((send) => send());
    });
    this.socket.on("bot_uttered", (data) => this.onBotMessage(data));
    this.socket.on("disconnect", (reason) => {
      this.confirmed = false;
      if (reason !== "io client disconnect") this.connectionLost();
    });
    this.socket.on("connect_error", () => this.connectionLost());
  };

  /**
   * Leaves at once: disconnect, wipe what the widget shows and stored, and replace this page in
   * history with the neutral one so Back does not come back here.
   */
  Chat.prototype.exitQuickly = function () {
    if (this.exiting) return;
    this.exiting = true;
    this.eraseOnServer();
    try {
      if (this.socket) this.socket.disconnect();
    } catch (_err) {
      /* Leaving matters more than a clean disconnect. */
    }
    this.pending = [];
    this.transcript = [];
    if (this.root) this.root.remove();
    if (this.launcher) this.launcher.remove();
    if (this.config.container) this.config.container.textContent = "";
    wipeStorage();
    try {
      document.title = "";
    } catch (_err) {
      /* ignore */
    }
    root.location.replace(this.config.exitUrl);
  };

  function readConfig(script) {
    const data = (script && script.dataset) || {};
    return {
      socketUrl: data.socketUrl || "",
      socketPath: data.socketPath || "/socket.io",
      exitUrl: data.exitUrl || DEFAULT_EXIT_URL,
      initPayload: data.initPayload || DEFAULT_INIT_PAYLOAD,
      eraseUrl: data.eraseUrl || "",
      configUrl: data.configUrl || "",
      container: data.container || "",
    };
  }

  async function start(script) {
    const config = readConfig(script);
    const base = script && script.src ? new URL(".", script.src).href : root.location.href;
    if (!document.querySelector("link[data-esea-chat]")) {
      document.head.appendChild(el("link", {
        rel: "stylesheet", href: new URL("widget.css", base).href, "data-esea-chat": true,
      }));
    }
    const lang = pickLanguage(browserLanguages());
    const chat = new Chat({
      socketUrl: config.socketUrl, socketPath: config.socketPath, exitUrl: config.exitUrl,
      initPayload: config.initPayload, eraseUrl: config.eraseUrl, lang: lang || "en", hint: lang,
      container: config.container ? document.querySelector(config.container) : null,
    });
    chat.render();
    root.eseaChat = chat; // For tests and for the host page (e.g. its own exit link).
    try {
      if (config.configUrl) {
        const response = await fetch(new URL(config.configUrl, root.location.href).href, {
          credentials: "same-origin", cache: "no-store",
        });
        const remote = await response.json();
        chat.config.socketUrl = remote.socketUrl || chat.config.socketUrl;
        chat.config.socketPath = remote.socketPath || chat.config.socketPath;
        chat.config.exitUrl = remote.exitUrl || chat.config.exitUrl;
        chat.config.initPayload = remote.initPayload || chat.config.initPayload;
        chat.config.eraseUrl = remote.eraseUrl || chat.config.eraseUrl;
      }
      if (typeof root.io !== "function") {
        await loadScript(new URL("vendor/socket.io.min.js", base).href);
      }
      chat.connect();
    } catch (_err) {
      chat.connectionLost();
    }
  }

  function boot(script) {
    const go = () => start(script);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go);
    else go();
  }

  return {
    STRINGS: STRINGS, LANGUAGE_TAGS: LANGUAGE_TAGS, STORAGE_PREFIX: STORAGE_PREFIX,
    pickLanguage: pickLanguage, boot: boot,
  };
});
