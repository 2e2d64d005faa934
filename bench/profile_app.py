"""Where does the app's CPU go while it trains? py-spy on the real app in a pty.

Starts the app on the digits-wide preset (MLP 64-512-256-10, batch 32) in a pty, trains it by
Ctrl+R, and samples every Python thread of the app and its children with ``py-spy record``
(on-CPU samples only, so an idle thread costs nothing). Prints, per thread, the functions that
hold the most samples, inclusive (the function or anything it calls) and on their own (self).

    pip install py-spy   # not in the bench extra: a profiler, for a person at a terminal
    python bench/profile_app.py [--epochs 40] [--seconds 15] [--top 25] [--raw out.txt]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import start_app, wait_ready  # noqa: E402
from bench.ptyrun import RunFolderWatcher, TreeMeter  # noqa: E402
from bench.workloads import DIGITS_WIDE  # noqa: E402


def summarize(raw: str, top: int) -> str:
    """py-spy's raw format: ``thread (tid);frame;frame;... count`` a line, outermost first."""
    inclusive: dict[str, Counter[str]] = defaultdict(Counter)
    own: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        thread, *frames = stack.split(";")
        thread = thread.split("): ", 1)[1] if "): " in thread else thread  # "thread (tid): name"
        totals[thread] += n
        seen = set()
        for frame in frames:
            name = _short(frame)
            if name not in seen:
                inclusive[thread][name] += n
                seen.add(name)
        if frames:
            own[thread][_short(frames[-1])] += n
    out = []
    grand = sum(totals.values()) or 1
    for thread, total in totals.most_common():
        out.append(f"\n== {thread}: {total} samples ({total / grand:.0%} of all on-CPU samples)")
        out.append("   inclusive                                                         self")
        for name, n in inclusive[thread].most_common(top):
            out.append(f"   {n / total:6.1%}  {name:<66} {own[thread][name] / total:6.1%}")
    return "\n".join(out)


def _short(frame: str) -> str:
    # "function (path/to/file.py:123)" -> "file.py:function"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "/pkg/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to sample")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw stacks here")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None:
        parser.error("py-spy is not installed: pip install py-spy")
    with tempfile.TemporaryDirectory(prefix="nnbench-profile-") as tmp:
        folder = Path(tmp)
        runs_dir = folder / "runs"
        runs_dir.mkdir()
        preset = DIGITS_WIDE.write_preset(folder, args.epochs)
        watcher = RunFolderWatcher(runs_dir)
        raw_path = args.raw or folder / "raw.txt"
        with start_app(preset, runs_dir) as app:
            wait_ready(app)
            app.set_live(False)
            app.press("ctrl+r")
            while not watcher.of("EpochEnded"):
                app.pump(0.05)
                watcher.poll()
            meter = TreeMeter(app.pid, extra_pids=watcher.run_pids)
            meter.sample()
            pids = sorted(meter.pids_seen)
            spies = [subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration",
                                       str(int(args.seconds)), "--rate", "200", "--format", "raw",
                                       "--threads", "--nonblocking", "--output",
                                       f"{raw_path}.{pid}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for pid in pids if _is_python(pid)]
            end = time.monotonic() + args.seconds + 5
            while any(s.poll() is None for s in spies) and time.monotonic() < end + 10:
                app.pump(0.05)
                watcher.poll()
        raws = {pid: Path(f"{raw_path}.{pid}").read_text() for pid in pids
                if Path(f"{raw_path}.{pid}").exists()}
        if args.raw:
            args.raw.write_text("".join(raws.values()))
        print(f"app pid {app.pid}, processes sampled: {pids}; epochs ended while sampling: "
              f"{len(watcher.of('EpochEnded'))}")
        for pid, raw in raws.items():
            role = "the app" if pid == app.pid else "a child of the app (the run?)"
            print(f"\n######## pid {pid}: {role}")
            print(summarize(raw, args.top))
    return 0


def _is_python(pid: int) -> bool:
    try:
        return "python" in Path(f"/proc/{pid}/exe").resolve().name
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
