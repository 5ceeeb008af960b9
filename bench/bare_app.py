"""The baseline for first paint: a bare Textual app that shows one label (and quits on q).

``--with-pandas``: the same app importing numpy and pandas before its first frame, and nothing else: the least any
start can cost that puts data computed with pandas on its first frame (issue 16, target 2), whatever it reads.
"""

import sys

from textual.app import App, ComposeResult
from textual.widgets import Label

TEXT = "bare textual app ready"


class BareApp(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        if "--with-pandas" in sys.argv:
            import pandas  # noqa: F401 - what is measured is the import

        yield Label(TEXT)


if __name__ == "__main__":
    BareApp().run()
