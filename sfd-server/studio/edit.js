// Editing in place. A Session holds the open drama and its ETag; each field
// is a text box saved with PATCH and If-Match. On 412 the drama is read
// again, the view is drawn again, and the field says that the drama changed
// elsewhere, shows the newer text and keeps what the user typed.

import { request } from "./api.js";
import { h, path } from "./dom.js";

let nextId = 0;

/** The open drama: its document, its version, and its fields being edited. */
export class Session {
  constructor(dramaId, draw) {
    this.dramaId = dramaId;
    this.draw = draw;
    this.drama = null;
    this.etag = null;
    this.fields = new Map();
    this.kept = new Map();
    this.conflicts = new Set();
    this.focused = null;
  }

  /** Reads the drama and its ETag. */
  async load() {
    const { data, etag } = await request("GET", path("dramas", this.dramaId));
    this.drama = data;
    this.etag = etag;
  }

  /** Reads the drama again and draws it, keeping every unsaved text. */
  async reload() {
    for (const [key, f] of this.fields) {
      if (f.dirty()) this.kept.set(key, { typed: f.box.value, base: f.base });
      if (document.activeElement === f.box) this.focused = key;
    }
    await this.load();
    this.fields = new Map();
    this.draw();
    const again = this.focused && this.fields.get(this.focused);
    if (again) again.box.focus();
    this.focused = null;
    this.kept.clear();
    this.conflicts.clear();
  }
}

/**
 * A field edited in place: `label` (shown, or for screen readers only with
 * `quiet`), the `url` of its entity and the `name` of its field, its
 * `value`, and `big` for a title.
 */
export function field(session, { key, label, url, name, value, quiet = false, big = false }) {
  const id = `f${++nextId}`;
  const box = h(big ? "input" : "textarea", {
    id, class: big ? "edit big" : "edit", "data-key": key, "data-field": name, spellcheck: "true",
    value: value ?? "", rows: big ? undefined : 2,
  });
  const note = h("div", { class: "conflict", role: "alert", hidden: true });
  const status = h("span", { class: "field-status muted", "aria-live": "polite" });
  const save = h("button", { type: "button", text: "Save", "aria-label": `Save ${label}` });
  const revert = h("button", { type: "button", class: "secondary", text: "Undo", "aria-label": `Undo changes to ${label}` });
  const actions = h("div", { class: "field-actions", hidden: true }, save, revert);
  const el = h("div", { class: "field", "data-key": key },
    h("label", { for: id, class: quiet ? "sr-only" : "field-label", text: label }),
    box, note, h("div", { class: "field-foot" }, actions, status));

  const f = { box, base: value ?? "", dirty: () => box.value !== f.base };
  session.fields.set(key, f);
  const sync = () => { actions.hidden = !f.dirty(); };

  const kept = session.kept.get(key);
  if (kept) {
    box.value = kept.typed;
    if (session.conflicts.has(key) || kept.base !== f.base) {
      note.replaceChildren(
        h("p", { text: "This drama changed elsewhere. The newer text is below; what you typed is still in the box. Save again to replace the newer text." }),
        h("blockquote", { class: "newer", text: f.base || "(empty)" }),
      );
      note.hidden = false;
    }
  }
  sync();

  async function doSave() {
    const typed = box.value;
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const { etag } = await request("PATCH", url, { body: { [name]: typed }, ifMatch: session.etag });
      session.etag = etag;
      f.base = typed;
      note.hidden = true;
      status.textContent = "Saved";
      el.dataset.saved = "true";
    } catch (err) {
      if (err.status === 412) {
        session.conflicts.add(key);
        status.textContent = "The drama changed elsewhere; reading the newer version…";
        await session.reload().catch((e) => { status.textContent = `Not saved, and the newer version could not be read: ${e.message}`; });
        return;
      }
      status.textContent = `Not saved: ${err.message}`;
    } finally {
      save.disabled = false;
      sync();
    }
  }

  box.addEventListener("input", () => { delete el.dataset.saved; status.textContent = ""; sync(); });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey || big)) {
      e.preventDefault();
      if (f.dirty()) doSave();
    }
  });
  save.addEventListener("click", doSave);
  revert.addEventListener("click", () => { box.value = f.base; note.hidden = true; sync(); box.focus(); });
  return el;
}
