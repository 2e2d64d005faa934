"""The results' data model: a ``Figure`` of named ``Measure``s, and the ``Config`` of a run.

Every figure function takes a ``Config`` and a scratch folder and returns ``Figure``s, whose
``as_dict`` is what results.json holds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measure:
    name: str
    unit: str
    samples: list[float]
    what: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.samples), max(self.samples)) if self.samples else None

    def p95(self) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "what": self.what, "median": self.median,
                "min": self.spread[0] if self.spread else None,
                "max": self.spread[1] if self.spread else None, "p95": self.p95(),
                "n": len(self.samples), "samples": self.samples}


@dataclass
class Figure:
    key: str
    title: str
    status: str = "measured"
    """measured | skipped | failed"""
    measures: dict[str, Measure] = field(default_factory=dict)
    headline: dict[str, float | None] = field(default_factory=dict)
    """The numbers the targets are checked against (ratios, p95s)."""
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, unit: str, samples: list[float], what: str = "") -> Measure:
        m = self.measures[name] = Measure(name, unit, [float(s) for s in samples], what)
        return m

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "status": self.status,
                "headline": self.headline, "notes": self.notes,
                "measures": {k: m.as_dict() for k, m in self.measures.items()}, "raw": self.raw}


@dataclass(frozen=True)
class Config:
    name: str
    throughput: tuple[tuple[str, int], ...]
    """(workload, epochs) trained in the app and bare"""
    repeats: int
    whole_epochs: int
    whole_workload: str
    whole_repeats: int
    whole_outputs: tuple[str, ...]
    """"pipe", "pty": where the whole processes' stdout goes"""
    peers: bool
    first_frame_repeats: int
    key_presses: int
    chart_points: int
    chart_repeats: int
    runs_on_disk: int
    runs_list_repeats: int
    test_suite: bool
    tab_keys: dict[str, str] | None = None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None
