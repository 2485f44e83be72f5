"""Reading what makes characters stay the same, from a drama dict: a
character's casting sheet (its portrait, views and variants) and the
candidates a best-of-N render made of an image, with the judge's scores.
Pure functions: they call nothing."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict


class Candidate(TypedDict):
    """One candidate of a best-of-N image."""

    #: Its media key (what `choose_candidate` takes).
    key: str
    #: Its URL.
    url: str
    #: The judge's score, from 0 to 1.
    score: float
    #: The judge's reason.
    reason: str
    #: Whether it is the one the asset shows now.
    kept: bool


class SheetEntry(TypedDict):
    """One picture of a character's casting sheet."""

    #: The asset's id (`{cid}-portrait`, `{cid}-view-…`, `{cid}-variant-…`).
    id: str
    #: `portrait`, `view` or `variant`.
    role: str
    #: The view's or variant's name (`full-body`, `wetsuit`); `None` for the portrait.
    name: Optional[str]
    #: Its prompt (`None` for a portrait that is only the character's `url`).
    prompt: Optional[str]
    #: Its file, `None` until rendered or uploaded.
    url: Optional[str]
    #: Its best-of-N candidates, as `candidates` lists them (empty: none).
    candidates: List[Candidate]


def candidates(asset: Dict[str, Any]) -> List[Candidate]:
    """The candidates a best-of-N render made of `asset` (an asset dict), in
    the order made, each with the judge's `score` and `reason`; `kept` marks
    the one the asset shows. Empty when it was not rendered as best-of-N."""
    render = ((asset.get("metadata") or {}).get("render")) or {}
    made = render.get("candidates") or []
    kept_key = render.get("key")
    out: List[Candidate] = []
    for c in made:
        kept = c.get("key") == kept_key if kept_key else c.get("url") == asset.get("url")
        out.append(
            Candidate(
                key=str(c.get("key", "")),
                url=str(c.get("url", "")),
                score=float(c.get("score", 0.0)),
                reason=str(c.get("reason", "")),
                kept=bool(kept),
            )
        )
    return out


def sheet(drama: Dict[str, Any], character_id: str) -> List[SheetEntry]:
    """The casting sheet of character `character_id` in `drama` (a drama
    dict): its portrait first, then the views and variants it asks for in
    `metadata.sheet` (added by a render), each with its `url` and
    candidates. Raises `KeyError` when the drama has no such character."""
    character = next((c for c in drama.get("characters") or [] if c.get("id") == character_id), None)
    if character is None:
        raise KeyError(character_id)
    assets = character.get("assets") or []
    portrait_id = f"{character_id}-portrait"
    out: List[SheetEntry] = []
    portrait = next((a for a in assets if a.get("id") == portrait_id), None)
    if portrait is not None:
        out.append(_entry(portrait, "portrait", None))
    elif character.get("url"):
        out.append(
            SheetEntry(id=portrait_id, role="portrait", name=None, prompt=None, url=character["url"], candidates=[])
        )
    for a in assets:
        marker = (a.get("metadata") or {}).get("sheet")
        if not isinstance(marker, dict):
            continue
        if "view" in marker:
            out.append(_entry(a, "view", marker["view"]))
        elif "variant" in marker:
            out.append(_entry(a, "variant", marker["variant"]))
    return out


def _entry(asset: Dict[str, Any], role: str, name: Optional[Any]) -> SheetEntry:
    return SheetEntry(
        id=str(asset.get("id", "")),
        role=role,
        name=None if name is None else str(name),
        prompt=asset.get("prompt"),
        url=asset.get("url"),
        candidates=candidates(asset),
    )
