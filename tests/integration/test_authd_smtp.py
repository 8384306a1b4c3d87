"""What authd gives smtpd: recipient lookups with subaddresses and
catch-all aliases, answers that fit one frame, the per-user sending limit
(MSG_AUTH_SEND), and the login notices authd drops into smtpd's offline
intake (<spool>/intake), all against a real authd and authctl."""
import os
import re
import time

import lmdb
import pytest

from conftest import ALICE, BOB, Postern, _finish, audit, last_login

CAROL = "carol@example.test"


# --- recipients ----------------------------------------------------------

def test_rcpt_subaddress(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    assert c.rcpt("alice+lists@example.test") == ("ok", [ALICE])
    assert c.rcpt("Alice+Lists@Example.Test") == ("ok", [ALICE])
    # Only the first '+' separates; the tag may hold more of them.
    assert c.rcpt("alice+a+b@example.test") == ("ok", [ALICE])
    assert c.rcpt("alice+@example.test") == ("ok", [ALICE])
    # No base: nobody; a base that is nobody: nobody.
    assert c.rcpt("+tag@example.test") == ("fail", [])
    assert c.rcpt("nobody+tag@example.test") == ("fail", [])
    # Another separator is not one.
    assert c.rcpt("alice-lists@example.test") == ("fail", [])
    # An alias's subaddress reaches the alias's targets.
    p.authctl("alias", "add", "sales@example.test", "%s,%s" % (ALICE, BOB))
    st, users = c.rcpt("sales+eu@example.test")
    assert st == "ok" and sorted(users) == [ALICE, BOB]
    # A user or alias named with the '+' wins over the base.
    p.authctl("alias", "add", "alice+vip@example.test", BOB)
    assert c.rcpt("alice+vip@example.test") == ("ok", [BOB])
    assert c.rcpt("alice+other@example.test") == ("ok", [ALICE])
    # A disabled user's subaddress is nobody, and falls to no catch-all.
    p.authctl("alias", "add", "@example.test", BOB)
    p.authctl("user", "disable", ALICE)
    assert c.rcpt("alice+x@example.test") == ("fail", [])


def test_rcpt_catchall(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    assert c.rcpt("anyone@example.test") == ("fail", [])
    p.authctl("alias", "add", "@Example.Test", ALICE)
    assert p.authctl("alias", "list").stdout.strip() == \
        "@example.test " + ALICE
    assert c.rcpt("anyone@example.test") == ("ok", [ALICE])
    assert c.rcpt("Anyone+x@EXAMPLE.test") == ("ok", [ALICE])
    # Used only when nothing else matches.
    assert c.rcpt(BOB) == ("ok", [BOB])
    assert c.rcpt("bob+x@example.test") == ("ok", [BOB])
    # Per domain: example.org has none; outside addresses are never ours.
    assert c.rcpt("anyone@example.org") == ("fail", [])
    assert c.rcpt("anyone@elsewhere.example") == ("fail", [])
    # The catch-all itself is no address a client may give.
    assert c.rcpt("@example.test") == ("fail", [])
    # Alias targets that name nobody get no catch-all; authctl refuses them.
    r = p.authctl("alias", "add", "team@example.test",
                  "ghost@example.test", check=False)
    assert r.returncode == 1 and "no such user or alias" in r.stderr
    p.authctl("alias", "del", "@example.test")
    assert c.rcpt("anyone@example.test") == ("fail", [])
    recs = [r for r in audit(p) if r["service"] == "authctl"]
    assert recs[-1]["user"] == "@example.test"
    assert recs[-1]["reason"] == "alias del"


@pytest.mark.parametrize("name, why", [
    ("@elsewhere.example", "not a local domain"),
    ("@", "not a catch-all alias"),
    ("@a@example.test", "not a catch-all alias"),
    ("@" + "d" * 254, "not a catch-all alias"),
])
def test_catchall_errors(postern, name, why):
    postern.add_user(ALICE)
    r = postern.authctl("alias", "add", name, ALICE, check=False)
    assert r.returncode == 1 and why in r.stderr, r.stderr
    assert postern.authctl("alias", "list").stdout == ""


def long_target(i, k):
    """A distinct outside address of 250 bytes (local part 64)."""
    local = ("t%d-%d-" % (i, k)).ljust(64, "x")
    domain = ".".join(["d" * 60, "e" * 60, "f" * 60, "example"])
    addr = "%s@%s" % (local, domain[:250 - 65])
    assert len(addr) == 250
    return addr


def add_long_aliases(p, n):
    """n aliases part<i>@example.test of 4 long outside targets each."""
    for i in range(n):
        p.authctl("alias", "add", "part%d@example.test" % i,
                  ",".join(long_target(i, k) for k in range(4)))


def test_rcpt_answer_fits_one_frame(postern):
    p = postern
    c = p.client()
    add_long_aliases(p, 8)
    # Three parts: 12 names of 250 bytes fit one answer.
    p.authctl("alias", "add", "some@example.test",
              ",".join("part%d@example.test" % i for i in range(3)))
    st, users = c.rcpt("some@example.test")
    assert st == "ok" and len(users) == 12
    assert sorted(users) == sorted(long_target(i, k) for i in range(3)
                                   for k in range(4))
    # 32 long targets do not: authctl says so and stores nothing.
    parts = ",".join("part%d@example.test" % i for i in range(8))
    r = p.authctl("alias", "add", "all@example.test", parts, check=False)
    assert r.returncode == 1 and "split it" in r.stderr, r.stderr
    assert c.rcpt("all@example.test") == ("fail", [])
    # Written behind authctl's back, authd answers a temporary failure
    # (never a frame too big, never a list cut short) and logs it.
    env = lmdb.open(os.path.join(p.dir, "state", "auth"), max_dbs=16)
    with env.begin(write=True) as t:
        t.put(b"all@example.test", parts.encode(),
              db=env.open_db(b"aliases", txn=t))
    env.close()
    assert c.rcpt("all@example.test") == ("tempfail", [])
    assert "recipient all@example.test reaches more addresses than one " \
        "answer holds" in p.log()
    # The connection still serves.
    assert c.rcpt("some@example.test")[0] == "ok"


# --- sending limit ----------------------------------------------------------

def limit_records(p, user=ALICE):
    return [r for r in audit(p, "--user", user)
            if r["reason"].startswith("sending limit reached")]


def test_send_limit_default(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    for i in range(200):
        assert c.send(ALICE, address="192.0.2.7", session="s%d" % i) == \
            "ok", i
    assert limit_records(p) == []
    assert c.send(ALICE, address="192.0.2.7", session="s200") == "tempfail"
    assert c.send(ALICE, address="192.0.2.7", session="s201") == "tempfail"
    recs = limit_records(p)
    assert len(recs) == 1, recs
    rec = recs[0]
    assert rec["service"] == "smtp" and rec["result"] == "tempfail"
    assert rec["address"] == "192.0.2.7" and rec["session"] == "s200"
    assert rec["reason"] == ("sending limit reached: 200 recipients in "
                             "the last hour, limit 200, 1 more refused")
    assert "sending limit reached" in p.log()
    # Another user has a window of its own; names are case-insensitive.
    assert c.send("Bob@Example.Test") == "ok"
    # A user that is no more (or never was) is refused for good.
    assert c.send("nobody@example.test") == "fail"
    out = p.authctl("user", "show", ALICE).stdout
    assert "send limit: 200 per hour (default)\n" in out
    assert "sent in the last hour: 200 recipients\n" in out
    # Durable: a restart forgets nothing; an hour later the window is
    # empty again, and a new refusal is audited anew.
    p.restart()
    assert p.client().send(ALICE) == "tempfail"
    assert len(limit_records(p)) == 1
    p.restart(offset="+61m")
    c = p.client()
    assert c.send(ALICE, count=200) == "ok"
    assert c.send(ALICE) == "tempfail"
    assert len(limit_records(p)) == 2


def test_send_limit_per_user(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    p.authctl("user", "sendlimit", ALICE, "3")
    assert "send limit: 3 per hour\n" in \
        p.authctl("user", "show", ALICE).stdout
    rec = [r for r in audit(p) if r["service"] == "authctl"][-1]
    assert rec["reason"] == "send limit 3 per hour, was 200 per hour " \
        "(default)"
    assert c.send(ALICE, count=2) == "ok"
    # A request for more than is left is refused whole.
    assert c.send(ALICE, count=2) == "tempfail"
    assert c.send(ALICE) == "ok"
    assert c.send(ALICE) == "tempfail"
    assert c.send(BOB, count=10) == "ok"
    # One record per episode over the limit: the accepted send between
    # the two refusals ended the first.
    assert len(limit_records(p)) == 2
    assert c.send(ALICE) == "tempfail"
    assert len(limit_records(p)) == 2
    p.authctl("user", "sendlimit", ALICE, "none")
    assert "send limit: none\n" in p.authctl("user", "show", ALICE).stdout
    assert c.send(ALICE, count=500) == "ok"
    assert "sent in the last hour: 503 recipients\n" in \
        p.authctl("user", "show", ALICE).stdout
    p.authctl("user", "sendlimit", ALICE, "default")
    assert "send limit: 200 per hour (default)\n" in \
        p.authctl("user", "show", ALICE).stdout
    assert c.send(ALICE) == "tempfail"
    for bad in ("0", "-1", "1000001", "lots", "3.5"):
        r = p.authctl("user", "sendlimit", ALICE, "--", bad, check=False)
        assert r.returncode == 1 and "not a sending limit" in r.stderr
    r = p.authctl("user", "sendlimit", "nobody@example.test", "5",
                  check=False)
    assert r.returncode == 1
    # Deleting the user forgets its limit and its window.
    p.authctl("user", "del", ALICE)
    p.add_user(ALICE)
    assert "sent in the last hour: 0 recipients\n" in \
        p.authctl("user", "show", ALICE).stdout
    assert c.send(ALICE, count=200) == "ok"


def test_send_limit_config():
    p = Postern("smtp send limit 2 per hour\n")
    try:
        p.start()
        p.add_user(ALICE)
        c = p.client()
        assert c.send(ALICE, count=2) == "ok"
        assert c.send(ALICE) == "tempfail"
        assert "send limit: 2 per hour (default)\n" in \
            p.authctl("user", "show", ALICE).stdout
        # Reloaded on SIGHUP.
        p.write_config("smtp send limit none\n")
        p.proc.send_signal(1)
        deadline = time.time() + 10
        while "smtp send limit" not in p.log() and time.time() < deadline:
            time.sleep(0.05)
        assert c.send(ALICE, count=1000) == "ok"
    finally:
        _finish(p)


def test_send_malformed_closes_only_that_client(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    c.s.sendall(b"\x00\x00\x00\x05\x0a\x00\x00\x00\x01")
    with pytest.raises((ConnectionError, OSError)):
        c.read_frame()
    assert p.client().send(ALICE) == "ok"


# --- login notices ----------------------------------------------------------

def intake_dir(p):
    """The intake as smtpd's queue makes it: anyone may drop a file
    (the writer runs as the auth user when authd is root)."""
    d = os.path.join(p.dir, "spool", "intake")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o1733)
    return d


def intake_files(p):
    d = os.path.join(p.dir, "spool", "intake")
    return sorted(f for f in os.listdir(d) if not f.startswith("."))


def wait_files(p, n, timeout=10):
    """Waits until the intake holds n files, then a little more to see
    that no other comes; returns them parsed."""
    deadline = time.time() + timeout
    while len(intake_files(p)) < n and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    files = intake_files(p)
    assert len(files) == n, (files, p.log())
    return [parse_intake(os.path.join(p.dir, "spool", "intake", f))
            for f in files]


def notices(p):
    """Every notice the intake holds now, parsed."""
    return [parse_intake(os.path.join(p.dir, "spool", "intake", f))
            for f in intake_files(p)]


def parse_intake(path):
    """An intake file: its header lines, then the mail's header and
    body."""
    with open(path) as f:
        text = f.read()
    head, mail = text.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "postern-intake 1"
    assert lines[1] == "from <>", lines
    rcpts = [l[5:].strip("<>") for l in lines[2:] if l.startswith("rcpt ")]
    assert len(rcpts) == len(lines) - 2
    hdr, body = mail.split("\n\n", 1)
    fields = {}
    for l in hdr.split("\n"):
        k, v = l.split(": ", 1)
        fields[k] = v
    return {"rcpts": rcpts, "hdr": fields, "body": body}


def login_ok(c, pw, address, service="imap", user=ALICE):
    assert c.login(user, pw, address=address, service=service)[0] == "ok"


def test_notice_on_login_from_new_address(postern):
    p = postern
    intake_dir(p)
    pw = p.add_user(ALICE)
    c = p.client()
    # The very first login mails nobody.
    login_ok(c, pw, "127.0.0.1")
    wait_files(p, 0)
    # A known address: nothing; a new one: one notice.
    login_ok(c, pw, "127.0.0.1")
    login_ok(c, pw, "192.0.2.44", service="smtp")
    [n] = wait_files(p, 1)
    assert n["rcpts"] == [ALICE]
    h = n["hdr"]
    assert h["To"] == "<%s>" % ALICE
    assert h["From"] == "postern <postmaster@example.test>"
    assert h["Subject"] == "New sign-in to your mail account"
    assert h["Auto-Submitted"] == "auto-generated"
    assert h["Message-ID"].startswith("<notice.")
    assert h["Date"].endswith("+0000")
    assert "From:      192.0.2.44\n" in n["body"]
    assert "Protocol:  SMTP" in n["body"]
    assert " UTC\n" in n["body"]
    # Now known: again nothing.
    login_ok(c, pw, "192.0.2.44", service="imap")
    wait_files(p, 1)
    # IPv6 is keyed by its /64: a new /64 mails, a host in it does not.
    login_ok(c, pw, "2001:db8:1:2::10", service="imap")
    notes = wait_files(p, 2)
    assert any("From:      2001:db8:1:2::10\n" in n["body"] and
               "Protocol:  IMAP" in n["body"] for n in notes)
    login_ok(c, pw, "2001:db8:1:2::99")
    wait_files(p, 2)
    # A failed login from a new address mails nothing.
    assert c.login(ALICE, "wrong", address="198.51.100.1")[0] == "fail"
    wait_files(p, 2)


def test_notice_on_account_lock():
    p = Postern("lockout account 3 within 15m\n")
    try:
        p.start()
        intake_dir(p)
        pw = p.add_user(ALICE)
        c = p.client()
        login_ok(c, pw, "127.0.0.1")
        for i in range(3):
            assert c.login(ALICE, "wrong", address="203.0.113.%d" % i,
                           service="imap")[0] == "fail"
        assert last_login(p)["reason"] == "wrong password"
        [n] = wait_files(p, 1)
        assert n["rcpts"] == [ALICE]
        assert n["hdr"]["Subject"] == "Your mail account was locked"
        assert "From:      203.0.113.2\n" in n["body"]
        assert "refused for 15 minutes" in n["body"]
        # Locked already: more failures mail nothing more.
        assert c.login(ALICE, "wrong", address="203.0.113.9")[0] == "fail"
        wait_files(p, 1)
        # The owner's known address still works, and mails nothing.
        login_ok(c, pw, "127.0.0.1")
        wait_files(p, 1)
    finally:
        _finish(p)


def test_notices_off():
    p = Postern("login notices no\n")
    try:
        p.start()
        intake_dir(p)
        pw = p.add_user(ALICE)
        c = p.client()
        login_ok(c, pw, "127.0.0.1")
        login_ok(c, pw, "192.0.2.1")
        wait_files(p, 0)
    finally:
        _finish(p)


def test_notices_without_intake_are_dropped_once(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    login_ok(c, pw, "127.0.0.1")
    login_ok(c, pw, "192.0.2.1")
    login_ok(c, pw, "192.0.2.2")
    deadline = time.time() + 10
    while "login notices are dropped" not in p.log() and \
            time.time() < deadline:
        time.sleep(0.05)
    assert p.log().count("login notices are dropped while") == 1, p.log()
    # Once smtpd made the intake, notices flow.  The notice for
    # 192.0.2.2 is written after its login was answered, so it may still
    # have been on its way when the intake appeared: it may come, once.
    intake_dir(p)
    login_ok(c, pw, "192.0.2.3")
    deadline = time.time() + 10
    while "From:      192.0.2.3\n" not in "".join(
            n["body"] for n in notices(p)) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    seen = sorted(re.search(r"From: +(\S+)\n", n["body"]).group(1)
                  for n in notices(p))
    assert seen in (["192.0.2.3"], ["192.0.2.2", "192.0.2.3"]), seen


# --- postmaster ---------------------------------------------------------------

def test_postmaster_hint(postern):
    p = postern
    r = p.authctl("user", "add", ALICE)
    assert "postmaster@example.test" in r.stderr
    assert "authctl alias add postmaster@example.test %s" % ALICE in r.stderr
    # Only for the first user of a domain.
    r = p.authctl("user", "add", BOB)
    assert "postmaster" not in r.stderr
    # Not once the alias exists.
    p.authctl("alias", "add", "postmaster@example.org", ALICE)
    r = p.authctl("user", "add", "dave@example.org")
    assert "postmaster" not in r.stderr
    # A failed add hints nothing.
    r = p.authctl("user", "add", "eve@example.test", "--password-stdin",
                  input="short\n", check=False)
    assert r.returncode != 0 and "postmaster" not in r.stderr


def test_sixty_known_addresses_survive_a_daemon_start(postern):
    """A daemon's start asks authd for the known addresses; glibc's qsort
    of 60 or more asks the kernel how much memory there is (sysinfo),
    which authd's sandbox allows (it once killed authd)."""
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(1, 62):
        st, _, _ = c.login(ALICE, pw, address="127.11.0.%d" % i)
        assert st == "ok", i
    c.close()
    p.start_pop3d()
    assert "61 addresses known" in p.pop3_log(), p.pop3_log()
    assert p.proc.poll() is None, p.log()
    c = p.client()
    assert c.login(ALICE, pw, address="127.11.0.1")[0] == "ok"
    c.close()
