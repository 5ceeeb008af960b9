"""streakwatch benchmarks: ``python -m bench`` (or ``make bench``) runs them all and prints one table.

One module per benchmark, each with ``run(opts) -> list[Row]``; helpers in :mod:`bench.common` (statistics, /proc
readers, results) and :mod:`bench.term` (a program under a pseudo-terminal, and a tiny screen emulator).
"""
