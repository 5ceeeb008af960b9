"""Python's cyclic garbage collector, held off from the command line to the monitor's first frame.

Until the first frame the process mostly allocates objects that live as long as it does: modules, classes, the
stylesheet, the widgets. The collector would walk them about 150 times and find little to free (measured on a
warm start: ~450 cyclic objects of garbage from the imports, ~4,000 more by the first frame), and those walks cost
~15 ms of the first frame (BENCHMARKS.md, round 4). So the monitor holds it off while it starts and lets it run
again once the first frame is out; the garbage of the start-up is then collected as usual. (The imports' few
hundred objects stay behind ``gc.freeze`` in ``tui.cli``: a bounded few kilobytes, once per process.)

Only the monitor holds it: ``--once`` builds pandas frames, whose garbage must be collected as it goes.
"""

from __future__ import annotations

import gc

_held = False  # whether hold() disabled the collector (and release() has not enabled it again)


def hold() -> None:
    """Stop automatic collection, if it runs (a caller that had disabled it keeps it disabled)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Let the collector run again if :func:`hold` stopped it; safe to call any number of times."""
    global _held
    if _held:
        _held = False
        gc.enable()
