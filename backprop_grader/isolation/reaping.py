"""Ending a run: kill every process it left (its process group, every process of its uid) and reap
what it orphaned; the grader is a child subreaper, so orphans come back to it."""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time


def kill_all(proc, uid: int | None) -> None:
    """Kill the child, its process group, and (when it has its own uid) every process of
    that uid: daemonized grandchildren and fork bombs included. Killing bwrap kills its
    pid namespace."""
    # os.kill, not proc.kill: Popen.kill reaps first, and a reaped pid may be reused
    for kill in (os.killpg, os.kill) if proc is not None else ():  # a forked run has only its uid
        try:
            kill(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if uid is not None:  # a fork bomb may fork while we sweep: repeat until none is alive
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            alive = live_pids(uid)
            if not alive:
                break
            for pid in alive:
                _signal(pid)
            time.sleep(0.01)


def become_subreaper() -> None:
    """Make this process the child subreaper of what it starts (prctl PR_SET_CHILD_SUBREAPER),
    so processes a run orphans (daemons, bwrap's pid 1 when bwrap exits first) come back to
    us to be reaped instead of piling up as zombies under a PID 1 that does not reap."""
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)


def reap_orphans(uid: int | None, deadline: float) -> None:
    """Reap our children that a run orphaned: processes of its uid, and the pid-1 of a bwrap
    pid namespace (one level deeper: NSpid ends in 1). Waits for them to die until `deadline`."""
    me = os.getpid()
    while True:
        dying = False
        for pid, state in _orphans(me, uid):
            if state == "Z":
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            else:
                dying = True
        if not dying or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _orphans(parent: int, uid: int | None) -> list[tuple[int, str]]:
    """(pid, state) of the children of `parent` that a run of `uid` orphaned."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if int(status["PPid"]) != parent:
            continue
        nspid = status.get("NSpid", "").split()
        if int(status["Uid"].split()[0]) == uid or (len(nspid) > 1 and nspid[-1] == "1"):
            found.append((int(entry.name), status["State"].split()[0]))
    return found


def live_pids(uid: int) -> list[int]:
    """The processes of `uid` that are not yet dead (zombies excluded)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid and _state(entry.path) not in "ZX":
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return pids


def run_cpu(session: int, uid: int | None) -> tuple[int, bool]:
    """(CPU clock ticks the run's live processes have used, whether any of them runs or waits on the disk):
    the processes of its session (bwrap and all below it) and, with a uid of its own, every process of
    that uid (one that left the session too)."""
    ticks, busy = 0, False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session and (uid is None or entry.stat().st_uid != uid):
                continue
        except (OSError, IndexError, ValueError):
            continue
        ticks += sum(int(f) for f in fields[11:15])  # utime, stime, and those of its reaped children
        busy = busy or fields[0] in "RD"
    return ticks, busy


def _state(proc_dir: str) -> str:
    with open(f"{proc_dir}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]  # the field after "(comm)"


def _signal(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
