"""Integration tests: authd's lockout, bans, TOTP and app passwords as
a POP3 client meets them through pop3d (DESIGN 4): the monitor passes
the address the kernel reported, so these tests vary the client's source
address on the loopback (127.0.0.1 and 127.0.0.2 are both local)."""
import poplib
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import ALICE, audit, away_from_step_boundary, last_login
from test_pop3 import pop3, pop_user, tls_context  # noqa: F401

BOB = "bob@example.test"
OTHER = "127.0.0.2"


class POP3From(poplib.POP3_SSL):
    """poplib over TLS from a chosen local source address."""

    def __init__(self, p, source="127.0.0.1"):
        self.source = source
        super().__init__("127.0.0.1", p.pop3_port, context=tls_context(),
                         timeout=30)

    def _create_socket(self, timeout):
        raw = socket.create_connection((self.host, self.port), timeout,
                                       source_address=(self.source, 0))
        return self.context.wrap_socket(raw)


def login(p, user, secret, source="127.0.0.1"):
    """USER/PASS on a fresh connection; returns the answer line (bytes)
    to PASS, and closes (QUIT after a success)."""
    c = POP3From(p, source)
    c.user(user)
    try:
        answer = c.pass_(secret)
    except poplib.error_proto as e:
        c.close()
        return e.args[0]
    c.quit()
    return answer


def totp(secret, at=None):
    args = ["oathtool", "--totp", "-b", secret]
    if at is not None:
        args += ["-N", "@%d" % at]
    out = subprocess.run(args, capture_output=True, text=True, check=True,
                         timeout=30).stdout.strip()
    assert re.fullmatch(r"\d{6}", out), out
    return out


def enrol(p, user=ALICE):
    """TOTP enabled and confirmed with the current step's code; returns
    the secret.  Leaves at least 3 s of the step."""
    away_from_step_boundary(margin=6)
    out = p.authctl("totp", "enable", user).stdout
    secret = re.search(r"^secret: ([A-Z2-7]+)$", out, re.M).group(1)
    p.authctl("totp", "confirm", user, totp(secret))
    return secret


# --- lockout and bans ----------------------------------------------------------

def test_five_wrong_passwords_lock_the_pair(pop3):
    p = pop3
    pw = pop_user(p)
    pw_bob = pop_user(p, BOB)
    for _ in range(5):
        assert login(p, ALICE, "wrong").startswith(b"-ERR [AUTH]")
    answer = login(p, ALICE, pw)
    assert answer == b"-ERR [AUTH] Authentication failed", answer
    rec = last_login(p)
    assert (rec["user"], rec["address"], rec["service"], rec["reason"]) == \
        (ALICE, "127.0.0.1", "pop3", "pair locked"), rec
    # The lock is the pair's: another user from here, and the same user
    # from another address, still log in.
    assert login(p, BOB, pw_bob).startswith(b"+OK")
    assert login(p, ALICE, pw, source=OTHER).startswith(b"+OK")
    assert last_login(p)["address"] == OTHER


def test_twenty_unknown_user_failures_ban_the_address(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(20):
        answer = login(p, "ghost%d@example.test" % i, "x")
        assert answer.startswith(b"-ERR [AUTH]"), (i, answer)
    rec = last_login(p)
    assert rec["address"] == "127.0.0.1", rec
    assert rec["reason"].startswith("unknown user; address banned"), rec
    assert "127.0.0.1" in p.authctl("bans").stdout
    # A new connection is closed by the monitor before any TLS byte: the
    # client sends nothing and still sees the end of the stream.
    raw = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    raw.settimeout(30)
    try:
        got = raw.recv(100)
    except ConnectionResetError:
        got = b""
    raw.close()
    assert got == b"", got
    # A TLS client gets no handshake, even with the right password.
    with pytest.raises((ssl.SSLError, OSError, poplib.error_proto)):
        login(p, ALICE, pw)
    assert re.search(r"monitor: 127\.0\.0\.1 session [0-9a-f]{16}: address "
                     r"banned; closing", p.pop3_log()), p.pop3_log()
    # pop3d and everyone else are fine.
    assert p.pop3.poll() is None
    assert login(p, ALICE, pw, source=OTHER).startswith(b"+OK")


# --- TOTP ---------------------------------------------------------------------

def test_totp_user_code_then_trust_window(pop3):
    p = pop3
    pw = pop_user(p)
    secret = enrol(p)
    # Without the code: refused like any failure.
    assert login(p, ALICE, pw).startswith(b"-ERR [AUTH]")
    assert last_login(p)["reason"] == "2FA code missing"
    # Password directly followed by the next step's code (the current
    # one went to the confirm).
    code = totp(secret, int(time.time()) + 30)
    assert login(p, ALICE, pw + code).startswith(b"+OK")
    rec = last_login(p)
    assert (rec["service"], rec["reason"]) == \
        ("pop3", "password and 2FA code"), rec
    # Inside the trust window of (alice, 127.0.0.1) the password alone.
    assert login(p, ALICE, pw).startswith(b"+OK")
    assert last_login(p)["reason"] == "password (trusted address)"
    # Not from another address; and the code does not work twice.
    assert login(p, ALICE, pw, source=OTHER).startswith(b"-ERR [AUTH]")
    assert last_login(p)["reason"] == "2FA code missing"
    assert login(p, ALICE, pw + code, source=OTHER).startswith(
        b"-ERR [AUTH]")
    assert last_login(p)["reason"] == "wrong or reused 2FA code"
    assert login(p, ALICE, pw + code).startswith(b"-ERR [AUTH]")
    assert last_login(p)["reason"] == "wrong or reused 2FA code"


def test_totp_over_sasl_plain(pop3):
    import base64
    p = pop3
    pw = pop_user(p)
    secret = enrol(p)
    code = totp(secret, int(time.time()) + 30)
    c = POP3From(p, OTHER)
    token = base64.b64encode(b"\0" + ALICE.encode() + b"\0" +
                             (pw + code).encode()).decode()
    assert c._shortcmd("AUTH PLAIN " + token).startswith(b"+OK")
    assert c.stat() == (0, 0)
    c.quit()
    rec = last_login(p)
    assert (rec["mech"], rec["reason"], rec["address"]) == \
        ("plain", "password and 2FA code", OTHER), rec


# --- app passwords -------------------------------------------------------------

def apppass(p, label, services, user=ALICE):
    out = p.authctl("apppass", "add", user, label, "--services", services)
    return out.stdout.strip().splitlines()[-1]


def test_app_passwords_scoped_by_service(pop3):
    p = pop3
    pop_user(p)
    enrol(p)                        # a TOTP user: app passwords need no code
    imap_only = apppass(p, "phone", "imap")
    pop = apppass(p, "fetcher", "pop3")
    assert login(p, ALICE, imap_only, source=OTHER).startswith(
        b"-ERR [AUTH]")
    assert last_login(p)["reason"] == \
        "app password phone: service pop3 not allowed"
    assert login(p, ALICE, pop, source=OTHER).startswith(b"+OK")
    rec = last_login(p)
    assert (rec["service"], rec["reason"], rec["address"]) == \
        ("pop3", "app password fetcher", OTHER), rec
    # Revoked, it is refused.
    p.authctl("apppass", "revoke", ALICE, "fetcher")
    assert login(p, ALICE, pop, source=OTHER).startswith(b"-ERR [AUTH]")
    assert [r["result"] for r in audit(p) if r["service"] == "pop3"][-1] \
        == "fail"
