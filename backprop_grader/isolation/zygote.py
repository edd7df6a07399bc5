"""The fork server's own side: one Python that imports numpy and IPython once, then forks a child per run,
and each child confines itself before it runs anything of the learner's.

forkserver.py starts this file as root, as `python -I -S -c <this file> <spec as JSON>`, in the same world as
every run (inside bubblewrap's namespaces when bwrap works, else on the host), with the environment of a run
and its control socket at fd `spec["control"]`. It imports nothing of the grader: confine.py's source comes
in the spec. Its working directory (a tmpfs under bwrap) holds `packages/` (the allowed packages, linked, as
child.py links them) and one `run-N/` folder per run, removed when the grader says the run is over.

Per run the grader sends a header (JSON: the run's uid, program, limits), the run's files and three pipes
(stdout, stderr, results); this process forks, answers with the child's pid, and when the child exits, with
its wait status. The child, before the learner's code: a new session; stdin /dev/null, the pipes at fds 1, 2
and 3, every other fd closed (the control socket too); the run's folder with its files, owned by the run's
uid; rlimits; no capability left to gain; the run's uid; then confine.py (no_new_privs, seccomp, Landlock:
the world, the packages' links and its own folder). It then runs the program as `python -I -S program`
would, and exits. Nothing here is believed by the grader but the wait status, which the kernel gives.
"""
import json
import os
import resource
import runpy
import shutil
import signal
import socket
import struct
import sys
import traceback

SPEC = json.loads(sys.argv[1])
ROOT = os.getcwd()
PACKAGES = os.path.join(ROOT, "packages")
RESULT_FD = 3
PR_CAPBSET_DROP, PR_SET_PDEATHSIG = 24, 1

confine = type(sys)("confine")  # the grader's confine.py, from the spec: its files may be out of reach here
exec(compile(SPEC["confine_source"], "confine.py", "exec"), confine.__dict__)


def prepare():
    """The allowed packages linked into import folders of their own (as child.py links them), imported, and
    IPython warmed up: what every run would otherwise do itself."""
    for target, link in SPEC["package_links"]:
        os.makedirs(os.path.dirname(os.path.join(PACKAGES, link)), exist_ok=True)
        os.symlink(target, os.path.join(PACKAGES, link))
    folders = sorted({link.split("/")[0] for _, link in SPEC["package_links"]})
    sys.path[:0] = [os.path.join(PACKAGES, f) for f in folders]
    import zipfile  # noqa: F401  (np.savez, for every result frame)

    import numpy  # noqa: F401
    from IPython.core import alias, interactiveshell, magic  # noqa: F401
    from IPython.utils import text  # noqa: F401
    from traitlets.config import Config
    warm_up(interactiveshell.InteractiveShell, Config)
    confine.seccomp_library()  # loaded once, not once per run
    if len(os.listdir("/proc/self/task")) != 1:  # a thread would not survive fork(): OpenBLAS must stay single
        raise SystemExit(f"backprop fork server: {len(os.listdir('/proc/self/task'))} threads after the imports")


def warm_up(shell_class, config_class) -> None:
    """A shell made, run once and forgotten: what IPython builds on first use (its regular expressions, its
    transformers, its magics' registry) is then built here once, not in every run (~25 ms of each)."""
    os.environ["IPYTHONDIR"] = os.path.join(ROOT, "ipython")
    config = config_class()
    config.HistoryManager.enabled = False  # as child.py's shell: no history database, no thread
    shell = shell_class.instance(config=config)
    shell.run_cell("_ = 1", store_history=True)
    shell_class.clear_instance()
    del os.environ["IPYTHONDIR"]


def read_exact(sock, n) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(n - len(data), 1 << 20))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def send(sock, message) -> None:
    data = json.dumps(message).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def receive(sock):
    """(header, files, fds) of the next run, or (message, {}, []) for a message without files; EOFError at the end."""
    start, fds, _, _ = socket.recv_fds(sock, 4, 3)
    if not start:
        raise EOFError
    start += read_exact(sock, 4 - len(start))
    header = json.loads(read_exact(sock, struct.unpack(">I", start)[0]))
    files = {name: read_exact(sock, size) for name, size in header.get("files", [])}
    return header, files, fds


def serve(sock) -> None:
    runs = 0
    while True:
        header, files, fds = receive(sock)
        if header.get("clean"):  # every process of the last run is dead: its folder goes
            shutil.rmtree(header["clean"], ignore_errors=True)
            continue
        runs += 1
        folder = os.path.join(ROOT, f"run-{runs}")
        try:
            pid = os.fork()
        except OSError as error:
            send(sock, {"error": f"fork: {error}"})
            continue
        if pid == 0:
            child(header, files, fds, folder)  # never returns
        for fd in fds:
            os.close(fd)
        send(sock, {"pid": pid, "folder": folder})
        send(sock, {"status": os.waitpid(pid, 0)[1]})


def child(header, files, fds, folder) -> None:
    code = 121
    try:
        confine._libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # no run outlives its server
        os.setsid()
        null = os.open("/dev/null", os.O_RDONLY)
        for target, fd in ((0, null), (1, fds[0]), (2, fds[1]), (RESULT_FD, fds[2])):
            os.dup2(fd, target)
        os.closerange(RESULT_FD + 1, os.sysconf("SC_OPEN_MAX"))  # the control socket and the fds above
        enter(header, files, folder)
        code = run(header["program"])
    except BaseException as error:  # noqa: BLE001  (before the program: the grader's fault, said as such)
        if code == 121:
            os.write(2, f"backprop fork server: cannot start the run: {error!r}\n".encode())
    finally:
        os._exit(code)


def enter(header, files, folder) -> None:
    """The run's folder and files, its limits, its uid, its confinement: what prlimit, setpriv and confine.py's
    launcher do for a run that is not forked."""
    uid = header["uid"]
    os.mkdir(folder, 0o700)
    for name, data in files.items():
        fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with open(fd, "wb") as f:
            f.write(data)
    os.chown(folder, uid, uid)
    for name, (soft, hard) in header["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    os.chdir(folder)
    os.environ.update(HOME=folder, TMPDIR=folder, TMP=folder, TEMP=folder, BACKPROP_RESULT_FD=str(RESULT_FD))
    libc = confine._libc
    for capability in range(64):  # the bounding set emptied, as setpriv --bounding-set=-all
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to a uid: every capability is gone
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # again: a change of uid clears it
    rules = SPEC["read_rules"] + [[PACKAGES, confine.READ]] + confine.write_rules([folder], SPEC["devices"])
    confine.confine_self({"rules": rules, "landlock": SPEC["landlock"], "seccomp": SPEC["seccomp"]})


def run(program) -> int:
    """`python -I -S program`: its exit code, a traceback on stderr for an uncaught exception."""
    sys.argv = [program]
    try:
        runpy.run_path(program, run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        if not isinstance(exit_.code, (int, type(None))):
            print(exit_.code, file=sys.stderr)
    except BaseException as error:  # noqa: BLE001
        traceback.print_exc()
        code = -signal.SIGINT if isinstance(error, KeyboardInterrupt) else 1
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001  (the program may have replaced or closed them)
            pass
    if code == -signal.SIGINT:  # as Python does: an uncaught KeyboardInterrupt ends the process by SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code & 0xFF


if __name__ == "__main__":
    confine._libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the server dies with what started it,
    control = socket.socket(fileno=SPEC["control"])  # and each run with the server
    prepare()
    send(control, {"ready": os.getpid()})
    try:
        serve(control)
    except EOFError:  # the grader is gone or done
        pass
    if SPEC["remove_root"]:
        shutil.rmtree(ROOT, ignore_errors=True)
    os._exit(0)  # no teardown of numpy's and IPython's modules: the grader may be waiting for this exit
