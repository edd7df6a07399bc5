"""The fork server: numpy and IPython imported once per grader process, and a forked, confined child per run.

A run started from nothing pays about 0.15 s of CPU before the learner's first line: the interpreter, numpy,
IPython. The server (zygote.py) pays it once; each run is then a fork of it that confines itself (its own
uid, rlimits, no_new_privs, seccomp, Landlock) before it runs the program, in the same world as an exec'd
run of the same mode: under bwrap the server lives in the namespaces and file system of a run (its children
share its pid namespace and its tmpfs, one run at a time), without bwrap on the host.

sandbox.run_isolated uses it for `python [-I -S] script.py` when the grader is root (a uid per run needs it)
and the kernel has Landlock and seccomp (the only walls a fork can raise itself); otherwise, and whenever a
server cannot start or stops answering, runs are exec'd as before. One server per grader process, thread and
disk size, started at its first run.
"""
from __future__ import annotations

import json
import logging
import multiprocessing.util
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from backprop_grader.isolation import confine
from backprop_grader.isolation.bwrap import SANDBOX_DIR, bwrap_argv

START_SECONDS = 60.0  # for the imports, on a loaded machine
ANSWER_SECONDS = 10.0  # for a fork and its pid


class ServerFailed(RuntimeError):
    """The server did not start, or stopped answering: the run is exec'd instead."""


class ForkServer:
    def __init__(self, use_bwrap: bool, disk_bytes: int, spec: dict, env_for):
        """Start zygote.py; `spec` holds what every run's confinement needs (zygote.py's SPEC), `env_for(folder)`
        the environment of a run whose folder is `folder`."""
        mine, theirs = socket.socketpair()
        self.log = tempfile.TemporaryFile()
        host_root = None if use_bwrap else tempfile.mkdtemp(prefix="backprop-forkserver-")
        if host_root:
            os.chmod(host_root, 0o711)  # the runs' uids pass through it to their own folders
        spec = {**spec, "control": theirs.fileno(), "remove_root": not use_bwrap,
                "confine_source": Path(confine.__file__).read_text(encoding="utf-8")}
        argv = [sys.executable, "-I", "-S", "-c", _zygote_source(), json.dumps(spec)]
        cmd = bwrap_argv(argv, None, {}, disk_bytes, None) if use_bwrap else argv
        env = env_for(SANDBOX_DIR if use_bwrap else host_root)
        try:
            self.proc = subprocess.Popen(cmd, cwd=host_root, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=self.log, pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
        self.sock, self.buffer = mine, b""
        try:
            self.receive(time.monotonic() + START_SECONDS, "ready")
        except ServerFailed:
            self.stop()
            raise

    def start(self, header: dict, files: dict, fds: list) -> str:
        """Send one run (its header, files, and the write ends of its pipes); the run's folder, once forked."""
        header = {**header, "files": [[name, len(data)] for name, data in files.items()]}
        try:
            socket.send_fds(self.sock, [_frame(header)], fds)
            self.sock.sendall(b"".join(files.values()))
        except OSError as error:
            raise ServerFailed(f"the fork server stopped taking runs ({error})") from error
        return self.receive(time.monotonic() + ANSWER_SECONDS, "pid")["folder"]

    def finish(self, folder: str, deadline: float) -> int | None:
        """The wait status of the run whose child has been killed, or None if the server failed; then the server
        removes the run's folder."""
        try:
            status = self.receive(deadline, "status")["status"]
            self.sock.sendall(_frame({"clean": folder}))
            return status
        except (ServerFailed, OSError):
            return None

    def ended(self) -> bool:
        """Whether an answer is waiting (the run's status): the server's socket is then readable."""
        return bool(self.buffer) or bool(select.select([self.sock], [], [], 0)[0])

    def receive(self, deadline: float, key: str) -> dict:
        while True:
            if len(self.buffer) >= 4:
                size = struct.unpack(">I", self.buffer[:4])[0]
                if len(self.buffer) >= 4 + size:
                    message = json.loads(self.buffer[4:4 + size])
                    self.buffer = self.buffer[4 + size:]
                    if key not in message:
                        raise ServerFailed(f"the fork server answered {message!r}, not {key!r}")
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise ServerFailed(f"the fork server gave no {key!r} in time{self._log_tail()}")
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ServerFailed(f"the fork server exited{self._log_tail()}")
            self.buffer += chunk

    def _log_tail(self) -> str:
        self.log.seek(0)
        tail = self.log.read()[-500:].decode(errors="replace").strip()
        return f": {tail}" if tail else ""

    def stop(self) -> None:
        """Close the socket (the server exits and removes its folder) and wait for it to exit (or kill it: bwrap
        kills its namespace)."""
        self.sock.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


_SERVERS: dict = {}
_FAILED: set = set()  # the processes where a server could not start
_LOCK = threading.Lock()


def server_for(use_bwrap: bool, disk_bytes: int, spec: dict, env_for) -> ForkServer | None:
    """This process's and thread's server for runs with this disk size, started if need be; None if one cannot
    start here (said once in the log)."""
    key = (os.getpid(), threading.get_ident(), use_bwrap, disk_bytes)
    server = _SERVERS.get(key)
    if server is not None and server.proc.poll() is None:
        return server
    if server is not None:  # it exited between two runs
        drop(server)
    if os.getpid() in _FAILED:
        return None
    try:
        server = ForkServer(use_bwrap, disk_bytes, spec, env_for)
    except (ServerFailed, OSError) as error:
        _FAILED.add(os.getpid())
        logging.getLogger(__name__).warning("the fork server cannot start (%s): runs are exec'd instead", error)
        return None
    with _LOCK:
        if not any(k[0] == os.getpid() for k in _SERVERS):  # this process's first: stopped at its exit, even in a
            multiprocessing.util.Finalize(None, _stop_all, exitpriority=0)  # multiprocessing worker (no atexit)
        _SERVERS[key] = server
    return server


def drop(server: ForkServer) -> None:
    """Forget a server that failed (its next run starts a new one)."""
    with _LOCK:
        for key, value in list(_SERVERS.items()):
            if value is server:
                del _SERVERS[key]
    server.stop()


def _stop_all() -> None:
    """Stop this process's servers, and wait for each to exit: reaped here, it is counted with its runs in this
    process's children's CPU time (a server killed with its parent would take theirs with it)."""
    for key, server in list(_SERVERS.items()):
        if key[0] == os.getpid():
            server.stop()
    _SERVERS.clear()


def _frame(message: dict) -> bytes:
    """A message to the server: its length, then its JSON (zygote.py's `send` writes its answers the same way)."""
    data = json.dumps(message).encode()
    return struct.pack(">I", len(data)) + data


def _zygote_source() -> str:
    return (Path(__file__).resolve().parent / "zygote.py").read_text(encoding="utf-8")
