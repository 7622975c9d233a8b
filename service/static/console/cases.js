// The console's case list: rendered on the server and usable without this script. It keeps the
// operator's live-chat connection (presence, and the header's "chats waiting" notice) as on every
// console page, so reading cases does not make an operator look offline.
"use strict";
(function () {
  window.ConsoleKit.run(async function () {});
})();
