"""The typed API shared by `Studio` and `Client`: every method has a
synchronous form (the GIL is released while it runs) and an `_async` form
that returns an awaitable. Documents are plain dicts and lists."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from ._base import Document
from ._library import _Library
from ._media import Content, _Media
from ._progress import Progress


def _generation(
    premise: str,
    id: Optional[str],
    model: Optional[str],
    episodes: Optional[int],
    scenes_per_episode: Optional[int],
) -> Dict[str, Any]:
    """The arguments of a generation request, as every layer names them."""
    return dict(premise=premise, id=id, model=model, episodes=episodes, scenes_per_episode=scenes_per_episode)


def _reference(image: Optional[Content]) -> Dict[str, Any]:
    """The native arguments of a generation's reference image: its bytes as
    the upload's `data`, or the `reference_path` of a file; none without one.
    Its type is told from its bytes (PNG, JPEG or WebP)."""
    if image is None:
        return {}
    if isinstance(image, (bytes, bytearray, memoryview)):
        return {"data": bytes(image)}
    return {"reference_path": os.fspath(image)}


def _owner(episode_id: Optional[str], scene_id: Optional[str], character_id: Optional[str]) -> Dict[str, Optional[str]]:
    """An asset's owner: a scene (both ids), an episode, a character, or the drama (none)."""
    return dict(episode_id=episode_id, scene_id=scene_id, character_id=character_id)


def _at(level: str, drama_id: str, parent: Dict[str, Optional[str]], rest: Dict[str, Any]) -> Dict[str, Any]:
    """The arguments of a verb at `level`: the drama, the parent, and the rest."""
    return {"level": level, "drama_id": drama_id, **parent, **rest}


class _Api(_Media, _Library):
    # Dramas -----------------------------------------------------------------
    def get_drama(self, id: str) -> Document:
        """The drama `id`."""
        return self._call("get_drama", id=id)

    async def get_drama_async(self, id: str) -> Document:
        return await self._acall("get_drama", id=id)

    def list_dramas(self, limit: int = 100, cursor: Optional[str] = None) -> Document:
        """One page `{dramas, cursor}` in ascending id order; pass `cursor` for the next."""
        return self._call("list_dramas", limit=limit, cursor=cursor)

    async def list_dramas_async(self, limit: int = 100, cursor: Optional[str] = None) -> Document:
        return await self._acall("list_dramas", limit=limit, cursor=cursor)

    def import_drama(self, drama: Document) -> Document:
        """Stores a whole drama (unknown fields are kept)."""
        return self._call("import_drama", drama=drama)

    async def import_drama_async(self, drama: Document) -> Document:
        return await self._acall("import_drama", drama=drama)

    def update_drama(self, id: str, patch: Document) -> Document:
        """Changes title, description, premise or metadata."""
        return self._call("update_drama", id=id, patch=patch)

    async def update_drama_async(self, id: str, patch: Document) -> Document:
        return await self._acall("update_drama", id=id, patch=patch)

    def delete_drama(self, id: str) -> None:
        """Deletes a drama."""
        self._call("delete_drama", id=id)

    async def delete_drama_async(self, id: str) -> None:
        await self._acall("delete_drama", id=id)

    # Nested entities ----------------------------------------------------------
    # Every level (character, episode, scene, asset) has the same verbs: the
    # native operation takes the level's name, the member as `{level}`, its id
    # as `{level}_id`, and its parent: nothing, `episode_id` (a scene's), or an
    # asset's owner (`episode_id` and `scene_id`, or `character_id`).
    def _create(self, level: str, drama_id: str, member: Document, **parent: Optional[str]) -> Document:
        return self._call("create", **_at(level, drama_id, parent, {level: member}))

    async def _acreate(self, level: str, drama_id: str, member: Document, **parent: Optional[str]) -> Document:
        return await self._acall("create", **_at(level, drama_id, parent, {level: member}))

    def _update(self, level: str, drama_id: str, id: str, patch: Document, **parent: Optional[str]) -> Document:
        return self._call("update", **_at(level, drama_id, parent, {f"{level}_id": id, "patch": patch}))

    async def _aupdate(self, level: str, drama_id: str, id: str, patch: Document, **parent: Optional[str]) -> Document:
        return await self._acall("update", **_at(level, drama_id, parent, {f"{level}_id": id, "patch": patch}))

    def _delete(self, level: str, drama_id: str, id: str, **parent: Optional[str]) -> None:
        self._call("delete", **_at(level, drama_id, parent, {f"{level}_id": id}))

    async def _adelete(self, level: str, drama_id: str, id: str, **parent: Optional[str]) -> None:
        await self._acall("delete", **_at(level, drama_id, parent, {f"{level}_id": id}))

    def create_character(self, drama_id: str, character: Document) -> Document:
        """Adds a character; a missing id gets a slug."""
        return self._create("character", drama_id, character)

    async def create_character_async(self, drama_id: str, character: Document) -> Document:
        return await self._acreate("character", drama_id, character)

    def update_character(self, drama_id: str, character_id: str, patch: Document) -> Document:
        """Changes a character."""
        return self._update("character", drama_id, character_id, patch)

    async def update_character_async(self, drama_id: str, character_id: str, patch: Document) -> Document:
        return await self._aupdate("character", drama_id, character_id, patch)

    def delete_character(self, drama_id: str, character_id: str) -> None:
        """Removes a character and every reference to it."""
        self._delete("character", drama_id, character_id)

    async def delete_character_async(self, drama_id: str, character_id: str) -> None:
        await self._adelete("character", drama_id, character_id)

    def create_episode(self, drama_id: str, episode: Document) -> Document:
        """Appends an episode; a missing id becomes `ep{n}`."""
        return self._create("episode", drama_id, episode)

    async def create_episode_async(self, drama_id: str, episode: Document) -> Document:
        return await self._acreate("episode", drama_id, episode)

    def update_episode(self, drama_id: str, episode_id: str, patch: Document) -> Document:
        """Changes an episode."""
        return self._update("episode", drama_id, episode_id, patch)

    async def update_episode_async(self, drama_id: str, episode_id: str, patch: Document) -> Document:
        return await self._aupdate("episode", drama_id, episode_id, patch)

    def delete_episode(self, drama_id: str, episode_id: str) -> None:
        """Removes an episode, its scenes and every reference to them."""
        self._delete("episode", drama_id, episode_id)

    async def delete_episode_async(self, drama_id: str, episode_id: str) -> None:
        await self._adelete("episode", drama_id, episode_id)

    def create_scene(self, drama_id: str, episode_id: str, scene: Document) -> Document:
        """Appends a scene; a missing id becomes `{episode}-sc{n}`."""
        return self._create("scene", drama_id, scene, episode_id=episode_id)

    async def create_scene_async(self, drama_id: str, episode_id: str, scene: Document) -> Document:
        return await self._acreate("scene", drama_id, scene, episode_id=episode_id)

    def update_scene(self, drama_id: str, episode_id: str, scene_id: str, patch: Document) -> Document:
        """Changes a scene (atomic, concurrent edits are never lost)."""
        return self._update("scene", drama_id, scene_id, patch, episode_id=episode_id)

    async def update_scene_async(self, drama_id: str, episode_id: str, scene_id: str, patch: Document) -> Document:
        return await self._aupdate("scene", drama_id, scene_id, patch, episode_id=episode_id)

    def delete_scene(self, drama_id: str, episode_id: str, scene_id: str) -> None:
        """Removes a scene, its assets and every reference to them."""
        self._delete("scene", drama_id, scene_id, episode_id=episode_id)

    async def delete_scene_async(self, drama_id: str, episode_id: str, scene_id: str) -> None:
        await self._adelete("scene", drama_id, scene_id, episode_id=episode_id)

    def create_asset(
        self,
        drama_id: str,
        asset: Document,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        """Adds an asset to a scene (episode_id and scene_id), an episode,
        a character, or the drama itself (no owner)."""
        return self._create("asset", drama_id, asset, **_owner(episode_id, scene_id, character_id))

    async def create_asset_async(
        self,
        drama_id: str,
        asset: Document,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        return await self._acreate("asset", drama_id, asset, **_owner(episode_id, scene_id, character_id))

    def update_asset(
        self,
        drama_id: str,
        asset_id: str,
        patch: Document,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        """Changes an asset (prompt, url, duration, depends_on, metadata)."""
        return self._update("asset", drama_id, asset_id, patch, **_owner(episode_id, scene_id, character_id))

    async def update_asset_async(
        self,
        drama_id: str,
        asset_id: str,
        patch: Document,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> Document:
        return await self._aupdate("asset", drama_id, asset_id, patch, **_owner(episode_id, scene_id, character_id))

    def delete_asset(
        self,
        drama_id: str,
        asset_id: str,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> None:
        """Removes an asset and every reference to it."""
        self._delete("asset", drama_id, asset_id, **_owner(episode_id, scene_id, character_id))

    async def delete_asset_async(
        self,
        drama_id: str,
        asset_id: str,
        episode_id: Optional[str] = None,
        scene_id: Optional[str] = None,
        character_id: Optional[str] = None,
    ) -> None:
        await self._adelete("asset", drama_id, asset_id, **_owner(episode_id, scene_id, character_id))

    # Jobs ---------------------------------------------------------------------
    def start_generation(
        self,
        premise: str,
        id: Optional[str] = None,
        model: Optional[str] = None,
        episodes: Optional[int] = None,
        scenes_per_episode: Optional[int] = None,
        reference_image: Optional[Content] = None,
    ) -> Document:
        """Queues the generation of a drama; returns the job. Counts out of
        range (episodes 1-20, scenes per episode 1-12) raise at once.
        `reference_image` (a PNG, JPEG or WebP, as bytes or a path) becomes
        the main character's portrait, so every shot of them is drawn from
        it; another type raises `SfdError` at once."""
        return self._call(
            "start_generation",
            **_generation(premise, id, model, episodes, scenes_per_episode),
            **_reference(reference_image),
        )

    async def start_generation_async(
        self,
        premise: str,
        id: Optional[str] = None,
        model: Optional[str] = None,
        episodes: Optional[int] = None,
        scenes_per_episode: Optional[int] = None,
        reference_image: Optional[Content] = None,
    ) -> Document:
        return await self._acall(
            "start_generation",
            **_generation(premise, id, model, episodes, scenes_per_episode),
            **_reference(reference_image),
        )

    def start_improvement(
        self, id: str, feedback: str, new_id: Optional[str] = None, model: Optional[str] = None
    ) -> Document:
        """Queues an improvement into a new drama; returns the job."""
        return self._call("start_improvement", id=id, feedback=feedback, new_id=new_id, model=model)

    async def start_improvement_async(
        self, id: str, feedback: str, new_id: Optional[str] = None, model: Optional[str] = None
    ) -> Document:
        return await self._acall("start_improvement", id=id, feedback=feedback, new_id=new_id, model=model)

    def start_critique(self, id: str, model: Optional[str] = None) -> Document:
        """Queues a critique; the job's result holds `feedback` and `critique`."""
        return self._call("start_critique", id=id, model=model)

    async def start_critique_async(self, id: str, model: Optional[str] = None) -> Document:
        return await self._acall("start_critique", id=id, model=model)

    def get_job(self, drama_id: str, job_id: str) -> Document:
        """One job."""
        return self._call("get_job", drama_id=drama_id, job_id=job_id)

    async def get_job_async(self, drama_id: str, job_id: str) -> Document:
        return await self._acall("get_job", drama_id=drama_id, job_id=job_id)

    def list_jobs(self, drama_id: str) -> List[Document]:
        """The drama's jobs, oldest first."""
        return self._call("list_jobs", drama_id=drama_id)

    async def list_jobs_async(self, drama_id: str) -> List[Document]:
        return await self._acall("list_jobs", drama_id=drama_id)

    def cancel_job(self, drama_id: str, job_id: str) -> Document:
        """Cancels a pending or running job."""
        return self._call("cancel_job", drama_id=drama_id, job_id=job_id)

    async def cancel_job_async(self, drama_id: str, job_id: str) -> Document:
        return await self._acall("cancel_job", drama_id=drama_id, job_id=job_id)

    # Start, wait, read --------------------------------------------------------
    def generate(
        self,
        premise: str,
        id: Optional[str] = None,
        model: Optional[str] = None,
        episodes: Optional[int] = None,
        progress: Progress = None,
        scenes_per_episode: Optional[int] = None,
        reference_image: Optional[Content] = None,
    ) -> Document:
        """Generates a drama and returns it (starts the job and waits;
        `progress` as in `wait_job`, `reference_image` as in
        `start_generation`)."""
        job = self.start_generation(
            premise, id=id, model=model, episodes=episodes, scenes_per_episode=scenes_per_episode,
            reference_image=reference_image,
        )
        self._finished(self.wait_job(job["dramaId"], job["jobId"], progress=progress))
        return self.get_drama(job["dramaId"])

    async def generate_async(
        self,
        premise: str,
        id: Optional[str] = None,
        model: Optional[str] = None,
        episodes: Optional[int] = None,
        progress: Progress = None,
        scenes_per_episode: Optional[int] = None,
        reference_image: Optional[Content] = None,
    ) -> Document:
        job = await self.start_generation_async(
            premise, id=id, model=model, episodes=episodes, scenes_per_episode=scenes_per_episode,
            reference_image=reference_image,
        )
        self._finished(await self.wait_job_async(job["dramaId"], job["jobId"], progress=progress))
        return await self.get_drama_async(job["dramaId"])

    def improve(
        self,
        id: str,
        feedback: str,
        new_id: Optional[str] = None,
        model: Optional[str] = None,
        progress: Progress = None,
    ) -> Document:
        """Improves a drama from feedback and returns the new drama."""
        job = self.start_improvement(id, feedback, new_id=new_id, model=model)
        self._finished(self.wait_job(job["dramaId"], job["jobId"], progress=progress))
        return self.get_drama(job["dramaId"])

    async def improve_async(
        self,
        id: str,
        feedback: str,
        new_id: Optional[str] = None,
        model: Optional[str] = None,
        progress: Progress = None,
    ) -> Document:
        job = await self.start_improvement_async(id, feedback, new_id=new_id, model=model)
        self._finished(await self.wait_job_async(job["dramaId"], job["jobId"], progress=progress))
        return await self.get_drama_async(job["dramaId"])

    def critique(self, id: str, model: Optional[str] = None) -> Document:
        """Critiques a drama; returns `{feedback, critique, usage, dramaId}`."""
        job = self.start_critique(id, model=model)
        return self._finished(self.wait_job(id, job["jobId"], progress=False))["result"]

    async def critique_async(self, id: str, model: Optional[str] = None) -> Document:
        job = await self.start_critique_async(id, model=model)
        return self._finished(await self.wait_job_async(id, job["jobId"], progress=False))["result"]
