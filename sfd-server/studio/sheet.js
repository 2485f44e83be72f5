// A character's casting sheet: the portrait, the views (full body,
// profile…) and the named variants (a costume, an age) a character asks
// for in `metadata.sheet`, as labelled thumbnails; and a small form to ask
// for views and variants. The sheet's assets, `{cid}-view-{name}` and
// `{cid}-variant-{name}`, are added by the next render.

import { request } from "./api.js";
import { h, safeUrl, toast } from "./dom.js";

/** `[a-z0-9-]` of `name`, other runs as one `-` (as the server names sheet assets). */
export function slug(name) {
  let out = "";
  for (const c of String(name).trim()) {
    if (/[A-Za-z0-9]/.test(c)) out += c.toLowerCase();
    else if (!out.endsWith("-")) out += "-";
  }
  return out.replace(/^-+|-+$/g, "").slice(0, 40);
}

/** What `character.metadata.sheet` asks for: `{views: [name], variants: [[name, how]]}`. */
export function sheetAsked(character) {
  const sheet = (character.metadata && character.metadata.sheet) || {};
  const views = (Array.isArray(sheet.views) ? sheet.views : []).filter((v) => typeof v === "string" && slug(v));
  const variants = Object.entries(sheet.variants && typeof sheet.variants === "object" ? sheet.variants : {})
    .filter(([name]) => slug(name))
    .map(([name, how]) => [name, typeof how === "string" ? how : ""]);
  return { views, variants };
}

/** The entries of the sheet: `{id, label, note, asset}`, the portrait first. */
export function sheetEntries(character) {
  const assets = character.assets || [];
  const byId = (id) => assets.find((a) => a.id === id) || null;
  const { views, variants } = sheetAsked(character);
  const cid = character.id;
  const out = [
    ...views.map((v) => ({ id: `${cid}-view-${slug(v)}`, label: v.trim(), note: "view" })),
    ...variants.map(([v, how]) => ({ id: `${cid}-variant-${slug(v)}`, label: v.trim(), note: how ? `variant: ${how}` : "variant" })),
  ];
  // Sheet assets rendered before the sheet was changed still show.
  for (const a of assets) {
    const m = a.metadata && a.metadata.sheet;
    if (m && !out.some((e) => e.id === a.id)) out.push({ id: a.id, label: m.view || m.variant || a.id, note: m.view ? "view" : "variant" });
  }
  if (out.length === 0) return [];
  const portrait = { id: `${cid}-portrait`, label: "portrait", note: "portrait" };
  return [portrait, ...out].map((e) => ({ ...e, asset: byId(e.id) }));
}

/** The sheet as labelled thumbnails, or null when the character asks for none. */
export function sheetView(character) {
  const entries = sheetEntries(character);
  if (entries.length === 0) return null;
  const name = character.name || character.id;
  return h("ul", { class: "sheet", "aria-label": `Casting sheet of ${name}` }, entries.map((e) => {
    const src = e.asset ? safeUrl(e.asset.url) : (e.note === "portrait" ? safeUrl(character.url) : null);
    const label = `${name}, ${e.label}`;
    return h("li", { class: "sheet-item", "data-id": e.id, "data-state": src ? "rendered" : "missing", title: e.note },
      src
        ? h("img", { src, alt: label, loading: "lazy" })
        : h("div", { class: "placeholder", role: "img", "aria-label": `${label}: not rendered yet`, text: "…" }),
      h("span", { class: "sheet-label", text: e.label }));
  }));
}

/** "name: how" lines of the variants text box. */
function parseVariants(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(":");
    const name = (at < 0 ? line : line.slice(0, at)).trim();
    if (name) out[name] = at < 0 ? "" : line.slice(at + 1).trim();
  }
  return out;
}

/** The form asking for views and variants (PATCH of the character's `metadata.sheet`). */
export function sheetForm(session, character, url) {
  const { views, variants } = sheetAsked(character);
  const id = `sheet-${character.id}`;
  const viewsBox = h("input", { id: `${id}-views`, value: views.join(", "), placeholder: "full-body, profile" });
  const variantsBox = h("textarea", { id: `${id}-variants`, rows: 2, value: variants.map(([n, how]) => `${n}: ${how}`).join("\n"), placeholder: "wetsuit: in a yellow wetsuit" });
  const status = h("p", { class: "error small", role: "alert" });
  const save = h("button", { type: "submit", class: "small", text: "Save the sheet", "aria-label": `Save the casting sheet of ${character.name || character.id}` });
  const form = h("form", { class: "sheet-form" },
    h("h4", { text: "Casting sheet" }),
    h("label", { for: `${id}-views`, text: "Views (comma-separated)" }), viewsBox,
    h("label", { for: `${id}-variants`, text: "Variants (one per line, name: how it differs)" }), variantsBox,
    status, save);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    status.textContent = "";
    const sheet = {
      views: viewsBox.value.split(",").map((v) => v.trim()).filter(Boolean),
      variants: parseVariants(variantsBox.value),
    };
    const metadata = { ...(character.metadata || {}), sheet };
    try {
      const { etag } = await request("PATCH", url, { body: { metadata }, ifMatch: session.etag });
      session.etag = etag;
    } catch (err) {
      save.disabled = false;
      if (err.status !== 412) {
        status.textContent = `Not saved: ${err.message}`;
        return;
      }
      toast("The drama changed elsewhere; it was read again: save the sheet once more.");
      await session.reload().catch(() => {});
      return;
    }
    toast(`Saved the casting sheet of ${character.name || character.id}; the next render makes it.`);
    await session.reload().catch((err) => toast(`Saved, but the drama could not be read again: ${err.message}`));
  });
  return form;
}
