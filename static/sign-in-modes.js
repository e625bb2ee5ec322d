// The sign-in page's window and redirect modes (AUTHSIGNAL_UI_MODE), loaded
// only when one of them is configured: the default popup mode needs none of it.
(function () {
  "use strict";

  // Redirect mode: the pre-built UI brings the browser back to /auth/callback.
  function redirect(authsignal, busy, url) {
    busy("Taking you to the verification…");
    authsignal.launch(url, { mode: "redirect" });
    return null;
  }

  // Window mode. The Web SDK never resolves when the user closes its window,
  // so keep the window it opens and notice that; a window the browser blocks
  // falls back to redirect mode.
  function inWindow(authsignal, busy, url) {
    var opened = null;
    var open = window.open;
    window.open = function () { opened = open.apply(window, arguments); return opened; };
    var launched;
    try {
      launched = authsignal.launch(url, { mode: "window" });
    } catch (e) {
      opened = null;
    } finally {
      window.open = open;
    }
    if (!opened) {
      busy("Your browser blocked the sign-in window, so the verification opens in this tab…");
      return redirect(authsignal, busy, url);
    }
    var closed = new Promise(function (resolve) {
      var timer = setInterval(function () {
        if (opened.closed) { clearInterval(timer); resolve({}); }
      }, 400);
      launched.then(function () { clearInterval(timer); });
    });
    return Promise.race([launched, closed]);
  }

  window.signInModes = { redirect: redirect, window: inWindow };
})();
