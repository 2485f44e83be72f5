"""What every method of `Studio` and `Client` stands on: the native call,
in both forms, and waiting for a job."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from ._progress import Progress, close, reporter

Document = Dict[str, Any]
_ENDED = ("completed", "failed", "cancelled")


def _args(**kwargs: Any) -> str:
    return json.dumps({k: v for k, v in kwargs.items() if v is not None})


class _Base:
    _inner: Any

    def _call(self, op: str, data: Optional[bytes] = None, **kwargs: Any) -> Any:
        return json.loads(self._inner.call(op, _args(**kwargs), data))

    async def _acall(self, op: str, data: Optional[bytes] = None, **kwargs: Any) -> Any:
        return json.loads(await self._inner.call_async(op, _args(**kwargs), data))

    def _fetch(self, op: str, **kwargs: Any) -> bytes:
        return bytes(self._inner.fetch(op, _args(**kwargs)))

    async def _afetch(self, op: str, **kwargs: Any) -> bytes:
        return bytes(await self._inner.fetch_async(op, _args(**kwargs)))

    # Jobs ---------------------------------------------------------------------
    def wait_job(self, drama_id: str, job_id: str, progress: Progress = None) -> Document:
        """Waits until the job ends. `progress`: a callback that receives each
        new `{stage, done, total}`, `None` for a tqdm bar when tqdm is
        installed, `False` for nothing."""
        report = reporter(progress)
        try:
            if report is None:
                return self._call("wait_job", drama_id=drama_id, job_id=job_id)
            last = None
            while True:
                job = self._call("wait_job", drama_id=drama_id, job_id=job_id, timeout_ms=250)
                if job.get("progress") and job["progress"] != last:
                    last = job["progress"]
                    report(last)
                if job["status"] in _ENDED:
                    return job
        finally:
            close(report)

    async def wait_job_async(self, drama_id: str, job_id: str, progress: Progress = None) -> Document:
        report = reporter(progress)
        try:
            if report is None:
                return await self._acall("wait_job", drama_id=drama_id, job_id=job_id)
            last = None
            while True:
                job = await self._acall("wait_job", drama_id=drama_id, job_id=job_id, timeout_ms=250)
                if job.get("progress") and job["progress"] != last:
                    last = job["progress"]
                    report(last)
                if job["status"] in _ENDED:
                    return job
        finally:
            close(report)

    def _finished(self, job: Document) -> Document:
        if job["status"] != "completed":
            from ._sfd import SfdError

            raise SfdError(f"job {job['jobId']} ended {job['status']}: {job.get('error')}")
        return job
