"""A disk that fills up: files opened through ``os.fdopen`` (how the atomic writers open their temporary files)
take ``room`` writes, then fail every further one with ENOSPC, as a full disk does."""

from __future__ import annotations

import errno
import os


class _FillingFile:
    def __init__(self, fh, written: list[str], room: int) -> None:
        self.fh, self.written, self.room = fh, written, room

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, text):
        if len(self.written) >= self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written.append(text)
        return self.fh.write(text)

    def __getattr__(self, name):
        return getattr(self.fh, name)


def fill_disk(monkeypatch, room: int = 0) -> list[str]:
    """From now on the disk has room for ``room`` writes in all; returns the list of what was written."""
    written: list[str] = []
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _FillingFile(real_fdopen(fd, *a, **k), written, room))
    return written
