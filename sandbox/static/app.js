// The sandbox page: channels, messages and threads, the app's Home tab, modals, a composer and
// a user switcher. Every action goes to the sandbox server, which sends it to the app as Slack
// would; the page only shows the workspace (GET /ui/state) when /ui/stream says it changed.
(function () {
"use strict";

const { renderBlocks, mrkdwn, escapeHtml, el } = window.BlockKit;
const params = new URLSearchParams(location.search);
const page = {
  user: params.get("user") || localStorage.getItem("sandbox.user") || "",
  channel: params.get("channel") || "",
  thread: params.get("thread") || "",
  highlight: params.get("ts") || "",
  tab: params.get("tab") || "",
};
const modalValues = {};
const modalErrors = {};
let state = null;
let shownModal = null;
let loading = Promise.resolve();
let queued = 0;
// The height of text Slack shows before "See more" (about 16 lines; style.css says the same).
const COLLAPSED_PX = 370;

function $(id) { return document.getElementById(id); }

async function call(path, body) {
  const reply = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: page.user, ...body }),
  });
  const answer = await reply.json().catch(() => ({ ok: false, error: `HTTP ${reply.status}` }));
  if (!answer.ok && answer.error && answer.error !== "invalid_input" && answer.error !== "errors") {
    const detail = (answer.messages || []).join(", ");
    toast(`The app did not take it: ${answer.error}${detail ? ` (${detail})` : ""}`);
  }
  return answer;
}

function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 5000);
}

// One state request at a time, in order; at most one more waits behind it, and it reads the
// page's user, channel and thread when it starts, so a click during a request is never undone.
function refresh() {
  if (queued > 1) return loading;
  queued += 1;
  loading = loading.then(load).catch((error) => console.warn("state", error)).finally(() => { queued -= 1; });
  return loading;
}

async function load() {
  const asked = { user: page.user, channel: page.channel, thread: page.thread };
  const reply = await fetch(`/ui/state?${new URLSearchParams(asked)}`);
  const fresh = await reply.json();
  // The person moved on while this was on its way: the request queued behind it shows that.
  if (asked.user !== page.user || asked.channel !== page.channel || asked.thread !== page.thread) return;
  state = fresh;
  page.user = state.me ? state.me.id : "";
  page.channel = state.channel ? state.channel.id : "";
  if (!state.thread) page.thread = "";
  render();
}

function remember() {
  localStorage.setItem("sandbox.user", page.user);
  const query = new URLSearchParams({ user: page.user, channel: page.channel });
  if (page.thread) query.set("thread", page.thread);
  if (isAppChannel()) query.set("tab", page.tab || "home");
  history.replaceState(null, "", `/?${query}`);
}

function isAppChannel() { return Boolean(state && state.channel && state.channel.is_im); }

function render() {
  remember();
  document.body.dataset.user = page.user;
  document.body.dataset.version = state.version;
  $("team-name").textContent = state.team.name;
  renderSwitcher();
  renderChannels();
  const app = isAppChannel();
  const tab = app ? page.tab || "home" : "messages";
  $("channel-title").textContent = app ? state.bot.name : `# ${state.channel ? state.channel.name : ""}`;
  $("app-tabs").hidden = !app;
  for (const button of document.querySelectorAll("#app-tabs button")) {
    button.classList.toggle("active", button.dataset.tab === tab);
  }
  $("home").hidden = tab !== "home";
  $("messages").hidden = tab === "home";
  $("composer-form").hidden = tab === "home";
  $("composer").placeholder = app ? `Message ${state.bot.name}` : `Message #${state.channel ? state.channel.name : ""}`;
  if (tab === "home") renderHome(); else renderMessages($("messages"), state.messages, false);
  renderThread();
  renderModal();
}

function unchanged(node, key) {
  if (node.dataset.key === key) return true;
  node.dataset.key = key;
  return false;
}

function renderSwitcher() {
  const select = $("user");
  if (unchanged(select, JSON.stringify([state.people, page.user]))) return;
  select.innerHTML = "";
  for (const person of state.people) {
    const option = el("option", "", escapeHtml(`${person.real_name}${person.title ? ` (${person.title})` : ""}`));
    option.value = person.id;
    select.appendChild(option);
  }
  select.value = page.user;
  const me = state.me || {};
  $("user-title").textContent = me.title ? `${me.id} · ${me.title}` : me.id || "";
}

function renderChannels() {
  const channels = $("channels");
  const apps = $("apps");
  if (unchanged(channels, JSON.stringify([state.channels, page.channel]))) return;
  channels.innerHTML = "";
  apps.innerHTML = "";
  for (const channel of state.channels) {
    const link = el("a", channel.id === page.channel ? "active" : "");
    link.dataset.channel = channel.id;
    if (channel.is_im) {
      link.textContent = state.bot.name;
      link.dataset.name = "app";
      apps.appendChild(listItem(link));
    } else {
      link.textContent = `# ${channel.name}`;
      link.dataset.name = channel.name;
      channels.appendChild(listItem(link));
    }
    link.addEventListener("click", () => openChannel(channel.id));
  }
}

function listItem(child) { const item = el("li"); item.appendChild(child); return item; }

async function openChannel(channelId, tab) {
  page.channel = channelId;
  page.thread = "";
  page.highlight = "";
  const channel = state.channels.find((c) => c.id === channelId);
  page.tab = channel && channel.is_im ? tab || "home" : "";
  await refresh();
  if (page.tab === "home") await call("/ui/home", {});
}

function senderName(message) {
  if (message.bot_id) return (message.bot_profile || {}).name || state.bot.name;
  return state.names[message.user] || message.username || message.user || "someone";
}

// Messages are patched, not redrawn: a message whose JSON did not change keeps its DOM node, so
// a click in progress is never lost to a live update of something else.
function renderMessages(container, messages, inThread) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const first = container.dataset.channel !== page.channel;
  container.dataset.channel = page.channel;
  const wanted = messages.map((m) => ({ message: m, sig: `${m.ts === page.highlight}|${JSON.stringify(m)}` }));
  const keep = new Set(wanted.map((w) => w.sig));
  for (const node of [...container.children]) {
    if (!keep.has(node.dataset.sig) || first) node.remove();
  }
  let index = 0;
  for (const { message, sig } of wanted) {
    const existing = container.children[index];
    if (!existing || existing.dataset.sig !== sig) {
      const node = renderMessage(message, inThread);
      node.dataset.sig = sig;
      container.insertBefore(node, existing || null);
      collapseLongText(node);
    }
    index += 1;
  }
  if (!messages.length) {
    const empty = el("div", "empty", "No messages yet.");
    empty.dataset.sig = "empty";
    container.appendChild(empty);
  }
  const target = page.highlight && container.querySelector(`[data-ts="${page.highlight}"]`);
  if (target && first) target.scrollIntoView({ block: "center" });
  else if (first || atBottom || inThread) {
    container.scrollTop = container.scrollHeight;
    // Images arrive after the text: stay at the bottom as they make the list taller.
    for (const img of container.querySelectorAll("img")) {
      img.addEventListener("load", () => { container.scrollTop = container.scrollHeight; }, { once: true });
    }
  }
}

function renderMessage(message, inThread) {
  const node = el("div", "message");
  node.dataset.ts = message.ts;
  if (message.subtype === "tombstone") return renderTombstone(node, message, inThread);
  if (message.ephemeral_for) node.classList.add("ephemeral");
  if (message.ts === page.highlight) node.classList.add("highlight");
  const name = senderName(message);
  node.appendChild(el("div", `avatar ${message.bot_id ? "bot" : ""}`, escapeHtml(name.slice(0, 1).toUpperCase())));
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.appendChild(el("span", "sender", escapeHtml(name)));
  if (message.bot_id) meta.appendChild(el("span", "app-badge", "APP"));
  meta.appendChild(el("span", "time", new Date(Number(message.ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  if (message.edited) meta.appendChild(el("span", "edited", "(edited)"));
  body.appendChild(meta);
  if (message.ephemeral_for) body.appendChild(el("div", "ephemeral-note", "Only visible to you"));
  const onAction = (blockId, element, chosen) => call("/ui/action", {
    channel: page.channel, message_ts: message.ts, block_id: blockId, action_id: element.action_id, chosen,
  });
  if (message.blocks && message.blocks.length) {
    body.appendChild(renderBlocks(message.blocks, { names: state.names, surface: "message", values: {}, onAction }));
  } else if (message.text) {
    body.appendChild(el("div", "text", mrkdwn(message.text, state.names)));
  }
  if (message.files && message.files.length) {
    const files = el("div", "files");
    for (const file of message.files) {
      files.appendChild(el("div", "file-title", escapeHtml(file.title || file.name)));
      if ((file.mimetype || "").startsWith("image/")) {
        const img = el("img");
        img.src = file.url_private;
        img.alt = file.alt_txt || file.title || file.name;
        files.appendChild(img);
      } else {
        const link = el("a", "", escapeHtml(file.name));
        link.href = file.url_private;
        files.appendChild(link);
      }
    }
    body.appendChild(files);
  }
  if (message.reactions && message.reactions.length) {
    const reactions = el("div", "reactions");
    for (const r of message.reactions) reactions.appendChild(el("span", "", `${mrkdwn(`:${r.name}:`)} ${r.count}`));
    body.appendChild(reactions);
  }
  if (!inThread && message.reply_count) {
    body.appendChild(repliesLink(message));
  } else if (!inThread && !message.ephemeral_for && !message.thread_ts) {
    const link = el("a", "replies start-thread", "Reply in thread");
    link.style.fontWeight = "400";
    link.addEventListener("click", () => { page.thread = message.ts; refresh(); });
    body.appendChild(link);
  }
  node.appendChild(body);
  return node;
}

// Slack shows the start of a long text and a "See more" that shows the rest. Measured once the
// message is laid out, and again when an image in it makes it taller.
function collapseLongText(node) {
  for (const text of node.querySelectorAll(".body .text")) {
    const check = () => {
      if (text.classList.contains("expanded") || text.classList.contains("collapsed")) return;
      if (text.scrollHeight <= COLLAPSED_PX + 40) return;
      text.classList.add("collapsed");
      const more = el("button", "see-more", "See more");
      more.type = "button";
      more.addEventListener("click", () => {
        text.classList.replace("collapsed", "expanded");
        more.remove();
      });
      text.after(more);
    };
    check();
    for (const img of text.querySelectorAll("img")) img.addEventListener("load", check, { once: true });
  }
}

// A deleted message whose thread goes on: Slack keeps its place, and its replies.
function renderTombstone(node, message, inThread) {
  node.classList.add("tombstone");
  node.appendChild(el("div", "avatar deleted", ""));
  const body = el("div", "body");
  body.appendChild(el("div", "text", escapeHtml(message.text)));
  if (!inThread && message.reply_count) body.appendChild(repliesLink(message));
  node.appendChild(body);
  return node;
}

function repliesLink(message) {
  const link = el("a", "replies", `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`);
  link.addEventListener("click", () => { page.thread = message.ts; refresh(); });
  return link;
}

function renderThread() {
  const panel = $("thread-panel");
  panel.hidden = !state.thread;
  if (state.thread) renderMessages($("thread"), state.thread, true);
}

function renderHome() {
  const home = $("home");
  if (unchanged(home, JSON.stringify([page.user, state.home && state.home.hash]))) return;
  home.innerHTML = "";
  if (!state.home) {
    home.appendChild(el("div", "empty", "The app has not published a Home tab for you yet."));
    return;
  }
  const view = state.home;
  const values = (modalValues[view.id] = modalValues[view.id] || {});
  home.appendChild(renderBlocks(view.blocks, {
    names: state.names, surface: "home", values,
    onAction: (blockId, element, chosen) => call("/ui/action", {
      view_id: view.id, block_id: blockId, action_id: element.action_id, chosen, values,
    }),
  }));
}

function renderModal() {
  const layer = $("modal-layer");
  const view = state.modals[state.modals.length - 1];
  const key = view ? `${view.id}:${view.hash}:${JSON.stringify(modalErrors[view.id] || {})}` : "";
  if (key === shownModal) return;
  shownModal = key;
  layer.innerHTML = "";
  layer.hidden = !view;
  if (!view) return;
  const values = (modalValues[view.id] = modalValues[view.id] || {});
  const box = el("div", "modal");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", (view.title || {}).text || "Modal");
  box.appendChild(el("header", "", escapeHtml((view.title || {}).text || "")));
  const body = el("div", "modal-body");
  body.appendChild(renderBlocks(view.blocks, {
    names: state.names, surface: "modal", values, errors: modalErrors[view.id] || {},
    onAction: (blockId, element, chosen) => call("/ui/action", {
      view_id: view.id, block_id: blockId, action_id: element.action_id, chosen, values,
    }),
  }));
  box.appendChild(body);
  const footer = el("footer");
  const close = el("button", "bk-button", escapeHtml((view.close || {}).text || "Cancel"));
  close.type = "button";
  close.dataset.role = "close";
  close.addEventListener("click", async () => { await call("/ui/close", { view_id: view.id }); refresh(); });
  footer.appendChild(close);
  if (view.submit) {
    const submit = el("button", "bk-button primary", escapeHtml(view.submit.text));
    submit.type = "button";
    submit.dataset.role = "submit";
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      const answer = await call("/ui/submit", { view_id: view.id, values });
      submit.disabled = false;
      modalErrors[view.id] = answer.errors || {};
      shownModal = null;
      refresh();
    });
    footer.appendChild(submit);
  }
  box.appendChild(footer);
  layer.appendChild(box);
}

async function send(textarea, threadTs) {
  const text = textarea.value.trim();
  if (!text) return;
  textarea.value = "";
  if (text.startsWith("/") && !threadTs) await call("/ui/command", { channel: page.channel, text });
  else await call("/ui/message", { channel: page.channel, text, thread_ts: threadTs || null });
}

function composer(form, textarea, threadTs) {
  form.addEventListener("submit", (event) => { event.preventDefault(); send(textarea, threadTs()); });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(textarea, threadTs()); }
  });
}

function listen() {
  const source = new EventSource("/ui/stream");
  source.addEventListener("change", () => refresh());
  source.onerror = () => { source.close(); setTimeout(listen, 1000); };
}

$("user").addEventListener("change", (event) => {
  page.user = event.target.value;
  page.thread = "";
  shownModal = null;
  refresh().then(() => { if (isAppChannel() && (page.tab || "home") === "home") call("/ui/home", {}); });
});
for (const button of document.querySelectorAll("#app-tabs button")) {
  button.addEventListener("click", () => openChannel(page.channel, button.dataset.tab));
}
$("close-thread").addEventListener("click", () => { page.thread = ""; refresh(); });
composer($("composer-form"), $("composer"), () => "");
composer($("reply-form"), $("reply"), () => page.thread);
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.channel-link");
  if (link && state && state.channels.some((c) => c.id === link.dataset.channel)) {
    event.preventDefault();
    openChannel(link.dataset.channel);
  }
});
fetch("/ui/emoji").then((reply) => reply.json()).then(window.BlockKit.useEmoji)
  .catch((error) => console.warn("emoji", error))
  .then(refresh)
  .then(() => { if (isAppChannel() && (page.tab || "home") === "home") call("/ui/home", {}); });
listen();
})();
