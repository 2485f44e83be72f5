"""A readable storyboard of a drama for Jupyter (`_repr_html_`); every text is escaped."""

from __future__ import annotations

from html import escape
from typing import Any, Dict, List


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


class Storyboard:
    """Wraps a drama dict; Jupyter shows it as a storyboard."""

    def __init__(self, drama: Dict[str, Any]) -> None:
        self.drama = drama

    def _repr_html_(self) -> str:
        d = self.drama
        parts: List[str] = [
            '<div class="sfd-storyboard" style="font-family:sans-serif">',
            f"<h2>{_e(d.get('title'))}</h2><p><em>{_e(d.get('description'))}</em></p>",
        ]
        cast = d.get("characters") or []
        if cast:
            parts.append("<h3>Cast</h3><ul>")
            for c in cast:
                lead = " (lead)" if c.get("main") else ""
                parts.append(f"<li><b>{_e(c.get('name'))}</b>{_e(lead)}: {_e(c.get('description'))}</li>")
            parts.append("</ul>")
        for ep in d.get("episodes") or []:
            parts.append(f"<h3>{_e(ep.get('id'))}: {_e(ep.get('title'))}</h3><p>{_e(ep.get('description'))}</p>")
            parts.append('<table border="1" cellpadding="4" style="border-collapse:collapse">')
            parts.append("<tr><th>scene</th><th>what happens</th><th>prompts</th></tr>")
            for sc in ep.get("scenes") or []:
                prompts = "".join(
                    f"<div><b>{_e(a.get('kind'))}</b>"
                    + (f" ({_e(a.get('duration'))} s)" if a.get("duration") else "")
                    + f": {_e(a.get('prompt'))}</div>"
                    for a in sc.get("assets") or []
                )
                parts.append(
                    f"<tr><td>{_e(sc.get('id'))}</td><td>{_e(sc.get('description'))}</td><td>{prompts}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</div>")
        return "".join(parts)


def storyboard(drama: Dict[str, Any]) -> Storyboard:
    """The storyboard view of a drama dict."""
    return Storyboard(drama)
