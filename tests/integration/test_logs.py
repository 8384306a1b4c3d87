"""Integration tests: logs an administrator can follow (issue 8).

pop3d -d logs to stderr, which the fixture writes to p.pop3_logfile; authd
-d writes its audit copy to p.logfile.  One connection's lines carry its
client address and the session id of authd's audit record; TLS failures
are one line in words; the session's last line says what it did; a child
that dies abnormally is logged by whoever reaps it; and no log format
string in the sources starts with a function name or a role prefix."""
import os
import re
import socket
import ssl
import time
import warnings

import pytest

from conftest import ALICE, IS_ROOT, REPO, last_login
from test_pop3 import connect, deliver, login, message, pop3, pop_user  # noqa: F401


def wait_log(p, pattern, timeout=15):
    """The first match of pattern (re, MULTILINE) in pop3d's log."""
    deadline = time.time() + timeout
    while True:
        m = re.search(pattern, p.pop3_log(), re.M)
        if m or time.time() > deadline:
            assert m, "no %r in the pop3d log:\n%s" % (pattern, p.pop3_log())
            return m
        time.sleep(0.05)


def session_lines(p, sid):
    return [l for l in p.pop3_log().splitlines() if sid in l]


def test_one_session_shares_its_id_with_its_audit_record(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    c = login(p, pw)
    size = sum(int(c.list(i).split()[2]) for i in (1, 2))
    c.retr(1)
    c.retr(2)
    c.dele(3)
    c.quit()
    rec = last_login(p, user=ALICE)
    sid = rec["session"]
    assert re.fullmatch(r"[0-9a-f]{16}", sid), rec
    # authd's syslog copy of the record names the same session.
    assert re.search(r'audit .*session="%s"' % sid, p.log()), p.log()
    last = wait_log(p, r"^.*%s: %s logged out with QUIT.*$" % (sid, ALICE))
    lines = session_lines(p, sid)
    # From the connection through the handshake and the login to the end,
    # every line names the client's address with the session id ...
    for l in lines:
        assert "127.0.0.1 session %s: " % sid in l, l
    text = "\n".join(lines)
    assert re.search(r"monitor: 127\.0\.0\.1 session %s: connection to port "
                     "%d$" % (sid, p.pop3_port), text, re.M), text
    assert re.search(r"net: .*: TLS 1\.2 handshake done, ECDHE-ECDSA-", text)
    assert re.search(r"mail: .*: %s logged in$" % ALICE, text, re.M), text
    # ... and the last one says what the session did and how it ended.
    assert lines[-1] == last.group(0), text
    assert last.group(0).endswith(
        "logged out with QUIT: retrieved 2 messages (%d bytes), deleted 1"
        % size), last.group(0)


def test_last_line_of_a_dropped_session(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    c = login(p, pw)
    size = int(c.list(1).split()[2])
    c.retr(1)
    c.dele(1)
    c.close()       # no QUIT
    rec = last_login(p, user=ALICE)
    m = wait_log(p, r"^.*%s: %s disconnected without QUIT: .*$"
                 % (rec["session"], ALICE))
    assert m.group(0).endswith(
        ": retrieved 1 message (%d bytes), deleted 0 (marked deletions "
        "not applied)" % size), m.group(0)
    assert session_lines(p, rec["session"])[-1] == m.group(0)


def handshake_failure(p, send):
    """Connects, lets send(sock) talk, and returns the one line that
    reports the failed handshake of that connection."""
    s = socket.create_connection(("127.0.0.1", p.pop3_port), timeout=10)
    try:
        send(s)
    finally:
        s.close()
    m = wait_log(p, r"^.*session ([0-9a-f]{16}): TLS handshake failed: .*$")
    lines = [l for l in session_lines(p, m.group(1)) if "TLS" in l]
    assert len(lines) == 1, lines
    assert lines[0] == m.group(0)
    assert not re.search(r"TLS error \d+|error \d+$", lines[0]), lines[0]
    return lines[0]


def test_tls_1_0_client_is_logged_in_words(pop3):
    p = pop3

    def tls10(s):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
        with pytest.raises(OSError):
            ctx.wrap_socket(s).close()
    line = handshake_failure(p, tls10)
    assert "net: 127.0.0.1 session " in line, line
    assert line.endswith("TLS handshake failed: the client offers no TLS "
                         "1.2 (only older versions, which are refused)"), line


def test_garbage_instead_of_tls_is_logged_in_words(pop3):
    p = pop3

    def garbage(s):
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.settimeout(10)
        try:
            s.recv(100)
        except OSError:
            pass
    line = handshake_failure(p, garbage)
    assert line.endswith("TLS handshake failed: the client does not speak "
                         "TLS (its first byte is 0x47, 'G')"), line


# --- abnormal ends, as root (the sandboxes are real only then) -------------

root_only = pytest.mark.skipif(
    not IS_ROOT, reason="the sandboxes exist only when pop3d runs as root")


def session_of_monitor(p, pid):
    m = wait_log(p, r"^pop3d\[%d\] monitor: 127\.0\.0\.1 session "
                 r"([0-9a-f]{16}): connection" % pid)
    return m.group(1)


@root_only
def test_net_killed_by_its_sandbox_is_logged(pop3):
    from test_pop3_privsep import (alive, gdb_forbidden_syscall,
                                   session_pids, wait_until)
    p = pop3
    pop_user(p)
    c = connect(p)
    mon, net = session_pids(p)
    sid = session_of_monitor(p, mon)
    out = gdb_forbidden_syscall(net)
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(mon))
    c.close()
    m = wait_log(p, r"^pop3d\[%d\] monitor: 127\.0\.0\.1 session %s: net "
                 r"process %d killed by SIGSYS \(.*\): its sandbox refused "
                 r"a system call" % (mon, sid, net))
    assert session_lines(p, sid)[-1].endswith(
        "disconnected before login (0 failed logins)"), m.group(0)


@root_only
def test_mail_killed_by_its_sandbox_is_logged_by_the_parent(pop3):
    from test_pop3_privsep import (alive, gdb_forbidden_syscall,
                                   session_pids, wait_until)
    p = pop3
    pw = pop_user(p)
    c = login(p, pw)
    mail, net = session_pids(p)
    sid = last_login(p, user=ALICE)["session"]
    out = gdb_forbidden_syscall(mail)
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(mail))
    c.close()
    wait_log(p, r"^pop3d\[%d\]: mail process %d of 127\.0\.0\.1 session %s "
             r"killed by SIGSYS" % (p.pop3.pid, mail, sid))


# --- the sources ---------------------------------------------------------------

LOG_CALL = re.compile(r'\b(log_warnx?|log_info|fatalx?)\(\s*"((?:[^"\\]|\\.)*)"')
FUNC_PREFIX = re.compile(r"^%?[a-z0-9]+_[a-z0-9_]+(: |$)")
ROLE_PREFIX = re.compile(r"^(pop3d|authd|authctl|imapd|smtpd|monitor|net|"
                         r"mail|keyholder|parent|session|server|daemon|"
                         r"authc|store|audit): ")


def test_no_function_names_or_role_prefixes_in_log_messages():
    """Every log_warn/warnx/info and fatal/fatalx format string in the
    daemons' sources: no function name and no role or program name in
    front (log.c prefixes program, role and session itself)."""
    bad = []
    n = 0
    for d in ("common", "authd", "pop3d", "imapd", "smtpd"):
        top = os.path.join(REPO, d)
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            if not name.endswith(".c"):
                continue
            path = os.path.join(top, name)
            with open(path) as f:
                src = f.read()
            for m in LOG_CALL.finditer(src):
                n += 1
                fmt = m.group(2)
                if FUNC_PREFIX.match(fmt) or ROLE_PREFIX.match(fmt) or \
                        "__func__" in src[m.end():m.end() + 80].split(";")[0]:
                    line = src.count("\n", 0, m.start()) + 1
                    bad.append("%s/%s:%d: %s" % (d, name, line, fmt))
    assert n > 100, n
    assert not bad, "\n".join(bad)
