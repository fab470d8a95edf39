"""Appending frames to the journal file, with group commit: one fsync makes every frame written so far durable.

Appends happen in commit order under the store's lock (they are plain ``write`` calls: fast); waiting for
durability happens after the lock is released, so while one thread fsyncs, others append, and the next
fsync covers all of them at once. A frame is acknowledged only after an fsync that began after it was
written has returned.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class JournalBroken(OSError):
    """An append or fsync failed: the file may not hold what memory holds, so no further commit is accepted."""


class JournalWriter:
    def __init__(self, path: Path, valid_length: int | None = None) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        if valid_length is not None:
            os.ftruncate(self._fd, valid_length)  # drop a torn tail before appending after it
        self.size = os.lseek(self._fd, 0, os.SEEK_END)
        self.frames = 0
        self._cond = threading.Condition()
        self._written = 0
        self._durable = 0
        self._syncing = False
        self._error: BaseException | None = None
        self.fsyncs = 0
        if valid_length is not None:
            os.fsync(self._fd)
        fsync_dir(path.parent)  # a journal created just now must survive a power cut, not only a kill

    def append(self, frame: bytes) -> int:
        """Write one frame (not yet durable); the ticket to pass to :meth:`wait_durable`."""
        with self._cond:
            self._check()
            start = self.size
            try:
                view = memoryview(frame)
                while view:
                    view = view[os.write(self._fd, view):]
            except BaseException as exc:
                try:
                    os.ftruncate(self._fd, start)  # never leave half a frame before later ones
                    os.lseek(self._fd, start, os.SEEK_SET)
                except OSError:
                    self._error = exc
                raise
            self.size += len(frame)
            self.frames += 1
            self._written += 1
            return self._written

    def wait_durable(self, ticket: int) -> None:
        """Return once the frame with this ticket is on disk; fsync for everyone waiting if nobody else is."""
        with self._cond:
            while self._durable < ticket:
                self._check()
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing, target, fd = True, self._written, self._fd
                self._cond.release()
                try:
                    os.fsync(fd)
                except BaseException as exc:
                    self._error = exc
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._check()
                self.fsyncs += 1
                self._durable = max(self._durable, target)

    def rotate(self, path: Path) -> None:
        """Continue in a new file (the caller holds the store's lock: no append runs meanwhile)."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            self._check()
            try:
                os.fsync(self._fd)
                new_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except BaseException as exc:
                self._error = exc  # later commits fail loudly instead of landing in an unknown state
                self._cond.notify_all()
                raise
            # The old descriptor is closed only once the new one is open: closing first would free its
            # number, and a failed open would leave ``_fd`` naming whatever file takes that number next.
            old_fd, self._fd = self._fd, new_fd
            self._durable = self._written
            self.path = path
            self.size = 0
            self.frames = 0
            self._cond.notify_all()
            try:
                os.close(old_fd)
                fsync_dir(path.parent)
            except BaseException as exc:
                self._error = exc
                raise

    def close(self) -> None:
        with self._cond:
            while self._syncing:
                self._cond.wait()
            if self._fd >= 0:
                try:
                    if self._error is None:
                        os.fsync(self._fd)
                        self._durable = self._written
                finally:
                    os.close(self._fd)
                    self._fd = -1
                    self._cond.notify_all()

    def _check(self) -> None:
        if self._error is not None:
            raise JournalBroken(f"the journal {self.path} could not be written: {self._error}")
        if self._fd < 0:
            raise JournalBroken(f"the journal {self.path} is closed")


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
