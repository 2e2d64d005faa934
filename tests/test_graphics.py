"""Pictures with the terminal's own graphics protocol (textual-image) where it has one, half-blocks
everywhere else; the terminal is asked only when that is safe, and never at import."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from struct import pack
from typing import Any

import pytest
from conftest import tiny_preset
from textual.app import App, ComposeResult
from textual.widgets import Static

from nnbench.core.data import load_data
from nnbench.core.preview import build_preview
from nnbench.tui.widgets.data_preview import DataPreviewView
from nnbench.tui.widgets.graphics import choose_renderer, may_ask
from nnbench.tui.widgets.picture_rows import UPSCALE

TTY = {"TERM": "xterm-256color"}


@pytest.mark.parametrize(("environ", "stdin_tty", "stdout_tty", "asks"), [
    (TTY, True, True, False),  # no hint of graphics: not worth a 0.2 s wait before the first frame
    ({"TERM": "xterm-kitty"}, True, True, True),
    ({**TTY, "TERM_PROGRAM": "WezTerm"}, True, True, True),
    ({**TTY, "KITTY_WINDOW_ID": "1"}, True, True, True),
    ({**TTY, "NNBENCH_PICTURES": "sixel"}, True, True, True),
    ({**TTY, "NNBENCH_PICTURES": "kitty"}, True, True, True),
    ({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, True, True, False),
    ({**TTY, "TMUX": "/tmp/tmux-0/default,1,0"}, True, True, False),
    ({"TERM": "tmux-256color"}, True, True, False),
    ({"TERM": "screen-256color"}, True, True, False),
    ({**TTY, "STY": "1.pts-0.host"}, True, True, False),
    ({"TERM": "dumb"}, True, True, False),
    ({"TERM": "linux"}, True, True, False),  # the Linux console prints Kitty's query
    ({}, True, True, False),
    (TTY, False, True, False),  # the answer would never come: stdin is a pipe
    (TTY, True, False, False),  # output to a file or a pipe
    ({**TTY, "NNBENCH_PICTURES": "halfblocks"}, True, True, False),
])
def test_the_terminal_is_asked_only_where_that_is_safe(
        environ: dict[str, str], stdin_tty: bool, stdout_tty: bool, asks: bool) -> None:
    assert may_ask(environ, stdin_tty, stdout_tty) is asks


@pytest.mark.parametrize(("picked", "setting", "drawn"), [
    ("textual_image.renderable.tgp", "", "kitty"),
    ("textual_image.renderable.tgp", "sixel", "kitty"),
    ("textual_image.renderable.sixel", "", "halfblocks"),  # too slow to paint unasked
    ("textual_image.renderable.sixel", "Sixel", "sixel"),
    ("textual_image.renderable.halfcell", "", "halfblocks"),
    ("textual_image.renderable.unicode", "sixel", "halfblocks"),
    (None, "", "halfblocks"),
])
def test_the_librarys_pick_decides_how_pictures_are_drawn(
        picked: str | None, setting: str, drawn: str) -> None:
    assert choose_renderer(picked, setting) == drawn


_ASK = "from nnbench.tui.widgets.graphics import ask_terminal; import sys; " \
       "sys.stderr.write('drawn=' + ask_terminal())"
_DA1 = b"\x1b[c"
_KITTY_QUERY = b"\x1b_G"


def _ask_on_a_terminal(answers: dict[bytes, bytes], setting: str) -> tuple[str, bytes]:
    """Run ``ask_terminal()`` in a fresh interpreter on a pseudo-terminal that plays a terminal:
    it answers each query in ``answers`` it sees (others get no answer). Returns what the child
    chose and everything it wrote to the terminal."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, pack("HHHH", 40, 120, 1200, 800))  # 10 x 20 pixel cells
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY", "NNBENCH_PICTURES")}
    child = subprocess.Popen([sys.executable, "-c", _ASK], stdin=slave, stdout=slave,
                             stderr=subprocess.PIPE,
                             env={**env, "TERM": "xterm-kitty", "NNBENCH_PICTURES": setting})
    os.close(slave)
    written, answered = b"", set()
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.05)[0]:
            try:
                written += os.read(master, 4096)
            except OSError:
                break
        for query, answer in answers.items():
            if query in written and query not in answered:
                answered.add(query)
                os.write(master, answer)
    child.wait(timeout=60)
    os.close(master)
    err = child.stderr.read().decode() if child.stderr else ""
    assert "drawn=" in err, err
    return err.split("drawn=")[-1], written


_SIXEL = {_DA1: b"\x1b[?62;4;22c"}  # device attributes with 4: Sixel (xterm, foot)
_KITTY = {_DA1: b"\x1b[?62;22c", _KITTY_QUERY: b"\x1b_Gi=31;OK\x1b\\"}


@pytest.mark.parametrize(("answers", "setting", "drawn"), [
    (_SIXEL, "sixel", "sixel"),
    (_SIXEL, "", "halfblocks"),
    (_KITTY, "", "kitty"),
    ({_DA1: b"\x1b[?62;22c"}, "", "halfblocks"),  # neither (GNOME Terminal): Kitty's times out
    ({}, "sixel", "halfblocks"),  # a terminal that answers nothing
])
def test_a_terminal_s_answer_picks_its_protocol(
        answers: dict[bytes, bytes], setting: str, drawn: str) -> None:
    chosen, written = _ask_on_a_terminal(answers, setting)
    assert chosen == drawn
    assert _DA1 in written, "textual-image asks with ESC [ c (its detection changed?)"


def test_a_pipe_is_never_asked_and_the_app_imports_no_graphics() -> None:
    """Importing the app and asking with stdout a pipe (the tests, ``nnbench data`` into a file)
    writes nothing and does not even load textual-image."""
    code = ("import sys; import nnbench.tui.app; from nnbench.tui.widgets.graphics import "
            "ask_terminal; sys.stderr.write(ask_terminal() + ' ' + "
            "str(any(m.startswith('textual_image') for m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=120, env={**os.environ, **TTY})
    assert done.stderr.decode().splitlines()[-1] == "halfblocks False", done.stderr.decode()
    assert done.stdout == b""


class _PreviewApp(App[None]):
    def __init__(self, pictures: Any) -> None:
        super().__init__()
        self.pictures = pictures

    def compose(self) -> ComposeResult:
        yield DataPreviewView(id="preview", pictures=self.pictures)


@pytest.mark.skipif(sys.__stdout__ is not None and sys.__stdout__.isatty(),
                    reason="textual-image asks the terminal when imported with stdout a terminal")
async def test_a_sixel_terminal_gets_rows_of_digits_as_sixel_images_with_their_labels() -> None:
    from textual_image.widget import SixelImage

    preset = tiny_preset(data={"source": "sklearn:digits", "scaling": "none"})
    preview = build_preview(load_data(preset.data, preset.fit), preset.data)
    async with _PreviewApp("sixel").run_test(size=(120, 40)) as pilot:
        view = pilot.app.query_one(DataPreviewView)
        view.show(preview)
        deadline = time.monotonic() + 30
        while view._drawn_width == 0:
            assert time.monotonic() < deadline, "the preview was never drawn"
            await pilot.pause(0.05)
        await pilot.pause()
        rows = list(view.query(SixelImage))
        assert [(r.styles.width.value, r.styles.height.value) for r in rows] == [
            (116, 4)] * 4 + [(107, 4)], "13 digits a row at 120 columns, in the half-blocks' cells"
        assert rows[0].size == (116, 4)
        first = rows[0].image  # the row as one image: each pixel UPSCALE x UPSCALE
        pixels = preview.pictures[0].pixels
        assert [first.getpixel((x * UPSCALE, y * UPSCALE))[:3] for y in range(8) for x in range(8)] \
            == [tuple(int(v) for v in pixels[y, x]) for y in range(8) for x in range(8)]
        assert first.getpixel((8 * UPSCALE, 0))[3] == 0, "the gap between two digits is clear"
        second = preview.pictures[1].pixels[0, 0]
        assert first.getpixel((9 * UPSCALE, 0))[:3] == tuple(int(v) for v in second)
        text = "\n".join(s.content.plain_text() for s in view.query(Static))
        assert "Class balance" in text and "0        1        2" in text, "labels as text"
        assert "▀" not in text, "no half-blocks besides the pictures"
        inner = rows[0].children[0]
        strips = inner.render_lines(inner.region.reset_offset)
        assert any("\x1bP" in seg.text for strip in strips for seg in strip), "a Sixel image"


def test_a_kitty_terminal_gets_kitty_widgets() -> None:
    code = ("from PIL import Image; from nnbench.tui.widgets.graphics import picture_widget; "
            "w = picture_widget(Image.new('RGB', (8, 8)), 'kitty', width=8, height=4); "
            "print(type(w).__module__, type(w).__name__, w.styles.width, w.styles.height)")
    done = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=120, text=True)
    assert done.stdout.split() == ["textual_image.widget", "TGPImage", "8", "4"], done.stderr


def test_where_the_tests_run_pictures_are_half_blocks() -> None:
    from nnbench.tui.widgets import graphics

    assert graphics.renderer() == "halfblocks" and DataPreviewView().pictures == "halfblocks"


def test_labels_under_protocol_pictures_are_escaped_text() -> None:
    from dataclasses import replace

    from nnbench.core.preview_draw import preview_blocks
    from nnbench.tui.widgets.picture_rows import PicturesPart, render_parts
    from nnbench.tui.widgets.rendered_lines import RenderedLines

    preset = tiny_preset(data={"source": "sklearn:digits", "scaling": "none"})
    preview = build_preview(load_data(preset.data, preset.fit), preset.data)
    hostile = "[i]\x1b[2J"  # cut to the 8 cells under a digit
    preview.pictures = [replace(p, label=hostile) for p in preview.pictures[:3]]
    parts = render_parts(preview_blocks(preview, 100), 100, dim_labels=True)
    assert [type(p).__name__ for p in parts[-3:]] == ["RenderedLines", "PicturesPart",
                                                     "RenderedLines"]
    assert isinstance(parts[-2], PicturesPart) and (parts[-2].width, parts[-2].height) == (26, 4)
    text = "\n".join(p.plain_text() for p in parts if isinstance(p, RenderedLines))
    assert "[i]" in text, "markup shown as it is"
    assert "\x1b" not in text, "no control character reaches the terminal"
