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

// Installable as an app; every page still comes from the network.
self.addEventListener("fetch", () => {});
