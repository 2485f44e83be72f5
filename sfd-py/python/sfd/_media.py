"""Producing a drama from Python: renders and their plans (best-of-N
candidates, and picking another), uploads of your own files (an asset's
content, a character's voice sample), downloads, episode cuts and exports.
Every method has an `_async` twin."""

from __future__ import annotations

import mimetypes
import os
from typing import Any, Dict, List, Optional, Union

from ._base import Document, _Base
from ._progress import Progress

#: An upload's content: the bytes, or the path of a file (streamed).
Content = Union[bytes, str, "os.PathLike[str]"]

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
)


def _sniff(data: bytes) -> Optional[str]:
    """The media type of a file's first bytes, for the types sfd stores."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _sniff_audio(data: bytes) -> Optional[str]:
    """The audio type of a voice sample's first bytes (an MP4 container is M4A)."""
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    mime = _sniff(data)
    return "audio/mp4" if mime == "video/mp4" else mime


def _content(content: Content, content_type: Optional[str], audio: bool = False) -> Dict[str, Any]:
    """The native arguments of an upload: `data` bytes or a `path`, and its
    type (with `audio`, a voice sample's: MP4 and WebM files are audio)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        mime = content_type or (_sniff_audio(data) if audio else _sniff(data))
        if mime is None:
            raise ValueError("cannot tell the content's type from its bytes: pass content_type")
        return {"data": data, "content_type": mime}
    path = os.fspath(content)
    mime = content_type
    if mime is None:
        mime = mimetypes.guess_type(path)[0]
        if audio and mime in ("video/mp4", "video/webm"):
            mime = "audio/" + mime.split("/")[1]
    if mime is None:
        raise ValueError(f"cannot tell the type of '{path}' from its name: pass content_type")
    return {"path": path, "content_type": mime}


def _request(
    episodes: Optional[List[str]],
    characters: Optional[List[str]],
    assets: Optional[List[str]],
    kinds: Optional[List[str]],
    force: bool,
    candidates: Optional[int] = None,
) -> Dict[str, Any]:
    """A render request as the wire spells it (camelCase, empty: everything)."""
    r: Dict[str, Any] = {"force": force}
    for key, value in (("episodes", episodes), ("characters", characters), ("assets", assets), ("kinds", kinds)):
        if value is not None:
            r[key] = list(value)
    if candidates is not None:
        r["candidates"] = candidates
    return r


class _Media(_Base):
    # Render -------------------------------------------------------------------
    def render_plan(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        candidates: Optional[int] = None,
    ) -> Document:
        """What a render would do and cost, asset by asset (`nodes` with an
        `action` of render, skip, stale or blocked, and `estimatedCostUsd`;
        with `candidates`, each image's `candidates` count and judge cost).
        Calls no provider and writes nothing."""
        request = _request(episodes, characters, assets, kinds, force, candidates)
        return self._call("render_plan", drama_id=drama_id, request=request)

    async def render_plan_async(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        candidates: Optional[int] = None,
    ) -> Document:
        request = _request(episodes, characters, assets, kinds, force, candidates)
        return await self._acall("render_plan", drama_id=drama_id, request=request)

    def start_render(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        candidates: Optional[int] = None,
    ) -> Document:
        """Queues a render of the selected assets (all when none is named:
        what is missing or stale, in `depends_on` order); returns the job.
        `candidates` (1-8, default the server's `SFD_RENDER_CANDIDATES`):
        images are rendered that many times side by side and a judge keeps
        the best; see `sfd.candidates` and `choose_candidate`."""
        request = _request(episodes, characters, assets, kinds, force, candidates)
        return self._call("render", drama_id=drama_id, request=request)

    async def start_render_async(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        candidates: Optional[int] = None,
    ) -> Document:
        request = _request(episodes, characters, assets, kinds, force, candidates)
        return await self._acall("render", drama_id=drama_id, request=request)

    def render(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        progress: Progress = None,
        candidates: Optional[int] = None,
    ) -> Document:
        """Renders the selected assets and returns the drama with their
        `url`s (starts the job and waits; `progress` as in `wait_job`,
        `candidates` as in `start_render`)."""
        job = self.start_render(drama_id, episodes, characters, assets, kinds, force, candidates)
        self._finished(self.wait_job(drama_id, job["jobId"], progress=progress))
        return self._call("get_drama", id=drama_id)

    async def render_async(
        self,
        drama_id: str,
        episodes: Optional[List[str]] = None,
        characters: Optional[List[str]] = None,
        assets: Optional[List[str]] = None,
        kinds: Optional[List[str]] = None,
        force: bool = False,
        progress: Progress = None,
        candidates: Optional[int] = None,
    ) -> Document:
        job = await self.start_render_async(drama_id, episodes, characters, assets, kinds, force, candidates)
        self._finished(await self.wait_job_async(drama_id, job["jobId"], progress=progress))
        return await self._acall("get_drama", id=drama_id)

    def choose_candidate(
        self,
        drama_id: str,
        asset_id: str,
        key: str,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        """Keeps another candidate of a best-of-N image: `key` is its media
        key or URL (see `sfd.candidates`); the owner is named as in
        `create_asset`. Returns the asset, whose `url` is the candidate's;
        what is drawn from it (the scene's video) becomes stale. A key that
        is not one of the asset's candidates raises `ValidationError`."""
        return self._call(
            "choose_candidate", drama_id=drama_id, asset_id=asset_id, key=key, episode_id=episode_id,
            scene_id=scene_id, character_id=character_id,
        )

    async def choose_candidate_async(
        self,
        drama_id: str,
        asset_id: str,
        key: str,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        return await self._acall(
            "choose_candidate", drama_id=drama_id, asset_id=asset_id, key=key, episode_id=episode_id,
            scene_id=scene_id, character_id=character_id,
        )

    # Upload and download ------------------------------------------------------
    def upload(
        self,
        drama_id: str,
        asset_id: str,
        content: Content,
        content_type: Optional[str] = None,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        """Stores your own file (bytes, or a path streamed from disk) as the
        asset's content and returns the asset with its new `url`. The type is
        guessed from the bytes or the file name unless `content_type` is given;
        the owner is named as in `create_asset`."""
        return self._call(
            "upload", drama_id=drama_id, asset_id=asset_id, episode_id=episode_id, scene_id=scene_id,
            character_id=character_id, **_content(content, content_type),
        )

    async def upload_async(
        self,
        drama_id: str,
        asset_id: str,
        content: Content,
        content_type: Optional[str] = None,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        return await self._acall(
            "upload", drama_id=drama_id, asset_id=asset_id, episode_id=episode_id, scene_id=scene_id,
            character_id=character_id, **_content(content, content_type),
        )

    def upload_voice_sample(
        self, drama_id: str, character_id: str, content: Content, content_type: Optional[str] = None
    ) -> Document:
        """Stores a reference clip of the character's voice (bytes, or a path
        streamed from disk: MP3, WAV, M4A, Ogg or WebM, up to 20 MiB) and
        returns the character, its `metadata.voice_sample` set (`key`, `url`,
        `hash`, `contentType`, `bytes`, and `seconds` when its length is
        known). Speech providers that clone voices (ElevenLabs, MiniMax)
        clone it once and every line of the character speaks in that voice;
        its lines become stale. The type is guessed as in `upload`; a type
        that is not audio, or bytes that are not that type, raise `SfdError`."""
        return self._call(
            "upload_voice_sample", drama_id=drama_id, character_id=character_id,
            **_content(content, content_type, audio=True),
        )

    async def upload_voice_sample_async(
        self, drama_id: str, character_id: str, content: Content, content_type: Optional[str] = None
    ) -> Document:
        return await self._acall(
            "upload_voice_sample", drama_id=drama_id, character_id=character_id,
            **_content(content, content_type, audio=True),
        )

    def remove_voice_sample(self, drama_id: str, character_id: str) -> Document:
        """Removes the character's reference clip and the voice cloned from
        it; returns the character, whose lines speak in its
        `metadata.voice` again (and are stale)."""
        return self._call("remove_voice_sample", drama_id=drama_id, character_id=character_id)

    async def remove_voice_sample_async(self, drama_id: str, character_id: str) -> Document:
        return await self._acall("remove_voice_sample", drama_id=drama_id, character_id=character_id)

    def download(self, url: str, path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Union[bytes, int]:
        """The stored file at an asset's `url`: its bytes, or, given `path`,
        written there (streamed) with the number of bytes returned."""
        if path is None:
            return self._fetch("download", url=url)
        return int(self._call("download", url=url, path=os.fspath(path)))

    async def download_async(
        self, url: str, path: Optional[Union[str, "os.PathLike[str]"]] = None
    ) -> Union[bytes, int]:
        if path is None:
            return await self._afetch("download", url=url)
        return int(await self._acall("download", url=url, path=os.fspath(path)))

    # Episode cuts and exports -------------------------------------------------
    def start_assembly(
        self, drama_id: str, episode_id: str, subtitles: str = "track", audio: str = "speech"
    ) -> Document:
        """Queues the cut of an episode: its scene clips stitched into one
        vertical MP4 with `subtitles` "track", "burn" or "none" and `audio`
        "speech", "video" or "mix"; returns the job."""
        request = {"subtitles": subtitles, "audio": audio}
        return self._call("assemble", drama_id=drama_id, episode_id=episode_id, request=request)

    async def start_assembly_async(
        self, drama_id: str, episode_id: str, subtitles: str = "track", audio: str = "speech"
    ) -> Document:
        request = {"subtitles": subtitles, "audio": audio}
        return await self._acall("assemble", drama_id=drama_id, episode_id=episode_id, request=request)

    def assemble(
        self,
        drama_id: str,
        episode_id: str,
        subtitles: str = "track",
        audio: str = "speech",
        progress: Progress = None,
    ) -> Document:
        """Cuts an episode and returns the result: `url`, `duration`, the
        scenes shown as `stills`, `cues` and `bytes`."""
        job = self.start_assembly(drama_id, episode_id, subtitles, audio)
        return self._finished(self.wait_job(drama_id, job["jobId"], progress=progress))["result"]

    async def assemble_async(
        self,
        drama_id: str,
        episode_id: str,
        subtitles: str = "track",
        audio: str = "speech",
        progress: Progress = None,
    ) -> Document:
        job = await self.start_assembly_async(drama_id, episode_id, subtitles, audio)
        return self._finished(await self.wait_job_async(drama_id, job["jobId"], progress=progress))["result"]

    def export(
        self,
        drama_id: str,
        format: str,
        episode_id: Optional[str] = None,
        path: Optional[Union[str, "os.PathLike[str]"]] = None,
        bundle: Optional[str] = None,
    ) -> Union[bytes, int]:
        """The drama as "fountain" (the screenplay), "srt" (an episode's
        subtitles), "csv" (the shot list) or "zip" (the JSON, every rendered
        file and the cuts); or an episode's timeline for an editor: "otio"
        (OpenTimelineIO), "fcpxml" (Final Cut Pro XML 1.10), "edl" (CMX
        3600, the picture) or "capcut" (a CapCut/Jianying draft folder, a
        ZIP with its media). A timeline names its media by URL, or, with
        `bundle="zip"`, comes as a ZIP holding them under relative paths.
        Its bytes, or, given `path`, written there. Scenes without a
        rendered clip raise `SfdError` (409) naming them."""
        kwargs: Dict[str, Any] = dict(drama_id=drama_id, format=format, episode_id=episode_id, bundle=bundle)
        if path is None:
            return self._fetch("export", **kwargs)
        return int(self._call("export", path=os.fspath(path), **kwargs))

    async def export_async(
        self,
        drama_id: str,
        format: str,
        episode_id: Optional[str] = None,
        path: Optional[Union[str, "os.PathLike[str]"]] = None,
        bundle: Optional[str] = None,
    ) -> Union[bytes, int]:
        kwargs: Dict[str, Any] = dict(drama_id=drama_id, format=format, episode_id=episode_id, bundle=bundle)
        if path is None:
            return await self._afetch("export", **kwargs)
        return int(await self._acall("export", path=os.fspath(path), **kwargs))
