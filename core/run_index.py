"""The runs folder read incrementally, for a view that watches it (the TUI's Runs view)."""

from __future__ import annotations

import time
from pathlib import Path

from nnbench.core.run_folder import RunRecord
from nnbench.core.run_store import RunStore


class RunIndex:
    """The runs folder read incrementally: ``refresh()`` re-reads only the summaries that
    changed since the last call (one ``stat`` per run otherwise), so a folder of 1,000 runs can be
    watched every half second. Meant for one reader thread."""

    LIVENESS_SECONDS = 2.0

    def __init__(self, root: str | Path) -> None:
        self.store = RunStore(root)
        self.seen: dict[str, tuple[int, RunRecord]] = {}
        self.last_liveness = 0.0

    def refresh(self) -> tuple[list[RunRecord], list[str]]:
        """(records new or changed, run ids gone) since the last call."""
        changed: list[RunRecord] = []
        present: set[str] = set()
        now = time.monotonic()
        check_alive = now - self.last_liveness >= self.LIVENESS_SECONDS
        if check_alive:
            self.last_liveness = now
        for folder in self.store.folders():
            present.add(folder.name)
            try:
                mtime = (folder / "summary.json").stat().st_mtime_ns
            except OSError:
                mtime = -1
            known = self.seen.get(folder.name)
            stale = known is None or known[0] != mtime or (
                check_alive and known[1].status == "running")
            if not stale:
                continue
            record = self.store.read(folder)
            if known is not None and known[0] == mtime and known[1] == record:
                continue
            self.seen[folder.name] = (mtime, record)
            changed.append(record)
        removed = [run_id for run_id in self.seen if run_id not in present]
        for run_id in removed:
            del self.seen[run_id]
        return changed, removed
