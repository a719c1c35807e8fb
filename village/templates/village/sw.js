{% load static %}/* 村治's service worker: shows a Web Push message and opens what it is about. */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "村治", {
      body: data.body || "",
      tag: data.tag || undefined, // a second push of the same event replaces the first
      data: { url: data.url || "{% url 'village:inbox' %}" },
      icon: "{% static 'village/icon-192.png' %}",
      badge: "{% static 'village/icon-192.png' %}",
      lang: "zh-CN",
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "{% url 'village:inbox' %}";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (w.url === url && "focus" in w) return w.focus();
      }
      return self.clients.openWindow(url);
    })
  );
});

// Installable as an app. Every page still comes from the network, except the pages a page
// asked to keep for use without signal (the grid officer's 离线记录 and its scripts and
// styles): those answer from the phone at once and are refreshed from the network behind.
const KEPT = "cunzhi-kept-v1";
let kept = null; // the kept paths, read from the cache when the worker starts
const keptReady = caches
  .open(KEPT)
  .then((cache) => cache.keys())
  .then((requests) => {
    kept = new Set(requests.map((r) => new URL(r.url).pathname));
  })
  .catch(() => {
    kept = new Set();
  });

function refresh(cache, url) {
  return fetch(url, { credentials: "same-origin" }).then((response) => {
    // Never keep a login page (a session ended) or an error in place of the page.
    if (response.ok && !response.redirected && response.type === "basic") {
      return cache.put(url, response.clone()).then(() => response);
    }
    return response;
  });
}

function fromKept(request) {
  const path = new URL(request.url).pathname;
  return caches.open(KEPT).then((cache) =>
    cache.match(path, { ignoreSearch: true, ignoreVary: true }).then((found) => {
      const fresh = refresh(cache, path);
      if (!found) return fresh;
      fresh.catch(() => {});
      return found;
    })
  );
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep-pages" || !Array.isArray(data.urls)) return;
  const paths = data.urls
    .map((u) => new URL(u, self.location.origin))
    .filter((u) => u.origin === self.location.origin)
    .map((u) => u.pathname);
  const port = event.ports && event.ports[0];
  event.waitUntil(
    keptReady
      .then(() => caches.open(KEPT))
      .then((cache) =>
        Promise.all(paths.map((path) => refresh(cache, path).then(() => kept.add(path), () => null)))
      )
      .then(() => port && port.postMessage({ kept: paths.length }))
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (kept === null) {
    event.respondWith(keptReady.then(() => (kept.has(url.pathname) ? fromKept(request) : fetch(request))));
  } else if (kept.has(url.pathname)) {
    event.respondWith(fromKept(request));
  }
});
