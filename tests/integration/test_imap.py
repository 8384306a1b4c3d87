"""Integration tests: imapd over TLS with Python's imaplib against a real
authd, on 127.0.0.1: the not-authenticated state, the login (password,
2FA code, app password), CAPABILITY, ID, ENABLE, NAMESPACE, SELECT and
EXAMINE, CLOSE, UNSELECT, EXPUNGE, IDLE, and the unsolicited responses
another session's changes cause.

Messages are put into the Maildir's new/ as any delivery agent does."""
import imaplib
import socket
import ssl
import time

import pytest

from conftest import ALICE, deliver, last_login, message, tls_context


def imap_user(p, user=ALICE):
    """A user with the imap service (new users have it)."""
    return p.add_user(user)


def connect(p):
    return imaplib.IMAP4_SSL("127.0.0.1", p.imap_port,
                             ssl_context=tls_context(), timeout=30)


def login(p, pw, user=ALICE):
    c = connect(p)
    c.login(user, pw)
    return c


@pytest.fixture
def imap(postern):
    postern.start_imapd()
    yield postern
    rc = postern.stop_imapd()
    log = postern.imap_log()
    assert rc == 0, "imapd exited with %s: %s" % (rc, log)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def raw(p):
    """A TLS socket to imapd, greeting read; returns (sock, greeting)."""
    s = tls_context().wrap_socket(socket.create_connection(
        ("127.0.0.1", p.imap_port), 30))
    return s, s.recv(4096)


def lines_until(s, tag):
    """Read until the tagged line of tag; the whole answer."""
    buf = b""
    while not any(line.startswith(tag + b" ")
                  for line in buf.split(b"\r\n")):
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("connection closed; got %r" % buf)
        buf += chunk
    return buf


def test_greeting_capability_and_login(imap):
    p = imap
    pw = imap_user(p)
    c = connect(p)
    assert c.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1 IMAP4rev2")
    assert b"AUTH=PLAIN" in c.welcome and b"LOGINDISABLED" not in c.welcome
    assert b"STARTTLS" not in c.welcome
    typ, data = c.capability()
    assert typ == "OK" and b"SASL-IR" in data[0]
    typ, data = c.login(ALICE, pw)
    assert typ == "OK"
    assert b"[CAPABILITY " in data[0] and b"IDLE" in data[0], data
    assert b"APPENDLIMIT=52428800" in data[0]
    typ, data = c.capability()
    assert b"QRESYNC" in data[0] and b"AUTH=PLAIN" not in data[0]
    assert c.logout()[0] == "BYE"
    rec = last_login(p, ALICE)
    assert rec["result"] == "ok" and rec["service"] == "imap", rec


def test_wrong_password_and_unknown_user_answer_alike(imap):
    p = imap
    imap_user(p)
    answers = []
    for user, pw in ((ALICE, "wrong"), ("nobody@example.test", "x")):
        s, _ = raw(p)
        s.sendall(b"a1 LOGIN %s %s\r\n" % (user.encode(), pw.encode()))
        answers.append(lines_until(s, b"a1"))
        s.close()
    assert answers[0] == answers[1] == \
        b"a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


def test_three_failures_close_the_connection(imap):
    p = imap
    imap_user(p)
    s, _ = raw(p)
    for i in range(3):
        s.sendall(b"a%d LOGIN %s wrong\r\n" % (i, ALICE.encode()))
        out = lines_until(s, b"a%d" % i)
    assert b"* BYE" in out
    assert s.recv(100) == b""


def test_authenticate_plain_with_and_without_initial_response(imap):
    import base64
    p = imap
    pw = imap_user(p)
    ir = base64.b64encode(b"\0" + ALICE.encode() + b"\0" + pw.encode())
    s, _ = raw(p)
    s.sendall(b"a1 AUTHENTICATE PLAIN " + ir + b"\r\n")
    out = lines_until(s, b"a1")
    assert out.startswith(b"a1 OK [CAPABILITY "), out
    s.close()
    s, _ = raw(p)
    s.sendall(b"a1 AUTHENTICATE PLAIN\r\n")
    assert s.recv(100) == b"+ \r\n"
    s.sendall(ir + b"\r\n")
    assert lines_until(s, b"a1").startswith(b"a1 OK ")
    s.close()
    s, _ = raw(p)
    s.sendall(b"a1 AUTHENTICATE PLAIN\r\n")
    assert s.recv(100) == b"+ \r\n"
    s.sendall(b"*\r\n")
    assert lines_until(s, b"a1").startswith(b"a1 BAD ")


def test_login_with_literals(imap):
    p = imap
    pw = imap_user(p)
    s, _ = raw(p)
    s.sendall(b"a1 LOGIN {%d}\r\n" % len(ALICE))
    assert s.recv(100).startswith(b"+ ")
    s.sendall(ALICE.encode() + b" {%d+}\r\n" % len(pw) + pw.encode() +
              b"\r\n")
    assert lines_until(s, b"a1").startswith(b"a1 OK ")


def test_commands_before_login_are_refused(imap):
    p = imap
    imap_user(p)
    s, _ = raw(p)
    s.sendall(b"a1 SELECT INBOX\r\na2 NOOP\r\na3 ID NIL\r\n")
    out = lines_until(s, b"a3")
    assert b"a1 BAD " in out and b"a2 OK " in out
    assert b'* ID ("name" "postern"' in out


def test_select_examine_and_counts(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    c = login(p, pw)
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"3"]
    assert c.response("UIDVALIDITY")[1][0] is not None
    assert c.response("UIDNEXT")[1] == [b"4"]
    typ, data = c.select("INBOX", readonly=True)
    assert typ == "OK"
    typ, data = c.select("NoSuchFolder")
    assert typ == "NO"
    c.logout()


def test_idle_sees_a_delivery_within_a_second(imap):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(0))
    s, _ = raw(p)
    s.sendall(b"a1 LOGIN %s %s\r\na2 SELECT INBOX\r\na3 IDLE\r\n" % (
        ALICE.encode(), pw.encode()))
    buf = b""
    while b"+ idling" not in buf:
        buf += s.recv(4096)
    t0 = time.monotonic()
    deliver(p, ALICE, message(1))
    s.settimeout(5)
    got = b""
    while b"* 2 EXISTS" not in got:
        got += s.recv(4096)
    assert time.monotonic() - t0 < 1.0
    s.sendall(b"DONE\r\n")
    assert b"a3 OK IDLE terminated" in lines_until(s, b"a3")


def test_enable_namespace_id_unselect(imap):
    p = imap
    pw = imap_user(p)
    s, _ = raw(p)
    s.sendall(b"a1 LOGIN %s %s\r\n" % (ALICE.encode(), pw.encode()))
    lines_until(s, b"a1")
    s.sendall(b"a2 ENABLE IMAP4rev2 QRESYNC XFOO\r\n")
    out = lines_until(s, b"a2")
    assert b"* ENABLED IMAP4rev2 QRESYNC\r\n" in out, out
    s.sendall(b"a3 NAMESPACE\r\n")
    assert b'* NAMESPACE (("" "/")) NIL NIL' in lines_until(s, b"a3")
    s.sendall(b"a4 SELECT INBOX\r\n")
    out = lines_until(s, b"a4")
    assert b"RECENT" not in out and b"* LIST () \"/\" \"INBOX\"" in out, out
    s.sendall(b"a5 UNSELECT\r\na6 UNSELECT\r\n")
    out = lines_until(s, b"a6")
    assert b"a5 OK" in out and b"a6 BAD" in out


def test_quota_from_authd_reaches_the_mailbox(imap):
    """authd's answer carries the user's quota; the mail role records it
    in the Maildir, where the store enforces it, and follows changes."""
    import os
    p = imap
    pw = imap_user(p)
    p.authctl("user", "quota", ALICE, "2M")
    login(p, pw).logout()
    path = os.path.join(p.maildir(ALICE), "postern-quota")
    with open(path) as f:
        assert f.read() == "v1 %d\n" % (2 * 1024 * 1024)
    p.authctl("user", "quota", ALICE, "none")
    login(p, pw).logout()
    with open(path) as f:
        assert f.read() == "v1 0\n"
