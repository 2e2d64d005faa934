"""The smallest Textual app, to time a first frame against: one line of text."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello from a bare Textual app")


if __name__ == "__main__":
    Hello().run()
