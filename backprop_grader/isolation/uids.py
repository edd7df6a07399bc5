"""Unprivileged uids for runs, one per run: a run holds its uid through a lock file (a lease), so that
concurrent runs neither share RLIMIT_NPROC nor kill each other's processes in the final sweep."""
from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import tempfile
from pathlib import Path

FIRST_UID, UID_COUNT = 60000, 10000  # unprivileged uids for runs: 60000..69999, one per run


@contextlib.contextmanager
def uid_lease(wanted: bool):
    """Yield an unprivileged uid that no other run holds (a lock file per uid, held for the
    run), so that concurrent runs neither share RLIMIT_NPROC nor kill each other's
    processes in the final sweep. Yields None when privileges are not dropped."""
    if not wanted:
        yield None
        return
    for _ in range(1000):
        uid = FIRST_UID + secrets.randbelow(UID_COUNT)
        path = lease_path(uid)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino != os.stat(path).st_ino:  # its holder removed it before we locked
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.unlink(path)  # while still locked: a run that opened it before fails the check above
            os.close(fd)  # releases the lease
        return
    raise RuntimeError(f"no free sandbox uid among {UID_COUNT}: are {UID_COUNT} gradings running?")


def lease_path(uid: int) -> Path:
    """The lock file that holds `uid` for one run; removed when the run ends. In /run when root can write there:
    one folder for every grader on the machine, whatever its TMPDIR (two graders that leased in two folders
    could hold the same uid, and one's final sweep would kill the other's run)."""
    base = "/run" if os.access("/run", os.W_OK) else tempfile.gettempdir()
    return Path(base) / "backprop-sandbox-uids" / str(uid)
