// The finished episode: Assemble (with its options and progress), the cut
// in a vertical player with its subtitles as a text track, whether the cut
// is stale, and the episode's downloads.

import { download, request } from "./api.js";
import { h, modal, path, safeUrl, time } from "./dom.js";
import { downloads } from "./downloads.js";
import { isDone, trackJob } from "./jobs.js";

const SUBTITLES = [
  ["track", "As a subtitle track", "players can switch them on and off"],
  ["burn", "Burned into the picture", "always shown"],
  ["none", "None", ""],
];
const AUDIO = [
  ["speech", "Speech", "each scene's rendered voice"],
  ["video", "The clips' sound", ""],
  ["mix", "Both", "the clips' sound under the speech"],
];

/** The id of an episode's cut asset (as the server names it). */
export const cutId = (episodeId) => `${episodeId}-cut`;

/** The render record of an asset, if it was made by a render, upload or assembly. */
const record = (a) => (a && a.metadata && a.metadata.render) || null;

/** Whether an asset is an assembled cut (not a prompt to render). */
export const isCut = (episode, a) => a.id === cutId(episode.id) || record(a)?.provider === "sfd-assemble";

/**
 * Why the cut of `episode` no longer shows what its scenes hold: each scene
 * file rendered or replaced after it, and each scene asset the plan finds
 * stale. Empty when it is current.
 */
export function staleReasons(episode, plan) {
  const cut = (episode.assets || []).find((a) => isCut(episode, a));
  const at = record(cut)?.renderedAt;
  if (!cut || !safeUrl(cut.url)) return [];
  const out = [];
  const ids = new Set();
  for (const s of episode.scenes || []) {
    for (const a of s.assets || []) {
      ids.add(a.id);
      const r = record(a);
      if (at && r && r.renderedAt > at) out.push(`${a.id} changed after the cut was made`);
    }
  }
  for (const n of (plan && plan.nodes) || []) {
    if (n.action === "stale" && ids.has(n.assetId)) out.push(`${n.assetId} is stale (${n.reason || "its inputs changed"})`);
  }
  return out;
}

/** SubRip text as WebVTT (the only format a <track> reads). */
export function srtToVtt(srt) {
  const body = srt.replace(/\r\n?/g, "\n").trim()
    .split(/\n{2,}/)
    .map((block) => block.split("\n").filter((line, i) => !(i === 0 && /^\d+$/.test(line.trim()))).join("\n"))
    .map((block) => block.replace(/^(\d\d:\d\d:\d\d),(\d{3}) --> (\d\d:\d\d:\d\d),(\d{3})/, "$1.$2 --> $3.$4"))
    .join("\n\n");
  return `WEBVTT\n\n${body}\n`;
}

/** WebVTT files made for cuts, by the cut's URL (a new cut has a new URL). */
const subtitles = new Map();

/** Loads the episode's subtitles (the SRT export) into `track`. */
async function loadSubtitles(dramaId, episodeId, cutUrl, track) {
  try {
    if (!subtitles.has(cutUrl)) {
      const made = download(`${path("dramas", dramaId, "export")}?format=srt&episode=${encodeURIComponent(episodeId)}`)
        .then(async ({ blob }) => URL.createObjectURL(new Blob([srtToVtt(await blob.text())], { type: "text/vtt" })));
      subtitles.set(cutUrl, made);
      made.catch(() => subtitles.delete(cutUrl));
    }
    track.src = await subtitles.get(cutUrl);
  } catch (err) {
    track.remove();
    console.info("no subtitles for the player:", err.message);
  }
}

/** How the last finished assembly of this episode was asked for (from the drama's jobs). */
function lastAssembly(session, episodeId) {
  const jobs = (session.jobs || []).filter((j) => j.type === "assemble_episode" && j.status === "completed"
    && (j.input?.episode === episodeId || j.result?.episodeId === episodeId));
  jobs.sort((a, b) => b.createdAt - a.createdAt);
  return jobs[0] || null;
}

/** The player of a cut: vertical, with the subtitles as a text track unless they were burned in. */
function player(session, episode, cut) {
  const url = safeUrl(cut.url);
  const video = h("video", {
    class: "cut-player", src: url, controls: true, playsinline: true, preload: "metadata",
    "aria-label": `The cut of ${episode.title || episode.id}`,
  });
  const mode = lastAssembly(session, episode.id)?.input?.assemble?.subtitles || "track";
  if (mode === "track") {
    const track = h("track", { kind: "subtitles", srclang: "en", label: "Subtitles", default: true });
    video.append(track);
    loadSubtitles(session.dramaId, episode.id, url, track);
  }
  return video;
}

/** The options dialog of an assembly, then its job. */
export async function openAssemble(session, episode) {
  const radios = (name, options, first) => h("fieldset", {},
    h("legend", { text: name === "subtitles" ? "Subtitles" : "Sound" }),
    options.map(([value, label, note]) => h("label", { class: "check", for: `assemble-${name}-${value}` },
      h("input", { type: "radio", id: `assemble-${name}-${value}`, name, value, checked: value === first }),
      ` ${label}`, note && h("span", { class: "muted small", text: ` (${note})` }))));
  const scenes = episode.scenes || [];
  const kinds = (s) => new Set((s.assets || []).filter((a) => safeUrl(a.url)).map((a) => a.kind));
  const stills = scenes.filter((s) => !kinds(s).has("video") && kinds(s).has("image")).length;
  const blank = scenes.filter((s) => !kinds(s).has("video") && !kinds(s).has("image")).length;
  const error = h("p", { class: "error", role: "alert" });
  const start = h("button", { type: "submit", value: "start", text: "Assemble" });
  const form = h("form", { method: "dialog", class: "assemble-form" },
    h("h2", { id: "assemble-title", text: `Assemble ${episode.title || episode.id}` }),
    h("p", { text: `The ${scenes.length} scene(s) become one vertical MP4. Assembly calls no provider and costs nothing.` }),
    (stills > 0 || blank > 0) && h("p", { class: "muted", text: [
      stills > 0 && `${stills} scene(s) have no clip and show their image held still.`,
      blank > 0 && `${blank} scene(s) have neither and show black.`,
    ].filter(Boolean).join(" ") }),
    radios("subtitles", SUBTITLES, "track"),
    radios("audio", AUDIO, "speech"),
    error,
    h("div", { class: "buttons" }, start, h("button", { type: "submit", value: "cancel", class: "secondary", text: "Cancel" })));
  const { dialog, closed } = modal("assemble-title", form);
  form.addEventListener("submit", async (e) => {
    if (!e.submitter || e.submitter.value !== "start") return;
    e.preventDefault();
    start.disabled = true;
    const body = { subtitles: form.elements.subtitles.value, audio: form.elements.audio.value };
    try {
      const { data } = await request("POST", path("dramas", session.dramaId, "episodes", episode.id, "assemble"), { body });
      trackJob(data.dramaId, data.jobId);
      dialog.close("started");
    } catch (err) {
      error.textContent = `Not started: ${err.message}`;
      start.disabled = false;
    }
  });
  await closed;
}

/** The progress lines on the page; a line drawn over is dropped at the next update. */
const progressLines = new Set();
window.addEventListener("sfd:job-update", (e) => {
  for (const show of progressLines) if (show(e.detail) === false) progressLines.delete(show);
});

/** The progress of this episode's assembly while one runs. */
function progressLine(session, episode) {
  const bar = h("progress", { max: 1, value: 0, "aria-label": `Assembly of ${episode.title || episode.id}` });
  const text = h("span", { class: "muted small", text: "assembling…" });
  const el = h("div", { class: "cut-progress", hidden: true }, bar, text);
  const show = (job) => {
    const mine = job.type === "assemble_episode" && job.dramaId === session.dramaId
      && (job.input?.episode === episode.id || job.result?.episodeId === episode.id);
    if (!el.isConnected) return false;
    if (!mine) return true;
    el.hidden = isDone(job.status);
    const p = job.progress;
    if (p && p.total > 0) {
      bar.max = p.total;
      bar.value = Math.min(p.done, p.total);
      text.textContent = `assembling… ${Math.round((100 * p.done) / p.total)}%`;
    }
    return true;
  };
  progressLines.add(show);
  (session.jobs || []).filter((j) => !isDone(j.status)).forEach(show);
  return el;
}

/** The cut section of an episode's panel. */
export function cutSection(session, episode, index) {
  const cut = (episode.assets || []).find((a) => isCut(episode, a));
  const url = cut && safeUrl(cut.url);
  const name = episode.title || episode.id;
  const heading = `cut-heading-${index}`;
  const stale = url ? staleReasons(episode, session.plan) : [];
  return h("section", { class: "cut", "data-episode": episode.id, "data-state": url ? (stale.length ? "stale" : "current") : "none", "aria-labelledby": heading },
    h("div", { class: "cut-media" },
      url
        ? player(session, episode, cut)
        : h("div", { class: "cut-player placeholder", role: "img", "aria-label": `${name} is not assembled yet`, text: "Not assembled yet" })),
    h("div", { class: "cut-text" },
      h("h3", { id: heading, text: "Finished episode" }),
      url && h("p", { class: "muted small" }, "Assembled ", time(record(cut)?.renderedAt),
        cut.duration ? ` · ${cut.duration} s` : ""),
      stale.length > 0 && h("div", { class: "stale-note", role: "status" },
        h("strong", { text: "Stale: " }), "the scenes changed since this cut was made; assemble again.",
        h("ul", {}, stale.slice(0, 6).map((r) => h("li", { text: r })))),
      progressLine(session, episode),
      h("div", { class: "buttons" },
        h("button", { type: "button", text: url ? "Assemble again…" : "Assemble…", "aria-label": `Assemble ${name}`, onclick: () => openAssemble(session, episode) }),
        url && h("a", { class: "button secondary", href: url, target: "_blank", rel: "noopener", text: "Open the cut", "aria-label": `Open the cut of ${name}` })),
      downloads(session.dramaId, episode.id, name)));
}
