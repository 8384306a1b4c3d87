"""Integration tests: authd under the attacks of issue 7, through the real
daemons on 127.0.0.1 (as root, with privilege separation).

- parallel guesses cannot race the lockout: for one (user, address) pair
  at most 5 passwords are judged in the window, for an account from
  addresses that never logged into it at most 10, whatever the number of
  connections and addresses, and the right password is refused once the
  limit is reached (counted from the audit log);
- hydra -t 16 with the right password 16th in its list does not find it;
- a failed group commit answers every login of its round with the same
  temporary failure, nothing says "failed" before it is recorded, and the
  fault is logged once per burst (fault injection: tests/tools/faultsync);
- the net process's uid cannot submit requests to authd;
- IPv6 clients are keyed by their /64 for pair locks, known addresses and
  trust windows;
- known (user, address) pairs expire after `lockout known`;
- refusals that need no hash (disabled account, service not allowed,
  address outside the user's networks) do not count toward the account
  lock.

A password was *judged* when its record's result is "ok" or its reason
is one of JUDGED; attempts refused before judging carry "pair locked",
"account locked" or "address banned".  Client addresses are labels that
authd takes from the request (tests/lib/authclient.py): every connection
goes to authd's UNIX socket or to pop3d on 127.0.0.1.  Every loop here is
bounded by a count and every wait by a timeout.
"""
import grp
import os
import poplib
import pwd
import re
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import ALICE, BOB, BUILD, IS_ROOT, REPO, audit, last_login
from authclient import AuthClient, STATUS

pytestmark = pytest.mark.serial

JUDGED = {"wrong password", "2FA code missing", "wrong or reused 2FA code",
          "wrong or used recovery code"}
BURST_TIMEOUT = 60.0


# --- helpers ---------------------------------------------------------------

def reason(rec):
    """The reason without the "; address banned for Ns" suffix."""
    return rec["reason"].split(";")[0].strip()


def judged(rec):
    return rec["result"] == "ok" or reason(rec) in JUDGED


def configure(p, *statements):
    """Rewrites p's config: each statement replaces the line with the same
    first two words (the parser refuses a statement given twice), or is
    appended."""
    with open(p.conf) as f:
        lines = f.read().splitlines()
    for st in statements:
        key = st.split()[:2]
        for i, line in enumerate(lines):
            if line.split()[:2] == key:
                lines[i] = st
                break
        else:
            lines.append(st)
    with open(p.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def burst(p, attempts, timeout=BURST_TIMEOUT):
    """Sends every attempt (user, secret, address, session[, service]) on
    its own connection, all before reading any answer, in list order (the
    way parallel monitors reach authd); returns each one's status name, or
    "closed" when authd hung up without an answer, or "timeout"."""
    clients = []
    try:
        for _ in attempts:
            clients.append(connect(p, timeout))
        for c, a in zip(clients, attempts):
            service = a[4] if len(a) > 4 else "imap"
            c.send_login(a[0], a[1], address=a[2], session=a[3],
                         service=service)
        out, deadline = [], time.monotonic() + timeout
        for c in clients:
            c.s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                out.append(STATUS[c.read_login()[1]])
            except (ConnectionError, OSError) as e:
                out.append("timeout" if "timed out" in str(e) else "closed")
        return out
    finally:
        for c in clients:
            c.close()


def connect(p, timeout):
    """A client; waits while authd's listen backlog is full (a UNIX socket
    refuses a non-blocking connect with EAGAIN then)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return AuthClient(p.sock, timeout=timeout)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def one(p, user, secret, address, session, service="imap"):
    """One login on a fresh connection; its status name or "closed"."""
    return burst(p, [(user, secret, address, session, service)])[0]


def records(p, prefix):
    """The login records whose session id starts with prefix."""
    return [r for r in audit(p) if r["session"].startswith(prefix)]


def summary(recs):
    out = {}
    for r in recs:
        k = "%s/%s" % (r["result"], reason(r))
        out[k] = out.get(k, 0) + 1
    return out


def by_session(recs):
    out = {}
    for r in recs:
        assert r["session"] not in out, ("two records for one attempt", r)
        out[r["session"]] = r
    return out


def check_one_record_each(recs, attempts):
    """Every attempt is exactly one audit record."""
    got = by_session(recs)
    assert sorted(got) == sorted(a[3] for a in attempts), summary(recs)
    return got


def slow_hash(p, cost=12):
    """A costlier scrypt than conftest's, so parallel attempts are
    really in flight together (cost 12: about 4 ms each)."""
    configure(p, "auth scrypt cost %d" % cost)


# --- 1. lockout that concurrency cannot race --------------------------------

def test_parallel_logins_to_one_pair_judge_at_most_five(stopped_postern):
    """32 connections from one address guess alice's password at once,
    the right one sent last: at most 5 are judged, and the right one is
    refused as "pair locked", answered like a wrong password.  Bans are
    raised out of reach so that only the pair lock decides."""
    p = stopped_postern
    slow_hash(p)
    configure(p, "ban after 1000 within 10m for 1h max 7d")
    p.start()
    pw = p.add_user(ALICE)
    office = "127.5.0.9"
    assert one(p, ALICE, pw, office, "atk-a-office") == "ok"
    addr = "127.5.0.1"
    attempts = [(ALICE, "guess-%02d" % i, addr, "atk-a-%02d" % i)
                for i in range(31)] + [(ALICE, pw, addr, "atk-a-right")]
    answers = burst(p, attempts)
    recs = [r for r in records(p, "atk-a-") if r["session"] != "atk-a-office"]
    got = check_one_record_each(recs, attempts)
    j = [r for r in recs if judged(r)]
    assert len(j) <= 5, ("%d passwords judged for one pair" % len(j),
                         summary(recs))
    right = got["atk-a-right"]
    assert answers[-1] == "fail" and right["result"] == "fail", \
        (answers[-1], right)
    assert "pair locked" in right["reason"], right
    assert set(answers) == {"fail"}, answers
    # The password was right, and its owner's known address still works.
    assert one(p, ALICE, pw, office, "atk-a-office2") == "ok"


@pytest.mark.parametrize("naddr", [4, 16])
def test_parallel_logins_from_many_addresses_judge_at_most_ten(
        stopped_postern, naddr):
    """naddr addresses x 16 connections each guess alice's password at
    once (16 per address stays under the ban): at most 10 judged from
    addresses that never logged in, at most 5 per address, then the right
    password from another unknown address is refused as "account locked",
    and the owner's known address still gets in.  (The right password is
    sent after the burst: inside it, authd serves addresses round-robin,
    so a new address is not queued behind the attackers and its turn
    comes early, before the limit.)"""
    p = stopped_postern
    slow_hash(p)
    p.start()
    pw = p.add_user(ALICE)
    office = "127.6.0.200"
    assert one(p, ALICE, pw, office, "atk-b-office") == "ok"
    attempts = [(ALICE, "guess-%d-%d" % (a, k), "127.6.%d.1" % (a + 1),
                 "atk-b-%02d-%02d" % (a, k))
                for k in range(16) for a in range(naddr)]
    answers = burst(p, attempts)
    assert one(p, ALICE, pw, "127.6.100.1", "atk-b-right") == "fail"
    recs = [r for r in records(p, "atk-b-") if r["address"] != office]
    got = check_one_record_each(recs, attempts + [(ALICE, pw, "127.6.100.1",
                                                   "atk-b-right")])
    j = [r for r in recs if judged(r)]
    assert len(j) <= 10, ("%d passwords judged from unknown addresses"
                          % len(j), summary(recs))
    for a in range(naddr):
        per = [r for r in j if r["address"] == "127.6.%d.1" % (a + 1)]
        assert len(per) <= 5, (a, summary(recs))
    right = got["atk-b-right"]
    assert right["result"] == "fail", right
    assert "account locked" in right["reason"], right
    assert set(answers) == {"fail"}, summary(recs)
    assert one(p, ALICE, pw, office, "atk-b-office2") == "ok"


# --- hydra against pop3d ----------------------------------------------------

HYDRA = shutil.which("hydra") or "/usr/bin/hydra"


def hydra(p, user, words, tmp, threads=16):
    """hydra against pop3d's pop3s port; returns (exit status, output,
    the passwords it reports for user)."""
    lst = os.path.join(tmp, "words-%s.txt" % user.split("@")[0])
    with open(lst, "w") as f:
        f.write("\n".join(words) + "\n")
    r = subprocess.run([HYDRA, "-I", "-l", user, "-P", lst,
                        "-t", str(threads), "-s", str(p.pop3_port), "-S",
                        "-w", "20", "127.0.0.1", "pop3"],
                       capture_output=True, text=True, cwd=tmp, timeout=180)
    out = r.stdout + r.stderr
    found = re.findall(r"host: 127\.0\.0\.1\s+login: (\S+)\s+password: "
                       r"(.*?)\s*$", out, re.M)
    return r.returncode, out, [pw for u, pw in found if u == user]


@pytest.mark.skipif(not os.path.exists(HYDRA),
                    reason="hydra not installed (sh tests/deps.sh)")
def test_hydra_sixteen_tasks_does_not_find_the_password(stopped_postern):
    """hydra -t 16 from one address, the right password 41st: not found,
    at most 5 judged.  (Not 16th: hydra's 16 tasks send their first
    words at once, and which 5 of those authd judges first depends on
    which connections finish their handshakes first; the right password
    among them would be one of the 5 guesses the lockout allows, which
    a test cannot rule out.)  A positive control first: hydra finds bob's
    password when it is 2nd in a list of 2.  authd's default scrypt cost,
    so that hydra's tasks overlap as they do against a real server."""
    p = stopped_postern
    slow_hash(p, 14)
    p.start()
    pw = p.add_user(ALICE)
    bob = p.add_user(BOB)
    for u in (ALICE, BOB):
        p.authctl("user", "services", u, "imap,pop3,smtp")
    p.start_pop3d()
    tmp = tempfile.mkdtemp(prefix="hydra-", dir=p.dir)
    try:
        rc, out, found = hydra(p, BOB, ["not-it", bob], tmp, threads=2)
        assert found == [bob], ("positive control: hydra cannot attack "
                                "pop3d here", rc, out)
        words = ["guess-%02d" % i for i in range(40)] + [pw] + \
            ["after-%02d" % i for i in range(4)]
        rc, out, found = hydra(p, ALICE, words, tmp)
    finally:
        p.stop_pop3d()
    assert found == [], ("hydra found alice's password", out)
    assert not re.search(r"[1-9]\d* valid passwords? found", out), out
    recs = [r for r in audit(p) if r["service"] == "pop3" and
            r["user"] == ALICE]
    assert recs, out
    assert not [r for r in recs if r["result"] == "ok"], summary(recs)
    j = [r for r in recs if judged(r)]
    assert len(j) <= 5, ("%d passwords judged" % len(j), summary(recs))


# --- 3. nothing answered before it is recorded ------------------------------

FAULT_SO = "tests/tools/faultsync.so"


def fault_shim():
    """The faultsync shim of the build under test (built when missing)."""
    path = os.path.join(BUILD, FAULT_SO)
    if not os.path.exists(path):
        subprocess.run(["make", "-s", "-C", REPO, "O=" + BUILD, path],
                       check=True, capture_output=True, timeout=120)
    return path


class Fault:
    """The control file of tests/tools/faultsync.c: byte 0 switches the
    fault, bytes 8..11 count the calls it failed."""

    def __init__(self, p):
        self.path = os.path.join(p.dir, "fault")
        with open(self.path, "wb") as f:
            f.write(b"0" + b"\0" * 63)
        os.chmod(self.path, 0o600)

    def set(self, on):
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.pwrite(fd, b"1" if on else b"0", 0)
        finally:
            os.close(fd)

    def count(self):
        with open(self.path, "rb") as f:
            return struct.unpack_from("=I", f.read(64), 8)[0]


def start_with_fault(p, fault):
    """Starts authd (only authd) with the shim preloaded."""
    shim = fault_shim()
    orig = p.env

    def env(offset=None):
        e = orig(offset)
        e["LD_PRELOAD"] = " ".join(x for x in (shim, e.get("LD_PRELOAD"))
                                   if x)
        e["POSTERN_FAULT"] = fault.path
        return e
    p.env = env
    try:
        p.start()
    finally:
        p.env = orig


AUDIT_LINE = re.compile(r"\baudit [0-9a-f]{16} service=")


def test_commit_failure_answers_everyone_the_same_tempfail(stopped_postern):
    """While fdatasync fails, wrong and right passwords, in parallel and
    one after another, through authd and through pop3d, all get the same
    temporary failure; nothing answers "failed" without a record, the
    fault is logged once per burst, not once per login, and once the disk
    is back logins work and the audit chain verifies.  A non-zero failure
    delay, so that deferred refusals are covered too."""
    p = stopped_postern
    configure(p, "auth failure delay 1s")
    fault = Fault(p)
    start_with_fault(p, fault)
    pw = p.add_user(ALICE)
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    p.start_pop3d()
    assert one(p, ALICE, pw, "127.7.0.1", "flt-0") == "ok"
    assert fault.count() == 0
    log_mark = len(p.log())

    fault.set(True)
    try:
        par = [(ALICE, "wrong-%d" % i, "127.7.1.%d" % i, "flt-1-%d" % i)
               for i in range(1, 7)] + [(ALICE, pw, "127.7.1.9", "flt-1-r")]
        answers = burst(p, par)
        seq = []
        for i, secret in enumerate(("wrong-a", pw, "wrong-b", pw)):
            seq.append(one(p, ALICE, secret, "127.7.2.%d" % (i + 1),
                           "flt-2-%d" % i))
        pop = []
        for secret in ("wrong-pop", pw):
            c = pop3_connect(p)
            c.user(ALICE)
            try:
                c.pass_(secret)
                pop.append(b"+OK")
            except poplib.error_proto as e:
                pop.append(e.args[0])
            finally:
                try:
                    c.close()
                except OSError:
                    pass
        failed_calls = fault.count()
        time.sleep(0.5)
        fault_log = p.log()[log_mark:]
    finally:
        fault.set(False)

    assert failed_calls > 0, "the fault was never exercised"
    seen = {"parallel (6 wrong, then right)": answers,
            "sequential (wrong, right, wrong, right)": seq, "pop3": pop}
    assert answers == ["tempfail"] * len(par), seen
    assert seq == ["tempfail"] * 4, seen
    assert pop[0] == pop[1] and pop[0].startswith(b"-ERR [SYS/TEMP]"), seen
    lines = [l for l in fault_log.splitlines()
             if l.strip() and not AUDIT_LINE.search(l)]
    assert len(lines) <= 3, ("the fault is logged once per login, not "
                             "once per burst", lines)

    # The disk is back: logins work, and the chain holds.
    assert one(p, ALICE, pw, "127.7.0.1", "flt-3") == "ok"
    assert one(p, ALICE, "wrong-c", "127.7.3.1", "flt-4") == "fail"
    v = p.authctl("audit", "--verify", check=False)
    assert v.returncode == 0, v.stdout + v.stderr
    recs = records(p, "flt-")
    for r in recs:
        if r["session"] in ("flt-0", "flt-3", "flt-4"):
            continue
        # Whatever authd recorded of the fault rounds is what it answered.
        assert r["result"] == "tempfail", r
    got = by_session(recs)
    assert got["flt-3"]["result"] == "ok" and \
        got["flt-4"]["reason"] == "wrong password", summary(recs)
    assert p.stop_pop3d() == 0


def pop3_connect(p):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return poplib.POP3_SSL("127.0.0.1", p.pop3_port, context=ctx, timeout=30)


# --- 7. the net uid may not ask authd ---------------------------------------

PEER_SCRIPT = r"""
import socket, struct, sys
path, user, pw, session = sys.argv[1:5]
def fld(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b
body = (bytes([1]) + struct.pack(">I", 1) + fld("imap") + fld("plain") +
        fld(user) + fld(pw) + fld("127.8.0.1") + struct.pack(">I", 993) +
        fld(session))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(path)
except OSError as e:
    print("connect refused", e.errno)
    sys.exit(0)
try:
    s.sendall(struct.pack(">I", len(body)) + body)
    d = s.recv(4096)
except socket.timeout:
    print("no answer")
    sys.exit(0)
except OSError as e:
    print("reset", e.errno)
    sys.exit(0)
if len(d) >= 13:
    print("answer", struct.unpack_from(">I", d, 9)[0])
else:
    print("closed")
"""


def peer_login(p, user_name, login, pw, session):
    """One login sent to authd by a process running as user_name (group
    _postern, which may open the socket); what it saw."""
    u = pwd.getpwnam(user_name)
    g = grp.getgrnam("_postern")
    r = subprocess.run([sys.executable, "-c", PEER_SCRIPT, p.sock, login, pw,
                        session], user=u.pw_uid, group=g.gr_gid,
                       extra_groups=[], cwd="/", capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.skipif(not IS_ROOT, reason="needs root: privsep users")
def test_net_uid_is_refused(postern):
    """The net role's uid (_postern) connects to authd's socket and sends a
    right password: no answer, no audit record.  Controls, with the same
    group: root (the monitors) and authd's own user get their answers."""
    p = postern
    pw = p.add_user(ALICE)
    assert peer_login(p, "root", ALICE, pw, "uid-root") == "answer 0"
    seen = peer_login(p, "_postern", ALICE, pw, "uid-net")
    assert seen in ("closed", "no answer") or \
        seen.startswith(("reset", "connect refused")), seen
    assert peer_login(p, "_postern-auth", ALICE, pw, "uid-auth") == \
        "answer 0"
    assert sorted(r["session"] for r in records(p, "uid-")) == \
        ["uid-auth", "uid-root"]


# --- 6. one rule for IPv6 ---------------------------------------------------

def test_ipv6_pair_lock_covers_the_64(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(5):
        assert c.login(ALICE, "wrong", address="2001:db8:1:1::1")[0] == "fail"
    st, _, _ = c.login(ALICE, pw, address="2001:db8:1:1::2")
    rec = last_login(p)
    assert st == "fail" and "pair locked" in rec["reason"], (st, rec)
    st, _, _ = c.login(ALICE, pw, address="2001:db8:1:1:ffff:1:2:3")
    assert st == "fail" and "pair locked" in last_login(p)["reason"]
    # The next /64 is another pair.
    assert c.login(ALICE, pw, address="2001:db8:1:2::1")[0] == "ok"


def test_ipv6_known_address_covers_the_64(postern):
    """The owner logged in from one address of a /64; the account locks for
    unknown addresses; another address of the same /64 (a privacy
    address) keeps the exemption, the next /64 does not."""
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    assert c.login(ALICE, pw, address="2001:db8:2:1::10")[0] == "ok"
    for i in range(10):
        assert c.login(ALICE, "wrong", address="127.9.0.%d" % (i + 1))[0] \
            == "fail"
    st, _, _ = c.login(ALICE, pw, address="127.9.1.1")
    assert st == "fail" and "account locked" in last_login(p)["reason"]
    st, _, _ = c.login(ALICE, pw, address="2001:db8:2:1:a1b2:c3d4:e5f6:1")
    assert st == "ok", last_login(p)
    st, _, _ = c.login(ALICE, pw, address="2001:db8:2:2::10")
    assert st == "fail" and "account locked" in last_login(p)["reason"]


def test_ipv6_trust_window_covers_the_64(postern):
    from test_totp import code, enrol
    p = postern
    pw = p.add_user(ALICE)
    secret, _ = enrol(p)
    c = p.client()
    st, _, _ = c.login(ALICE, pw + code(p, secret, 1),
                       address="2001:db8:3:1::1")
    assert st == "ok", last_login(p)
    st, _, _ = c.login(ALICE, pw, address="2001:db8:3:1::beef")
    rec = last_login(p)
    assert st == "ok" and rec["reason"] == "password (trusted address)", rec
    st, _, _ = c.login(ALICE, pw, address="2001:db8:3:2::1")
    assert st == "fail" and last_login(p)["reason"] == "2FA code missing"


# --- 1. known pairs expire ---------------------------------------------------

def lock_account(p, c, user, prefix):
    """10 wrong passwords from 10 unknown addresses: the account locks."""
    for i in range(10):
        assert c.login(user, "wrong", address="%s.%d" % (prefix, i + 1))[0] \
            == "fail"


@pytest.mark.parametrize("known,before,after", [
    (None, "+89d", "+91d"),             # the default, 90 days
    ("lockout known 2d", "+1d", "+50h"),
])
def test_known_pair_expires_without_a_login(stopped_postern, known, before,
                                            after):
    """alice and bob log in from the office.  Before the expiry, with each
    account locked for unknown addresses, the office still gets alice in
    (which renews her pair); after it, bob's pair, unused since, is
    unknown again and the office is locked out of his account, while
    alice's renewed pair still works."""
    p = stopped_postern
    if known:
        configure(p, known)
    p.start()
    office = "127.10.0.1"
    pw = {u: p.add_user(u) for u in (ALICE, BOB)}
    c = p.client()
    for u in (ALICE, BOB):
        assert c.login(u, pw[u], address=office)[0] == "ok"
    p.restart(offset=before)
    c = p.client()
    lock_account(p, c, ALICE, "127.10.1")
    st, _, _ = c.login(ALICE, pw[ALICE], address="127.10.9.9")
    assert st == "fail" and "account locked" in last_login(p)["reason"]
    assert c.login(ALICE, pw[ALICE], address=office)[0] == "ok", \
        last_login(p)
    p.restart(offset=after)
    c = p.client()
    lock_account(p, c, BOB, "127.10.2")
    lock_account(p, c, ALICE, "127.10.3")
    st, _, _ = c.login(BOB, pw[BOB], address=office)
    rec = last_login(p)
    assert st == "fail" and "account locked" in rec["reason"], rec
    assert c.login(ALICE, pw[ALICE], address=office)[0] == "ok", \
        last_login(p)


# --- 1. refusals that need no hash do not lock the account -------------------

@pytest.mark.parametrize("restrict,restore,why", [
    (("user", "disable", ALICE), ("user", "enable", ALICE),
     "account disabled"),
    (("user", "services", ALICE, "pop3"),
     ("user", "services", ALICE, "imap,pop3,smtp"),
     "service imap not allowed"),
    (("user", "networks", ALICE, "10.0.0.0/8"),
     ("user", "networks", ALICE, "any"),
     "address not in the user's networks"),
], ids=["disabled", "service", "networks"])
def test_refusals_before_hashing_do_not_lock_the_account(
        postern, restrict, restore, why):
    """12 attempts from 12 unknown addresses (wrong passwords, and the
    right one among them) on an account that the check refuses: each is
    answered like a wrong password, audited with the check's reason (the
    password is not judged), and none counts toward the account lock: once
    the account is allowed again, the right password from a fresh unknown
    address logs in.  12 plain wrong passwords would have locked it."""
    p = postern
    pw = p.add_user(ALICE)
    p.authctl(*restrict)
    c = p.client()
    for i in range(12):
        secret = pw if i == 6 else "wrong-%d" % i
        st, _, _ = c.login(ALICE, secret, address="127.11.0.%d" % (i + 1),
                           service="imap")
        rec = last_login(p)
        assert st == "fail", rec
        assert reason(rec) == why, rec
        assert not judged(rec), rec
    p.authctl(*restore)
    st, _, _ = c.login(ALICE, pw, address="127.11.1.1", service="imap")
    assert st == "ok", last_login(p)
