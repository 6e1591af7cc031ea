// Block Kit rendered as Slack's client shows it: the blocks the app sent, unchanged.
// renderBlocks(blocks, ctx) -> a DOM element. ctx: {names, surface, values, errors, onAction}.
//   names: {userId: display name}; surface: "message" | "modal" | "home";
//   values: {blockId: {actionId: value}} kept for the page (inputs in modals);
//   onAction(blockId, element, chosen, button): a click or a choice to send to the app.
(function () {
"use strict";

// Slack's emoji names (GitHub's, mostly) → characters, from the server (GET /ui/emoji).
let EMOJI = {};

function useEmoji(table) { EMOJI = table || {}; }

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function unescapeSlack(text) {
  return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emoji(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

// <!date^unix^format|fallback> as Slack shows it: in the reader's own time zone. The tokens
// the app uses ({date_short_pretty}, {date}, {time}); anything else reads as its fallback.
function slackDate(target, fallback) {
  const [, seconds, format] = target.split("^");
  const moment = new Date(Number(seconds) * 1000);
  if (!format || Number.isNaN(moment.getTime())) return fallback || "";
  const today = new Date();
  const sameDay = (a, b) => a.toDateString() === b.toDateString();
  const yesterday = new Date(today.getTime() - 86400000);
  const tokens = {
    date_short_pretty: sameDay(moment, today) ? "Today"
      : sameDay(moment, yesterday) ? "Yesterday"
        : moment.toLocaleDateString("en-US", { month: "short", day: "numeric" }),
    date: moment.toLocaleDateString("en-US", { month: "long", day: "numeric", year: "numeric" }),
    time: moment.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" }),
  };
  let unknown = false;
  const shown = format.replace(/\{(\w+)\}/g, (all, name) => {
    if (!(name in tokens)) unknown = true;
    return tokens[name] || all;
  });
  return unknown ? (fallback || shown) : shown;
}

// A channel as Slack shows a link to it: "#name" (the label the app gave, else the channel's
// own name), a link the page opens the channel with.
function channelLink(id, label, names) {
  const name = label || (names || {})[id] || id;
  return `<a class="mention channel-link" data-channel="${escapeHtml(id)}">#${escapeHtml(name)}</a>`;
}

function userMention(id, names) {
  return `<span class="mention">@${escapeHtml((names || {})[id] || id)}</span>`;
}

// Slack's mrkdwn to safe HTML: <@U…>, <#C…|name>, <url|label>, *bold*, _italic_, ~strike~,
// `code`, ```pre```, > quotes, line breaks and :emoji:.
function mrkdwn(text, names) {
  const held = [];
  const hold = (html) => { held.push(html); return `\u0000${held.length - 1}\u0000`; };
  let source = String(text || "").replace(/<([^<>]+)>/g, (all, inner) => {
    const [target, label] = inner.split("|");
    if (target.startsWith("@")) {
      return hold(label ? `<span class="mention">@${escapeHtml(label)}</span>`
        : userMention(target.slice(1), names));
    }
    if (target.startsWith("#")) return hold(channelLink(target.slice(1), label, names));
    if (target.startsWith("!date^")) {
      return hold(escapeHtml(slackDate(target, label)));
    }
    if (target.startsWith("!subteam^")) {
      return hold(`<span class="mention">${escapeHtml(label || "@group")}</span>`);
    }
    if (target.startsWith("!")) {
      return hold(`<span class="mention">@${escapeHtml(label || target.slice(1))}</span>`);
    }
    const href = unescapeSlack(target);
    const safe = /^(https?:|mailto:|\/)/.test(href) ? href : "#";
    return hold(`<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${
      escapeHtml(unescapeSlack(label || target))}</a>`);
  });
  source = source.replace(/```([\s\S]*?)```/g, (all, code) => hold(
    `<pre>${escapeHtml(unescapeSlack(code.replace(/^\n/, "")))}</pre>`));
  source = source.replace(/`([^`\n]+)`/g, (all, code) => hold(
    `<code>${escapeHtml(unescapeSlack(code))}</code>`));
  let html = escapeHtml(unescapeSlack(source));
  html = html.replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?<])/g, "$1<b>$2</b>");
  html = html.replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?<])/g, "$1<i>$2</i>");
  html = html.replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?<])/g, "$1<s>$2</s>");
  html = html.split("\n").map((line) => line.startsWith("&gt;")
    ? `<blockquote>${line.slice(4).replace(/^ /, "")}</blockquote>` : line).join("\n");
  html = emoji(html).replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return html.replace(/\u0000(\d+)\u0000/g, (all, i) => held[Number(i)]);
}

function textHtml(obj, names) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj, names);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
  return emoji(escapeHtml(obj.text || "")).replace(/\n/g, "<br>");
}

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function imageUrl(block) {
  if (block.image_url) return block.image_url;
  const file = block.slack_file || {};
  if (file.url) return file.url;
  if (file.id) return `/files/${encodeURIComponent(file.id)}/image`;
  return "";
}

function renderBlocks(blocks, ctx) {
  const root = el("div", "bk-blocks");
  for (const block of blocks || []) {
    const node = renderBlock(block, ctx);
    if (node) {
      node.classList.add("bk-block");
      node.dataset.blockId = block.block_id || "";
      node.dataset.type = block.type;
      root.appendChild(node);
    }
  }
  return root;
}

function renderBlock(block, ctx) {
  const names = ctx.names;
  switch (block.type) {
    case "header":
      return el("div", "bk-header", textHtml(block.text, names));
    case "divider":
      return el("hr", "bk-divider");
    case "section": {
      const node = el("div", "bk-section");
      const content = el("div", "bk-section-text");
      if (block.text) content.appendChild(el("div", "text", textHtml(block.text, names)));
      if (block.fields) {
        const fields = el("div", "bk-fields");
        for (const field of block.fields) fields.appendChild(el("div", "text", textHtml(field, names)));
        content.appendChild(fields);
      }
      node.appendChild(content);
      if (block.accessory) node.appendChild(renderElement(block.accessory, block.block_id, ctx));
      return node;
    }
    case "context": {
      const node = el("div", "bk-context");
      for (const item of block.elements || []) {
        if (item.type === "image") {
          const img = el("img");
          img.src = imageUrl(item);
          img.alt = item.alt_text || "";
          node.appendChild(img);
        } else {
          node.appendChild(el("span", "text", textHtml(item, names)));
        }
      }
      return node;
    }
    case "image": {
      const node = el("figure", "bk-image");
      node.style.margin = "4px 0";
      if (block.title) node.appendChild(el("figcaption", "file-title", textHtml(block.title, names)));
      const img = el("img");
      img.src = imageUrl(block);
      img.alt = block.alt_text || "";
      node.appendChild(img);
      return node;
    }
    case "actions": {
      const node = el("div", "bk-actions");
      for (const element of block.elements || []) node.appendChild(renderElement(element, block.block_id, ctx));
      return node;
    }
    case "input": {
      const node = el("div", "bk-input");
      const label = el("label", "", textHtml(block.label, names));
      if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
      node.appendChild(label);
      if (block.element) node.appendChild(renderElement(block.element, block.block_id, ctx, true));
      if (block.hint) node.appendChild(el("div", "bk-hint", textHtml(block.hint, names)));
      const error = (ctx.errors || {})[block.block_id];
      if (error) node.appendChild(el("div", "bk-error", escapeHtml(error)));
      return node;
    }
    case "rich_text":
      return el("div", "text rich-text", richText(block.elements, names));
    case "markdown":
      return el("div", "text", mrkdwn(block.text, names));
    default:
      return el("div", "bk-context", `[${escapeHtml(block.type)} block]`);
  }
}

// rich_text as Slack shows it: sections of styled runs, bullet and numbered lists (nested by
// indent), preformatted text and quotes.
function richText(elements, names) {
  return (elements || []).map((part) => {
    const runs = richRuns(part.elements, names);
    switch (part.type) {
      case "rich_text_section":
        return `<div class="rt-section">${runs}</div>`;
      case "rich_text_preformatted":
        return `<pre>${richRuns(part.elements, names, true)}</pre>`;
      case "rich_text_quote":
        return `<blockquote>${runs}</blockquote>`;
      case "rich_text_list": {
        const tag = part.style === "ordered" ? "ol" : "ul";
        const start = part.style === "ordered" && part.offset ? ` start="${Number(part.offset) + 1}"` : "";
        const items = (part.elements || []).map((item) => `<li>${richRuns(item.elements, names)}</li>`);
        return `<${tag} class="rt-list indent-${Number(part.indent) || 0}"${start}>${items.join("")}</${tag}>`;
      }
      default:
        return runs;
    }
  }).join("");
}

// The inline elements of one rich_text section: text (bold, italic, strike, code), links,
// mentions, emoji and dates; in preformatted text, styles are not applied.
function richRuns(elements, names, plain) {
  return (elements || []).map((item) => {
    let html;
    switch (item.type) {
      case "text":
        html = escapeHtml(item.text || "");
        break;
      case "link": {
        const safe = /^(https?:|mailto:|\/)/.test(item.url || "") ? item.url : "#";
        html = `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${escapeHtml(item.text || item.url || "")}</a>`;
        break;
      }
      case "user":
        return userMention(item.user_id, names);
      case "channel":
        return channelLink(item.channel_id, "", names);
      case "usergroup":
        return `<span class="mention">@${escapeHtml((names || {})[item.usergroup_id] || item.usergroup_id)}</span>`;
      case "broadcast":
        return `<span class="mention">@${escapeHtml(item.range)}</span>`;
      case "emoji":
        return item.unicode
          ? item.unicode.split("-").map((hex) => String.fromCodePoint(parseInt(hex, 16))).join("")
          : emoji(`:${escapeHtml(item.name)}:`);
      case "date":
        return escapeHtml(slackDate(`!date^${item.timestamp}^${item.format}`, item.fallback));
      case "color":
        return escapeHtml(item.value || "");
      default:
        return "";
    }
    const style = (!plain && item.style) || {};
    if (style.code) html = `<code>${html}</code>`;
    if (style.bold) html = `<b>${html}</b>`;
    if (style.italic) html = `<i>${html}</i>`;
    if (style.strike) html = `<s>${html}</s>`;
    return html;
  }).join("").replace(/\n/g, "<br>");
}

function initialOf(element) {
  if (element.initial_option) return element.initial_option.value;
  if (element.initial_options) return element.initial_options.map((o) => o.value);
  return element.initial_value ?? element.initial_date ?? "";
}

function renderElement(element, blockId, ctx, inInput) {
  const kind = element.type;
  const actionId = element.action_id;
  const store = ctx.values || {};
  const current = () => (store[blockId] || {})[actionId];
  const remember = (value) => { (store[blockId] = store[blockId] || {})[actionId] = value; };
  if (current() === undefined && kind !== "button") remember(initialOf(element));
  const dispatches = !inInput || element.dispatch_action || (ctx.surface === "message");
  if (kind === "button") {
    const button = el("button", `bk-button ${element.style || ""}`, textHtml(element.text, ctx.names));
    button.type = "button";
    button.dataset.actionId = actionId || "";
    button.addEventListener("click", async () => {
      if (element.url) window.open(element.url, "_blank", "noopener");
      if (element.confirm && !(await confirmDialog(element.confirm, ctx.names))) return;
      button.disabled = true;
      try { await ctx.onAction(blockId, element, element.value); } finally { button.disabled = false; }
    });
    return button;
  }
  if (kind === "image") {
    const img = el("img");
    img.src = imageUrl(element);
    img.alt = element.alt_text || "";
    img.style.maxWidth = "80px";
    return img;
  }
  if (kind === "static_select" || kind === "overflow" || kind === "external_select") {
    const select = el("select");
    select.setAttribute("aria-label", (element.placeholder || {}).text || actionId || kind);
    const none = el("option", "", escapeHtml((element.placeholder || {}).text || (kind === "overflow" ? "⋯" : "Choose…")));
    none.value = "";
    select.appendChild(none);
    const groups = element.option_groups || [{ options: element.options || [] }];
    for (const group of groups) {
      for (const option of group.options || []) {
        const node = el("option", "", textHtml(option.text, ctx.names));
        node.value = option.value;
        select.appendChild(node);
      }
    }
    select.value = current() || "";
    select.addEventListener("change", () => {
      remember(select.value);
      if (dispatches && select.value) ctx.onAction(blockId, element, select.value);
    });
    return wrap(select, inInput);
  }
  if (kind === "checkboxes" || kind === "radio_buttons") {
    const box = el("div", "bk-choices");
    const chosen = current() || (kind === "checkboxes" ? [] : "");
    for (const option of element.options || []) {
      const label = el("label", "bk-choice");
      const input = el("input");
      input.type = kind === "checkboxes" ? "checkbox" : "radio";
      input.name = `${blockId}-${actionId}`;
      input.value = option.value;
      input.checked = kind === "checkboxes" ? chosen.includes(option.value) : chosen === option.value;
      input.addEventListener("change", () => {
        const picked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
        remember(kind === "checkboxes" ? picked : picked[0] || "");
        if (dispatches) ctx.onAction(blockId, element, current());
      });
      label.appendChild(input);
      label.insertAdjacentHTML("beforeend", " " + textHtml(option.text, ctx.names));
      box.appendChild(label);
    }
    return box;
  }
  // Text, number, email, URL and date inputs.
  const multiline = kind === "plain_text_input" && element.multiline;
  const input = el(multiline ? "textarea" : "input");
  if (!multiline) {
    input.type = { number_input: "text", email_text_input: "email", url_text_input: "url", datepicker: "date", timepicker: "time" }[kind] || "text";
    if (kind === "number_input") input.inputMode = element.is_decimal_allowed ? "decimal" : "numeric";
  }
  input.placeholder = (element.placeholder || {}).text || "";
  input.value = current() || "";
  input.dataset.actionId = actionId || "";
  input.addEventListener("input", () => remember(input.value));
  if (dispatches && !inInput) input.addEventListener("change", () => ctx.onAction(blockId, element, input.value));
  return wrap(input, inInput);
}

function wrap(node, inInput) {
  if (inInput) return node;
  const box = el("span", "bk-element");
  box.appendChild(node);
  return box;
}

// Slack's confirmation dialog for a button that asked for one: resolves true on confirm.
function confirmDialog(confirm, names) {
  return new Promise((resolve) => {
    const layer = document.getElementById("confirm-layer");
    layer.innerHTML = "";
    const box = el("div", "confirm");
    box.setAttribute("role", "alertdialog");
    box.appendChild(el("header", "", textHtml(confirm.title || { type: "plain_text", text: "Are you sure?" }, names)));
    box.appendChild(el("div", "confirm-body", textHtml(confirm.text, names)));
    const footer = el("footer");
    const deny = el("button", "bk-button", textHtml(confirm.deny || { type: "plain_text", text: "Cancel" }, names));
    const yes = el("button", `bk-button ${confirm.style === "danger" ? "danger" : "primary"}`,
      textHtml(confirm.confirm || { type: "plain_text", text: "Yes" }, names));
    deny.type = yes.type = "button";
    yes.dataset.role = "confirm";
    deny.dataset.role = "deny";
    const finish = (answer) => { layer.hidden = true; layer.innerHTML = ""; resolve(answer); };
    deny.addEventListener("click", () => finish(false));
    yes.addEventListener("click", () => finish(true));
    footer.append(deny, yes);
    box.appendChild(footer);
    layer.appendChild(box);
    layer.hidden = false;
    yes.focus();
  });
}

window.BlockKit = { renderBlocks, useEmoji, mrkdwn, textHtml, escapeHtml, confirmDialog, el };
})();
