"""Integration tests: imapd's privilege separation, the same skeleton as
pop3d's (common/skel_*.c), checked from outside through /proc,
/proc/PID/mem and gdb, as root only: the keyholder, net and mail roles'
users, roots, seccomp and no_new_privs; the private key in the
keyholder only; a forbidden system call ends one session, not the
server; credentials wiped from the net process after the login."""
import base64
import os

import pytest

from conftest import ALICE, IMAPD, IS_ROOT, deliver, last_login, message
from test_imap import connect, imap, imap_user, login  # noqa: F401
from test_pop3_privsep import alive, assert_no_secret, assert_sandboxed, \
    contains, gdb_forbidden_syscall, keyholder_pid, private_scalar, \
    secret_needles, session_pids, status, wait_until

pytestmark = pytest.mark.skipif(
    not IS_ROOT, reason="imapd separates privileges only when started as "
    "root (development mode otherwise)")


def test_keyholder_is_sandboxed(imap):
    p = imap
    kh = keyholder_pid(p, p.imap.pid)
    assert os.path.realpath("/proc/%d/exe" % kh) == os.path.realpath(IMAPD)
    assert wait_until(lambda: status(kh)["Seccomp"] == "2"), status(kh)
    assert_sandboxed(kh, "_postern-key", os.path.join(p.dir, "empty"),
                     "keyholder")
    st = status(p.imap.pid)
    assert st["Uid"].split()[1] == "0" and st["Seccomp"] == "0", st


def test_net_before_and_after_login_mail_after(imap):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(1))
    c = connect(p)
    mon, net = session_pids(p, p.imap.pid)
    empty = os.path.join(p.dir, "empty")
    assert_sandboxed(net, "_postern", empty, "net before login")
    assert status(mon)["Uid"].split() == ["0"] * 4
    c.login(ALICE, pw)
    assert session_pids(p, p.imap.pid) == (mon, net)
    assert_sandboxed(net, "_postern", empty, "net after login")
    assert_sandboxed(mon, "_postern-mail", p.maildir(ALICE), "mail")
    assert c.select("INBOX") == ("OK", [b"1"])
    c.logout()
    assert wait_until(lambda: not alive(mon) and not alive(net))


def test_private_key_only_in_the_keyholder(imap):
    p = imap
    pw = imap_user(p)
    scalar = private_scalar(p)
    kh = keyholder_pid(p, p.imap.pid)
    assert contains(kh, scalar), "scan did not find the key in the keyholder"
    c = connect(p)
    mon, net = session_pids(p, p.imap.pid)
    assert not contains(net, scalar), "private key in the net process"
    assert not contains(mon, scalar), "private key in the monitor"
    assert not contains(p.imap.pid, scalar), "private key in the parent"
    c.login(ALICE, pw)
    assert not contains(net, scalar), "private key in net after login"
    assert not contains(mon, scalar), "private key in the mail process"
    c.logout()


@pytest.mark.parametrize("role", ["net", "mail"])
def test_forbidden_syscall_ends_the_session_not_the_server(imap, role):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(1))
    c = login(p, pw)
    c.select("INBOX")
    mail, net = session_pids(p, p.imap.pid)
    victim = net if role == "net" else mail
    out = gdb_forbidden_syscall(victim)
    assert "SIGSYS" in out, out
    assert wait_until(lambda: not alive(mail) and not alive(net)), out
    with pytest.raises(Exception):
        c.noop()
    assert p.imap.poll() is None
    c = login(p, pw)
    assert c.select("INBOX") == ("OK", [b"1"])
    c.logout()
    assert last_login(p)["result"] == "ok"


@pytest.mark.parametrize("mech", ["login", "plain"])
def test_net_wipes_credentials(imap, mech):
    """After the login neither the password nor its base64 forms are in
    the net process's or the mail process's memory."""
    p = imap
    pw = imap_user(p)
    needles = secret_needles(ALICE, pw)
    wrong = pw[::-1]
    needles.update(secret_needles(ALICE, wrong, "wrong password"))
    c = connect(p)
    mon, net = session_pids(p, p.imap.pid)
    if mech == "login":
        with pytest.raises(Exception):
            c.login(ALICE, wrong)
        c.login(ALICE, pw)
    else:
        for secret, ok in ((wrong, False), (pw, True)):
            blob = b"\0" + ALICE.encode() + b"\0" + secret.encode()
            typ, _ = c._simple_command(
                "AUTHENTICATE", "PLAIN", base64.b64encode(blob).decode())
            assert (typ == "OK") == ok
        c.state = "AUTH"
    assert session_pids(p, p.imap.pid) == (mon, net)
    assert_no_secret(net, needles, "the net process")
    assert_no_secret(mon, needles, "the mail process")
    c.logout()
