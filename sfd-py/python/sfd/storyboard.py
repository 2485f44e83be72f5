"""A storyboard of a drama for Jupyter (`_repr_html_`): rendered images
shown, video and audio playable inline, and missing or stale assets marked;
each character's casting sheet (portrait, views, variants), and an image's
best-of-N candidates with their scores, the kept one marked. Every text is
escaped."""

from __future__ import annotations

import base64
from html import escape
from typing import Any, Dict, List, Optional

from .casting import candidates, sheet

#: Files up to this size are inlined when they come from an embedded Studio.
INLINE_LIMIT = 16 * 1024 * 1024

_MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
}


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


class Storyboard:
    """Wraps a drama dict; Jupyter shows it as a storyboard.

    `source` (a `Studio` or a `Client`) lets the storyboard show rendered
    files and mark stale assets: with a `Client`, files load from the
    server; with a `Studio`, they are inlined (up to `INLINE_LIMIT` bytes).
    `plan` is a render plan (`render_plan(...)`) to mark stale assets by;
    it is asked of `source` when not given. Without either, assets without
    a `url` are marked missing and URLs are used as they are."""

    def __init__(self, drama: Dict[str, Any], source: Any = None, plan: Optional[Dict[str, Any]] = None) -> None:
        self.drama = drama
        self.source = source
        if plan is None and source is not None and drama.get("id"):
            plan = source.render_plan(drama["id"])
        self.actions: Dict[str, str] = {n["assetId"]: n["action"] for n in (plan or {}).get("nodes", [])}

    def state(self, asset: Dict[str, Any]) -> str:
        """`missing` (never rendered), `stale` (its prompt or an input changed
        since), `blocked` (it cannot be rendered yet) or `ready`."""
        action = self.actions.get(asset.get("id", ""))
        if not asset.get("url"):
            return "blocked" if action == "blocked" else "missing"
        return "stale" if action == "stale" else "ready"

    def _src(self, url: str) -> str:
        base = getattr(self.source, "base_url", None)
        if base and url.startswith("/"):
            return base.rstrip("/") + url
        if self.source is not None and base is None and not url.startswith(("http://", "https://")):
            from ._sfd import SfdError

            try:
                data = self.source.download(url)
            except (SfdError, ValueError):
                return url
            if isinstance(data, bytes) and len(data) <= INLINE_LIMIT:
                ext = url.rsplit(".", 1)[-1].lower()
                mime = _MIME.get(ext, "application/octet-stream")
                return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        return url

    def _media(self, asset: Dict[str, Any]) -> str:
        url = asset.get("url")
        if not url:
            return ""
        src = _e(self._src(url))
        kind = asset.get("kind")
        if kind == "image":
            return f'<img src="{src}" alt="{_e(asset.get("id"))}" style="max-width:180px;max-height:320px">'
        if kind == "video":
            return f'<video src="{src}" controls preload="metadata" style="max-width:180px;max-height:320px"></video>'
        if kind == "audio":
            return f'<audio src="{src}" controls preload="none"></audio>'
        return f'<a href="{src}">{_e(asset.get("id"))}</a>'

    def _asset(self, asset: Dict[str, Any], label: Optional[str] = None) -> str:
        state = self.state(asset)
        mark = "" if state == "ready" else f' <span class="sfd-{state}" style="color:#b00">[{state}]</span>'
        duration = f" ({_e(asset.get('duration'))} s)" if asset.get("duration") else ""
        return (
            f'<div class="sfd-asset" data-state="{state}"><b>{_e(label or asset.get("kind"))}</b>{duration}{mark}: '
            f"{_e(asset.get('prompt'))}<br>{self._media(asset)}{self._candidates(asset)}</div>"
        )

    def _candidates(self, asset: Dict[str, Any]) -> str:
        """An image's best-of-N candidates, best score first, the kept one marked."""
        made = sorted(candidates(asset), key=lambda c: -c["score"])
        if not made:
            return ""
        parts = ['<div class="sfd-candidates"><small>candidates:</small>']
        for c in made:
            kept = ' <b class="sfd-kept">kept</b>' if c["kept"] else ""
            border = "3px solid #2a2" if c["kept"] else "1px solid #ccc"
            parts.append(
                f'<figure class="sfd-candidate" data-kept="{str(c["kept"]).lower()}" data-key="{_e(c["key"])}" '
                f'style="display:inline-block;margin:2px;border:{border}">'
                f'<img src="{_e(self._src(c["url"]))}" alt="{_e(c["key"])}" style="max-width:90px;max-height:160px">'
                f'<figcaption>score {c["score"]:.3f}{kept}<br><small>{_e(c["reason"])}</small></figcaption></figure>'
            )
        parts.append("</div>")
        return "".join(parts)

    def _character(self, c: Dict[str, Any]) -> str:
        """A character: who they are, their casting sheet, then their other assets."""
        lead = " (lead)" if c.get("main") else ""
        by_id = {a.get("id"): a for a in c.get("assets") or []}
        shown = set()
        pictures = []
        for entry in sheet(self.drama, c["id"]) if c.get("id") else []:
            label = entry["role"] if entry["name"] is None else f"{entry['role']}: {entry['name']}"
            asset = by_id.get(entry["id"]) or {"id": entry["id"], "kind": "image", "url": entry["url"]}
            shown.add(entry["id"])
            pictures.append(self._asset(asset, label))
        cast_sheet = f'<div class="sfd-sheet">{"".join(pictures)}</div>' if pictures else ""
        others = "".join(self._asset(a) for a in c.get("assets") or [] if a.get("id") not in shown)
        return f"<li><b>{_e(c.get('name'))}</b>{_e(lead)}: {_e(c.get('description'))}{cast_sheet}{others}</li>"

    def _repr_html_(self) -> str:
        d = self.drama
        parts: List[str] = [
            '<div class="sfd-storyboard" style="font-family:sans-serif">',
            f"<h2>{_e(d.get('title'))}</h2><p><em>{_e(d.get('description'))}</em></p>",
        ]
        parts.extend(self._asset(a) for a in d.get("assets") or [])
        cast = d.get("characters") or []
        if cast:
            parts.append("<h3>Cast</h3><ul>")
            parts.extend(self._character(c) for c in cast)
            parts.append("</ul>")
        for ep in d.get("episodes") or []:
            parts.append(f"<h3>{_e(ep.get('id'))}: {_e(ep.get('title'))}</h3><p>{_e(ep.get('description'))}</p>")
            parts.extend(self._asset(a) for a in ep.get("assets") or [])
            parts.append('<table border="1" cellpadding="4" style="border-collapse:collapse">')
            parts.append("<tr><th>scene</th><th>what happens</th><th>assets</th></tr>")
            for sc in ep.get("scenes") or []:
                assets = "".join(self._asset(a) for a in sc.get("assets") or [])
                parts.append(
                    f"<tr><td>{_e(sc.get('id'))}</td><td>{_e(sc.get('description'))}</td><td>{assets}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</div>")
        return "".join(parts)


def storyboard(drama: Dict[str, Any], source: Any = None, plan: Optional[Dict[str, Any]] = None) -> Storyboard:
    """The storyboard view of a drama dict; see `Storyboard`."""
    return Storyboard(drama, source, plan)
