"""Integration tests: pop3d's connection budgets (common/admission.c) and
its monitor's own rules for the AUTHORIZATION state (issue 7, points 4
and 5), against real daemons on 127.0.0.1.

Attackers are idle TCP connections that send nothing, from source
addresses 127.0.0.2 and up (all of 127/8 is local on Linux).  A
connection the parent refuses is closed at once; one it admits waits for
a TLS ClientHello, so "closed within a second" tells them apart.  The
compromised net child of test_compromised_net_cannot_replay_logins is
simulated by taking a copy of its monitor socket with pidfd_getfd(2)
(as root) and writing login requests on it directly."""
import base64
import ctypes
import os
import poplib
import resource
import select
import socket
import ssl
import struct
import time

import pytest

from conftest import ALICE, BOB, IS_ROOT, audit
from test_pop3 import connect, login, pop_user, tls_context

pytestmark = pytest.mark.serial

MSG_NET_LOGIN = 16
SYS_PIDFD_GETFD = 438


@pytest.fixture(autouse=True)
def many_descriptors():
    """512 attacker sockets need more than the usual 1024 descriptors'
    worth of headroom once pytest and poplib hold theirs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4096))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def start(p, extra=""):
    """Starts authd and pop3d on p with extra configuration lines."""
    p.write_config(extra=extra)
    p.start()
    p.start_pop3d()
    return p


def stop(p):
    rc = p.stop_pop3d()
    log = p.pop3_log()
    assert rc == 0, "pop3d exited with %s: %s" % (rc, log)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def idle(p, source):
    """A TCP connection from source that sends nothing."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", p.pop3_port))
    return s


def is_closed(s):
    """True when the server closed s (nothing is ever sent to it before
    a ClientHello, so readable means end of file or a reset)."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(1) == b""
    except OSError:
        return True


def settle(socks, seconds=1.5):
    """Wait until the parent has decided on every connection; returns
    (open, closed) lists."""
    time.sleep(seconds)
    closed = [s for s in socks if is_closed(s)]
    return [s for s in socks if s not in closed], closed


def close_all(socks):
    for s in socks:
        s.close()


def owner_login(p, pw):
    """Logs the owner in from 127.0.0.1; returns the seconds it took."""
    t = time.monotonic()
    c = login(p, pw)
    assert c.stat() == (0, 0)
    c.quit()
    return time.monotonic() - t


@pytest.mark.parametrize("extra", [
    "",
    # No network limit: the early drop and full are all that hold them.
    "login limit 16 per address 10000 per network\n",
], ids=["defaults", "no-network-limit"])
def test_flood_does_not_lock_out_a_known_owner(stopped_postern, extra):
    """32 addresses x 16 idle connections, held open, while the owner
    logs in from an address that logged in before: the owner gets in,
    promptly (today all 512 slots are the attackers')."""
    p = start(stopped_postern, extra)
    pw = pop_user(p)
    owner_login(p, pw)
    flood = []
    try:
        for i in range(16):
            for a in range(2, 34):
                flood.append(idle(p, "127.0.0.%d" % a))
        held, _ = settle(flood)
        assert len(held) >= 64, "the attack holds too few slots: %d" % \
            len(held)
        took = owner_login(p, pw)
        assert took < 5, "the owner waited %.1f s" % took
        still, _ = settle(held, 0)
        assert len(still) == len(held), "the flood was let go"
    finally:
        close_all(flood)
    assert "refused" in p.pop3_log()
    stop(p)


def test_grace_time_ends_connections_that_do_not_log_in(stopped_postern):
    """login grace: an idle TCP connection and a TLS connection that
    never logs in are closed once it is over; a session is not."""
    p = start(stopped_postern, "login grace 2s\n")
    pw = pop_user(p)
    session = login(p, pw)
    raw = idle(p, "127.0.0.2")
    greeted = connect(p)
    t = time.monotonic()
    time.sleep(1)
    assert not is_closed(raw), "closed before the grace time"
    deadline = time.monotonic() + 10
    while not is_closed(raw) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert is_closed(raw), "an idle connection outlived the grace time"
    assert time.monotonic() - t < 6
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        greeted.user(ALICE)
        greeted.pass_(pw)
    time.sleep(1)
    assert session.stat() == (0, 0), "the session outlived it too"
    session.quit()
    raw.close()
    assert "login grace time over" in p.pop3_log()
    stop(p)


def test_per_address_and_per_network_limits(stopped_postern):
    p = start(stopped_postern, "login limit 3 per address 5 per network\n")
    socks = []
    try:
        one = [idle(p, "127.0.0.2") for _ in range(5)]
        socks += one
        held, closed = settle(one)
        assert (len(held), len(closed)) == (3, 2), "per address"
        same_net = [idle(p, "127.0.0.3") for _ in range(3)]
        socks += same_net
        held, closed = settle(same_net)
        assert (len(held), len(closed)) == (2, 1), "per network (/24)"
        other_net = [idle(p, "127.0.1.2") for _ in range(3)]
        socks += other_net
        held, closed = settle(other_net)
        assert (len(held), len(closed)) == (3, 0), "another /24"
    finally:
        close_all(socks)
    log = p.pop3_log()
    assert "from this address" in log and "from this network" in log, log
    stop(p)


def test_random_early_drop_past_startups(stopped_postern):
    """login startups 2 drop 80 full 20: past 2 connections, new ones are
    dropped at random (80 % rising to 100 %), so 40 attempts hold far
    fewer than full; without the drop they would hold exactly 20."""
    p = start(stopped_postern, "login limit 100 per address 10000 per "
              "network\nlogin startups 2 drop 80% full 20\n")
    socks = []
    try:
        for i in range(40):
            socks.append(idle(p, "127.0.%d.%d" % (3 + i // 200,
                                                   2 + i % 200)))
            time.sleep(0.01)
        held, closed = settle(socks)
        assert 2 <= len(held) < 20, len(held)
    finally:
        close_all(socks)
    assert "random early drop" in p.pop3_log()
    stop(p)


def test_session_limits(stopped_postern):
    """session limit 2 per user 1: a second session of one user from one
    address, and a third in all, are refused after authd said yes;
    a session that ends makes room."""
    p = start(stopped_postern, "session limit 2 per user 1\n")
    pw = pop_user(p)
    pwb = pop_user(p, BOB)
    carol = "carol@example.test"
    pwc = pop_user(p, carol)
    a = login(p, pw)
    c = connect(p)
    c.user(ALICE)
    with pytest.raises(poplib.error_proto) as e:
        c.pass_(pw)
    assert b"[SYS/TEMP]" in e.value.args[0]
    c.close()
    b = login(p, pwb, BOB)
    c = connect(p)
    c.user(carol)
    with pytest.raises(poplib.error_proto) as e:
        c.pass_(pwc)
    assert b"[SYS/TEMP]" in e.value.args[0]
    c.close()
    a.quit()
    deadline = time.time() + 10
    while True:
        c = connect(p)
        c.user(carol)
        try:
            c.pass_(pwc)
            break
        except poplib.error_proto:
            c.close()
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    c.quit()
    b.quit()
    log = p.pop3_log()
    assert "session refused: too many sessions of this user" in log, log
    assert "session refused: too many sessions" in log, log
    stop(p)


def records_for(p, user):
    return [r for r in audit(p) if r["user"] == user]


def test_pipelined_guesses_stop_at_three(stopped_postern):
    """A client sending USER/PASS and AUTH PLAIN guesses as fast as it
    can in one connection gets three judged, then the connection ends."""
    p = start(stopped_postern)
    user = "nobody-pipe@example.test"
    c = socket.create_connection(("127.0.0.1", p.pop3_port), timeout=30)
    s = tls_context().wrap_socket(c, server_hostname="localhost")
    s.recv(512)
    burst = b""
    for i in range(10):
        burst += b"USER %s\r\nPASS guess-%d\r\n" % (user.encode(), i)
        burst += b"AUTH PLAIN\r\n" + base64.b64encode(
            b"\0" + user.encode() + b"\0plain-%d" % i) + b"\r\n"
    s.sendall(burst)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if s.recv(4096) == b"":
                break
        except socket.timeout:
            raise AssertionError("the connection stayed open")
        except (OSError, ssl.SSLError):
            break
    else:
        raise AssertionError("the connection stayed open")
    s.close()
    assert len(records_for(p, user)) == 3, records_for(p, user)
    stop(p)


# --- a compromised net child ----------------------------------------------

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return out


def net_pid(p):
    """The net child of the one monitor of p's pop3d."""
    deadline = time.time() + 10
    while time.time() < deadline:
        for m in children(p.pop3.pid):
            with open("/proc/%d/cmdline" % m, "rb") as f:
                if b"-K" in f.read().split(b"\0"):
                    continue
            nets = children(m)
            if len(nets) == 1:
                return nets[0]
        time.sleep(0.05)
    raise AssertionError("no monitor with a net child")


def unix_socket_fds(pid):
    """Descriptors of pid that are UNIX sockets."""
    with open("/proc/net/unix") as f:
        inodes = {l.split()[6] for l in list(f)[1:] if len(l.split()) > 6}
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:[") and t[8:-1] in inodes:
            out.append(int(fd))
    return out


def steal_fd(pid, fd):
    """A copy of descriptor fd of process pid (pidfd_getfd(2))."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
        if got < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
        return got
    finally:
        os.close(pidfd)


def field(b):
    return struct.pack(">H", len(b)) + b


def login_frame(user, secret):
    body = bytes([MSG_NET_LOGIN]) + field(b"user") + field(user.encode()) \
        + field(secret) + field(b"")    # no handover (common/rolemsg.h)
    return struct.pack(">I", len(body)) + body


@pytest.mark.skipif(not IS_ROOT, reason="pidfd_getfd on another uid's "
                    "process needs root")
def test_compromised_net_cannot_replay_logins(stopped_postern):
    """A net child that ignores its own limit and keeps asking: the
    monitor answers three, then ends the connection; authd judged three
    (today it answers every one, for the life of the connection)."""
    p = start(stopped_postern)
    user = "nobody-replay@example.test"
    c = connect(p)                      # handshake done: the keyholder
    net = net_pid(p)                    # channel is closed
    fds = unix_socket_fds(net)
    assert len(fds) == 1, fds
    mon = socket.socket(fileno=steal_fd(net, fds[0]))
    mon.settimeout(15)
    mon.sendall(b"".join(login_frame(user, b"guess-%d" % i)
                         for i in range(8)))
    answers, buf = 0, b""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            chunk = mon.recv(4096)
        except socket.timeout:
            raise AssertionError("the monitor kept the connection open "
                                 "after %d answers" % answers)
        except ConnectionResetError:    # it left our requests unread
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            assert buf[4] == MSG_NET_LOGIN, buf
            answers, buf = answers + 1, buf[9:]
    else:
        raise AssertionError("the monitor kept the connection open")
    mon.close()
    c.close()
    assert answers == 3, answers
    assert len(records_for(p, user)) == 3, records_for(p, user)
    assert "asked for a login after 3 failures" in p.pop3_log()
    stop(p)


def test_known_owner_survives_a_restart_under_flood(stopped_postern):
    """The owner logged in before; pop3d restarts (a reboot, an upgrade)
    and 32 networks x 16 idle connections fill every slot for addresses
    not known: the owner still gets in, because the parent learns from
    authd at start which addresses users log in from (an outside review
    kept the owner out indefinitely when only pop3d's memory knew)."""
    p = start(stopped_postern)
    pw = pop_user(p)
    owner_login(p, pw)
    stop(p)
    p.start_pop3d()
    assert "1 address known to log in" in p.pop3_log()
    flood = []
    try:
        for i in range(16):
            for a in range(32):
                flood.append(idle(p, "127.80.%d.1" % a))
        held, _ = settle(flood)
        assert len(held) >= 128, "the attack holds too few slots: %d" % \
            len(held)
        took = owner_login(p, pw)
        assert took < 5, "the owner waited %.1f s" % took
    finally:
        close_all(flood)
    stop(p)
