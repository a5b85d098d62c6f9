// Agora live updates: the one client for every page (docs/live-protocol.md).
//
// The page declares its topics on <body data-live-topics="thread.7 idea.42"> (and
// data-live-since, the newest event id when it was rendered); a signed-in viewer
// (data-viewer-id) also follows user.<id>. Events carry what the page needs —
// counts, or HTML rendered by the page's own templates — and this module applies
// them. Pages are complete without it.

const body = document.body;
const viewerId = body.dataset.viewerId || "";
const announcer = document.getElementById("live-announcer");
const STOP_CODES = new Set([1008, 1009]); // refused by the server: do not retry
const MAX_DELAY_MS = 30000;

function declaredTopics() {
  const topics = (body.dataset.liveTopics || "").split(/\s+/).filter(Boolean);
  if (viewerId && !topics.includes(`user.${viewerId}`)) topics.push(`user.${viewerId}`);
  return topics;
}

// Words come from Django's JavaScript catalogue (/jsi18n/, a deferred script that
// base.html loads before this module); without it the page speaks English.
const gettext = window.gettext || ((text) => text);
const ngettext = window.ngettext || ((one, many, n) => (n === 1 ? one : many));
const interpolate = window.interpolate || ((format, values) =>
  format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])));

// -- applying events -----------------------------------------------------------

function announce(text) {
  if (!announcer || !text) return;
  // Emptied first so that the same sentence twice is read twice.
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}

const pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined);

// A counted phrase ("3 posts") is rendered by the server in each plural form the
// page's language needs (data-live-plural-one, -few, -many, -other, with the
// server's number in it); the client picks the form and puts in the new number.
function pluralPhrase(element, value) {
  const forms = element.dataset;
  const category = value === 0 && forms.livePluralZero !== undefined ? "zero" : pluralRules.select(value);
  const key = `livePlural${category.charAt(0).toUpperCase()}${category.slice(1)}`;
  const form = forms[key] ?? forms.livePluralOther;
  return form === undefined ? null : form.replace(/\d+/, String(value));
}

function applyCounts(topic, counts) {
  for (const [name, value] of Object.entries(counts)) {
    const key = CSS.escape(`${topic}:${name}`);
    for (const element of document.querySelectorAll(`[data-live-count="${key}"]`)) {
      const hide = value === 0 && element.hasAttribute("data-live-hide-zero");
      const phrase = pluralPhrase(element, value);
      element.textContent = hide ? "" : (phrase ?? String(value));
    }
    // Progress towards a threshold (an idea's supports) moves with its count.
    for (const element of document.querySelectorAll(`[data-live-progress="${key}"]`)) {
      element.value = Math.min(value, Number(element.max) || value);
    }
    // Texts that are only true at zero ("No posts yet") go once there is one.
    for (const element of document.querySelectorAll(`[data-live-empty-count="${key}"]`)) {
      element.hidden = value > 0;
    }
  }
}

function showOwnerControls(root) {
  const controls = root.querySelectorAll ? [...root.querySelectorAll("[data-owner-only]")] : [];
  if (root.matches && root.matches("[data-owner-only]")) controls.push(root);
  for (const control of controls) {
    control.hidden = !viewerId || control.dataset.authorId !== viewerId;
  }
  // Likes and flags submit through the page's #item-actions form, which only a
  // signed-in reader's page has.
  const residents = root.querySelectorAll ? [...root.querySelectorAll("[data-residents-only]")] : [];
  for (const control of residents) {
    if (!viewerId) control.hidden = true;
  }
}

// Fragments are rendered once for every viewer, so their forms carry no CSRF
// token; give each POST form the page's own before it goes into the page.
function pageCsrfToken() {
  const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
  if (field && field.value) return field.value;
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

function addCsrfTokens(root) {
  const token = pageCsrfToken();
  if (!token) return;
  for (const form of root.querySelectorAll('form[method="post" i]')) {
    let field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrfmiddlewaretoken";
      form.prepend(field);
    }
    if (!field.value) field.value = token;
  }
}

function fragmentElements(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  addCsrfTokens(template.content);
  return [...template.content.children];
}

function isNew(element) {
  return !element.id || !document.getElementById(element.id);
}

const deferred = new Map(); // list container -> {items, mode, bar}

function insert(container, elements, mode) {
  if (mode === "prepend") {
    // Keep the fragment's own order at the top of the list.
    for (const element of [...elements].reverse()) container.prepend(element);
  } else {
    container.append(...elements);
  }
  for (const element of elements) showOwnerControls(element);
}

function holdBack(container, elements, mode) {
  let held = deferred.get(container);
  if (!held) {
    const bar = document.createElement("button");
    bar.type = "button";
    bar.className = "live-new-bar";
    held = { items: [], mode, bar };
    bar.addEventListener("click", () => {
      deferred.delete(container);
      bar.remove();
      const items = held.items.filter(isNew);
      insert(container, held.mode === "prepend" ? items.reverse() : items, held.mode);
      if (items[0]) {
        if (!items[0].hasAttribute("tabindex")) items[0].setAttribute("tabindex", "-1");
        items[0].focus();
      }
    });
    container.before(bar);
    deferred.set(container, held);
  }
  held.items.push(...elements);
  const count = held.items.length;
  held.bar.textContent = interpolate(
    ngettext("%(count)s new item — show", "%(count)s new items — show", count),
    { count },
    true,
  );
}

function applyHtml(data) {
  const mode = data.mode || "append";
  if (mode === "remove" || mode === "replace") {
    const target = data.dom_id && document.getElementById(data.dom_id);
    if (!target) return;
    if (mode === "remove") {
      target.remove();
      return;
    }
    const [replacement] = fragmentElements(data.html || "");
    if (replacement) {
      target.replaceWith(replacement);
      showOwnerControls(replacement);
    }
    return;
  }
  const list = data.list;
  const container = list && document.querySelector(`[data-live-list="${CSS.escape(list)}"]`);
  if (!container) return;
  const elements = fragmentElements(data.html || "").filter(isNew);
  if (!elements.length) return;
  for (const empty of document.querySelectorAll(`[data-live-empty="${CSS.escape(list)}"]`)) {
    empty.hidden = true;
  }
  if (container.hasAttribute("data-live-defer")) holdBack(container, elements, mode);
  else insert(container, elements, mode);
}

function apply(event) {
  const data = event.data || {};
  if (data.counts) applyCounts(event.topic, data.counts);
  if (data.html !== undefined || data.mode === "remove") applyHtml(data);
  if (data.announce) announce(data.announce);
  document.dispatchEvent(new CustomEvent("live:event", { detail: event }));
}

function showStale() {
  if (document.getElementById("live-stale")) return;
  const bar = document.createElement("p");
  bar.id = "live-stale";
  bar.className = "live-stale";
  bar.setAttribute("role", "status");
  bar.append(gettext("This page has missed updates."), " ");
  const link = document.createElement("a");
  link.href = window.location.href;
  link.textContent = gettext("Reload");
  bar.append(link);
  document.getElementById("main")?.prepend(bar);
}

function showStopped(reason) {
  if (document.getElementById("live-stopped")) return;
  const bar = document.createElement("p");
  bar.id = "live-stopped";
  bar.className = "live-stale";
  bar.setAttribute("role", "status");
  bar.append(gettext("Live updates have stopped on this page."), " ");
  if (reason) bar.append(reason, " ");
  const link = document.createElement("a");
  link.href = window.location.href;
  link.textContent = gettext("Reload");
  bar.append(link);
  document.getElementById("main")?.prepend(bar);
}

// -- the connection ------------------------------------------------------------

const topics = declaredTopics();
const since = Number.parseInt(body.dataset.liveSince || "", 10);
let lastEventId = Number.isNaN(since) ? null : since;
let socket = null;
let attempts = 0;
let timer = null;
let lastRefusal = "";

function setState(state) {
  body.dataset.liveState = state;
}

function connect() {
  window.clearTimeout(timer);
  timer = null;
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  setState("connecting");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${window.location.host}/ws/live/`);
  socket.addEventListener("open", () => {
    const message = { action: "subscribe", topics };
    if (lastEventId !== null) message.last_event_id = lastEventId;
    socket.send(JSON.stringify(message));
  });
  socket.addEventListener("message", (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.type === "subscribed") {
      attempts = 0;
      setState("live");
    } else if (event.type === "error") {
      if (event.code === "replay_unavailable") showStale();
      else lastRefusal = event.message || "";
    } else if (typeof event.id === "number") {
      lastEventId = lastEventId === null ? event.id : Math.max(lastEventId, event.id);
      apply(event);
    }
  });
  socket.addEventListener("close", (close) => {
    socket = null;
    setState("offline");
    if (STOP_CODES.has(close.code)) {
      // The server refused this page a limit's worth (too big, too fast, too
      // many tabs): retrying would be refused again, so stop and say why.
      setState("stopped");
      showStopped(lastRefusal || close.reason);
    } else {
      scheduleReconnect();
    }
  });
}

function scheduleReconnect() {
  // Offline, every attempt would fail: the "online" event reconnects instead.
  if (timer !== null || navigator.onLine === false) return;
  // Exponential backoff with jitter, so a restarted server is not hit by every
  // tab at the same moment.
  const ceiling = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempts);
  attempts += 1;
  timer = window.setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
}

if (topics.length && "WebSocket" in window) {
  showOwnerControls(document);
  connect();
  // The browser knows first when the network goes: close and wait for it to
  // come back, then try at once instead of waiting out the backoff.
  window.addEventListener("offline", () => {
    if (socket) socket.close();
  });
  window.addEventListener("online", () => {
    attempts = 0;
    connect();
  });
}
