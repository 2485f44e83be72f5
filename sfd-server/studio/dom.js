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

/** The element that has the focus, remembered so it can get it back. */
function focusMark() {
  const el = document.activeElement;
  const label = el && el.getAttribute && (el.getAttribute("aria-label") || (el.tagName === "BUTTON" && el.textContent));
  return { el, label };
}

/** Gives the focus back to `mark`, or to its twin when the view was drawn again. */
function restoreFocus({ el, label }) {
  if (el && el.isConnected && el !== document.body) {
    el.focus();
    return;
  }
  const main = document.getElementById("main");
  const twin = label && main && [...main.querySelectorAll("button, input")]
    .find((b) => b.getAttribute("aria-label") === label || (b.tagName === "BUTTON" && b.textContent === label));
  (twin || main)?.focus();
}

/**
 * Gives the focus back to `button` (or an input) after an action of its
 * own that disabled it (a disabled button loses the focus, and a dialog it
 * opened could not give it back) or drew it again (then its twin, the
 * control of the same aria-label, gets it); unless the user put the focus
 * elsewhere.
 */
export function refocus(button) {
  const now = document.activeElement;
  if (now && now !== document.body && now.id !== "main") return;
  const label = button.getAttribute("aria-label");
  const twin = button.isConnected ? button
    : label && [...document.querySelectorAll("button, input")].find((b) => b.getAttribute("aria-label") === label);
  if (twin) twin.focus();
}

/**
 * A modal dialog built from `content`; resolves with its return value when
 * closed. The focus moves into it, and back to where it was on closing.
 */
export function modal(labelledBy, ...content) {
  const mark = focusMark();
  const dialog = h("dialog", { "aria-labelledby": labelledBy }, ...content);
  document.body.append(dialog);
  const closed = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      restoreFocus(mark);
      resolve(dialog.returnValue);
    });
  });
  dialog.showModal();
  return { dialog, closed };
}

/** Saves `blob` as a file named `filename` (a download the browser keeps). */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** "$1.23" (four places under a cent, so a small spend is not shown as nothing). */
export function usd(x) {
  const n = Number(x) || 0;
  return `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;
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
