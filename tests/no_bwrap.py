"""Run a command where bubblewrap cannot build a sandbox, as in a Gradescope container.

`command(argv)` returns an argv that runs `argv` as root in a private mount namespace where
/usr/bin/bwrap is hidden (a bind mount of /dev/null over it), without CAP_SYS_ADMIN (so no
namespace can be made either, as in a container), and where this Python installation is
reachable by every user (as a system Python is: here it may live under /root, which only root
can enter; the namespace shows it on a tmpfs). The grader then has only its per-run uid,
Landlock and seccomp. Nothing outside the namespace changes.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

UNSHARE, SETPRIV = "/usr/bin/unshare", "/usr/bin/setpriv"


def available() -> bool:
    """Whether this machine can make that namespace: root that may unshare a mount namespace."""
    if os.geteuid() != 0 or not (os.path.exists(UNSHARE) and os.path.exists(SETPRIV)):
        return False
    return subprocess.run([UNSHARE, "--mount", "true"], capture_output=True).returncode == 0


def require() -> None:
    """Skip the test on a learner's machine, fail it in CI (CI=true), if `available()` is not."""
    import pytest
    if not available():
        message = "the mode without bubblewrap needs root that may unshare a mount namespace"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires it: {message}", pytrace=False)
        pytest.skip(message)


def command(argv, keep=()) -> list:
    """`argv`, run without bubblewrap; `keep`: more paths that must stay reachable (a checkout)."""
    trees = {sys.prefix, sys.base_prefix, *keep}
    trees |= {str(Path(t).resolve()) for t in trees}
    return [UNSHARE, "--mount", "--propagation", "private", "--",
            sys.executable, "-I", __file__, json.dumps(sorted(trees)), "--", *argv]


def _expose(paths) -> None:
    """Make each of `paths` reachable by every user: a tmpfs (mode 755) over the topmost
    ancestor that others cannot enter, with the paths bound back into it."""
    hidden = {}
    for path in paths:
        for parent in reversed(Path(path).parents):
            if not os.stat(parent).st_mode & 0o001:
                hidden.setdefault(str(parent), []).append(path)
                break
    for top, inside in hidden.items():
        stashes = []
        for path in inside:
            stash = tempfile.mkdtemp(prefix="no-bwrap-stash-")
            _mount("--bind", path, stash)
            stashes.append((stash, path))
        _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", top)
        for stash, path in stashes:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount("--bind", stash, path)
            _mount("--make-private", stash)
            subprocess.run(["umount", stash], check=True)
            os.rmdir(stash)


def _mount(*args) -> None:
    subprocess.run(["mount", *args], check=True)


if __name__ == "__main__":
    _mount("--bind", "/dev/null", "/usr/bin/bwrap")
    _expose(json.loads(sys.argv[1]))
    argv = sys.argv[3:]
    # root keeps CAP_SETUID (the uid drop) but loses CAP_SYS_ADMIN, as in a container
    os.execv(SETPRIV, [SETPRIV, "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--", *argv])
