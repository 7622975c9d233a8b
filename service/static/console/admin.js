// The console's admin page: everything is rendered on the server and its forms work without this
// script. It moves keyboard and screen-reader focus to the message a change left behind, and
// keeps the admin's live-chat connection (presence) as on every console page.
"use strict";
(function () {
  window.ConsoleKit.run(async function () {
    const message = document.getElementById("message");
    if (message) message.focus();
  });
})();
