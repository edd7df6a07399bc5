"""Confine a process with what the kernel offers without namespaces: Landlock and seccomp.

The sandbox (sandbox.py) runs this file as a launcher in front of the learner's program:
``python -I -S -c <this file> <policy as JSON> -- argv...``. It restricts itself, then
runs argv (a Python script in the same interpreter, anything else by exec), which inherits
the restrictions and can never lift them:

* **Landlock** (Linux >= 5.13; ``landlock_create_ruleset`` = syscall 444): the file system
  becomes read-only and executable below the Python installation, read-write below the run's
  own directory, and nothing else (not the course, not /tmp, not /dev/shm, not /etc).
  ABI 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV; ABI 4 denies TCP bind and connect; ABI 6
  scopes signals and abstract UNIX sockets to the run.
* **seccomp** (through libseccomp.so.2): socket(2) fails with EACCES for every address
  family, so there is no network (TCP, UDP, raw, netlink, UNIX sockets by path) at any
  ABI; io_uring, which can open sockets without socket(2), fails too. socketpair(2) stays
  (a pair connects only to itself); another architecture's system calls (32-bit int 0x80,
  socketcall) kill the process, libseccomp's default.

Both need no privilege, only no_new_privs; this file never imports anything but the
standard library, so an unprivileged uid can run it from the command line (the grader's
own package may be unreadable to it).
"""
import ctypes
import errno
import json
import os
import stat
import sys

LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446  # every arch
PR_SET_NO_NEW_PRIVS = 38
RULE_PATH_BENEATH = 1
# access rights of the file system, by the ABI that introduced them (include/uapi/linux/landlock.h)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the rights a rule on a file may hold
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
READ = EXECUTE | READ_FILE | READ_DIR
SCMP_ACT_ALLOW = 0x7FFF0000
DENIED_SYSCALLS = ("socket", "io_uring_setup", "io_uring_enter", "io_uring_register")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def _syscall(number, *args):
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"syscall {number}: {os.strerror(code)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 if Landlock is missing or disabled."""
    try:
        return _syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except OSError:
        return 0


def seccomp_library():
    """libseccomp, or None if it cannot be loaded (Debian package libseccomp2)."""
    try:
        return ctypes.CDLL("libseccomp.so.2")
    except OSError:
        return None


def handled_fs(abi: int) -> int:
    """Every file-system right this ABI knows: whatever a rule does not grant is denied."""
    return FS_ABI1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0) | (IOCTL_DEV if abi >= 5 else 0)


def read_rules(roots, holes) -> list:
    """Rules that make `roots` readable and executable, except below `holes`.

    Landlock rules only add access, so a hole is cut by granting every sibling on the way down
    to it instead of its parent (plus the parent's listing, READ_DIR, so imports still work)."""
    rules = []
    for root in roots:
        rules += _grant_around(root, [h for h in holes if h != root and _below(h, root)])
    return rules


def write_rules(directories, devices) -> list:
    """Rules that give `directories` every right, and `devices` (such as /dev/null) read and write."""
    return [(d, -1) for d in directories] + [(d, READ_FILE | WRITE_FILE) for d in devices]


def _below(path, directory) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


def _grant_around(directory, holes):
    if directory in holes:
        return []
    if not any(_below(h, directory) for h in holes):
        return [(directory, READ)]
    rules = [(directory, READ_DIR)]
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        if os.path.islink(path):  # a rule on a link would grant its target (venv/lib64 -> lib: the hole)
            continue
        if os.path.isdir(path):
            rules += _grant_around(path, holes)
        elif os.path.exists(path):
            rules.append((path, READ & FILE_ONLY))
    return rules


def restrict_landlock(rules, abi: int) -> None:
    """Enforce `rules` on this process and everything it execs or forks, at Landlock `abi`."""
    fs = handled_fs(abi)
    attr = _RulesetAttr(fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8  # older kernels: shorter struct
    ruleset = _syscall(LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:  # gone since the grader listed it: nothing to grant
                continue
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                access = fs if access == -1 else access & fs
                rule = _PathBeneathAttr(access if is_dir else access & FILE_ONLY, fd)
                _syscall(LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        _syscall(LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def deny_sockets(libseccomp) -> None:
    """Install a seccomp filter: socket(2) and io_uring fail with EACCES, all else is allowed."""
    libseccomp.seccomp_init.restype = ctypes.c_void_p
    libseccomp.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    libseccomp.seccomp_load.argtypes = libseccomp.seccomp_release.argtypes = [ctypes.c_void_p]
    context = libseccomp.seccomp_init(SCMP_ACT_ALLOW)
    if not context:
        raise OSError("seccomp_init failed")
    try:
        for name in DENIED_SYSCALLS:
            number = libseccomp.seccomp_syscall_resolve_name(name.encode())
            if libseccomp.seccomp_rule_add(context, 0x00050000 | errno.EACCES, number, 0) != 0:  # SCMP_ACT_ERRNO
                raise OSError(f"seccomp: cannot add a rule for {name}")
        if libseccomp.seccomp_load(context) != 0:
            raise OSError("seccomp_load failed")
    finally:
        libseccomp.seccomp_release(context)


def confine_self(spec: dict) -> None:
    """Apply `spec` ({"rules": read_rules + write_rules, "landlock": bool, "seccomp": bool}) to this
    process and to everything it will run."""
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # what lets an unprivileged process restrict itself
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if spec["seccomp"]:
        deny_sockets(ctypes.CDLL("libseccomp.so.2"))
    if spec["landlock"]:
        restrict_landlock(spec["rules"], landlock_abi())


def launch(spec: dict, argv: list) -> None:
    """Confine this process, then run `argv`: in this same interpreter when argv is this interpreter
    with this launcher's flags and a script (one interpreter start fewer per run), else by exec."""
    try:
        confine_self(spec)
    except OSError as error:
        sys.stderr.write(f"backprop confine: cannot confine the run: {error}\n")
        os._exit(121)
    if len(argv) == 4 and argv[:3] == [sys.executable, "-I", "-S"] and argv[3].endswith(".py"):
        import runpy

        sys.argv = argv[3:]
        runpy.run_path(argv[3], run_name="__main__")
    else:
        os.execv(argv[0], argv)


if __name__ == "__main__":
    launch(json.loads(sys.argv[1]), sys.argv[3:])  # argv: <spec> -- <program> <args...>
