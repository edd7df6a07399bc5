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

* the fork server (forkserver.py, zygote.py), for `python [-I -S] script.py` when the grader is root and
  the kernel has Landlock and seccomp: the run is a fork of a server that imported numpy and IPython once,
  in the same world (inside bwrap's namespaces when bwrap works), and the fork applies the uid drop, the
  rlimits, Landlock and seccomp itself before the program runs; the same walls, without ~0.15 s of
  interpreter start and imports per run. ``BACKPROP_FORK_SERVER=0`` execs every run from scratch.

``Outcome.isolation`` says which layers were applied (" forked" at its end for a fork of the server).
A run is refused with `SandboxUnavailable` (a grader fault, never a reason to run a submission
unconfined) unless it gets bwrap, or a uid of its own (root) with Landlock and seccomp.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from backprop_grader.language import _

from backprop_grader.isolation import confine, forkserver
from backprop_grader.isolation.bwrap import SANDBOX_DIR, bwrap_argv, bwrap_problem, bwrap_works, plain_argv
from backprop_grader.isolation.reaping import become_subreaper, kill_all, reap_orphans, run_cpu
from backprop_grader.isolation.streams import Streams
from backprop_grader.isolation.uids import uid_lease
from backprop_grader.isolation.world import world

RESULT_FD_VAR = "BACKPROP_RESULT_FD"
FORK_SERVER_VAR = "BACKPROP_FORK_SERVER"  # "0": no fork server
PRLIMIT = "/usr/bin/prlimit"


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
    # a run that uses no CPU this long, nothing of it running, is stopped: the learner's code never waits
    # on anything (stdin is empty, there is no network), so it waits forever: a sleep, a lock, a pipe
    idle_seconds: float = 2.0


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
    use_bwrap = bwrap_works()
    _refuse_unconfined(argv, use_bwrap)
    become_subreaper()
    server = _fork_server(argv, use_bwrap, limits)
    if server is not None:
        with uid_lease(True) as uid:
            outcome = _run_forked(server, argv[-1], files, limits, uid, _describe(use_bwrap, uid) + " forked")
        if outcome is not None:
            return outcome
    with uid_lease(os.geteuid() == 0) as uid, tempfile.TemporaryDirectory(prefix="backprop-sandbox-") as tmp:
        host_dir = Path(tmp)
        for name, data in files.items():
            (host_dir / name).write_bytes(data)
            os.chmod(host_dir / name, 0o644)
        child_dir = SANDBOX_DIR if use_bwrap else str(host_dir)
        argv = _confine_argv(child_dir) + list(argv)
        if use_bwrap:
            cmd, cwd = bwrap_argv(argv, host_dir, files, limits.disk_bytes, uid), None
        else:
            cmd, cwd = plain_argv(argv, host_dir, uid), host_dir
        pipe = list(os.pipe())  # the result channel: [read end, write end]
        try:
            env = _child_env(child_dir, pipe[1])
            return _supervise(cmd, cwd, env, pipe, limits, uid, _describe(use_bwrap, uid))
        finally:
            for fd in pipe:  # each closed exactly once: another thread may reuse the number
                os.close(fd)


_ONE_RUN = contextvars.ContextVar("one_run", default=False)


@contextlib.contextmanager
def one_run():
    """While it lasts, runs are exec'd: a command that grades one submission would pay a fork server's start
    for a single run (backprop-grade SUBMISSION, the Gradescope and PrairieLearn wrappers)."""
    token = _ONE_RUN.set(True)
    try:
        yield
    finally:
        _ONE_RUN.reset(token)


def _fork_server(argv, use_bwrap: bool, limits: Limits):
    """The fork server for `python [-I -S] script.py` (forkserver.py), if this grader can have one: root, Landlock
    and seccomp (the walls a forked child raises itself). None: the run is exec'd."""
    if os.environ.get(FORK_SERVER_VAR, "1") == "0" or _ONE_RUN.get():  # every run exec'd from scratch
        return None
    forkable = argv[0] == sys.executable and argv[1:-1] in ([], ["-I", "-S"]) and argv[-1].endswith(".py")
    abi, has_seccomp = _kernel_confinement()
    if not (forkable and os.geteuid() == 0 and abi and has_seccomp):
        return None
    return forkserver.server_for(use_bwrap, limits.disk_bytes, _server_spec(), lambda home: _child_env(home, None))


@functools.lru_cache(maxsize=1)
def _server_spec() -> dict:
    """What every forked run's confinement needs: the world's read rules, the devices, the kernel's walls, and
    the allowed packages to link (zygote.py adds its own packages folder and the run's folder)."""
    abi, has_seccomp = _kernel_confinement()
    return {"read_rules": [list(rule) for rule in _read_rules()], "devices": _devices(), "landlock": abi > 0,
            "seccomp": has_seccomp, "package_links": world().import_links()}


def _run_forked(server, program, files, limits, uid, isolation) -> Outcome | None:
    """One run as a fork of `server`; None if the server failed (the run is then exec'd: what a failing server
    did to a run is no verdict on the learner's code)."""
    pipes = [os.pipe() for _stream in range(3)]  # stdout, stderr, results: (read end, write end) each
    header = {"uid": uid, "program": program, "rlimits": _rlimits(limits)}
    start = time.monotonic()
    try:
        folder = server.start(header, files, [write for _read, write in pipes])
    except forkserver.ServerFailed as error:
        logging.getLogger(__name__).warning("%s: the run is exec'd instead", error)
        forkserver.drop(server)
        for read, _write in pipes:
            os.close(read)
        return None
    finally:
        for _read, write in pipes:
            os.close(write)
    streams = Streams(*[read for read, _write in pipes], limits)
    try:
        why_killed = streams.pump(None, start + limits.wall_seconds, lambda: run_cpu(-1, uid), limits.idle_seconds,
                                  ended=(server.sock.fileno(), server.ended))
    finally:
        kill_all(None, uid)
        streams.drain(time.monotonic() + 1.0)
        for read, _write in pipes:
            os.close(read)
    status = server.finish(folder, time.monotonic() + 3.0)
    if status is None:  # the server died or hung, not the run: no verdict from it; forgotten, and the run exec'd
        logging.getLogger(__name__).warning("the fork server failed during a run: the run is exec'd instead")
        forkserver.drop(server)
        kill_all(None, uid)  # what of the run outlived it
    reap_orphans(uid, time.monotonic() + 2.0)
    if status is None:
        return None
    return _outcome(os.waitstatus_to_exitcode(status), streams, why_killed, limits, isolation, start)


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
            f"({bwrap_problem() or 'not used'}), and the fallback lacks {'; '.join(missing)}. "
            f"Install bubblewrap with user namespaces enabled, or provide what is missing")


def _check_names(files: dict[str, bytes]) -> None:
    for name in files:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
            raise ValueError(f"sandbox file names must be plain names like 'submission.py'; got {name!r}")


def _world_runnable(program: str) -> bool:
    """Whether an unprivileged uid could run `program` outside bwrap (no private dirs
    on its path, such as /root/.pyenv)."""
    path = Path(shutil.which(program) or program).resolve()
    dirs_ok = all(os.stat(d).st_mode & 0o001 for d in path.parents)
    return dirs_ok and bool(os.stat(path).st_mode & 0o001)


def _child_env(home: str, result_w: int | None) -> dict[str, str]:
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home, "TMP": home, "TEMP": home,  # a private temporary directory: the run's own
        **({RESULT_FD_VAR: str(result_w)} if result_w is not None else {}),  # a forked run sets its own
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
    spec = {"rules": list(_read_rules()) + confine.write_rules([child_dir], _devices()),
            "landlock": abi > 0, "seccomp": has_seccomp}
    return [sys.executable, "-I", "-S", "-c", _confine_source(), json.dumps(spec), "--"]


def _devices() -> list:
    return [d for d in ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom") if os.path.exists(d)]


@functools.lru_cache(maxsize=1)
def _confine_source() -> str:
    return Path(confine.__file__).read_text(encoding="utf-8")  # passed with -c: the run's uid cannot read our files


def _rlimits(limits: Limits) -> dict:
    """Every rlimit of a run, {name: [soft, hard]}: set by prlimit for an exec'd run, by the fork itself for a
    forked one (zygote.py)."""
    cpu = max(1, int(limits.cpu_seconds + 0.999))
    both = {"RLIMIT_AS": limits.memory_bytes, "RLIMIT_NPROC": limits.max_processes,  # NPROC counts threads too
            "RLIMIT_FSIZE": limits.file_size_bytes}
    return {"RLIMIT_CPU": [cpu, _capped(resource.RLIMIT_CPU, cpu + 1)],  # SIGXCPU first, SIGKILL a second later
            **{name: [_capped(getattr(resource, name), value)] * 2 for name, value in both.items()},
            "RLIMIT_CORE": [0, 0]}


def _with_limits(cmd: list[str], limits: Limits) -> list[str]:
    """Prefix `cmd` with prlimit: rlimits are inherited through bwrap and setpriv. (Not a
    preexec_fn, which is unsafe when the grader runs gradings in threads.)"""
    flags = [f"--{name[len('RLIMIT_'):].lower()}={soft}:{hard}" for name, (soft, hard) in _rlimits(limits).items()]
    return [PRLIMIT, *flags, "--", *cmd]


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
    streams = Streams(proc.stdout.fileno(), proc.stderr.fileno(), pipe[0], limits)
    try:
        why_killed = streams.pump(proc, start + limits.wall_seconds, lambda: run_cpu(proc.pid, uid),
                                  limits.idle_seconds)
    finally:
        kill_all(proc, uid)
        streams.drain(time.monotonic() + 1.0)
        proc.stdout.close()
        proc.stderr.close()
    proc.wait()
    reap_orphans(uid, time.monotonic() + 2.0)
    return _outcome(proc.returncode, streams, why_killed, limits, isolation, start)


def _outcome(returncode, streams, why_killed, limits, isolation, start) -> Outcome:
    """What a run ended with, classified (exec'd or forked alike)."""
    outcome = Outcome("ok", returncode, bytes(streams.payload), streams.text(1), streams.text(2), "", isolation,
                      time.monotonic() - start)
    _classify(outcome, why_killed, limits, streams)
    return outcome


_MEMORY_SIGNS = ("MemoryError", "Unable to allocate", "Cannot allocate memory", "std::bad_alloc")


def _classify(outcome: Outcome, why_killed, limits: Limits, streams: Streams) -> None:
    rc = outcome.returncode
    signo = -rc if rc is not None and rc < 0 else (rc - 128 if rc is not None and rc > 128 else None)
    last_err = _last_line(outcome.stderr_tail)
    if why_killed == "idle":
        status, msg = "timeout", _("waited {seconds} s without computing anything (a sleep, or waiting for something "
                                   "that never comes) and was stopped").format(seconds=f"{limits.idle_seconds:g}")
    elif why_killed == "timeout":
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
