"""Reading a file the user named (a config, a replay CSV) with bounded cost, whatever the path turns out to be.

A path can name a FIFO (opening it would wait for a writer), a device such as ``/dev/zero`` (endless), a sparse
file of gigabytes, or a file another process keeps appending to. :func:`read_capped` reads regular files only,
decides on the open descriptor (so a path swapped after a check cannot slip a device in) and never reads more
than one byte past the cap: its time and memory are bounded by the cap, not by the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileRefused(Exception):
    """The path is not a regular file of acceptable size; the message says why, in a few words without the path."""


def read_capped(path: str | Path, cap: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``cap`` bytes.

    Raises :class:`FileRefused` for a directory, a FIFO, a device or socket, or a file over the cap (by its size,
    or by what could be read when its size lies or grows); ``OSError`` (``FileNotFoundError`` ...) when it cannot
    be opened or read; ``ValueError`` for a path containing a NUL byte.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise FileRefused("is a directory, not a file")
        if not stat.S_ISREG(mode.st_mode):
            raise FileRefused("is a pipe, device or socket, not a regular file")
        if mode.st_size > cap:
            raise FileRefused(f"is {describe_size(mode.st_size)}, over the limit of {describe_size(cap)}")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(cap + 1)
    finally:
        os.close(fd)
    if len(data) > cap:  # it grew while read, or its size was not known (/proc files say 0)
        raise FileRefused(f"is over the limit of {describe_size(cap)}")
    return data


def describe_size(size: int) -> str:
    """A byte count in the largest binary unit that keeps it at least 1, to three digits: "256 KiB", "1.5 GiB"."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"
