// Downloads: every export format the server offers, for the drama and for
// each episode. The formats come from the server's own description
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

/** The export route's formats and whether it takes `episode`, read once. */
export function exportFormats() {
  offered ||= fetch("/openapi.json", { headers: { Accept: "application/json" } })
    .then(async (res) => {
      if (!res.ok) throw new ApiError(res.status, null);
      const spec = await res.json();
      const params = spec.paths?.[EXPORT]?.get?.parameters || [];
      const format = params.find((p) => p.name === "format" && p.in === "query");
      return {
        formats: (format && format.schema && format.schema.enum) || [],
        episode: params.some((p) => p.name === "episode" && p.in === "query"),
      };
    })
    .catch((err) => {
      offered = null;
      throw err;
    });
  return offered;
}

/** The URL of one export: the drama's, or one episode's. */
export function exportUrl(dramaId, format, episodeId) {
  const q = `format=${encodeURIComponent(format)}${episodeId ? `&episode=${encodeURIComponent(episodeId)}` : ""}`;
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
 * A "Downloads" list for the drama (`episodeId` null) or one episode,
 * filled in when the formats are known. Each entry is a link to the
 * export (so it can be copied); a click fetches it with the API key.
 */
export function downloads(dramaId, episodeId, title) {
  const list = h("ul", { class: "download-list", "aria-label": `Downloads of ${title}` },
    h("li", { class: "muted", text: "Reading the formats…" }));
  const box = h("details", { class: "downloads", "data-episode": episodeId || "" },
    h("summary", { text: "Downloads", "aria-label": `Downloads of ${title}` }), list);
  exportFormats().then(({ formats, episode }) => {
    if (episodeId && !episode) {
      list.replaceChildren(h("li", { class: "muted", text: "This server exports whole dramas only." }));
      return;
    }
    list.replaceChildren(...formats.map((f) => {
      const a = h("a", {
        href: exportUrl(dramaId, f, episodeId), download: "", "data-format": f,
        "aria-label": `Download ${LABELS[f] || f} of ${title}`, text: LABELS[f] || f,
      });
      a.addEventListener("click", (e) => {
        e.preventDefault();
        save(a);
      });
      return h("li", {}, a);
    }));
    if (formats.length === 0) list.replaceChildren(h("li", { class: "muted", text: "This server offers no exports." }));
  }).catch((err) => {
    list.replaceChildren(h("li", { class: "error", text: `Could not read the formats: ${err.message}` }));
  });
  return box;
}
