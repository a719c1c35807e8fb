/* 离线记录: the grid officer's page that works without signal.
 *
 * In signal it keeps a copy of the officer's households, rules, areas and notices in
 * IndexedDB and asks the service worker to keep this page. Whatever the officer records
 * (记分 with a photo kept as a Blob, 随手拍, 已当面告知) waits in IndexedDB with a key made
 * here and the phone's time; it is sent to the server on the `online` event or 同步. Accepted
 * items leave the queue; refused ones stay, with the server's reason, until cleared. */
(function () {
  "use strict";
  var root = document.querySelector("[data-offline]");
  if (!root) return;
  var T = JSON.parse(document.getElementById("offline-text").textContent);
  var DB = "cunzhi-offline";
  var BATCH = 20;
  var data = null;
  var syncing = false;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }
  function el(selector) { return root.querySelector(selector); }
  function say(selector, text) { el(selector).textContent = text || ""; }

  // --- IndexedDB: "data" holds the copy (one record), "queue" the items by key -------------
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("data");
          request.result.createObjectStore("queue", { keyPath: "key" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }
  function store(name, mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(name, mode);
        var request = action(tx.objectStore(name));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function queue() { return store("queue", "readonly", function (s) { return s.getAll(); }); }
  function keep(item) { return store("queue", "readwrite", function (s) { return s.put(item); }); }
  function drop(key) { return store("queue", "readwrite", function (s) { return s.delete(key); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function clock(iso) {
    return new Date(iso).toLocaleString("zh-CN", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  }

  // --- the copy of the officer's data ------------------------------------------------------
  function fetchData() {
    return fetch(root.dataset.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          // Signed out, or someone else on this phone: the kept copy is not theirs to see.
          return store("data", "readwrite", function (s) { return s.delete("copy"); }).then(function () {
            var denied = new Error("denied");
            denied.denied = true;
            throw denied;
          });
        }
        if (!response.ok) throw new Error("data " + response.status);
        return response.json();
      })
      .then(function (fresh) {
        return store("data", "readwrite", function (s) { return s.put(fresh, "copy"); }).then(function () { return fresh; });
      });
  }
  function load() {
    var fresh = navigator.onLine ? fetchData() : Promise.reject(new Error("offline"));
    return fresh
      .catch(function (error) {
        // Only without a network does the page fall back to the copy kept on the phone.
        if (error && error.denied) return null;
        return store("data", "readonly", function (s) { return s.get("copy"); });
      })
      .then(function (copy) { data = copy || null; render(); });
  }

  function options(select, rows, value, label) {
    var chosen = select.value;
    select.textContent = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = T.choose;
    select.appendChild(blank);
    rows.forEach(function (row) {
      var option = document.createElement("option");
      option.value = value(row);
      option.textContent = label(row);
      select.appendChild(option);
    });
    select.value = chosen;
  }
  function household(id) {
    return (data ? data.households : []).filter(function (h) { return String(h.id) === String(id); })[0];
  }
  function rulesFor(h) {
    return data.rules.filter(function (r) { return !h || r.village === h.village; });
  }
  function render() {
    say("[data-network]", navigator.onLine ? T.online : T.offline);
    if (!data) { say("[data-loaded]", T.no_data); renderQueue(); return; }
    say("[data-loaded]", fill(T.loaded, { n: data.households.length, at: clock(data.loaded_at) }));
    root.querySelectorAll("[data-households]").forEach(function (select) {
      options(select, data.households, function (h) { return h.id; }, function (h) { return h.number + " " + h.head + " · " + h.area; });
    });
    renderRules();
    options(el("[data-areas]"), data.areas, function (a) { return a.id; }, function (a) { return a.name; });
    renderNotices();
    renderQueue();
  }
  function renderRules() {
    var h = household(el("#entry-household").value);
    options(el("[data-rules]"), rulesFor(h), function (r) { return r.code; }, function (r) {
      return r.code + " " + r.text + " " + (r.points > 0 ? "+" : "") + r.points + (r.evidence_required ? " 📷" : "");
    });
  }
  function renderNotices() {
    var h = household(el("[data-told-households]").value);
    var wanted = h ? h.notices.map(String) : null;
    var rows = data.notices.filter(function (n) { return !wanted || wanted.indexOf(String(n.id)) >= 0; });
    options(el("[data-notices]"), rows, function (n) { return n.id; }, function (n) { return n.title; });
  }

  // --- the queue ---------------------------------------------------------------------------
  function renderQueue() {
    return queue().then(function (items) {
      var list = el("[data-queue]");
      list.textContent = "";
      items.sort(function (a, b) { return a.recorded_at < b.recorded_at ? -1 : 1; });
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "member";
        li.dataset.key = item.key;
        li.dataset.state = item.state;
        var title = document.createElement("strong");
        title.textContent = T.kinds[item.kind] + " · " + item.summary;
        var meta = document.createElement("span");
        meta.textContent = T.recorded_at + " " + clock(item.recorded_at) + " · " + (item.state === "refused" ? T.refused + "：" + item.reason : T.pending);
        li.appendChild(title);
        li.appendChild(meta);
        if (item.state === "refused") {
          var clear = document.createElement("button");
          clear.type = "button";
          clear.className = "button button-small";
          clear.textContent = T.clear;
          clear.addEventListener("click", function () { drop(item.key).then(renderQueue); });
          li.appendChild(clear);
        }
        list.appendChild(li);
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.textContent = T.empty;
        list.appendChild(none);
      }
    });
  }

  function summary(kind, form) {
    if (kind === "entry") {
      var h = household(form.household.value);
      var rule = rulesFor(h).filter(function (r) { return r.code === form.rule.value; })[0];
      return (h ? h.number + " " + h.head : "") + " · " + (rule ? rule.code + " " + rule.text : "");
    }
    if (kind === "event") return form.text.value.trim().slice(0, 30);
    var told = household(form.household.value);
    var notice = data.notices.filter(function (n) { return String(n.id) === form.notice.value; })[0];
    return (told ? told.number + " " + told.head : "") + " · " + (notice ? notice.title : "");
  }
  function fields(kind, form) {
    if (kind === "entry") return { household: Number(form.household.value), rule: form.rule.value, reason: form.reason.value.trim() };
    if (kind === "event") {
      return { area: Number(form.area.value), category: form.category.value, text: form.text.value.trim(), place: form.place.value.trim(), urgent: form.urgent.checked };
    }
    return { household: Number(form.household.value), notice: Number(form.notice.value), channel: form.channel.value, note: form.note.value.trim() };
  }
  function complete(kind, form) {
    if (kind === "entry") return form.household.value && form.rule.value;
    if (kind === "event") return form.area.value && form.category.value && form.text.value.trim();
    return form.household.value && form.notice.value;
  }

  root.querySelectorAll("[data-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.dataset.form;
      say("[data-message]", "");
      if (!data || !complete(kind, form)) { say("[data-message]", T.missing); return; }
      var photo = form.photo && form.photo.files[0] ? form.photo.files[0] : null;
      if (kind === "entry" && !photo) {
        var h = household(form.household.value);
        var rule = rulesFor(h).filter(function (r) { return r.code === form.rule.value; })[0];
        if (rule && rule.evidence_required) { say("[data-message]", T.photo_needed); return; }
      }
      var item = {
        key: uuid(),
        kind: kind,
        user: data.user.id,
        recorded_at: new Date().toISOString(),
        fields: fields(kind, form),
        summary: summary(kind, form),
        photo: photo,
        photo_name: photo ? photo.name : "",
        state: "pending",
        reason: "",
      };
      keep(item).then(function () {
        form.reset();
        if (kind === "entry") renderRules();
        if (kind === "told") renderNotices();
        say("[data-message]", T.queued);
        return renderQueue();
      }).then(function () { if (navigator.onLine) sync(); });
    });
  });
  el("#entry-household").addEventListener("change", renderRules);
  el("[data-told-households]").addEventListener("change", renderNotices);

  // --- sync --------------------------------------------------------------------------------
  function send(items, token) {
    var body = new FormData();
    var sent = items.map(function (item) {
      var wire = Object.assign({ key: item.key, kind: item.kind, recorded_at: item.recorded_at }, item.fields);
      if (item.photo) {
        wire.photo = "photo-" + item.key;
        body.append(wire.photo, item.photo, item.photo_name || "photo.jpg");
      }
      return wire;
    });
    body.append("items", JSON.stringify(sent));
    body.append("sent_at", new Date().toISOString());
    return fetch(root.dataset.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      body: body,
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.message || String(response.status));
        return answer;
      });
    });
  }
  function settle(items, answer, totals) {
    var byKey = {};
    items.forEach(function (item) { byKey[item.key] = item; });
    if (answer.clock_flagged) totals.skew = answer.clock_skew_seconds;
    return Promise.all(answer.items.map(function (result) {
      var item = byKey[result.key];
      if (!item) return null;
      if (result.status === "accepted") { totals.ok += 1; return drop(item.key); }
      totals.no += 1;
      item.state = "refused";
      item.reason = result.reason;
      return keep(item);
    }));
  }
  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    say("[data-message]", T.syncing);
    var totals = { ok: 0, no: 0, skew: null };
    var waiting = [];
    return queue()
      .then(function (items) {
        waiting = items.filter(function (i) { return i.state === "pending" && (!data || i.user === data.user.id); });
        // A fresh copy first: the session's CSRF token, and the signed-in officer's lists.
        return waiting.length ? fetchData() : null;
      })
      .then(function (fresh) {
        if (!fresh) return;
        data = fresh;
        render();
        waiting = waiting.filter(function (i) { return i.user === data.user.id; });
        var batches = [];
        for (var i = 0; i < waiting.length; i += BATCH) batches.push(waiting.slice(i, i + BATCH));
        return batches.reduce(function (done, batch) {
          return done.then(function () {
            return send(batch, data.csrf).then(function (answer) { return settle(batch, answer, totals); });
          });
        }, Promise.resolve());
      })
      .then(function () {
        if (!waiting.length) { say("[data-message]", ""); return; }
        var text = fill(T.synced, totals);
        if (totals.skew !== null) text += " " + fill(T.clock, { min: Math.round(Math.abs(totals.skew) / 60) });
        say("[data-message]", text);
      })
      .catch(function (error) { say("[data-message]", T.sync_failed + " " + (error && error.message ? error.message : "")); })
      .then(function () { syncing = false; root.dataset.synced = String(Date.now()); return renderQueue(); });
  }
  el("[data-sync]").addEventListener("click", sync);
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);

  // --- keep this page on the phone (the service worker's shell cache) -----------------------
  function keepPage() {
    if (!("serviceWorker" in navigator) || !navigator.onLine) return;
    var urls = [location.pathname];
    document.querySelectorAll("script[src], link[rel~=stylesheet][href], link[rel~=icon][href]").forEach(function (node) {
      urls.push(node.src || node.href);
    });
    navigator.serviceWorker.ready.then(function (registration) {
      if (!registration.active) return;
      var channel = new MessageChannel();
      channel.port1.onmessage = function () {
        root.dataset.cached = "yes";
        say("[data-cached-note]", T.cached);
      };
      registration.active.postMessage({ type: "keep-pages", urls: urls }, [channel.port2]);
    });
  }

  load().then(function () {
    keepPage();
    if (navigator.onLine) sync();
  });
})();
