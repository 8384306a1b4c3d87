"""Per-user mailbox quotas, the authd side: "default quota" in
postern.conf, "authctl user quota" and its line in "user show", the
audit record of each change, and the quota authd hands out with a
successful login and with each recipient of a lookup (tests/lib/
authclient.py against a real authd)."""
import os
import signal
import time

import lmdb

from conftest import ALICE, BOB, audit

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


def show_quota(p, user=ALICE):
    """The quota line of "authctl user show", without "quota: "."""
    lines = [l for l in p.authctl("user", "show", user).stdout.splitlines()
             if l.startswith("quota: ")]
    assert len(lines) == 1, lines
    return lines[0][len("quota: "):]


def login_quota(p, user, pw, address="192.0.2.30"):
    c = p.client()
    st, u, maildir, quota = c.login_answer(user, pw, address=address)
    c.close()
    assert (st, u) == ("ok", user), (st, u, p.log())
    assert maildir
    return quota


def failed(p, *args, rc=1):
    """Runs authctl expecting failure; returns stderr."""
    r = p.authctl(*args, check=False)
    assert r.returncode == rc, (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), "no error message for %s" % (args,)
    return r.stderr


def wait_log(p, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in p.log():
            return
        time.sleep(0.05)
    raise AssertionError("no %r in the log: %s" % (text, p.log()))


def test_set_show_change_and_reset(postern):
    p = postern
    pw = p.add_user(ALICE)
    assert show_quota(p) == "none (default)"
    assert login_quota(p, ALICE, pw) == 0

    p.authctl("user", "quota", ALICE, "2G")
    assert show_quota(p) == "2G"
    assert login_quota(p, ALICE, pw) == 2 * GIB

    p.authctl("user", "quota", ALICE, "500m")
    assert show_quota(p) == "500M"
    assert login_quota(p, ALICE, pw) == 500 * MIB

    p.authctl("user", "quota", ALICE, "1536K")
    assert show_quota(p) == "1536K"
    assert login_quota(p, ALICE, pw) == 1536 * KIB

    p.authctl("user", "quota", ALICE, "none")
    assert show_quota(p) == "none"
    assert login_quota(p, ALICE, pw) == 0

    p.authctl("user", "quota", ALICE, "default")
    assert show_quota(p) == "none (default)"
    assert login_quota(p, ALICE, pw) == 0

    reasons = [r["reason"] for r in audit(p)
               if r["result"] == "admin" and r["reason"].startswith("quota")]
    assert reasons == [
        "quota 2G, was none (default)",
        "quota 500M, was 2G",
        "quota 1536K, was 500M",
        "quota none, was 1536K",
        "quota none (default), was none",
    ], reasons
    assert all(r["user"] == ALICE for r in audit(p)
               if r["reason"].startswith("quota"))


def test_default_from_the_config_and_per_user_override(stopped_postern):
    p = stopped_postern
    p.write_config("default quota 1G\n")
    p.start()
    pw_a = p.add_user(ALICE)
    pw_b = p.add_user(BOB)
    assert show_quota(p, ALICE) == "1G (default)"
    assert login_quota(p, ALICE, pw_a) == GIB

    p.authctl("user", "quota", BOB, "200M")
    assert show_quota(p, BOB) == "200M"
    assert login_quota(p, BOB, pw_b) == 200 * MIB
    assert login_quota(p, ALICE, pw_a) == GIB, "alice keeps the default"

    # Unlimited for bob although a default exists.
    p.authctl("user", "quota", BOB, "0")
    assert show_quota(p, BOB) == "none"
    assert login_quota(p, BOB, pw_b) == 0

    p.authctl("user", "quota", BOB, "default")
    assert show_quota(p, BOB) == "1G (default)"
    assert login_quota(p, BOB, pw_b) == GIB


def test_session_login_carries_the_quota(postern):
    """The answer to a login that opens a session (MSG_AUTH_SESSION,
    what the daemons' monitors send) carries it too."""
    p = postern
    pw = p.add_user(ALICE)
    p.authctl("user", "quota", ALICE, "3G")
    from authclient import Reader, frame
    c = p.client()
    c.s.sendall(frame(4, 1, "imap", "plain", ALICE, pw, "192.0.2.31", 993,
                      "s-quota"))
    r = Reader(c.read_frame())
    assert (r.u32(), r.u32(), r.str()) == (1, 0, ALICE)
    r.str()
    assert r.u64() == 3 * GIB
    r.end()
    c.close()


def test_failed_login_carries_no_quota(postern):
    p = postern
    p.add_user(ALICE)
    p.authctl("user", "quota", ALICE, "2G")
    c = p.client()
    st, u, maildir, quota = c.login_answer(ALICE, "wrong password here",
                                           address="192.0.2.32")
    assert (st, u, maildir, quota) == ("fail", "", "", 0)
    c.close()


def test_recipients_carry_their_quota(stopped_postern):
    p = stopped_postern
    p.write_config("default quota 1G\n")
    p.start()
    p.add_user(ALICE)
    p.add_user(BOB)
    p.authctl("user", "quota", BOB, "300M")
    p.authctl("alias", "add", "team@example.test",
              "%s,%s,friend@elsewhere.example" % (ALICE, BOB))
    c = p.client()
    assert c.rcpt_quotas(ALICE) == ("ok", [(ALICE, GIB)])
    assert c.rcpt_quotas(BOB) == ("ok", [(BOB, 300 * MIB)])
    st, users = c.rcpt_quotas("team@example.test")
    assert st == "ok"
    assert sorted(users) == sorted([(ALICE, GIB), (BOB, 300 * MIB),
                                    ("friend@elsewhere.example", 0)])
    p.authctl("user", "quota", ALICE, "none")
    assert c.rcpt_quotas(ALICE) == ("ok", [(ALICE, 0)])
    assert c.rcpt_quotas("nobody@example.test") == ("fail", [])
    c.close()


def test_sighup_reloads_the_default(stopped_postern):
    p = stopped_postern
    p.write_config("default quota 1G\n")
    p.start()
    pw = p.add_user(ALICE)
    assert login_quota(p, ALICE, pw) == GIB
    p.write_config("default quota 3G\n")
    p.proc.send_signal(signal.SIGHUP)
    wait_log(p, "audit retention and default quota")
    assert p.proc.poll() is None, "authd died on SIGHUP"
    assert login_quota(p, ALICE, pw) == 3 * GIB
    assert show_quota(p) == "3G (default)"


def test_bad_quotas_and_users_change_nothing(postern):
    p = postern
    p.add_user(ALICE)
    p.authctl("user", "quota", ALICE, "2G")
    n = len(audit(p))
    for bad in ("2T", "512", "1025G", "1.5G", "abc", "", "Default", "2 G"):
        err = failed(p, "user", "quota", ALICE, bad)
        assert "%s: not a quota" % bad in err, err
        assert "1K to 1024G" in err and "none" in err and "default" in err
    err = failed(p, "user", "quota", "nobody@example.test", "1G")
    assert "nobody@example.test: no such user" in err, err
    err = failed(p, "user", "quota", "nobody@other.test", "1G")
    assert "other.test is not a local domain" in err, err
    err = failed(p, "user", "quota", ALICE, rc=2)
    assert "missing the quota" in err and "usage: authctl user quota" in err
    err = failed(p, "user", "quota", rc=2)
    assert "missing the user" in err, err
    err = failed(p, "user", "quota", ALICE, "1G", "2G", rc=2)
    assert "2G: unexpected argument" in err, err
    err = failed(p, "user", "quota", ALICE, "-1", rc=2)
    assert "-1: unknown option" in err, err
    assert len(audit(p)) == n, "a refused command was audited"
    assert show_quota(p) == "2G", "a refused command changed the quota"


def test_bad_default_quota_in_the_config(stopped_postern):
    p = stopped_postern
    p.write_config("default quota 10T\n")
    r = p.authctl("user", "list", check=False)
    assert r.returncode == 1
    line = len(open(p.conf).read().splitlines())
    assert ('%s:%d: "default quota" needs none or a size from 1K to 1024G, '
            'got "10T"' % (p.conf, line)) in r.stderr, r.stderr


def test_user_del_removes_the_quota(postern):
    p = postern
    p.add_user(ALICE)
    p.authctl("user", "quota", ALICE, "2G")
    p.authctl("user", "del", ALICE, "--purge")
    failed(p, "user", "show", ALICE)
    pw = p.add_user(ALICE)
    assert show_quota(p) == "none (default)"
    assert login_quota(p, ALICE, pw) == 0
    env = lmdb.open(os.path.join(p.dir, "state", "auth"), max_dbs=16,
                    readonly=True, lock=False)
    with env.begin() as t:
        db = env.open_db(b"quota", txn=t, create=False)
        assert t.get(ALICE.encode(), db=db) is None
    env.close()


def test_a_database_without_quotas_opens(stopped_postern):
    """A database from before quotas (no "quota" database) opens in
    authd and authctl alike, its users follow the default, and a quota
    can then be set."""
    p = stopped_postern
    p.write_config("default quota 1G\n")
    pw = p.add_user(ALICE)
    env = lmdb.open(os.path.join(p.dir, "state", "auth"), max_dbs=16)
    with env.begin(write=True) as t:
        t.drop(env.open_db(b"quota", txn=t), delete=True)
    with env.begin() as t:
        names = [k for k, _ in t.cursor()]
    env.close()
    assert b"quota" not in names and b"users" in names, names
    p.start()
    assert login_quota(p, ALICE, pw) == GIB
    assert show_quota(p) == "1G (default)"
    p.authctl("user", "quota", ALICE, "5M")
    assert login_quota(p, ALICE, pw) == 5 * MIB
