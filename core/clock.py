"""The one clock core reads: durations, run ids and start times all come from here.

Every reading a person sees on screen (an epoch's seconds, samples per second, a run's duration,
the time stamp in its id, when it started) goes through ``monotonic()`` and ``now()``. A test
installs a clock of its own with ``use(clock)``, so two runs of the same seeded preset write the
same files and draw the same screens. The batch-progress throttles read it too, since they decide
which batches a reader sees; intervals between polls of a folder keep ``time.monotonic`` (what
they find does not depend on when they look).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back (``time.monotonic``)."""
        ...

    def now(self) -> datetime:
        """The wall-clock time, timezone-aware in UTC."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


_clock: Clock = SystemClock()


def monotonic() -> float:
    return _clock.monotonic()


def now() -> datetime:
    return _clock.now()


@contextlib.contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Read ``clock`` instead of the system's until the block ends (the whole process does: the
    Trainer reads it in whatever thread it runs)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
