"""Integration tests: pop3d's privilege separation (DESIGN 3), checked
from outside through /proc, /proc/PID/mem and gdb, as root only.

The process tree of pop3d -d started by the fixture:

    parent (p.pop3.pid, root)
     |- keyholder            exec'd with -K; _postern-key, chroot empty
     `- monitor (root)       one per connection; after login it becomes
         |                   the mail process (_postern-mail, chroot Maildir)
         `- net              _postern, chroot empty, seccomp
"""
import base64
import os
import poplib
import pwd
import re
import subprocess
import time

import pytest

from conftest import ALICE, IS_ROOT, POP3D, last_login
from test_pop3 import connect, deliver, login, message, pop3, pop_user  # noqa: F401

pytestmark = pytest.mark.skipif(
    not IS_ROOT, reason="pop3d separates privileges only when started as "
    "root (development mode otherwise)")

BOB = "bob@example.test"


# --- /proc helpers --------------------------------------------------------------

def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def children(pid):
    """PIDs whose PPid is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if int(status(int(d))["PPid"]) == pid:
                out.append(int(d))
        except (OSError, KeyError, ValueError):
            continue
    return sorted(out)


def cmdline(pid):
    """pid's arguments; [] once it is gone (a connection's process may
    end between the listing and the look)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        return status(pid)["State"][0] != "Z"
    except (OSError, KeyError):
        return False


def wait_until(cond, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def keyholder_pid(p, parent=None):
    """The keyholder of pop3d (or of the daemon whose pid is parent),
    once it has been started (after the listeners, slowly in a sanitizer
    build)."""
    def found():
        return [k for k in children(parent or p.pop3.pid)
                if "-K" in cmdline(k)]
    wait_until(lambda: len(found()) == 1)
    ks = found()
    assert len(ks) == 1, ks
    return ks[0]


def session_pids(p, parent=None):
    """(monitor or mail pid, net pid) of the one open session of pop3d
    (or of the daemon whose pid is parent)."""
    parent = parent or p.pop3.pid

    def one():
        mons = [k for k in children(parent) if alive(k) and
                "-K" not in cmdline(k)]
        if len(mons) != 1:
            return None
        nets = [n for n in children(mons[0]) if alive(n)]
        return (mons[0], nets[0]) if len(nets) == 1 else None
    assert wait_until(lambda: one() is not None), \
        "not exactly one monitor with one net child: %s" % \
        [(k, children(k)) for k in children(parent)]
    return one()


def ids(name):
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def root_of(pid):
    return os.readlink("/proc/%d/root" % pid)


def assert_sandboxed(pid, user, root, what):
    uid, gid = ids(user)
    st = status(pid)
    assert uid != 0
    assert st["Uid"].split() == [str(uid)] * 4, (what, st["Uid"])
    assert st["Gid"].split() == [str(gid)] * 4, (what, st["Gid"])
    assert st["Groups"].split() in ([], [str(gid)]), (what, st["Groups"])
    assert int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0, \
        (what, st["CapEff"], st["CapPrm"])
    assert st["Seccomp"] == "2", (what, st["Seccomp"])
    assert st["NoNewPrivs"] == "1", (what, st["NoNewPrivs"])
    assert root_of(pid) == os.path.realpath(root), (what, root_of(pid))
    assert os.readlink("/proc/%d/cwd" % pid) == os.path.realpath(root), what


# --- memory scanning ---------------------------------------------------------

def private_scalar(p):
    """The EC private scalar of p.dir/key.pem, as bytes."""
    out = subprocess.run(["openssl", "pkey", "-in",
                          os.path.join(p.dir, "key.pem"), "-text",
                          "-noout"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    m = re.search(r"^priv:\n((?:\s+[0-9a-f:]+\n)+)", out, re.M)
    assert m, out
    raw = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))
    if len(raw) == 33 and raw[0] == 0:
        raw = raw[1:]
    assert len(raw) == 32, raw.hex()
    # BearSSL may keep the scalar without leading zero bytes.
    needle = raw.lstrip(b"\0")
    assert len(needle) >= 28, raw.hex()
    return needle


def memory(pid):
    """Every readable mapping of pid (root reads /proc/PID/mem even of a
    non-dumpable process); returns (bytes, number of bytes read)."""
    chunks = []
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1]:
                continue
            if len(fields) > 5 and fields[5] in ("[vvar]", "[vvar_vclock]",
                                                 "[vsyscall]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            # AddressSanitizer reserves terabytes of shadow memory; no
            # heap, stack or data mapping of ours comes near 1 GiB.
            if end - start > 1 << 30:
                continue
            try:
                mem.seek(start)
                chunks.append(mem.read(end - start))
            except OSError:
                continue
    data = b"".join(chunks)
    return data, len(data)


def contains(pid, needle):
    data, n = memory(pid)
    assert n > 100 * 1024, "read only %d bytes of pid %d" % (n, pid)
    return needle in data


# --- gdb ---------------------------------------------------------------------

def gdb_forbidden_syscall(pid):
    """Makes pid call setuid(0) from gdb (socket and connect only fail
    with EACCES in the sandbox, so syslog can try to reconnect)."""
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                        "-ex", "call (long)syscall(105, 0)"],
                       capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


def gdb_call(pid, expr):
    """Makes pid evaluate expr (a call) from gdb; returns gdb's output."""
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                        "-ex", "call " + expr],
                       capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


# mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC,
#      MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) and the same without PROT_EXEC
MMAP_RWX = "(long)syscall(9, 0, 4096, 7, 0x22, -1, 0)"
MMAP_RW = "(long)syscall(9, 0, 4096, 3, 0x22, -1, 0)"


# --- tests ---------------------------------------------------------------------

def test_keyholder_is_sandboxed(pop3):
    p = pop3
    kh = keyholder_pid(p)
    assert os.path.realpath("/proc/%d/exe" % kh) == os.path.realpath(POP3D)
    # The listener is up before the keyholder has started (slowly, in a
    # sanitizer build): wait until it is in its sandbox.
    assert wait_until(lambda: status(kh)["Seccomp"] == "2"), status(kh)
    assert_sandboxed(kh, "_postern-key", os.path.join(p.dir, "empty"),
                     "keyholder")
    # The parent itself stays root and unsandboxed (it binds, forks,
    # reloads), but holds no secret (see the memory test).
    st = status(p.pop3.pid)
    assert st["Uid"].split()[1] == "0" and st["Seccomp"] == "0", st


def test_net_before_and_after_login_mail_after(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    c = connect(p)
    mon, net = session_pids(p)
    empty = os.path.join(p.dir, "empty")
    # Logged out: the monitor is root, the net child is sandboxed.
    assert_sandboxed(net, "_postern", empty, "net before login")
    st = status(mon)
    assert st["Uid"].split() == ["0"] * 4, st["Uid"]
    assert st["Seccomp"] == "0", st["Seccomp"]
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    # Logged in: the same two processes; the monitor became mail.
    assert session_pids(p) == (mon, net)
    assert_sandboxed(net, "_postern", empty, "net after login")
    assert_sandboxed(mon, "_postern-mail", p.maildir(ALICE), "mail")
    assert c.stat()[0] == 1
    c.quit()
    assert wait_until(lambda: not alive(mon) and not alive(net)), \
        (status(mon) if alive(mon) else None)


def test_two_users_get_their_own_mail_roots(pop3):
    p = pop3
    pw_a = pop_user(p)
    pw_b = pop_user(p, BOB)
    ca = connect(p)
    ca.user(ALICE)
    ca.pass_(pw_a)
    mon_a, _ = session_pids(p)
    cb = connect(p)
    cb.user(BOB)
    cb.pass_(pw_b)
    mons = [k for k in children(p.pop3.pid) if alive(k) and
            "-K" not in cmdline(k)]
    assert len(mons) == 2 and mon_a in mons, mons
    mon_b = [m for m in mons if m != mon_a][0]
    assert root_of(mon_a) == os.path.realpath(p.maildir(ALICE))
    assert root_of(mon_b) == os.path.realpath(p.maildir(BOB))
    ca.quit()
    cb.quit()


def test_private_key_only_in_the_keyholder(pop3):
    p = pop3
    pw = pop_user(p)
    scalar = private_scalar(p)
    kh = keyholder_pid(p)
    # Positive control: the scan finds the scalar where it must be.
    assert contains(kh, scalar), "scan did not find the key in the keyholder"
    c = connect(p)                 # the handshake signed through the keyholder
    mon, net = session_pids(p)
    assert not contains(net, scalar), "private key in the net process"
    assert not contains(mon, scalar), "private key in the monitor"
    assert not contains(p.pop3.pid, scalar), "private key in the parent"
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    assert session_pids(p) == (mon, net)
    assert not contains(net, scalar), "private key in the net process " \
        "after login"
    assert not contains(mon, scalar), "private key in the mail process"
    c.quit()


def test_forbidden_syscall_kills_net_not_the_server(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    c = connect(p)
    mon, net = session_pids(p)
    out = gdb_forbidden_syscall(net)
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(net)), "net survived: %s" % out
    # The client's connection is gone with it ...
    with pytest.raises(Exception):
        c.user(ALICE)
        c.pass_(pw)
    c.close()
    # ... and so is its monitor, which saw the net child hang up.
    assert wait_until(lambda: not alive(mon))
    # The server itself goes on.
    assert p.pop3.poll() is None
    assert alive(keyholder_pid(p))
    c = connect(p)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    assert c.stat()[0] == 1
    c.quit()
    assert last_login(p)["result"] == "ok"


def test_forbidden_syscall_kills_mail_and_deletes_nothing(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(2):
        deliver(p, ALICE, message(i))
    c = login(p, pw)
    c.dele(1)
    mail, net = session_pids(p)
    assert status(mail)["Uid"].split()[0] == str(ids("_postern-mail")[0])
    out = gdb_forbidden_syscall(mail)
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(mail)), "mail survived: %s" % out
    assert wait_until(lambda: not alive(net)), "net outlived its mail role"
    with pytest.raises(Exception):
        c.stat()
    c.close()
    assert p.pop3.poll() is None
    # The lock died with the process; the DELE was never applied.
    c = connect(p)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    assert c.stat()[0] == 2
    c.quit()


def fds(pid):
    """{fd: readlink target} of pid."""
    d = "/proc/%d/fd" % pid
    out = {}
    for fd in os.listdir(d):
        try:
            out[int(fd)] = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
    return out


def test_session_processes_inherit_no_parent_descriptor(pop3):
    """The net and mail processes hold only their own sockets: not the
    listening socket, the keyholder control channel or the signal pipe
    of the parent (parent_child_setup); the net process no authd
    connection, the mail process only its session's."""
    p = pop3
    pw = pop_user(p)
    parent = {t for t in fds(p.pop3.pid).values()
              if t.startswith(("socket:", "pipe:"))}
    parent -= set(fds(p.pop3.pid)[i] for i in (0, 1, 2)
                  if i in fds(p.pop3.pid))
    assert len(parent) >= 3, parent      # listener, sigpipe, keyctl
    c = connect(p)
    mon, net = session_pids(p)

    def check(pid, what, nsockets):
        got = fds(pid)
        assert not parent & set(got.values()), (what, got, parent)
        socks = [t for fd, t in got.items() if fd > 2 and
                 t.startswith("socket:")]
        assert len(socks) == nsockets, (what, got)
    # net: client and monitor; the keyholder channel is closed once the
    # handshake is done (tls_drop_signer).
    check(net, "net", 2)
    # monitor: net, and its channel to the parent for the login report
    # (MSG_MONITOR_SESSION), closed before it becomes the mail role.
    check(mon, "monitor", 2)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    check(net, "net after login", 2)
    # mail: net, and the login's authd connection, which ends the
    # session when authd says so.
    check(mon, "mail", 2)
    c.quit()


# --- credentials in the net process (issue 7) ----------------------------------

def secret_needles(user, pw, what="password"):
    """What a credential line leaves behind: the password, its base64
    form and the base64 of the whole SASL PLAIN message."""
    plain = b"\0" + user.encode() + b"\0" + pw.encode()
    return {what: pw.encode(),
            "base64 " + what: base64.b64encode(pw.encode()),
            "base64 PLAIN message with the " + what:
            base64.b64encode(plain)}


def assert_no_secret(pid, needles, what):
    data, n = memory(pid)
    assert n > 100 * 1024, "read only %d bytes of pid %d" % (n, pid)
    found = [k for k, v in needles.items() if v in data]
    assert not found, "%s holds the %s" % (what, ", ".join(found))


@pytest.mark.parametrize("mech", ["user", "plain"])
def test_net_wipes_credential_lines(pop3, mech):
    """Once the net process has forwarded a login, neither the password
    nor its base64 forms are anywhere in its memory: not in the line
    buffer, the pre-auth engine, the frame to the monitor, nor the TLS
    engine's buffer where the record was decrypted."""
    p = pop3
    pw = pop_user(p)
    needles = secret_needles(ALICE, pw)
    c = connect(p)
    mon, net = session_pids(p)
    # A failed attempt first: its line must be gone as well.
    wrong = pw[::-1]
    if mech == "user":
        c.user(ALICE)
        with pytest.raises(Exception):
            c.pass_(wrong)
        c.user(ALICE)
        assert c.pass_(pw).startswith(b"+OK")
    else:
        with pytest.raises(Exception):
            c._shortcmd("AUTH PLAIN " + base64.b64encode(
                b"\0" + ALICE.encode() + b"\0" + wrong.encode()).decode())
        assert c._shortcmd("AUTH PLAIN " + needles[
            "base64 PLAIN message with the password"].decode()
        ).startswith(b"+OK")
    assert session_pids(p) == (mon, net)
    needles.update(secret_needles(ALICE, wrong, "wrong password"))
    assert_no_secret(net, needles, "the net process")
    assert_no_secret(mon, needles, "the mail process (the monitor that "
                     "forwarded the login)")
    # Positive control: a line sent after the login is relayed, not
    # wiped, and the same scan finds it where the credential lines were
    # decrypted, in the TLS engine's receive buffer.
    marker = "X%sX" % pw[::-1]
    with pytest.raises(poplib.error_proto):
        c._shortcmd("NOOP " + marker)      # NOOP takes no argument
    assert contains(net, marker.encode()), \
        "the scan did not find a relayed line in the net process"
    c.quit()


# --- descriptors inherited from whoever started the daemons (issue 7) ----------

def holders(inode, pids):
    """The pids among pids that hold the pipe inode open."""
    target = "pipe:[%d]" % inode
    return [pid for pid in pids if target in fds(pid).values()]


def test_daemons_close_inherited_descriptors(stopped_postern):
    """A pipe the starting process leaves open (a shell's, a service
    manager's) reaches neither authd nor any role of pop3d: parent,
    keyholder, monitor, net and mail all close it at start."""
    p = stopped_postern
    r, w = os.pipe()
    inode = os.fstat(w).st_ino
    # Positive control: a plain program started the same way holds it.
    ctl = subprocess.Popen(["sleep", "30"], pass_fds=(w,))
    try:
        assert holders(inode, [ctl.pid]) == [ctl.pid]
    finally:
        ctl.kill()
        ctl.wait()
    try:
        p.start(pass_fds=(w,))
        p.start_pop3d(pass_fds=(w,))
    finally:
        os.close(w)
    pw = pop_user(p)
    c = connect(p)
    mon, net = session_pids(p)
    started = [p.proc.pid, p.pop3.pid, keyholder_pid(p), mon, net]
    assert holders(inode, started) == [], ("before login", started)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    assert holders(inode, started) == [], "after login (mail role)"
    # No writer is left anywhere, not even in a process this test did
    # not think of: the read end sees end of file.
    os.set_blocking(r, False)
    assert os.read(r, 1) == b""
    os.close(r)
    c.quit()
    rc = p.stop_pop3d()
    assert rc == 0, p.pop3_log()
    assert "AddressSanitizer" not in p.pop3_log(), p.pop3_log()


# --- argument filters (issue 7) ---------------------------------------------------

@pytest.mark.parametrize("how", ["mmap", "mprotect"])
def test_net_cannot_make_executable_memory(pop3, how):
    """The net role may map read-write memory but never executable
    memory, neither new (mmap) nor by changing a page it has (mprotect):
    either kills it, and the server goes on."""
    p = pop3
    pw = pop_user(p)
    c = connect(p)
    mon, net = session_pids(p)
    # Positive control: the same call without PROT_EXEC is allowed.
    out = gdb_call(net, MMAP_RW)
    assert "SIGSYS" not in out and alive(net), out
    m = re.search(r"^\$1 = (-?\d+)$", out, re.M)
    assert m and int(m.group(1)) > 0, out
    if how == "mmap":
        out = gdb_call(net, MMAP_RWX)
    else:
        # mprotect(page, 4096, PROT_READ|PROT_EXEC) of the page just made
        out = gdb_call(net, "(long)syscall(10, %s, 4096, 5)" % m.group(1))
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(net)), "net survived: %s" % out
    c.close()
    assert wait_until(lambda: not alive(mon))
    assert p.pop3.poll() is None
    c = connect(p)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    c.quit()
