"""sfd: AI short-form dramas from Python.

`Studio` runs the engine in this process; `Client` talks to a deployed
sfd server. Both have the same methods, each with an `_async` twin, so code
written against one works against the other::

    import sfd
    studio = sfd.Studio(storage="memory://", llm="simulated", render="simulated")
    drama = studio.generate("A corgi becomes a tycoon, 3 episodes")
    drama = studio.render(drama["id"], candidates=3)  # best of 3 per image
    sfd.candidates(drama["episodes"][0]["scenes"][0]["assets"][0])  # scored
    sfd.storyboard(drama, studio)  # renders in Jupyter
"""

from __future__ import annotations

from typing import Optional

from . import _sfd
from ._api import Document, _Api
from ._sfd import (
    ConflictError,
    LlmError,
    NotFoundError,
    SfdError,
    StorageError,
    ValidationError,
    validate_drama,
)
from .casting import Candidate, SheetEntry, candidates, sheet
from .storyboard import Storyboard, storyboard

__version__: str = _sfd.__version__

__all__ = [
    "Candidate",
    "Client",
    "ConflictError",
    "Document",
    "LlmError",
    "NotFoundError",
    "SfdError",
    "SheetEntry",
    "StorageError",
    "Storyboard",
    "Studio",
    "ValidationError",
    "candidates",
    "sheet",
    "storyboard",
    "validate_drama",
]


class Studio(_Api):
    """The embedded engine: storage (`./data`, `memory://`, `s3://…`), an LLM
    (`"env"` reads OPENAI_API_KEY / OPENAI_API_BASE / GPT_MODEL; `"simulated"`
    for demos; `"none"`), renderers (`"env"` reads the SFD_IMAGE_*,
    SFD_VIDEO_* and SFD_SPEECH_* settings or OPENAI_API_KEY; `"simulated"`
    makes real placeholder files; `"none"`) and a job runner, in this process."""

    def __init__(self, storage: str = "./data", llm: str = "env", render: str = "env") -> None:
        self._inner = _sfd.Studio(storage, llm, render)


class Client(_Api):
    """A client of a deployed sfd server, with the same methods as `Studio`."""

    def __init__(self, base_url: str, api_key: Optional[str] = None, timeout: float = 30.0) -> None:
        self._inner = _sfd.Client(base_url, api_key, timeout)
        #: The server's address; relative media URLs are resolved against it.
        self.base_url = base_url
