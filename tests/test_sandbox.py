"""The grader's sandbox, tested with real processes and real limits (small ones, so the
tests are quick). Every hostile program here is run for real; nothing is mocked.

The whole file runs in every mode: as it is (with bubblewrap, runs forked from the fork server), and
from `test_the_whole_suite_holds_in_every_mode` where bubblewrap cannot run (tests/no_bwrap.py: root
without CAP_SYS_ADMIN, bwrap hidden), so only the uid drop, Landlock and seccomp protect, and with every
run exec'd from scratch (no fork server: a grader that is not root, or whose server failed), in both.
"""
import ctypes
import glob
import importlib.metadata
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import no_bwrap
from backprop_grader.isolation import confine, reaping, sandbox, streams, uids
from backprop_grader.isolation.sandbox import Limits, run_isolated
from backprop_grader.isolation.world import allowed_distributions, world

PY = sys.executable
REPO = Path(__file__).resolve().parents[1]
SMALL = Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 << 20, max_processes=16,
               file_size_bytes=1 << 20, output_bytes=4 << 10, output_flood_bytes=1 << 20,
               payload_bytes=1 << 20, disk_bytes=4 << 20)
AS_ROOT = os.geteuid() == 0
WITHOUT_BWRAP = os.environ.get("BACKPROP_TEST_WITHOUT_BWRAP") == "1"  # set by the passes in other modes
FORKED = AS_ROOT and os.environ.get(sandbox.FORK_SERVER_VAR) != "0"  # runs are forks of the fork server


def run_py(code: str, limits: Limits = SMALL, files=None):
    """Run a Python snippet in the sandbox; `report(obj)` in the snippet sends JSON back."""
    prelude = ("import json, os\n"
               "def report(obj):\n"
               "    os.write(int(os.environ['BACKPROP_RESULT_FD']), json.dumps(obj).encode())\n")
    files = dict(files or {})
    files["main.py"] = (prelude + textwrap.dedent(code)).encode()
    return run_isolated([PY, "main.py"], files, limits)


def run_uid(outcome) -> int:
    return int(re.search(r"uid=(\d+)", outcome.isolation).group(1))


def test_ok_run_returns_payload_files_and_a_clean_environment(monkeypatch):
    monkeypatch.setenv("BACKPROP_GRADER_SEED", "s3cret-seed")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret-key")
    outcome = run_py("""
        import sys
        report({"env": dict(os.environ), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
                "data": open("data.txt").read(), "stdin": sys.stdin.read(), "uid": os.getuid()})
        print("hello out"); print("hello err", file=sys.stderr)
    """, files={"data.txt": b"input data"})
    assert outcome.status == "ok", outcome
    assert outcome.returncode == 0 and outcome.message == ""
    seen = json.loads(outcome.payload)
    assert seen["files"] == ["data.txt", "main.py"] and seen["data"] == "input data"
    assert seen["stdin"] == ""  # stdin is /dev/null
    assert seen["env"]["HOME"] == seen["env"]["TMPDIR"] == seen["cwd"]  # a private temporary directory
    assert set(seen["env"]) <= {"PATH", "LANG", "HOME", "PWD", "BACKPROP_RESULT_FD", "MPLBACKEND",
                                "TMPDIR", "TMP", "TEMP",
                                "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    assert "s3cret" not in json.dumps(seen["env"])
    assert outcome.stdout_tail == "hello out\n" and outcome.stderr_tail == "hello err\n"


@pytest.mark.skipif(not AS_ROOT, reason="privileges are dropped only when the grader runs as root")
def test_privileges_are_dropped_when_the_grader_is_root():
    outcome = run_py("""
        report({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
                "caps": [l for l in open("/proc/self/status") if l.startswith("CapEff")][0]})
    """)
    seen = json.loads(outcome.payload)
    assert seen["uid"] == seen["euid"] == run_uid(outcome) >= uids.FIRST_UID
    assert seen["gid"] != 0 and seen["groups"] == []
    assert seen["caps"].split()[1] == "0000000000000000"


def test_the_sandbox_reports_its_isolation():
    outcome = run_py("pass")
    assert outcome.status == "ok"
    assert "rlimits" in outcome.isolation
    assert sandbox.bwrap_works() is not WITHOUT_BWRAP  # each pass really runs in its mode
    assert outcome.isolation.endswith(" forked") is FORKED
    if WITHOUT_BWRAP:
        assert re.match(r"no-namespaces uid=\d+ landlock\(abi=\d\) seccomp\(no-sockets\) rlimits", outcome.isolation)
    else:
        assert outcome.isolation.startswith("bwrap(pid,net,ipc,fs)")


@pytest.mark.parametrize("without_bwrap, forked", [(True, True), (False, False), (True, False)],
                         ids=["no-bwrap-forked", "bwrap-execd", "no-bwrap-execd"])
def test_the_whole_suite_holds_in_every_mode(without_bwrap, forked):
    """This file again, in each other mode: without bubblewrap, and with every run exec'd (no fork server)."""
    if without_bwrap:
        no_bwrap.require()
    env = {**os.environ, "BACKPROP_TEST_WITHOUT_BWRAP": "1" if without_bwrap else "0",
           "BACKPROP_FORK_SERVER": "1" if forked else "0", "PYTHONDONTWRITEBYTECODE": "1"}
    # the disk limit is bwrap's tmpfs; without bwrap a run's disk use is bounded per file only
    command = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
               "-k", "not whole_suite" + (" and not disk_limit" if without_bwrap else "")]
    if without_bwrap:
        command = no_bwrap.command(command, keep=[str(REPO)])
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary and "deselected" in summary, summary


def test_infinite_loop_hits_the_cpu_limit():
    outcome = run_py("while True: pass", Limits(cpu_seconds=1, wall_seconds=10))
    assert outcome.status == "cpu-limit", outcome
    assert "CPU-time limit of 1 s" in outcome.message


def test_sleeping_forever_hits_the_wall_clock_limit():
    start = time.monotonic()
    outcome = run_py("import time; time.sleep(60)", Limits(wall_seconds=1))
    assert outcome.status == "timeout", outcome
    assert "wall-clock limit of 1 s" in outcome.message
    assert time.monotonic() - start < 4


def test_waiting_on_nothing_is_stopped_as_idle_before_the_wall_clock_limit():
    """A learner's process never needs to wait (stdin is empty, there is no network): one that uses no CPU,
    nothing of it running, is stopped after idle_seconds, and the message says it waited."""
    for code in ("import time; time.sleep(60)", "import threading; threading.Event().wait()",
                 "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nos.wait()"):
        outcome = run_py(code, Limits(wall_seconds=30, idle_seconds=1))
        assert outcome.status == "timeout", (code, outcome)
        assert "waited 1 s without computing anything" in outcome.message, (code, outcome)


def test_computing_is_never_idle_while_waiting_is_checked():
    busy = run_py("while True: pass", Limits(cpu_seconds=2, wall_seconds=10, idle_seconds=0.5))
    assert busy.status == "cpu-limit", busy
    # a parent waiting for a child that computes: the run as a whole computes
    waits = run_py("import os\nif os.fork() == 0:\n    while True: pass\nos.wait()",
                   Limits(cpu_seconds=2, wall_seconds=10, idle_seconds=0.5))
    assert "without computing" not in waits.message, waits


def test_memory_bomb_hits_the_memory_limit():
    outcome = run_py("""
        chunks = []
        while True:
            chunks.append(bytearray(64 << 20))
    """)
    assert outcome.status == "memory-limit", outcome
    assert "memory limit of 512 MiB" in outcome.message


def test_numpy_memory_bomb_hits_the_memory_limit():
    outcome = run_py("import numpy as np; x = np.ones((1 << 30,))")
    assert outcome.status == "memory-limit", outcome


def test_fork_bomb_is_contained_and_leaves_no_process():
    outcome = run_py("""
        import time
        children = 0
        try:
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(60)  # every child stays alive, holding the pipes
                    os._exit(0)
                children += 1
        except OSError as error:
            report({"children": children, "error": type(error).__name__})
        time.sleep(60)
    """, Limits(wall_seconds=2, max_processes=16))
    assert outcome.status == "timeout", outcome
    seen = json.loads(outcome.payload)
    assert seen["error"] == "BlockingIOError" and seen["children"] < 16
    if AS_ROOT:
        assert reaping.live_pids(run_uid(outcome)) == []


def test_exponential_fork_bomb_ends_within_the_wall_limit():
    start = time.monotonic()
    outcome = run_py("""
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """, Limits(wall_seconds=2, cpu_seconds=2, max_processes=16))
    assert outcome.status in ("timeout", "cpu-limit"), outcome
    assert time.monotonic() - start < 6
    if AS_ROOT:
        assert reaping.live_pids(run_uid(outcome)) == []


def test_daemonized_grandchild_holding_the_pipes_does_not_hang_the_grader():
    start = time.monotonic()
    outcome = run_py("""
        import time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)  # a daemon with stdout, stderr and the result pipe open
            os._exit(0)
        report("main done")
    """, Limits(wall_seconds=10))
    assert outcome.status == "ok", outcome
    assert json.loads(outcome.payload) == "main done"
    assert time.monotonic() - start < 5
    if AS_ROOT:
        assert reaping.live_pids(run_uid(outcome)) == []


def test_big_file_hits_the_file_size_limit():
    outcome = run_py("open('big.bin', 'wb').write(b'x' * (2 << 20))")
    assert outcome.status == "crashed", outcome
    assert "File too large" in outcome.stderr_tail


@pytest.mark.skipif(not sandbox.bwrap_works(), reason="the disk limit is a tmpfs of bwrap's")
def test_many_files_hit_the_disk_limit():
    outcome = run_py("""
        for i in range(20):
            open(f"part{i}.bin", "wb").write(b"x" * (900 << 10))
    """)
    assert outcome.status == "crashed", outcome
    assert "No space left on device" in outcome.stderr_tail


def test_huge_stdout_is_capped_and_the_flood_is_stopped():
    outcome = run_py("""
        import sys
        while True:
            sys.stdout.write("spam " * 1000 + "\\n")
    """)
    assert outcome.status == "output-limit", outcome
    assert "printed more than 1048576 bytes" in outcome.message
    assert len(outcome.stdout_tail) <= SMALL.output_bytes


def test_long_but_finite_output_is_kept_as_its_tail():
    outcome = run_py("""
        for i in range(20000):
            print(i)
        report("finished")
    """)
    assert outcome.status == "ok", outcome
    assert len(outcome.stdout_tail) <= SMALL.output_bytes
    assert outcome.stdout_tail.endswith("19999\n")
    assert "only its end is kept" in outcome.message


def test_result_pipe_is_capped():
    outcome = run_py("""
        fd = int(os.environ['BACKPROP_RESULT_FD'])
        while True:
            os.write(fd, b"x" * 65536)
    """)
    assert outcome.status == "output-limit", outcome
    assert len(outcome.payload) <= SMALL.payload_bytes


def test_no_network_not_even_the_graders_loopback(tmp_path):
    tcp, udp, unix = socket.socket(), socket.socket(type=socket.SOCK_DGRAM), socket.socket(socket.AF_UNIX)
    with tcp, udp, unix:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        udp.bind(("127.0.0.1", 0))
        unix_path = tmp_path / "grader.sock"
        unix.bind(str(unix_path))
        unix.listen(1)
        unix_path.chmod(0o777)
        tmp_path.chmod(0o755)
        outcome = run_py(f"""
            import socket
            tries = {{
                "tcp": lambda: socket.create_connection(("127.0.0.1", {tcp.getsockname()[1]}), timeout=2),
                "udp": lambda: socket.socket(type=socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {udp.getsockname()[1]})),
                "unix": lambda: socket.socket(socket.AF_UNIX).connect({str(unix_path)!r}),
                "netlink": lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW),
                "packet": lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW),
                "ipv6": lambda: socket.create_connection(("::1", 9), timeout=2),
            }}
            reached = {{}}
            for name, attempt in tries.items():
                try:
                    attempt()
                    reached[name] = "reached"
                except OSError as error:
                    reached[name] = type(error).__name__
            report(reached)
        """)
        for server in (tcp, unix, udp):
            server.setblocking(False)
        with pytest.raises(BlockingIOError):
            tcp.accept()
        with pytest.raises(BlockingIOError):
            unix.accept()
        with pytest.raises(BlockingIOError):
            udp.recv(10)
    assert outcome.status == "ok", outcome
    assert "reached" not in json.loads(outcome.payload).values(), outcome.payload


def test_tmp_and_dev_shm_are_private_and_nothing_is_left(monkeypatch):
    tmp_path = Path(tempfile.mkdtemp(prefix="backprop-test-grader-tmp-"))  # under /tmp: every uid may enter
    tmp_path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the grader's own temporary directory
    tag = f"backprop-test-left-{os.getpid()}"
    outcome = run_py(f"""
        import tempfile
        left = {{}}
        for path in ["/tmp/{tag}", "/dev/shm/{tag}", "/var/tmp/{tag}", tempfile.gettempdir() + "/{tag}"]:
            try:
                open(path, "w").write("for the next submission")
                left[path] = "written"
            except OSError as error:
                left[path] = type(error).__name__
        report({{"left": left, "tempdir": tempfile.gettempdir(), "cwd": os.getcwd()}})
    """)
    seen = json.loads(outcome.payload)
    assert outcome.status == "ok", outcome
    assert seen["tempdir"] == seen["cwd"]
    for where in ("/tmp", "/dev/shm", "/var/tmp", tmp_path):
        assert not (Path(where) / tag).exists()
    # the run's directory and its uid lease are gone; only the (empty) lease directory stays
    assert [p.name for p in tmp_path.iterdir()] in ([], ["backprop-sandbox-uids"])
    assert not any(tmp_path.glob("backprop-sandbox-uids/*"))
    for empty in (tmp_path / "backprop-sandbox-uids", tmp_path):
        if empty.exists():
            empty.rmdir()


def _zombie_children() -> list[str]:
    me, zombies = str(os.getpid()), []
    for entry in os.scandir("/proc"):
        try:
            status = Path(entry.path, "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if f"\nPPid:\t{me}\n" in status and "\nState:\tZ" in status:
            zombies.append(f"{entry.name} {status.splitlines()[0]}")
    return zombies


def test_no_zombies_even_for_a_grader_that_is_pid_1():
    """A grader that is PID 1 in a container inherits every orphan: as a child subreaper the
    test process does too, and must find none left unreaped."""
    assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    before = _zombie_children()  # orphans of other tests in this process are not the sandbox's
    flood = run_py("import sys\nwhile True: sys.stdout.write('x' * 4096)")
    daemon = run_py("""
        import time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        time.sleep(60)
    """, Limits(wall_seconds=1))
    assert (flood.status, daemon.status) == ("output-limit", "timeout")
    time.sleep(0.2)  # anything still dying would turn into a zombie by now
    assert set(_zombie_children()) - set(before) == set()


def test_files_of_the_grader_are_out_of_reach(tmp_path):
    secret = Path("/tmp") / f"backprop-test-secret-{os.getpid()}"
    secret.write_text("the hidden seed is 42")
    secret.chmod(0o644)  # world-readable: only the sandbox's file system protects it
    try:
        outcome = run_py(f"""
            found = {{}}
            for path in [{str(secret)!r}, {str(REPO / "solutions")!r}, {str(REPO / "tests")!r},
                         {str(REPO / "pyproject.toml")!r}, "/etc/shadow", "/root/.bash_history"]:
                try:
                    found[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()
                except OSError as error:
                    found[path] = type(error).__name__
            try:
                found["procs"] = sorted(p for p in os.listdir("/proc") if p.isdigit())
            except OSError as error:
                found["procs"] = type(error).__name__
            report(found)
        """)
    finally:
        secret.unlink()
    found = json.loads(outcome.payload)
    assert outcome.status == "ok", outcome
    for path, what in found.items():
        if path != "procs":
            assert what in ("FileNotFoundError", "PermissionError"), (path, what)
    assert found["procs"] == "PermissionError" or len(found["procs"]) <= 3  # at most its own pid namespace


def test_numpy_is_importable_inside_but_the_library_is_not():
    library_dir = str(REPO / "backprop_lib")
    outcome = run_py(f"""
        import sys
        import numpy as np
        sys.path.insert(0, {str(REPO)!r})
        try:
            import backprop_lib.layers
            library = "imported"
        except (ImportError, OSError) as error:  # OSError: found (by an editable install's finder) but unreadable
            library = type(error).__name__
        try:
            layers = open({library_dir!r} + "/layers.py").read()
        except OSError as error:
            layers = type(error).__name__
        report({{"numpy": float(np.ones(3).sum()), "library": library, "layers.py": layers}})
    """)
    assert outcome.status == "ok", outcome
    # bwrap: the library is not there at all; Landlock: it is there, but its folder cannot be listed nor read
    assert json.loads(outcome.payload) == {"numpy": 3.0, "library": "ModuleNotFoundError",
                                           "layers.py": "PermissionError" if WITHOUT_BWRAP else "FileNotFoundError"}


def test_exits_and_crashes_are_reported():
    assert run_py("import sys; sys.exit(3)").status == "crashed"
    interrupted = run_py("raise KeyboardInterrupt")  # Python re-raises SIGINT on itself
    assert interrupted.status == "killed" and "SIGINT" in interrupted.message
    killed = run_py("import signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert killed.status == "killed" and "SIGSEGV" in killed.message
    half = run_py("report('partial'); os._exit(0)")
    assert half.status == "ok" and json.loads(half.payload) == "partial"


def test_bad_file_names_are_refused():
    with pytest.raises(ValueError, match="plain names"):
        run_isolated([PY, "-c", "pass"], {"../escape.py": b""}, SMALL)


def test_without_pidfd_the_exit_is_still_noticed(monkeypatch):
    monkeypatch.setattr(streams, "_pidfd", lambda pid: None)
    outcome = run_py("report('done')")
    assert outcome.status == "ok" and json.loads(outcome.payload) == "done"
    assert run_py("import time; time.sleep(60)", Limits(wall_seconds=1)).status == "timeout"


@pytest.mark.skipif(not AS_ROOT, reason="per-run uids exist only when the grader runs as root")
def test_concurrent_runs_get_their_own_uid_and_do_not_disturb_each_other():
    from concurrent.futures import ThreadPoolExecutor
    code = "import time; time.sleep(0.5); report(os.getuid())"
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: run_py(code), range(4)))
    assert [o.status for o in outcomes] == ["ok"] * 4
    uids = [json.loads(o.payload) for o in outcomes]
    assert len(set(uids)) == 4 and uids == [run_uid(o) for o in outcomes]


def test_a_run_reaches_neither_the_runs_after_it_nor_what_started_it(monkeypatch):
    """Forked or exec'd: a run cannot kill or read the process that started it (the fork server, or bwrap's
    init), holds no descriptor but its own four, and leaves nothing that the next run could see."""
    monkeypatch.setenv("BACKPROP_GRADER_SECRET", "s3cret-seed")
    first = run_py("""
        import gc, signal
        open("mark.txt", "w").write("from the first run")
        seen = {"cwd": os.getcwd()}
        for what, act in (("kill", lambda: os.kill(os.getppid(), signal.SIGKILL)),
                          ("environ", lambda: open(f"/proc/{os.getppid()}/environ", "rb").read()),
                          ("mem", lambda: open(f"/proc/{os.getppid()}/mem", "rb").read(1)),
                          ("beside", lambda: open(os.path.join(os.path.dirname(os.getcwd()), "left.txt"), "w"))):
            try:
                act()
                seen[what] = "done"
            except OSError as error:
                seen[what] = type(error).__name__
        fds = []
        for fd in range(1024):
            try:
                os.fstat(fd)
                fds.append(fd)
            except OSError:
                pass
        seen["fds"], seen["result_fd"] = fds, int(os.environ["BACKPROP_RESULT_FD"])
        seen["secret"] = any("s3cret" in value for o in gc.get_objects() if isinstance(o, dict)
                             for value in o.values() if isinstance(value, str))
        report(seen)
    """)
    assert first.status == "ok", first
    seen = json.loads(first.payload)
    assert seen["kill"] == seen["environ"] == seen["mem"] == "PermissionError", seen
    assert seen["beside"] in ("PermissionError", "OSError"), seen  # Landlock, or a read-only file system
    assert seen["fds"] == sorted([0, 1, 2, seen["result_fd"]]), seen
    assert not seen["secret"]
    second = run_py(f"""
        report({{"mine": sorted(os.listdir(".")), "first": os.path.exists({seen["cwd"] + "/mark.txt"!r})}})
    """)
    assert second.status == "ok", second
    assert json.loads(second.payload) == {"mine": ["main.py"], "first": False}
    assert second.isolation.endswith(" forked") == first.isolation.endswith(" forked")  # the server survived


@pytest.mark.skipif(not AS_ROOT, reason="runs are forks of the fork server only when the grader is root")
def test_a_fork_server_that_dies_during_a_run_costs_the_run_nothing(monkeypatch):
    import threading
    from backprop_grader.isolation import forkserver
    monkeypatch.setenv(sandbox.FORK_SERVER_VAR, "1")  # in every pass: this is the fork server's own test
    assert run_py("pass").isolation.endswith(" forked")  # this process and thread have a server now
    server = forkserver._SERVERS[os.getpid(), threading.get_ident(), sandbox.bwrap_works(), SMALL.disk_bytes]
    killer = threading.Timer(0.3, lambda: os.killpg(server.proc.pid, 9))  # the server (bwrap and all) is gone
    killer.start()
    try:  # two seconds of work: the kill comes during the run, or before it (then it never started)
        outcome = run_py("import time\nt = time.time()\nwhile time.time() - t < 2: pass\nreport('done')")
    finally:
        killer.join()
    assert outcome.status == "ok" and json.loads(outcome.payload) == "done", outcome
    assert not outcome.isolation.endswith(" forked")  # it ran again, exec'd
    assert run_py("pass").isolation.endswith(" forked")  # and the next run has a new server


def test_a_command_that_grades_one_submission_execs_its_run():
    with sandbox.one_run():  # backprop-grade SUBMISSION, the Gradescope and PrairieLearn wrappers
        assert not run_py("pass").isolation.endswith(" forked")
    assert run_py("pass").isolation.endswith(" forked") is FORKED  # and after it, as before


@pytest.mark.skipif(not AS_ROOT, reason="only root could run a submission unconfined")
def test_as_root_without_bwrap_or_a_way_to_drop_privileges_nothing_runs(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    monkeypatch.setattr(sandbox, "_world_runnable", lambda path: False)
    with pytest.raises(sandbox.SandboxUnavailable, match="refusing to run a submission.*runnable by every user"):
        run_py("report(os.getuid())")


@pytest.mark.parametrize("kernel, missing", [((0, True), "Landlock"), ((7, False), "seccomp")])
def test_without_bwrap_a_missing_guarantee_means_nothing_runs(monkeypatch, kernel, missing):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    monkeypatch.setattr(sandbox, "_kernel_confinement", lambda: kernel)
    with pytest.raises(sandbox.SandboxUnavailable, match=f"refusing to run a submission.*{missing}"):
        run_py("report(os.getuid())")




def test_landlock_hides_an_installed_library_inside_a_readable_tree(tmp_path):
    """Installed (not editable), as on Gradescope, backprop_lib sits inside the Python tree that
    must stay readable: Landlock grants the tree around it, and a link inside the tree (a venv's
    lib64 -> lib) must not grant it back."""
    assert sandbox._kernel_confinement()[0] >= 1, "this machine's kernel has Landlock"
    site = tmp_path / "venv" / "lib" / "site-packages"
    files = {"backprop_lib/layers.py": "class MatMul: pass", "numpy/__init__.py": "x = 1", "top.py": "y = 2"}
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (tmp_path / "venv" / "lib64").symlink_to("lib")
    roots = [*world().roots, str(tmp_path / "venv")]
    spec = {"rules": confine.read_rules(roots, [str(site / "backprop_lib")]), "landlock": True, "seccomp": False}
    probe = textwrap.dedent(f"""
        import json, os
        seen = {{}}
        for path in ["lib/site-packages/backprop_lib/layers.py", "lib64/site-packages/backprop_lib/layers.py",
                     "lib/site-packages/numpy/__init__.py", "lib64/site-packages/top.py", "lib/site-packages"]:
            full = os.path.join({str(tmp_path / "venv")!r}, path)
            try:
                seen[path] = sorted(os.listdir(full)) if os.path.isdir(full) else open(full).read()
            except OSError as error:
                seen[path] = type(error).__name__
        print(json.dumps(seen))
    """)
    done = subprocess.run([PY, "-I", "-S", "-c", sandbox._confine_source(), json.dumps(spec), "--", PY, "-I", "-S",
                           "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "lib/site-packages/backprop_lib/layers.py": "PermissionError",
        "lib64/site-packages/backprop_lib/layers.py": "PermissionError",
        "lib/site-packages/numpy/__init__.py": "x = 1", "lib64/site-packages/top.py": "y = 2",
        "lib/site-packages": ["backprop_lib", "numpy", "top.py"]}  # listed (imports need it), not read


# --- the child's world: only what the exercise allows ------------------------------------------

def _one_file_of(distribution):
    """A file that an installed distribution put beside its packages (not a script in bin/), or None."""
    base = Path(distribution.locate_file("")).resolve()
    for file in distribution.files or []:
        path = base / file
        if file.parts and file.parts[0] != ".." and not file.parts[0].endswith(".dist-info") and path.is_file():
            return str(path)
    return None


def test_every_installed_distribution_is_readable_only_if_the_world_allows_it():
    """Whatever is installed, wherever: the child opens a file of a distribution only if it is numpy,
    IPython or what IPython requires. Nothing here names what must be hidden (torch, the grader...):
    every distribution the machine has is tried."""
    allowed = set(allowed_distributions())
    files = {}
    for distribution in importlib.metadata.distributions():
        name = re.sub(r"[-_.]+", "-", distribution.metadata["Name"] or "").lower()
        path = _one_file_of(distribution)
        if path and name not in files:
            files[name] = path
    assert "torch" in files and "numpy" in files and "ipython" in files  # this venv's: hidden, allowed, allowed
    outcome = run_py(f"""
        opened = {{}}
        for name, path in {files!r}.items():
            try:
                with open(path, "rb") as f:
                    f.read(1)
                opened[name] = True
            except OSError:
                opened[name] = False
        report(opened)
    """)
    assert outcome.status == "ok", outcome
    opened = json.loads(outcome.payload)
    assert {name for name, ok in opened.items() if ok} == allowed & set(files), opened


def test_reaching_beside_numpy_finds_nothing_more():
    """sys.path extended with the folder numpy came from, and every folder of packages on the machine:
    IPython and numpy import, torch and the course do not (not there, or there and unreadable)."""
    outcome = run_py("""
        import glob, importlib, sys
        import numpy as np
        sys.path += [os.path.dirname(os.path.dirname(np.__file__))]
        sys.path += glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages")
        sys.path += glob.glob(sys.base_prefix + "/lib/python3*/*-packages")
        found = {}
        for name in ("IPython", "traitlets", "torch", "backprop_lib", "backprop_grader", "nbformat", "matplotlib"):
            try:
                importlib.import_module(name)
                found[name] = "imported"
            except Exception as error:
                found[name] = type(error).__name__
        report(found)
    """)
    assert outcome.status == "ok", outcome
    found = json.loads(outcome.payload)
    assert found["IPython"] == found["traitlets"] == "imported", found
    assert all(found[n] != "imported" for n in ("torch", "backprop_lib", "backprop_grader", "nbformat", "matplotlib"))


def test_the_world_cuts_out_every_package_folder_and_keeps_the_allowed_ones():
    view = world()
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                    sys.base_prefix + "/lib/python3*/*-packages", sys.prefix + "/lib/python3*/*-packages"):
        for folder in glob.glob(pattern):
            assert view.hidden(folder + "/any_package/__init__.py"), folder
    import IPython
    import numpy
    import traitlets
    assert not any(view.hidden(m.__file__) for m in (numpy, IPython, traitlets))
    import backprop_lib.layers
    assert view.hidden(sandbox.__file__) and view.hidden(backprop_lib.layers.__file__)
