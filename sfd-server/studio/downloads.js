// Downloads: every export format the server offers, the drama-wide ones
// for the drama and the one-episode ones for each episode. The formats come from the server's own description
// (`/openapi.json`, the `format` parameter of the export route), so a
// format the server gains shows up here with no change to the page.

import { ApiError, download } from "./api.js";
import { h, path, saveFile, toast } from "./dom.js";

const EXPORT = "/dramas/{id}/export";

/** Words for the formats this page knows; any other shows by its name. */
const LABELS = {
  fountain: "Screenplay (Fountain)",
  srt: "Subtitles (SRT)",
  csv: "Shot list (CSV)",
  zip: "Everything (ZIP)",
  otio: "OpenTimelineIO",
  fcpxml: "Final Cut Pro XML",
  edl: "EDL (CMX 3600)",
  capcut: "CapCut draft",
};

let offered = null;

/**
 * The export route's formats, read once: `formats` all of them,
 * `perEpisode` those that are one episode's (the `episode` parameter's
 * `x-formats`: asked for the drama, they answer only when it has one
 * episode), `bundled` those that also come as a ZIP with their media.
 */
export function exportFormats() {
  offered ||= fetch("/openapi.json", { headers: { Accept: "application/json" } })
    .then(async (res) => {
      if (!res.ok) throw new ApiError(res.status, null);
      const spec = await res.json();
      const params = spec.paths?.[EXPORT]?.get?.parameters || [];
      const query = (name) => params.find((p) => p.name === name && p.in === "query");
      const format = query("format");
      const formats = (format && format.schema && format.schema.enum) || [];
      const episode = query("episode");
      const bundle = query("bundle");
      return {
        formats,
        perEpisode: (episode && episode["x-formats"]) || [],
        bundled: (bundle && bundle["x-formats"]) || [],
      };
    })
    .catch((err) => {
      offered = null;
      throw err;
    });
  return offered;
}

/** The URL of one export: the drama's, or one episode's, maybe bundled. */
export function exportUrl(dramaId, format, episodeId, bundle) {
  const q = `format=${encodeURIComponent(format)}${episodeId ? `&episode=${encodeURIComponent(episodeId)}` : ""}${bundle ? "&bundle=zip" : ""}`;
  return `${path("dramas", dramaId, "export")}?${q}`;
}

/** Fetches an export with the key and saves it; errors show the server's message. */
async function save(link) {
  link.setAttribute("aria-busy", "true");
  try {
    const { blob, filename } = await download(link.getAttribute("href"));
    saveFile(blob, filename);
  } catch (err) {
    toast(`Not downloaded: ${err.message}`);
  } finally {
    link.removeAttribute("aria-busy");
  }
}

/**
 * A "Downloads" list for the drama (`episodeId` null: the drama-wide
 * formats) or one episode (its one-episode formats, and each that comes
 * bundled also as a ZIP with its media), filled in when the formats are
 * known. Each entry is a link to the export (so it can be copied); a
 * click fetches it with the API key.
 */
export function downloads(dramaId, episodeId, title) {
  const list = h("ul", { class: "download-list", "aria-label": `Downloads of ${title}` },
    h("li", { class: "muted", text: "Reading the formats…" }));
  const box = h("details", { class: "downloads", "data-episode": episodeId || "", "data-key": `downloads:${episodeId || ""}` },
    h("summary", { text: "Downloads", "aria-label": `Downloads of ${title}` }), list);
  exportFormats().then(({ formats, perEpisode, bundled }) => {
    const entries = episodeId
      ? formats.filter((f) => perEpisode.includes(f))
        .flatMap((f) => (bundled.includes(f) ? [[f, false], [f, true]] : [[f, false]]))
      : formats.filter((f) => !perEpisode.includes(f)).map((f) => [f, false]);
    list.replaceChildren(...entries.map(([f, bundle]) => {
      const label = `${LABELS[f] || f}${bundle ? " with its media (ZIP)" : ""}`;
      const a = h("a", {
        href: exportUrl(dramaId, f, episodeId, bundle), download: "", "data-format": f,
        "data-bundle": bundle ? "zip" : "",
        "aria-label": `Download ${label} of ${title}`, text: label,
      });
      a.addEventListener("click", (e) => {
        e.preventDefault();
        save(a);
      });
      return h("li", {}, a);
    }));
    if (entries.length === 0) {
      list.replaceChildren(h("li", { class: "muted", text: episodeId ? "This server exports whole dramas only." : "This server offers no exports." }));
    }
  }).catch((err) => {
    list.replaceChildren(h("li", { class: "error", text: `Could not read the formats: ${err.message}` }));
  });
  return box;
}
