"""bubblewrap: the command line of a sandbox whose file system is the child's world (world.py), with new pid,
network, ipc and uts namespaces and a size-limited tmpfs as its working directory; and whether bwrap can
build one on this machine (probed once). Without it, the run keeps its own uid (`plain_argv`)."""
from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backprop_grader.isolation.reaping import become_subreaper, reap_orphans
from backprop_grader.isolation.uids import uid_lease
from backprop_grader.isolation.world import SYSTEM, world

SANDBOX_DIR = "/sandbox"  # the child's cwd and HOME inside bwrap
BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PROBE_DISK_BYTES = 16 << 20


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def bwrap_argv(argv, host_dir: Path, files, disk_bytes: int, uid: int | None) -> list[str]:
    cmd = [BWRAP, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev"]
    # The tmpfs mounts come before the binds: a Python tree under /tmp (a venv in a checkout
    # there) must be bound on top of the empty /tmp, not hidden beneath it.
    size = str(disk_bytes)
    cmd += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp",
            "--perms", "0777", "--size", size, "--tmpfs", SANDBOX_DIR]
    cmd += _world_binds(world())
    for name in files:  # each input file, read-only, into the empty tmpfs
        cmd += ["--ro-bind", str(host_dir / name), f"{SANDBOX_DIR}/{name}"]
    cmd += ["--chdir", SANDBOX_DIR]
    if uid is not None:
        cmd += [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    return cmd + list(argv)


@functools.lru_cache(maxsize=1)
def _world_binds(view) -> list[str]:
    """bwrap's options that make the child's file system the world (world.py): its roots bound read-only,
    each hole an empty folder over them, and the allowed packages bound back at their own paths."""
    cmd, made = [], {"/", "/tmp", SANDBOX_DIR}

    def exists(path):  # already there in the sandbox, or made
        return path in made or (os.path.exists(path) and any(_under(path, r) for r in view.roots)
                                and not any(_under(path, h) and path != h for h in view.holes))

    def parents(path):
        for parent in reversed(Path(path).parents):
            if not exists(str(parent)):
                made.add(str(parent))
                cmd.extend(["--perms", "0755", "--dir", str(parent)])

    for top in SYSTEM:  # merged /usr: links into it
        if os.path.islink(top):
            cmd.extend(["--symlink", os.readlink(top), top])
    for root in view.roots:
        parents(root)
        cmd.extend(["--ro-bind", root, root])
    for hole in view.holes:
        cmd.extend(["--perms", "0755", "--tmpfs", hole])
        made.add(hole)
    for package in view.packages:
        parents(package)
        cmd.extend(["--ro-bind", package, package])
    return cmd


def plain_argv(argv, host_dir: Path, uid: int | None) -> list[str]:
    if uid is None:
        return list(argv)
    os.chown(host_dir, uid, uid)
    os.chmod(host_dir, 0o700)
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", *argv]


def bwrap_works() -> bool:
    """Whether bwrap can build our sandbox here (root, or unprivileged user namespaces)."""
    return bwrap_problem() is None


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """Why bwrap cannot build our sandbox here, or None if it can."""
    probe = [sys.executable, "-c", "pass"]
    try:
        if not os.path.exists(BWRAP) or (os.geteuid() == 0 and not os.path.exists(SETPRIV)):
            raise OSError(f"{BWRAP} or {SETPRIV} is missing")
        become_subreaper()
        with uid_lease(os.geteuid() == 0) as uid, tempfile.TemporaryDirectory() as d:
            cmd = bwrap_argv(probe, Path(d), {}, PROBE_DISK_BYTES, uid)
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            reap_orphans(uid, time.monotonic() + 1.0)
        if done.returncode == 0:
            return None
        reason = done.stderr.decode(errors="replace").strip()[-300:]
    except (OSError, subprocess.SubprocessError) as error:
        reason = str(error)
    logging.getLogger(__name__).warning(
        "bwrap cannot build the sandbox here (%s): without namespaces, runs are confined by "
        "their own uid, Landlock and seccomp, or refused", reason)
    return reason or "it failed"
