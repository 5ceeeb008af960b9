"""The baseline for first paint: a bare Textual app that shows one label (and quits on q)."""

from textual.app import App, ComposeResult
from textual.widgets import Label

TEXT = "bare textual app ready"


class BareApp(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Label(TEXT)


if __name__ == "__main__":
    BareApp().run()
