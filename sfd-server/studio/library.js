// The drama's asset library: the reusable images, videos and texts of its
// project (user 10000's project named after the drama, unless the drama's
// metadata.library names another), an upload, and picking an image or video
// as a character's reference (`library:{asset_id}` in its portrait's
// depends_on, so the portrait is drawn from it).

import { postForm, request } from "./api.js";
import { h, path, toast } from "./dom.js";

/** The library the drama's `library:` references name. */
function scope(d) {
  const lib = (d.metadata && d.metadata.library) || {};
  return { user_id: lib.user_id || "10000", project_name: lib.project_name || d.id };
}

function typeOf(file) {
  if (file.type.startsWith("image/")) return "image";
  if (file.type.startsWith("video/")) return "video";
  return "text";
}

/** Makes library asset `ref` a reference of character `c`'s portrait (added when missing). */
async function use(session, c, ref) {
  const owner = path("dramas", session.dramaId, "characters", c.id, "assets");
  const portrait = (c.assets || []).find((a) => a.id === `${c.id}-portrait`);
  if (portrait) {
    const deps = (portrait.depends_on || []).filter((x) => x !== ref);
    await request("PATCH", `${owner}/${encodeURIComponent(portrait.id)}`, { body: { depends_on: [...deps, ref] } });
  } else {
    const prompt = `Character reference portrait of ${c.name}: ${c.description} Full figure, facing the camera, plain background.`;
    await request("POST", owner, { body: { id: `${c.id}-portrait`, kind: "image", prompt, depends_on: [ref] } });
  }
  await session.reload();
}

/** The library section of the drama view. */
export function libraryPanel(session) {
  const d = session.drama;
  const s = scope(d);
  const cast = d.characters || [];
  const list = h("ul", { class: "library-list", "aria-label": "Library assets" });
  const item = (asset) => {
    const ref = `library:${asset.asset_id}`;
    const name = asset.filename || asset.asset_id;
    const users = cast.filter((c) => (c.assets || []).some((a) => (a.depends_on || []).includes(ref)));
    const pick = asset.asset_type !== "text" && cast.length > 0 && h("select", {
      "aria-label": `Use ${name} as the reference of`,
      onchange: (e) => {
        const c = cast.find((x) => x.id === e.target.value);
        if (c) use(session, c, ref).catch((err) => toast(`Could not use ${name}: ${err.message}`));
      },
    }, h("option", { value: "", text: "Use for…" }), cast.map((c) => h("option", { value: c.id, text: c.name })));
    return h("li", { class: "library-item", "data-id": asset.asset_id },
      h("strong", { text: name }),
      h("span", { class: "badge", text: `${asset.asset_type} · ${asset.tag}` }),
      users.length > 0 && h("span", { class: "muted", text: `reference of ${users.map((c) => c.name).join(", ")}` }),
      pick);
  };
  const load = async () => {
    const { data } = await request("GET", `/asset-library/list?${new URLSearchParams(s)}`);
    list.replaceChildren(...(data.assets.length
      ? data.assets.map(item)
      : [h("li", { class: "muted", text: "No library assets yet." })]));
  };
  const file = h("input", { type: "file", name: "file", required: true, accept: "image/png,image/jpeg,image/webp,video/mp4,text/plain", "aria-label": "File for the library" });
  const tag = h("select", { name: "tag", "aria-label": "Tag" },
    ["character", "storyboard", "clip"].map((t) => h("option", { value: t, text: t })));
  const form = h("form", {
    class: "library-upload",
    onsubmit: async (e) => {
      e.preventDefault();
      const chosen = file.files[0];
      if (!chosen) return;
      const body = new FormData();
      body.append("file", chosen, chosen.name);
      body.append("user_id", s.user_id);
      body.append("project_name", s.project_name);
      body.append("asset_type", typeOf(chosen));
      body.append("tag", tag.value);
      try {
        await postForm("/asset-library/upload", body);
        form.reset();
        await load();
      } catch (err) {
        toast(`Could not upload ${chosen.name}: ${err.message}`);
      }
    },
  }, file, tag, h("button", { type: "submit", class: "secondary", text: "Upload to library" }));
  load().catch((err) => list.replaceChildren(h("li", { class: "muted", text: `Could not load the library: ${err.message}` })));
  return h("section", { class: "library", "aria-labelledby": "library-heading" },
    h("h2", { id: "library-heading", text: "Library" }),
    h("p", { class: "muted", text: `Project ${s.project_name} of user ${s.user_id}` }),
    list, form);
}
