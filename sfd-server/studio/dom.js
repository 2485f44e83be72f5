// Building DOM nodes. Every text from a document goes in as a text node or a
// property (never parsed as HTML), and every URL from a document is checked.

/**
 * Creates an element. `props`: `class`, `text` (textContent), `on<event>`
 * listeners, `value`/`checked`/`disabled`/`hidden` as properties, anything
 * else as an attribute. Children are nodes or strings (inserted as text).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A URL a document may use for media: http(s) or this server, else null. */
export function safeUrl(url) {
  if (typeof url !== "string" || url === "") return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A `<time>` for milliseconds since the epoch. */
export function time(ms) {
  if (typeof ms !== "number") return h("span", { class: "muted", text: "—" });
  const d = new Date(ms);
  return h("time", { datetime: d.toISOString(), text: timeFormat.format(d) });
}

/** Initials for a placeholder: "Corgi Musk" → "CM". */
export function initials(name) {
  const words = String(name || "?").split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
}

/** A modal dialog built from `content`; resolves with its return value when closed. */
export function modal(labelledBy, ...content) {
  const dialog = h("dialog", { "aria-labelledby": labelledBy }, ...content);
  document.body.append(dialog);
  const closed = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue);
    });
  });
  dialog.showModal();
  return { dialog, closed };
}

/** Shows a short message that goes away by itself. */
export function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

/** The path of a drama-level URL, with every id encoded. */
export function path(...segments) {
  return "/" + segments.map((s) => encodeURIComponent(s)).join("/");
}
