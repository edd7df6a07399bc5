"""Run untrusted code in a separate, limited process: the grader's sandbox.

A submission is hostile until proven otherwise. `run_isolated` runs `argv` in a child
process that the grader never imports into, with limits on CPU time, wall time,
memory, processes, file size and output, a stripped environment, stdin closed, and a
pipe (fd number in ``BACKPROP_RESULT_FD``) as the only way to hand results back.

Isolation is layered, and the strongest layer the machine allows is used:

* ``bwrap`` (bubblewrap) with new pid, network, ipc and uts namespaces and a file system
  that holds only the child's world (world.py: ``/usr`` and the Python installation, every
  folder of Python packages emptied, the allowed ones, numpy and IPython's, bound back), not
  ``backprop_lib`` nor anything else of the course: no solutions, no grader secrets, no
  network. The working directory is a size-limited tmpfs holding `files`.
* when the grader runs as root, the child drops to an unprivileged per-run uid
  (``setpriv``), so RLIMIT_NPROC really limits it and it can read nothing private.
* Landlock and seccomp (confine.py), applied by a launcher just before the program runs:
  reads only the same world and the run's own directory, writes only in the
  latter (also its TMPDIR: /tmp and /dev/shm are out of reach), no socket at all. Where
  bwrap cannot run (a container without user namespaces) they replace its network and
  file-system isolation; under bwrap they are a second wall.
* always: resource limits (setrlimit), a new session, and on the way out every process
  left is killed (the whole pid namespace, the process group, every process of the uid)
  and reaped: the grader is a child subreaper, so what a run orphans comes back to it.
  The run's directory and its uid lease are removed.

``Outcome.isolation`` says which layers were applied. A run is refused with
`SandboxUnavailable` (a grader fault, never a reason to run a submission unconfined) unless
it gets bwrap, or a uid of its own (root) with Landlock and seccomp.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import json
import logging
import os
import re
import resource
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import backprop_lib
from backprop_grader.language import _

from . import confine
from .world import SYSTEM, world

RESULT_FD_VAR = "BACKPROP_RESULT_FD"
SANDBOX_DIR = "/sandbox"  # the child's cwd and HOME inside bwrap
BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PRLIMIT = "/usr/bin/prlimit"
FIRST_UID, UID_COUNT = 60000, 10000  # unprivileged uids for runs: 60000..69999, one per run
_READ_CHUNK = 1 << 16


@dataclass
class Limits:
    """What one run may use. Sizes are in bytes, times in seconds."""

    cpu_seconds: float = 10
    wall_seconds: float = 20
    memory_bytes: int = 1 << 30  # address space per process (RLIMIT_AS)
    max_processes: int = 64  # processes and threads of the run's uid (RLIMIT_NPROC)
    file_size_bytes: int = 16 << 20  # largest file the child may write (RLIMIT_FSIZE)
    output_bytes: int = 64 << 10  # how much of stdout and of stderr is kept (the tail)
    output_flood_bytes: int = 16 << 20  # stdout+stderr beyond this: killed, "output-limit"
    payload_bytes: int = 64 << 20  # result pipe beyond this: killed, "output-limit"
    disk_bytes: int = 64 << 20  # size of the child's working directory (and of its /tmp)


@dataclass
class Outcome:
    """What happened. `status` is "ok" only if the child exited 0 within every limit."""

    status: str  # "ok" | "timeout" | "cpu-limit" | "memory-limit" | "crashed" | "output-limit" | "killed"
    returncode: int | None
    payload: bytes  # what the child wrote to the result pipe
    stdout_tail: str
    stderr_tail: str
    message: str  # a readable reason when not ok
    isolation: str = ""  # the layers applied, e.g. "bwrap(pid,net,ipc,fs) uid=60123 rlimits"
    wall_seconds: float = 0.0


class SandboxUnavailable(RuntimeError):
    """The grader runs as root and can neither build a sandbox nor drop privileges: a grader
    fault, never a reason to run a submission as root."""


def run_isolated(argv: list[str], files: dict[str, bytes], limits: Limits | None = None) -> Outcome:
    """Run `argv` in a fresh empty directory holding `files`, under `limits`; never raises
    for anything the child does, never hangs past `limits.wall_seconds` (+ a few seconds
    to kill and clean up). Raises SandboxUnavailable rather than run `argv` as root unconfined."""
    limits = limits or Limits()
    _check_names(files)
    use_bwrap = _bwrap_works()
    _refuse_unconfined(argv, use_bwrap)
    _become_subreaper()
    with _uid_lease(os.geteuid() == 0) as uid, tempfile.TemporaryDirectory(prefix="backprop-sandbox-") as tmp:
        host_dir = Path(tmp)
        for name, data in files.items():
            (host_dir / name).write_bytes(data)
            os.chmod(host_dir / name, 0o644)
        child_dir = SANDBOX_DIR if use_bwrap else str(host_dir)
        argv = _confine_argv(child_dir) + list(argv)
        if use_bwrap:
            cmd, cwd = _bwrap_argv(argv, host_dir, files, limits, uid), None
        else:
            cmd, cwd = _plain_argv(argv, host_dir, uid), host_dir
        pipe = list(os.pipe())  # the result channel: [read end, write end]
        try:
            env = _child_env(child_dir, pipe[1])
            return _supervise(cmd, cwd, env, pipe, limits, uid, _describe(use_bwrap, uid))
        finally:
            for fd in pipe:  # each closed exactly once: another thread may reuse the number
                os.close(fd)


def _refuse_unconfined(argv, use_bwrap: bool) -> None:
    """Raise SandboxUnavailable unless the run gets every guarantee: without bwrap that takes
    root (for a uid of its own), a Python that uid can run, Landlock and seccomp."""
    if use_bwrap:
        return
    abi, has_seccomp = _kernel_confinement()
    missing = ([] if os.geteuid() == 0 else ["root, to give each run a uid of its own"])
    missing += [] if abi else ["Landlock (Linux >= 5.13 with landlock in its lsm= list), for the file system"]
    missing += [] if has_seccomp else ["seccomp through libseccomp.so.2 (Debian libseccomp2), for the network"]
    if os.geteuid() == 0:
        missing += [f"{p} runnable by every user" for p in {argv[0], sys.executable} if not _world_runnable(p)]
    if missing:
        raise SandboxUnavailable(
            f"refusing to run a submission without its sandbox: bwrap cannot build one here "
            f"({_bwrap_problem() or 'not used'}), and the fallback lacks {'; '.join(missing)}. "
            f"Install bubblewrap with user namespaces enabled, or provide what is missing")


def _check_names(files: dict[str, bytes]) -> None:
    for name in files:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
            raise ValueError(f"sandbox file names must be plain names like 'submission.py'; got {name!r}")


@contextlib.contextmanager
def _uid_lease(wanted: bool):
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
    """The lock file that holds `uid` for one run; removed when the run ends."""
    return Path(tempfile.gettempdir()) / "backprop-sandbox-uids" / str(uid)


def _world_runnable(program: str) -> bool:
    """Whether an unprivileged uid could run `program` outside bwrap (no private dirs
    on its path, such as /root/.pyenv)."""
    path = Path(shutil.which(program) or program).resolve()
    dirs_ok = all(os.stat(d).st_mode & 0o001 for d in path.parents)
    return dirs_ok and bool(os.stat(path).st_mode & 0o001)


def _child_env(home: str, result_w: int) -> dict[str, str]:
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home, "TMP": home, "TEMP": home,  # a private temporary directory: the run's own
        RESULT_FD_VAR: str(result_w),
        # one BLAS thread: threads count as processes, and the machine is shared
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def _describe(use_bwrap: bool, uid: int | None) -> str:
    parts = ["bwrap(pid,net,ipc,fs)" if use_bwrap else "no-namespaces"]
    parts.append(f"uid={uid}" if uid is not None else f"same-uid={os.geteuid()}")
    abi, has_seccomp = _kernel_confinement()
    parts += [f"landlock(abi={abi})"] if abi else []
    parts += ["seccomp(no-sockets)"] if has_seccomp else []
    parts.append("rlimits")
    return " ".join(parts)


# --- Landlock and seccomp ------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _kernel_confinement() -> tuple[int, bool]:
    """(Landlock ABI, whether libseccomp loads): what confine.py can apply here."""
    return confine.landlock_abi(), confine.seccomp_library() is not None


@functools.lru_cache(maxsize=1)
def _read_rules() -> tuple:
    """Landlock's read-only part: the child's world (world.py), its holes cut out, the allowed
    packages granted back, and the folders that hold them listable (imports look names up there)."""
    view = world()
    rules = confine.read_rules(list(view.roots), list(view.holes))
    rules += [(p, confine.READ) for p in view.packages] + [(d, confine.READ_DIR) for d in view.package_dirs]
    # /proc/self: the launcher resolves it to its own pid, which the program keeps through exec
    return tuple(rules + [("/proc/self", confine.READ)])


def _confine_argv(child_dir: str) -> list[str]:
    """The launcher that applies Landlock and seccomp, then execs the program (empty if the
    kernel offers neither; run_isolated has refused already if they were needed)."""
    abi, has_seccomp = _kernel_confinement()
    if not (abi or has_seccomp):
        return []
    devices = [d for d in ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom") if os.path.exists(d)]
    spec = {"rules": list(_read_rules()) + confine.write_rules([child_dir], devices),
            "landlock": abi > 0, "seccomp": has_seccomp}
    return [sys.executable, "-I", "-S", "-c", _confine_source(), json.dumps(spec), "--"]


@functools.lru_cache(maxsize=1)
def _confine_source() -> str:
    return Path(confine.__file__).read_text(encoding="utf-8")  # passed with -c: the run's uid cannot read our files


# --- building the command line -------------------------------------------------------

def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _bwrap_argv(argv, host_dir: Path, files, limits: Limits, uid: int | None) -> list[str]:
    cmd = [BWRAP, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev"]
    # The tmpfs mounts come before the binds: a Python tree under /tmp (a venv in a checkout
    # there) must be bound on top of the empty /tmp, not hidden beneath it.
    size = str(limits.disk_bytes)
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


def _plain_argv(argv, host_dir: Path, uid: int | None) -> list[str]:
    if uid is None:
        return list(argv)
    os.chown(host_dir, uid, uid)
    os.chmod(host_dir, 0o700)
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", *argv]


def _bwrap_works() -> bool:
    """Whether bwrap can build our sandbox here (root, or unprivileged user namespaces)."""
    return _bwrap_problem() is None


@functools.lru_cache(maxsize=1)
def _bwrap_problem() -> str | None:
    """Why bwrap cannot build our sandbox here, or None if it can."""
    probe = [sys.executable, "-c", "pass"]
    try:
        if not os.path.exists(BWRAP) or (os.geteuid() == 0 and not os.path.exists(SETPRIV)):
            raise OSError(f"{BWRAP} or {SETPRIV} is missing")
        _become_subreaper()
        with _uid_lease(os.geteuid() == 0) as uid, tempfile.TemporaryDirectory() as d:
            cmd = _bwrap_argv(probe, Path(d), {}, Limits(), uid)
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            _reap_orphans(uid, time.monotonic() + 1.0)
        if done.returncode == 0:
            return None
        reason = done.stderr.decode(errors="replace").strip()[-300:]
    except (OSError, subprocess.SubprocessError) as error:
        reason = str(error)
    logging.getLogger(__name__).warning(
        "bwrap cannot build the sandbox here (%s): without namespaces, runs are confined by "
        "their own uid, Landlock and seccomp, or refused", reason)
    return reason or "it failed"


# --- running and watching ------------------------------------------------------------

def _with_limits(cmd: list[str], limits: Limits) -> list[str]:
    """Prefix `cmd` with prlimit: rlimits are inherited through bwrap and setpriv. (Not a
    preexec_fn, which is unsafe when the grader runs gradings in threads.)"""
    cpu = max(1, int(limits.cpu_seconds + 0.999))
    return [PRLIMIT,
            f"--cpu={cpu}:{_capped(resource.RLIMIT_CPU, cpu + 1)}",  # SIGXCPU first, SIGKILL a second later
            f"--as={_capped(resource.RLIMIT_AS, limits.memory_bytes)}",
            f"--nproc={_capped(resource.RLIMIT_NPROC, limits.max_processes)}",  # counts threads too
            f"--fsize={_capped(resource.RLIMIT_FSIZE, limits.file_size_bytes)}",
            "--core=0", "--", *cmd]


def _capped(which: int, value: int) -> int:
    """`value`, or the grader's own hard limit if that is lower (only root may raise it)."""
    hard = resource.getrlimit(which)[1]
    return value if hard == resource.RLIM_INFINITY or os.geteuid() == 0 else min(value, hard)


def _supervise(cmd, cwd, env, pipe, limits, uid, isolation) -> Outcome:
    start = time.monotonic()
    proc = subprocess.Popen(
        _with_limits(cmd, limits), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(pipe[1],),
        start_new_session=True)
    os.close(pipe.pop())  # only the child holds the write end now
    streams = _Streams(proc.stdout.fileno(), proc.stderr.fileno(), pipe[0], limits)
    try:
        why_killed = streams.pump(proc, start + limits.wall_seconds)
    finally:
        _kill_all(proc, uid)
        streams.drain(time.monotonic() + 1.0)
        proc.stdout.close()
        proc.stderr.close()
    proc.wait()
    _reap_orphans(uid, time.monotonic() + 2.0)
    outcome = Outcome("ok", proc.returncode, bytes(streams.payload),
                      streams.text(1), streams.text(2), "", isolation,
                      time.monotonic() - start)
    _classify(outcome, why_killed, limits, streams)
    return outcome


class _Streams:
    """Reads stdout, stderr and the result pipe without blocking; keeps bounded buffers."""

    def __init__(self, out_fd, err_fd, result_fd, limits: Limits):
        self.limits = limits
        self.sel = selectors.DefaultSelector()
        self.bufs = {1: bytearray(), 2: bytearray()}
        self.totals = {1: 0, 2: 0}
        self.payload = bytearray()
        self.payload_total = 0
        for key, fd in ((1, out_fd), (2, err_fd), (3, result_fd)):
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, key)

    def pump(self, proc, deadline) -> str | None:
        """Read until the child exits; returns why it had to be killed, or None."""
        pidfd = _pidfd(proc.pid)  # readable when the child exits
        if pidfd is not None:
            self.sel.register(pidfd, selectors.EVENT_READ, 0)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                for key, _ in self.sel.select(min(remaining, 1.0 if pidfd is not None else 0.05)):
                    if key.data == 0:
                        return None
                    why = self._read(key)
                    if why:
                        return why
                if pidfd is None and _exited(proc.pid):
                    return None
        finally:
            if pidfd is not None:
                self.sel.unregister(pidfd)
                os.close(pidfd)

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


def _kill_all(proc, uid: int | None) -> None:
    """Kill the child, its process group, and (when it has its own uid) every process of
    that uid: daemonized grandchildren and fork bombs included. Killing bwrap kills its
    pid namespace."""
    # os.kill, not proc.kill: Popen.kill reaps first, and a reaped pid may be reused
    for kill in (os.killpg, os.kill):
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


def _become_subreaper() -> None:
    """Make this process the child subreaper of what it starts (prctl PR_SET_CHILD_SUBREAPER),
    so processes a run orphans (daemons, bwrap's pid 1 when bwrap exits first) come back to
    us to be reaped instead of piling up as zombies under a PID 1 that does not reap."""
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)


def _reap_orphans(uid: int | None, deadline: float) -> None:
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


def _state(proc_dir: str) -> str:
    with open(f"{proc_dir}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]  # the field after "(comm)"


def _signal(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_MEMORY_SIGNS = ("MemoryError", "Unable to allocate", "Cannot allocate memory", "std::bad_alloc")


def _classify(outcome: Outcome, why_killed, limits: Limits, streams: _Streams) -> None:
    rc = outcome.returncode
    signo = -rc if rc is not None and rc < 0 else (rc - 128 if rc is not None and rc > 128 else None)
    last_err = _last_line(outcome.stderr_tail)
    if why_killed == "timeout":
        status, msg = "timeout", _("ran longer than the wall-clock limit of {seconds} s and was stopped").format(
            seconds=f"{limits.wall_seconds:g}")
    elif why_killed == "payload":
        status, msg = "output-limit", _("wrote more than {limit} bytes of results and was stopped").format(
            limit=limits.payload_bytes)
    elif why_killed == "flood":
        status, msg = "output-limit", _("printed more than {limit} bytes and was stopped").format(
            limit=limits.output_flood_bytes)
    # SIGKILL after the CPU limit: the hard limit, when the child ignored SIGXCPU
    elif signo == signal.SIGXCPU or (signo == signal.SIGKILL and outcome.wall_seconds >= limits.cpu_seconds):
        status, msg = "cpu-limit", _("used more than the CPU-time limit of {seconds} s and was stopped").format(
            seconds=f"{limits.cpu_seconds:g}")
    elif rc != 0 and any(sign in outcome.stderr_tail for sign in _MEMORY_SIGNS):
        status, msg = "memory-limit", _("needed more than the memory limit of {mib} MiB ({error})").format(
            mib=limits.memory_bytes >> 20, error=last_err)
    elif signo == signal.SIGXFSZ:
        status, msg = "crashed", _("wrote a file larger than the limit of {limit} bytes").format(
            limit=limits.file_size_bytes)
    elif signo is not None:
        status, msg = "killed", _("was killed by signal {signal}").format(
            signal=signal.Signals(signo).name if signo in signal.valid_signals() else signo)
    elif rc != 0:
        status, msg = "crashed", (_("exited with code {code}: {error}") if last_err else
                                  _("exited with code {code}")).format(code=rc, error=last_err)
    else:
        status, msg = "ok", ""
    if status == "ok" and any(t > limits.output_bytes for t in streams.totals.values()):
        msg = _("output longer than {limit} bytes was cut; only its end is kept").format(limit=limits.output_bytes)
    outcome.status, outcome.message = status, msg


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
