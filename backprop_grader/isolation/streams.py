"""Watching a run's output: stdout, stderr and the result pipe read without blocking, into bounded buffers;
says why the run must be stopped (its wall-clock deadline, an output flood, too large a result)."""
from __future__ import annotations

import os
import selectors
import time

_READ_CHUNK = 1 << 16
IDLE_CHECK = 0.25  # seconds between two looks at an idle-watched run's CPU time (none in its first 0.5 s)


class Streams:
    """Reads stdout, stderr and the result pipe without blocking; keeps bounded buffers."""

    def __init__(self, out_fd, err_fd, result_fd, limits):
        self.limits = limits
        self.sel = selectors.DefaultSelector()
        self.bufs = {1: bytearray(), 2: bytearray()}
        self.totals = {1: 0, 2: 0}
        self.payload = bytearray()
        self.payload_total = 0
        for key, fd in ((1, out_fd), (2, err_fd), (3, result_fd)):
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, key)

    def pump(self, proc, deadline, progress=None, idle_seconds=0.0, ended=None) -> str | None:
        """Read until the child exits; returns why it had to be killed, or None. With `progress` (a
        function: (CPU ticks so far, whether anything runs)), a run that neither computes nor runs for
        `idle_seconds` is stopped as "idle": it is waiting for something that never comes. A run that is
        not our child (a fork server's) has no `proc` but `ended`: an fd readable once it is over, and a function
        that says whether it is."""
        pidfd = _pidfd(proc.pid) if proc is not None else None  # readable when the child exits
        if pidfd is not None:
            self.sel.register(pidfd, selectors.EVENT_READ, 0)
        elif ended is not None:
            self.sel.register(ended[0], selectors.EVENT_READ, 0)
        idle = _Idle(progress, idle_seconds) if progress and idle_seconds > 0 else None
        polled = pidfd is None and ended is None  # no fd to wait on: look every 50 ms
        try:
            if ended is not None and ended[1]():
                return None
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                if idle and idle.stalled():
                    return "idle"
                wait = min(remaining, 0.05 if polled else 1.0, IDLE_CHECK if idle else 1.0)
                for key, _ in self.sel.select(wait):
                    if key.data == 0:
                        return None
                    why = self._read(key)
                    if why:
                        return why
                if polled and _exited(proc.pid):
                    return None
        finally:
            if pidfd is not None:
                self.sel.unregister(pidfd)
                os.close(pidfd)
            elif ended is not None:
                self.sel.unregister(ended[0])

    def drain(self, deadline) -> None:
        """After the child is gone: read what is left, until EOF or the deadline."""
        while self.sel.get_map() and time.monotonic() < deadline:
            for key, _ in self.sel.select(max(0.0, deadline - time.monotonic())):
                self._read(key)
        for key in list(self.sel.get_map().values()):
            self.sel.unregister(key.fileobj)

    def _read(self, key) -> str | None:
        try:
            chunk = os.read(key.fd, _READ_CHUNK)
        except BlockingIOError:
            return None
        if not chunk:
            self.sel.unregister(key.fd)
            return None
        if key.data == 3:
            self.payload_total += len(chunk)
            if self.payload_total > self.limits.payload_bytes:
                return "payload"
            self.payload += chunk
            return None
        buf = self.bufs[key.data]
        buf += chunk
        del buf[: max(0, len(buf) - self.limits.output_bytes)]  # keep the tail only
        self.totals[key.data] += len(chunk)
        if sum(self.totals.values()) > self.limits.output_flood_bytes:
            return "flood"
        return None

    def text(self, which: int) -> str:
        return self.bufs[which].decode("utf-8", errors="replace")


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # Linux < 5.3
        return None


def _exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (its pid stays ours to kill)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


class _Idle:
    """Whether a run has used no CPU, with nothing of it running, for `seconds`."""

    def __init__(self, progress, seconds):
        self.progress, self.seconds = progress, seconds
        self.last_change = time.monotonic()
        self.last_ticks, self.next_look = None, self.last_change + 2 * IDLE_CHECK

    def stalled(self) -> bool:
        now = time.monotonic()
        if now < self.next_look:
            return False
        self.next_look = now + IDLE_CHECK
        ticks, busy = self.progress()
        if busy or ticks != self.last_ticks:
            self.last_ticks, self.last_change = ticks, now
            return False
        return now - self.last_change >= self.seconds
