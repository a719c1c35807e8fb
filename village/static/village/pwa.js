/* The site as an app on the phone: the service worker, and 在本机接收推送 on 我的消息. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});

  var panel = document.querySelector("[data-push]");
  if (!panel) return;
  var button = panel.querySelector("button");
  var status = panel.querySelector("[data-push-status]");
  var say = function (key) { status.textContent = panel.dataset[key] || ""; };

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Keeps a browser subscription (its JSON) for the signed-in user.
  function save(subscription) {
    return fetch(panel.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(subscription),
    }).then(function (response) {
      say(response.ok ? "done" : "failed");
      return response.ok;
    });
  }
  window.cunzhiPush = { save: save };

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  if (!("PushManager" in window) || !panel.dataset.key) {
    say("unsupported");
    button.disabled = true;
    return;
  }
  button.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") return say("denied");
      return navigator.serviceWorker.ready
        .then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(panel.dataset.key),
          });
        })
        .then(function (subscription) { return save(subscription.toJSON()); })
        .catch(function () { say("failed"); });
    });
  });
})();
