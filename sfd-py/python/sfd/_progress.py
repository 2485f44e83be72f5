"""How long calls report progress: the caller's callback, else a `tqdm`
bar (notebook or terminal) when tqdm is installed, else nothing."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

ProgressCallback = Callable[[Dict[str, Any]], None]
#: `None`: a tqdm bar when tqdm is installed; `False`: nothing; a callable:
#: called with each new `{stage, done, total}`.
Progress = Union[None, bool, ProgressCallback]


class _Bar:
    """A tqdm bar fed with job progress; closed when the job ends."""

    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm
        self._bar: Any = None

    def __call__(self, p: Dict[str, Any]) -> None:
        total = p.get("total") or None
        if self._bar is None:
            self._bar = self._tqdm(total=total, unit="step", leave=True)
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.set_description(str(p.get("stage", "")), refresh=False)
        self._bar.n = p.get("done", 0)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def reporter(progress: Progress) -> Optional[Callable[[Dict[str, Any]], None]]:
    """The function that receives progress, or None for none."""
    if progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return _Bar(tqdm)


def close(report: Optional[Callable[[Dict[str, Any]], None]]) -> None:
    """Ends a tqdm bar (a no-op for callbacks)."""
    if isinstance(report, _Bar):
        report.close()
