"""The asset library: a project's reusable images, videos and texts
(character sheets, storyboards, clips) that any drama can reference as
`library:{asset_id}` in an asset's `depends_on`. Every method has an
`_async` twin; `user_id` defaults to the old server's `10000`."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union

from ._base import Document, _Base

#: A library upload's content: the bytes, or the path of a file.
LibraryContent = Union[bytes, str, "os.PathLike[str]"]

DEFAULT_USER = "10000"


def _file(content: LibraryContent, filename: Optional[str]) -> Dict[str, Any]:
    """The bytes of an upload and its file name."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return {"data": bytes(content), "filename": filename}
    path = os.fspath(content)
    with open(path, "rb") as f:
        return {"data": f.read(), "filename": filename or os.path.basename(path)}


def _one(project_name: str, asset_type: str, asset_id: str, user_id: str) -> Dict[str, str]:
    """The arguments that name one library asset."""
    return dict(project_name=project_name, asset_type=asset_type, asset_id=asset_id, user_id=user_id)


class _Library(_Base):
    def list_library(
        self,
        project_name: str,
        asset_type: Optional[str] = None,
        tag: Optional[str] = None,
        user_id: str = DEFAULT_USER,
    ) -> Document:
        """The project's assets `{assets, total, user_id, project_name}`,
        only of `asset_type` (image, video, text) and `tag` (character,
        storyboard, clip) when given."""
        return self._call("library_list", project_name=project_name, asset_type=asset_type, tag=tag, user_id=user_id)

    async def list_library_async(
        self,
        project_name: str,
        asset_type: Optional[str] = None,
        tag: Optional[str] = None,
        user_id: str = DEFAULT_USER,
    ) -> Document:
        return await self._acall(
            "library_list", project_name=project_name, asset_type=asset_type, tag=tag, user_id=user_id
        )

    def upload_library(
        self,
        project_name: str,
        asset_type: str,
        tag: str,
        content: LibraryContent,
        filename: Optional[str] = None,
        metadata: Optional[Document] = None,
        user_id: str = DEFAULT_USER,
    ) -> Document:
        """Stores a file (bytes or a path; checked against `asset_type`)
        and answers `{asset_id, asset_type, tag, r2_key, public_url,
        created_at}`; `metadata`'s fields join the record."""
        f = _file(content, filename)
        return self._call(
            "library_upload", f["data"], project_name=project_name, asset_type=asset_type, tag=tag,
            filename=f["filename"], metadata=metadata, user_id=user_id,
        )

    async def upload_library_async(
        self,
        project_name: str,
        asset_type: str,
        tag: str,
        content: LibraryContent,
        filename: Optional[str] = None,
        metadata: Optional[Document] = None,
        user_id: str = DEFAULT_USER,
    ) -> Document:
        f = _file(content, filename)
        return await self._acall(
            "library_upload", f["data"], project_name=project_name, asset_type=asset_type, tag=tag,
            filename=f["filename"], metadata=metadata, user_id=user_id,
        )

    def library_asset(self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER) -> Document:
        """One asset's record."""
        return self._call("library_get", None, **_one(project_name, asset_type, asset_id, user_id))

    async def library_asset_async(
        self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER
    ) -> Document:
        return await self._acall("library_get", None, **_one(project_name, asset_type, asset_id, user_id))

    def library_file(self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER) -> bytes:
        """One asset's file."""
        return self._fetch("library_file", **_one(project_name, asset_type, asset_id, user_id))

    async def library_file_async(
        self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER
    ) -> bytes:
        return await self._afetch("library_file", **_one(project_name, asset_type, asset_id, user_id))

    def delete_library(self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER) -> None:
        """Deletes an asset's file and record."""
        self._call("library_delete", None, **_one(project_name, asset_type, asset_id, user_id))

    async def delete_library_async(
        self, project_name: str, asset_type: str, asset_id: str, user_id: str = DEFAULT_USER
    ) -> None:
        await self._acall("library_delete", None, **_one(project_name, asset_type, asset_id, user_id))
