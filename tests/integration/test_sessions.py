"""Integration tests: live sessions end when the administrator says so
(authctl user disable, user passwd, kick), authctl who and user show list
them, and a mailbox the mail uid cannot use is a [SYS/TEMP] whose login
is not recorded as a session that opened (issue 8)."""
import os
import poplib
import re
import shutil
import socket
import time

import pytest

from conftest import ALICE, BOB, IS_ROOT, audit, last_login
from test_pop3 import connect, deliver, login, message, pop3, pop_user  # noqa: F401


def ends_within(c, seconds):
    """Waits until the server closes c's connection; returns how long it
    took, or fails after seconds.  What the server sent last is kept in
    c.last for the caller to look at."""
    c.sock.settimeout(seconds)
    start, data = time.time(), b""
    try:
        while True:
            chunk = c.sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        raise AssertionError("the session was still open after %.1f s "
                             "(got %r)" % (seconds, data))
    except OSError:
        pass
    c.last = data
    return time.time() - start


def who(p, *args):
    """authctl who's lines, split into fields."""
    out = p.authctl("who", *args).stdout
    return [l.split() for l in out.splitlines() if l.strip()]


def assert_alive(c):
    assert c.noop().startswith(b"+OK")


def test_disable_ends_the_session_within_a_second(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    c = login(p, pw)
    assert c.stat()[0] == 1
    r = p.authctl("user", "disable", ALICE)
    assert "ended 1 live session of " + ALICE in r.stderr, r.stderr
    assert ends_within(c, 1.0) < 1.0
    assert b"session ended" in c.last, c.last
    assert who(p) == []
    assert "session ended by authd (user disabled): retrieved" in p.pop3_log()
    rec = [r for r in audit(p) if r["reason"].startswith("ended the pop3")]
    assert len(rec) == 1, rec
    assert rec[0]["user"] == ALICE and rec[0]["address"] == "127.0.0.1"
    assert rec[0]["session"] == last_login(p)["session"]
    assert "user disabled, by " in rec[0]["reason"]


def test_passwd_ends_the_session_and_others_stay(pop3):
    p = pop3
    pw = pop_user(p)
    pw_b = pop_user(p, BOB)
    c = login(p, pw)
    other = login(p, pw_b, user=BOB)
    p.authctl("user", "passwd", ALICE, "--password-stdin",
              input="a much newer passphrase 4711\n")
    assert ends_within(c, 1.0) < 1.0
    assert_alive(other)
    other.quit()


def test_who_lists_and_kick_ends_by_user_and_by_session(pop3):
    p = pop3
    pw = pop_user(p)
    pw_b = pop_user(p, BOB)
    a = login(p, pw)
    b = login(p, pw_b, user=BOB)
    rows = who(p)
    assert sorted(r[1] for r in rows) == [ALICE, BOB], rows
    for r in rows:
        assert r[2] == "pop3" and r[3] == "127.0.0.1", r
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", r[4]), r
    sess = {r[1]: r[0] for r in rows}
    assert sess[ALICE] == [x for x in audit(p) if x["user"] == ALICE and
                           x["result"] == "ok"][-1]["session"]
    assert [r[1] for r in who(p, BOB)] == [BOB]
    assert any(x["reason"].startswith("who: 2 live sessions")
               for x in audit(p)), audit(p)[-3:]

    p.authctl("kick", sess[BOB])
    assert ends_within(b, 1.0) < 1.0
    assert_alive(a)
    p.authctl("kick", ALICE)
    assert ends_within(a, 1.0) < 1.0
    assert who(p) == []
    kicks = [x for x in audit(p) if x["reason"].startswith("ended the")]
    assert [x["session"] for x in kicks] == [sess[BOB], sess[ALICE]]

    r = p.authctl("kick", ALICE, check=False)
    assert r.returncode == 1 and "no live session" in r.stderr, r.stderr
    r = p.authctl("kick", "no/such", check=False)
    assert r.returncode == 1 and "not a session id" in r.stderr, r.stderr


def test_user_show_lists_sessions_and_locked_addresses(pop3):
    p = pop3
    pw = pop_user(p)
    cl = p.client()
    for _ in range(5):
        cl.login(ALICE, "wrong", address="192.0.2.9", service="pop3")
    out = p.authctl("user", "show", ALICE).stdout
    assert re.search(r"^locked: 192\.0\.2\.9 until \S+ \(5 failures",
                     out, re.M), out
    assert "sessions: none" in out, out
    c = login(p, pw)
    out = p.authctl("user", "show", ALICE).stdout
    m = re.search(r"^session: (\S+) pop3 from 127\.0\.0\.1 since \S+$",
                  out, re.M)
    assert m and m.group(1) == who(p)[0][0], out
    c.quit()


def test_authctl_without_authd_still_disables(pop3):
    p = pop3
    pop_user(p)
    p.stop()
    r = p.authctl("user", "disable", ALICE)
    assert "authd is not running" in r.stderr and \
        "no live sessions were ended" in r.stderr, r.stderr
    assert "disabled" in p.authctl("user", "show", ALICE).stdout
    p.start()


def test_session_ends_when_authd_stops(pop3):
    p = pop3
    pw = pop_user(p)
    c = login(p, pw)
    p.stop()
    assert ends_within(c, 1.0) < 1.0
    p.start()


def test_login_of_a_session_that_never_opened_is_not_ok(pop3):
    """A closed authd connection before MSG_AUTH_OPEN: the record says
    the session did not open."""
    p = pop3
    pw = pop_user(p)
    from authclient import AuthClient, Reader, frame
    c = AuthClient(p.sock)
    c.s.sendall(frame(4, 1, "pop3", "user", ALICE, pw, "192.0.2.4", 995,
                      "s-unopened"))
    r = Reader(c.read_frame())
    assert (r.u32(), r.u32()) == (1, 0)
    assert who(p) == []
    c.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        rec = [x for x in audit(p) if x["session"] == "s-unopened"]
        if rec:
            break
        time.sleep(0.05)
    assert len(rec) == 1, rec
    assert rec[0]["result"] == "tempfail", rec
    assert "session not opened" in rec[0]["reason"], rec


@pytest.mark.skipif(not IS_ROOT, reason="the mail uid exists only as root")
@pytest.mark.parametrize("fault", ["root-owned", "mode-0", "no-mail-root"])
def test_unusable_mailbox_is_sys_temp_and_named(pop3, fault):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    md = p.maildir(ALICE)
    if fault == "root-owned":
        os.chown(md, 0, 0)
        os.chmod(md, 0o700)
        path = md
    elif fault == "mode-0":
        os.chmod(md, 0)
        path = md
    else:
        shutil.rmtree(os.path.join(p.dir, "mail"))
        path = os.path.join(p.dir, "mail")
    c = connect(p)
    c.user(ALICE)
    with pytest.raises(poplib.error_proto) as e:
        c.pass_(pw)
    assert b"[SYS/TEMP]" in e.value.args[0], e.value.args
    assert b"[IN-USE]" not in e.value.args[0]
    log = p.pop3_log()
    assert re.search(r"%s: session not opened: .*%s" % (re.escape(ALICE),
                     re.escape(path)), log), log
    rec = last_login(p, user=ALICE)
    assert rec["result"] == "tempfail", rec
    assert "session not opened" in rec["reason"] and path in \
        rec["reason"], rec
    assert who(p) == []


def test_only_authctl_lists_and_ends_sessions(pop3):
    """Root peers (the monitors) may open sessions but neither list nor
    end them; a session report without a session closes the client."""
    p = pop3
    pw = pop_user(p)
    c = login(p, pw)
    from authclient import frame
    for data in (frame(7, 1, "", 0, "root", 1),
                 frame(8, 1, ALICE, "", "kicked", "root", 1),
                 frame(5, 1, 0, "")):
        a = p.client()
        a.s.sendall(data)
        a.s.settimeout(10)
        assert a.s.recv(100) == b"", data
        a.close()
    assert_alive(c)
    assert [r[1] for r in who(p)] == [ALICE]
    c.quit()
