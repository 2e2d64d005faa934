"""Each figure of issue 10, measured from outside the program as a person would see it.

Every function takes a ``Config`` and a scratch folder and returns a ``Figure``: named measures
(median, spread, samples) and the raw samples. Contenders are interleaved and, where two are
compared, the order alternates from one repeat to the next.

The modules, by what they do (everything is importable from here, as it was from one file):

* ``model``: ``Figure``, ``Measure``, ``Config`` (what results.json holds), ``median``, ``ratio``;
* ``launch``: how nnbench is started (argv, environment, tab keys) and when it is ready;
* ``training``: one training, app or bare script, followed through its events file;
* ``throughput``: throughput, epoch end to chart, memory;
* ``whole_process``: whole processes, and the peers;
* ``screen``: first frame, key to screen, chart redraw;
* ``runs_and_suite``: the runs list on many runs, the test suite.
"""

from __future__ import annotations

from bench.figures.launch import (
    APP_READY,
    FIRST_FRAME_TEXT,
    HELLO_APP,
    REPO,
    app_env,
    nnbench_argv,
    start_app,
    tab_keys,
    wait_ready,
)
from bench.figures.model import Config, Figure, Measure, median, ratio
from bench.figures.runs_and_suite import fig_runs_list, fig_test_suite
from bench.figures.screen import fig_chart_redraw, fig_first_frame, fig_key_to_screen
from bench.figures.throughput import epoch_to_chart, fig_throughput
from bench.figures.training import Watched, train_bare, train_in_app
from bench.figures.whole_process import fig_whole_process
from bench.ptyrun import key_bytes

__all__ = ["Config", "Figure", "Measure", "fig_chart_redraw", "fig_first_frame",
           "fig_key_to_screen", "fig_runs_list", "fig_test_suite", "fig_throughput",
           "fig_whole_process", "key_bytes", "REPO",
           # also importable, as they were from the one module
           "APP_READY", "FIRST_FRAME_TEXT", "HELLO_APP", "Watched", "app_env", "epoch_to_chart",
           "median", "nnbench_argv", "ratio", "start_app", "tab_keys", "train_bare",
           "train_in_app", "wait_ready"]
