"""Integration tests: authd's lockout, bans, TOTP and app passwords as
an IMAP client meets them through imapd: the same rules and the same
generic answers as over POP3 (the audit log holds the reason), with the
client's source address varied on the loopback."""
import base64
import imaplib
import re
import socket
import ssl
import time

import pytest

from conftest import ALICE, BOB, audit, last_login, tls_context
from test_imap import imap, imap_user  # noqa: F401
from test_pop3_2fa import apppass, enrol, totp

OTHER = "127.0.0.2"
FAILED = "[AUTHENTICATIONFAILED] Authentication failed"


class IMAPFrom(imaplib.IMAP4_SSL):
    """imaplib over TLS from a chosen local source address."""

    def __init__(self, p, source="127.0.0.1"):
        self.source = source
        super().__init__("127.0.0.1", p.imap_port, ssl_context=tls_context(),
                         timeout=30)

    def _create_socket(self, timeout):
        raw = socket.create_connection((self.host, self.port), timeout,
                                       source_address=(self.source, 0))
        return self.ssl_context.wrap_socket(raw, server_hostname=self.host)


def login(p, user, secret, source="127.0.0.1"):
    """LOGIN on a fresh connection: "OK", or the NO's text; logs out."""
    c = IMAPFrom(p, source)
    try:
        c.login(user, secret)
    except imaplib.IMAP4.error as e:
        c.shutdown()
        return str(e.args[0].decode() if isinstance(e.args[0], bytes)
                   else e.args[0])
    c.logout()
    return "OK"


def test_five_wrong_passwords_lock_the_pair(imap):
    p = imap
    pw = imap_user(p)
    pw_bob = imap_user(p, BOB)
    for _ in range(5):
        assert FAILED in login(p, ALICE, "wrong")
    assert FAILED in login(p, ALICE, pw)
    rec = last_login(p)
    assert (rec["user"], rec["address"], rec["service"], rec["reason"]) == \
        (ALICE, "127.0.0.1", "imap", "pair locked"), rec
    assert login(p, BOB, pw_bob) == "OK"
    assert login(p, ALICE, pw, source=OTHER) == "OK"


def test_twenty_unknown_user_failures_ban_the_address(imap):
    p = imap
    pw = imap_user(p)
    for i in range(20):
        assert FAILED in login(p, "ghost%d@example.test" % i, "x"), i
    assert last_login(p)["reason"].startswith("unknown user; address banned")
    raw = socket.create_connection(("127.0.0.1", p.imap_port), 30)
    try:
        got = raw.recv(100)
    except ConnectionResetError:
        got = b""
    raw.close()
    assert got == b""
    with pytest.raises((ssl.SSLError, OSError, imaplib.IMAP4.error)):
        login(p, ALICE, pw)
    assert re.search(r"monitor: 127\.0\.0\.1 session [0-9a-f]{16}: address "
                     r"banned; closing", p.imap_log()), p.imap_log()
    assert login(p, ALICE, pw, source=OTHER) == "OK"


def test_totp_code_then_trust_window(imap):
    p = imap
    pw = imap_user(p)
    secret = enrol(p)
    assert FAILED in login(p, ALICE, pw)
    assert last_login(p)["reason"] == "2FA code missing"
    code = totp(secret, int(time.time()) + 30)
    assert login(p, ALICE, pw + code) == "OK"
    rec = last_login(p)
    assert (rec["service"], rec["reason"]) == \
        ("imap", "password and 2FA code"), rec
    assert login(p, ALICE, pw) == "OK"
    assert last_login(p)["reason"] == "password (trusted address)"
    assert FAILED in login(p, ALICE, pw + code, source=OTHER)
    assert last_login(p)["reason"] == "wrong or reused 2FA code"


def test_totp_over_authenticate_plain(imap):
    p = imap
    pw = imap_user(p)
    secret = enrol(p)
    code = totp(secret, int(time.time()) + 30)
    c = IMAPFrom(p, OTHER)
    blob = b"\0" + ALICE.encode() + b"\0" + (pw + code).encode()
    typ, _ = c._simple_command("AUTHENTICATE", "PLAIN",
                               base64.b64encode(blob).decode())
    assert typ == "OK"
    c.logout()
    rec = last_login(p)
    assert (rec["mech"], rec["reason"], rec["address"]) == \
        ("plain", "password and 2FA code", OTHER), rec


def test_app_passwords_scoped_by_service(imap):
    p = imap
    imap_user(p)
    enrol(p)
    pop_only = apppass(p, "fetcher", "pop3")
    phone = apppass(p, "phone", "imap")
    assert FAILED in login(p, ALICE, pop_only, source=OTHER)
    assert last_login(p)["reason"] == \
        "app password fetcher: service imap not allowed"
    assert login(p, ALICE, phone, source=OTHER) == "OK"
    rec = last_login(p)
    assert (rec["service"], rec["reason"]) == ("imap", "app password phone")
    p.authctl("apppass", "revoke", ALICE, "phone")
    assert FAILED in login(p, ALICE, phone, source=OTHER)
    assert [r["result"] for r in audit(p) if r["service"] == "imap"][-1] \
        == "fail"


def test_user_without_the_imap_service_is_refused_alike(imap):
    p = imap
    pw = imap_user(p)
    p.authctl("user", "services", ALICE, "pop3")
    assert FAILED in login(p, ALICE, pw)
    assert "imap" in last_login(p)["reason"]


def test_idle_connection_before_login_is_closed(imap):
    """imap login timeout (10 s here) ends a connection that sends
    nothing after the greeting, long before the session's 30 minutes."""
    p = imap
    p.stop_imapd()
    p.write_config("imap login timeout 10s\nlogin grace 1m\n")
    p.start_imapd()
    s = tls_context().wrap_socket(socket.create_connection(
        ("127.0.0.1", p.imap_port), 30))
    assert s.recv(4096).startswith(b"* OK ")
    t0 = time.monotonic()
    s.settimeout(30)
    assert s.recv(100) == b""
    assert 9 <= time.monotonic() - t0 < 20
    assert "idle timeout; closing" in p.imap_log()


def heavy_session(p, pw, ncmd=12):
    """A session that has sent ncmd expensive SEARCHes at once."""
    s = tls_context().wrap_socket(socket.create_connection(
        ("127.0.0.1", p.imap_port), 30))
    s.recv(4096)
    keys = b" ".join(b"NOT BODY zz%04d" % i for i in range(40))
    s.sendall(b"L LOGIN %s %s\r\nS SELECT INBOX\r\n" % (ALICE.encode(),
                                                        pw.encode()) +
              b"".join(b"q%d SEARCH %s\r\n" % (i, keys)
                       for i in range(ncmd)))
    buf = b""
    while b"S OK" not in buf:
        buf += s.recv(65536)
    return s, buf


def test_quick_answer_is_not_held_behind_slow_commands(imap):
    """The answer to SELECT is sent while the SEARCHes pipelined after
    it still run, not batched with theirs (CI waited 30 s for it)."""
    from test_imap_clients import bulk_deliver
    p = imap
    pw = imap_user(p)
    bulk_deliver(p, ALICE, 300, body="x" * 20000)
    s, buf = heavy_session(p, pw)
    assert b"S OK [READ-WRITE]" in buf
    assert b"q11 OK" not in buf, buf[-300:]
    s.close()


@pytest.mark.serial
@pytest.mark.parametrize("how", ["close", "kick"])
def test_ended_session_stops_the_commands_it_sent(imap, how):
    """A client that leaves, or a kick, ends the work the session had
    already read (an outside review saw 40 pipelined SEARCHes run on for
    half a minute, holding the session's place)."""
    from test_imap_clients import bulk_deliver
    p = imap
    pw = imap_user(p)
    bulk_deliver(p, ALICE, 300, body="x" * 20000)
    s, _ = heavy_session(p, pw)
    time.sleep(0.3)
    t0 = time.monotonic()
    if how == "close":
        s.close()
        want = "disconnected without LOGOUT"
    else:
        p.authctl("kick", ALICE)
        want = "session ended by authd"
    deadline = t0 + 20
    while want not in p.imap_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert want in p.imap_log(), p.imap_log()[-2000:]
    assert time.monotonic() - t0 < 5, time.monotonic() - t0
    m = re.search(r"(\d+) commands", p.imap_log().split(want)[1])
    assert m and int(m.group(1)) < 14, p.imap_log()[-500:]
