"""Integration tests: authd's privilege separation and sandbox, checked
from outside through /proc and the socket.  Only meaningful as root
(otherwise authd runs in development mode without dropping)."""
import grp
import json
import os
import pwd
import stat
import subprocess
import sys

import pytest

from conftest import ALICE, IS_ROOT, wait_log

pytestmark = pytest.mark.skipif(
    not IS_ROOT, reason="authd drops privileges only when started as root")


@pytest.fixture
def postern(postern):
    """conftest's authd, which has already answered once (start() waits
    for that); here it must also answer "ok" from inside its sandbox."""
    assert postern.client().bancheck("192.0.2.1") == "ok"
    return postern


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def server_pid(p):
    """authd's server process: the one child of the parent (which stays
    root outside the chroot to reload and clean up)."""
    with open("/proc/%d/task/%d/children" % (p.proc.pid, p.proc.pid)) as f:
        kids = f.read().split()
    assert len(kids) == 1, kids
    return int(kids[0])


def auth_ids():
    pw = pwd.getpwnam("_postern-auth")
    return pw.pw_uid, pw.pw_gid


def test_runs_as_the_auth_user(postern):
    p = postern
    uid, gid = auth_ids()
    st = status(server_pid(p))
    assert st["Uid"].split() == [str(uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(gid)] * 4, st["Gid"]
    assert st["Groups"].split() in ([], [str(gid)]), st["Groups"]
    assert int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0, st


def test_sandboxed(postern):
    st = status(server_pid(postern))
    assert st["Seccomp"] == "2", st["Seccomp"]
    assert st["NoNewPrivs"] == "1", st["NoNewPrivs"]


def test_threads_are_sandboxed_too(postern):
    pid = server_pid(postern)
    tids = os.listdir("/proc/%d/task" % pid)
    assert len(tids) >= 2, tids       # verification threads
    for t in tids:
        with open("/proc/%d/task/%s/status" % (pid, t)) as f:
            s = f.read()
        assert "Seccomp:\t2" in s and "NoNewPrivs:\t1" in s, (t, s)


def test_chrooted_to_the_auth_state(postern):
    p = postern
    pid = server_pid(p)
    root = os.readlink("/proc/%d/root" % pid)
    assert root == os.path.realpath(os.path.join(p.dir, "state", "auth"))
    assert os.readlink("/proc/%d/cwd" % pid) == root


def test_socket_permissions(postern):
    s = os.stat(postern.sock)
    assert stat.S_ISSOCK(s.st_mode)
    assert stat.S_IMODE(s.st_mode) == 0o660, oct(s.st_mode)
    # Owned by the auth user: authctl, dropped to that user, lists and
    # ends sessions through it (PEER_SELF).
    uid, _ = auth_ids()
    assert s.st_uid == uid and \
        s.st_gid == grp.getgrnam("_postern").gr_gid, s


def test_state_created_by_authd_belongs_to_the_auth_user(postern):
    """DESIGN 4: the LMDB environment in <state>/auth/ is owned by the
    authd user, mode 0700 -- also when authd (not authctl) created it."""
    p = postern
    uid, _ = auth_ids()
    auth = os.path.join(p.dir, "state", "auth")
    st = os.stat(auth)
    assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
    owners = {f: os.stat(os.path.join(auth, f)).st_uid
              for f in [""] + sorted(os.listdir(auth))}
    assert all(o == uid for o in owners.values()), \
        "owned by %r, want uid %d" % (owners, uid)


CONNECT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
kind = int(sys.argv[2]) if len(sys.argv) > 2 else 2
body = bytes([kind]) + struct.pack(">IH", 1, 9) + b"192.0.2.1"
try:
    s.sendall(struct.pack(">I", len(body)) + body)
    print("ANSWER" if s.recv(100) else "CLOSED")
except (ConnectionError, BrokenPipeError):
    print("CLOSED")
"""


def run_as(uid, gid, groups, sock, kind=2):
    """Connects to sock as uid and sends one request of message type kind
    (2: ban check, 3: recipient lookup); EACCES, ANSWER or CLOSED."""
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid]
    cmd += ["--groups=" + ",".join(map(str, groups))] if groups \
        else ["--clear-groups"]
    r = subprocess.run(cmd + [sys.executable, "-c", CONNECT, sock,
                              str(kind)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    return r.stdout.strip()


def test_socket_is_closed_to_others(postern):
    p = postern
    assert run_as(65534, 65534, None, p.sock) == "EACCES"


def test_foreign_uid_in_the_group_is_refused(postern):
    p = postern
    gid = grp.getgrnam("_postern").gr_gid
    # nobody, given the socket's group: the socket opens, authd refuses.
    assert run_as(65534, 65534, [gid], p.sock) == "CLOSED"
    assert wait_log(p.log, "refusing client uid 65534", 10), p.log()
    # authd keeps serving its daemons (root here).
    assert p.client().bancheck("192.0.2.1") == "ok"


def test_only_the_queue_of_the_daemon_users_may_ask_and_only_recipients(
        postern):
    """Logins and ban checks come from the monitors (root); smtpd's queue
    may look up recipients; the net, mail and relay users are refused at
    connect, so a compromised net process cannot submit logins."""
    p = postern
    gid = grp.getgrnam("_postern").gr_gid
    seen = 0
    for name, kind, want in (("_postern", 2, "CLOSED"),
                             ("_postern", 3, "CLOSED"),
                             ("_postern-mail", 3, "CLOSED"),
                             ("_postern-relay", 3, "CLOSED"),
                             ("_postern-queue", 2, "CLOSED"),
                             ("_postern-queue", 3, "ANSWER")):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        seen += 1
        assert run_as(pw.pw_uid, pw.pw_gid, [gid], p.sock, kind) == want, \
            (name, kind, p.log())
    if seen == 0:
        pytest.skip("no postern system users on this machine")
    assert p.client().bancheck("192.0.2.1") == "ok"


def test_authctl_writes_as_the_auth_user(postern):
    p = postern
    p.add_user(ALICE)
    uid, _ = auth_ids()
    auth = os.path.join(p.dir, "state", "auth")
    st = os.stat(auth)
    assert st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o700, st
    for f in os.listdir(auth):
        st = os.stat(os.path.join(auth, f))
        assert st.st_uid == uid and stat.S_IMODE(st.st_mode) & 0o077 == 0, f
    out = p.authctl("audit", "--json").stdout
    assert json.loads(out.splitlines()[-1])["reason"] == "user add"
    # authd keeps working on the files authctl handed over.
    p.authctl("user", "passwd", ALICE, "--password-stdin",
                   input="Quiet-Orbit-Lantern-Mosaic-9713\n")
    assert p.client().login(ALICE, "Quiet-Orbit-Lantern-Mosaic-9713",
                            address="192.0.2.1")[0] == "ok"
