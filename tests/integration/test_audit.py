"""The tamper-evident audit log: one record per login attempt and per
admin action, authctl audit (text, JSON, filters, --follow), --verify, and
what an intruder with write access to the LMDB files can and cannot hide
(authd/audit.h)."""
import datetime
import hashlib
import json
import os
import re
import select
import signal
import subprocess
import time

import lmdb
import pytest

from conftest import ALICE, AUTHCTL, BOB, audit
KEYS = {"time", "service", "mech", "user", "address", "result", "reason",
        "session", "hash"}
ZERO = "0" * 64


def verify(p):
    return p.authctl("audit", "--verify", check=False)


def log_prefixes(p):
    """The 16-hex hash prefixes of authd's syslog copies, in order."""
    return re.findall(r"^.*\baudit ([0-9a-f]{16}) service=", p.log(), re.M)


def populate(p):
    """Admin actions and login attempts; returns alice's password."""
    pw = p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    assert c.login(ALICE, pw, address="192.0.2.1")[0] == "ok"
    assert c.login(ALICE, "wrong", address="192.0.2.2")[0] == "fail"
    assert c.login("ghost@example.test", "x", address="192.0.2.3")[0] == "fail"
    assert c.login(ALICE, pw, service="smtp", address="2001:db8::1")[0] == "ok"
    c.close()
    return pw


# ------------------------------------------------------ raw LMDB access

def auth_dir(p):
    return os.path.join(p.dir, "state", "auth")


def open_env(p):
    env = lmdb.open(auth_dir(p), max_dbs=16, map_size=1 << 30)
    return env, env.open_db(b"audit")


def raw_records(p):
    env, db = open_env(p)
    with env.begin(db=db) as txn:
        recs = [(bytes(k), bytes(v)) for k, v in txn.cursor()]
    env.close()
    return recs


def rec_hash(k, v):
    return hashlib.sha256(k + v).hexdigest()


def key_time(k):
    return int.from_bytes(k, "big")


def tkey(t):
    return t.to_bytes(8, "big")


def fields(v):
    return v.decode().split("\t")


def rewrite(p, fn):
    """Lets fn(txn, db) change the audit database as an intruder would."""
    env, db = open_env(p)
    with env.begin(db=db, write=True) as txn:
        fn(txn, db)
    env.close()


# ------------------------------------------------------------- records

def test_every_attempt_and_action_is_recorded(postern):
    populate(postern)
    postern.authctl("user", "disable", BOB)
    recs = audit(postern)
    assert all(set(r) == KEYS for r in recs)
    admin = [(r["user"], r["reason"]) for r in recs
             if r["service"] == "authctl"]
    assert admin == [(ALICE, "user add"), (BOB, "user add"),
                     (BOB, "user disabled")]
    logins = [(r["service"], r["user"], r["address"], r["result"])
              for r in recs if r["service"] != "authctl"]
    assert logins == [
        ("imap", ALICE, "192.0.2.1", "ok"),
        ("imap", ALICE, "192.0.2.2", "fail"),
        ("imap", "ghost@example.test", "192.0.2.3", "fail"),
        ("smtp", ALICE, "2001:db8::1", "ok"),
    ]
    for r in recs:
        assert re.fullmatch(r"[0-9a-f]{64}", r["hash"])
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["time"]), r["time"]
    fails = [r for r in recs if r["result"] == "fail"]
    assert all(r["reason"] and r["reason"] != "-" for r in fails)
    # the reason never holds the secret
    assert not any("wrong" == r["reason"] for r in recs)
    # each login's syslog copy carries its record's hash prefix
    prefixes = log_prefixes(postern)
    want = [r["hash"][:16] for r in recs if r["service"] != "authctl"]
    assert prefixes == want


def test_text_output_matches_json(postern):
    populate(postern)
    text = postern.authctl("audit").stdout.splitlines()
    recs = audit(postern)
    assert len(text) == len(recs) > 0
    for line, r in zip(text, recs):
        assert line.startswith(r["time"] + " " + r["service"] + " ")
        assert line.endswith(" " + r["hash"][:16])


def test_json_escapes_hostile_fields(postern):
    postern.add_user(ALICE)
    c = postern.client()
    evil = 'ev"il\\\tname\n\x01\u00e9@example.test'
    assert c.login(evil, "x", session='s"1')[0] == "fail"
    recs = audit(postern)   # json.loads of every line must succeed
    r = recs[-1]
    assert "\t" not in r["user"] and "\n" not in r["user"]
    assert r["user"].startswith('ev"il\\')
    assert r["session"] == 's"1'
    assert verify(postern).returncode == 0


def test_filters(postern):
    populate(postern)
    recs = audit(postern)
    u = audit(postern, "--user", ALICE)
    assert u and all(r["user"] == ALICE for r in u)
    assert len(u) == len([r for r in recs if r["user"] == ALICE])
    u = audit(postern, "--user", ALICE.upper())
    assert len(u) == len([r for r in recs if r["user"] == ALICE])
    a = audit(postern, "--address", "192.0.2.2")
    assert [r["result"] for r in a] == ["fail"]
    a = audit(postern, "--address", "2001:DB8:0::1")
    assert [r["service"] for r in a] == ["smtp"]
    f = audit(postern, "--failed")
    assert [r["address"] for r in f] == ["192.0.2.2", "192.0.2.3"]
    f = audit(postern, "--failed", "--user", ALICE)
    assert [r["address"] for r in f] == ["192.0.2.2"]
    assert audit(postern, "--user", "nobody@example.test") == []


def test_since(postern):
    populate(postern)
    n = len(audit(postern))
    assert len(audit(postern, "--since", "1h")) == n
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert len(audit(postern, "--since", today.isoformat())) == n
    tomorrow = today + datetime.timedelta(days=1)
    assert audit(postern, "--since", tomorrow.isoformat()) == []
    assert audit(postern, "--since", tomorrow.isoformat() + "T00:00:00") == []
    assert len(audit(postern, "--since", "@0")) == n
    future = int(time.time()) + 3600
    assert audit(postern, "--since", "@%d" % future) == []
    # a point between two records splits them
    recs = audit(postern)
    mid = recs[len(recs) // 2]["time"]
    t = int(datetime.datetime.strptime(mid[:19], "%Y-%m-%dT%H:%M:%S")
            .replace(tzinfo=datetime.timezone.utc).timestamp())
    later = audit(postern, "--since", "@%d" % (t + 1))
    assert len(later) < n


@pytest.mark.parametrize("bad", ["yesterday", "2024-02-30", "2024-13-01",
                                 "1x", "2024-01-01T25:00:00", "@x"])
def test_since_bad(postern, bad):
    r = postern.authctl("audit", "--since", bad, check=False)
    assert r.returncode == 1
    assert bad in r.stderr and "not a time" in r.stderr


def test_verify_options_exclusive(postern):
    r = postern.authctl("audit", "--verify", "--json", check=False)
    assert r.returncode == 2 and "usage" in r.stderr


def test_follow(postern):
    pw = postern.add_user(ALICE)
    proc = subprocess.Popen([AUTHCTL, "-f", postern.conf, "audit", "--json",
                             "--follow", "--user", ALICE],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=postern.env())
    try:
        def next_line(deadline=20):
            end = time.time() + deadline
            while time.time() < end:
                rl, _, _ = select.select([proc.stdout], [], [], 0.2)
                if rl:
                    return proc.stdout.readline()
                assert proc.poll() is None, proc.stderr.read()
            raise AssertionError("--follow printed nothing")

        first = json.loads(next_line())
        assert first["reason"] == "user add"
        c = postern.client()
        assert c.login(ALICE, pw, address="198.51.100.4",
                       session="follow-1")[0] == "ok"
        rec = json.loads(next_line())
        assert rec["session"] == "follow-1"
        assert rec["address"] == "198.51.100.4" and rec["result"] == "ok"
        # records of other users are filtered out, the next one comes
        assert c.login(BOB, "x", session="other")[0] == "fail"
        assert c.login(ALICE, "bad", session="follow-2")[0] == "fail"
        rec = json.loads(next_line())
        assert rec["session"] == "follow-2" and rec["result"] == "fail"
        assert proc.poll() is None, "--follow must keep running"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


# -------------------------------------------------------------- verify

def test_verify_counts_all_records(postern):
    r = verify(postern)
    assert r.returncode == 0
    assert r.stdout.strip() == "audit chain verified: 0 records"
    populate(postern)
    recs = audit(postern)
    r = verify(postern)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "audit chain verified: %d records" % len(recs),
        "newest record: %s %s" % (recs[-1]["time"], recs[-1]["hash"])]


def test_verify_after_restart(postern):
    populate(postern)
    postern.restart()
    pw2 = postern.add_user("carol@example.test")
    assert postern.client().login("carol@example.test", pw2)[0] == "ok"
    r = verify(postern)
    assert r.returncode == 0
    assert "%d records" % len(audit(postern)) in r.stdout


def _tamper_setup(p):
    populate(p)
    recs = raw_records(p)
    assert len(recs) >= 6
    # the chain as stored: each prev is the hash of its predecessor
    assert fields(recs[0][1])[0] == ZERO
    for (k0, v0), (k1, v1) in zip(recs, recs[1:]):
        assert fields(v1)[0] == rec_hash(k0, v0)
    assert p.stop() == 0
    return recs


def test_tamper_change_byte(postern):
    recs = _tamper_setup(postern)
    i = 3                   # a login record in the middle
    k, v = recs[i]
    f = fields(v)
    assert f[4] in (ALICE, "ghost@example.test")
    new = v.replace(f[4].encode(), b"x" + f[4][1:].encode(), 1)
    assert len(new) == len(v) and new != v
    rewrite(postern, lambda txn, db: txn.put(k, new, db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert r.stdout == ""
    succ = key_time(recs[i + 1][0])
    assert "audit chain broken at record %d" % succ in r.stderr
    assert "(%d) was changed" % key_time(k) in r.stderr
    postern.start()


def test_tamper_change_result_field(postern):
    recs = _tamper_setup(postern)
    i = next(j for j, (k, v) in enumerate(recs)
             if fields(v)[6] == "fail" and 0 < j < len(recs) - 1)
    k, v = recs[i]
    new = v.replace(b"\tfail\t", b"\tok\t", 1)
    rewrite(postern, lambda txn, db: txn.put(k, new, db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert str(key_time(recs[i + 1][0])) in r.stderr
    postern.start()


def test_tamper_unparseable_record(postern):
    recs = _tamper_setup(postern)
    k, v = recs[2]
    rewrite(postern, lambda txn, db: txn.put(k, v.replace(b"\t", b" ", 1),
                                             db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert "broken" in r.stderr and str(key_time(recs[1][0])) in r.stderr
    postern.start()


def test_tamper_delete_middle(postern):
    recs = _tamper_setup(postern)
    i = 3
    rewrite(postern, lambda txn, db: txn.delete(recs[i][0], db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert "audit chain broken at record %d" % key_time(recs[i + 1][0]) \
        in r.stderr
    postern.start()


def test_tamper_delete_first(postern):
    recs = _tamper_setup(postern)
    rewrite(postern, lambda txn, db: txn.delete(recs[0][0], db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert "audit chain broken at record %d" % key_time(recs[1][0]) \
        in r.stderr
    assert "removed" in r.stderr
    postern.start()


def test_tamper_insert_forged(postern):
    recs = _tamper_setup(postern)
    i = 2
    (k0, v0), (k1, _) = recs[i], recs[i + 1]
    t = key_time(k0) + 1
    assert t < key_time(k1)
    forged = "\t".join([rec_hash(k0, v0), str(t), "imap", "plain", ALICE,
                        "203.0.113.66", "ok", "password", "forged"]).encode()
    rewrite(postern, lambda txn, db: txn.put(tkey(t), forged, db=db))
    r = verify(postern)
    assert r.returncode == 1
    assert "audit chain broken at record %d" % key_time(k1) in r.stderr
    assert "(%d)" % t in r.stderr
    postern.start()


def test_tamper_insert_anchor(postern):
    recs = _tamper_setup(postern)
    (k0, v0), (k1, _) = recs[2], recs[3]
    t = key_time(k0) + 1
    forged = "\t".join([rec_hash(k0, v0), str(t), "-", "-", "-", "-",
                        "anchor", "pruned 0 records", "-"]).encode()
    rewrite(postern, lambda txn, db: txn.put(tkey(t), forged, db=db))
    r = verify(postern)
    assert r.returncode == 1 and "broken" in r.stderr
    postern.start()


def test_tamper_rebuilt_chain_caught_by_syslog(postern):
    recs = _tamper_setup(postern)
    prefixes = log_prefixes(postern)
    assert len(prefixes) == 4
    hashes = {rec_hash(k, v)[:16] for k, v in recs}
    assert set(prefixes) <= hashes, "syslog copies agree before tampering"

    # the intruder hides the failed login from 192.0.2.2 and recomputes
    # every hash after it
    i = next(j for j, (k, v) in enumerate(recs) if b"192.0.2.2" in v)
    kept = recs[:i] + recs[i + 1:]
    forged, prev = [], ZERO
    for k, v in kept:
        f = fields(v)
        f[0] = prev
        nv = "\t".join(f).encode()
        forged.append((k, nv))
        prev = rec_hash(k, nv)

    def fn(txn, db):
        for k, _ in recs:
            txn.delete(k, db=db)
        for k, v in forged:
            txn.put(k, v, db=db)
    rewrite(postern, fn)

    r = verify(postern)
    assert r.returncode == 0, "a consistent rebuild cannot be seen in LMDB"
    assert "%d records" % len(forged) in r.stdout
    now = {x["hash"][:16] for x in audit(postern)}
    missing = [h for h in prefixes if h not in now]
    # the removed record and every one after it no longer match syslog
    assert missing, "syslog copies must disagree with a rebuilt chain"
    assert prefixes[1] in missing       # the hidden failed login
    assert prefixes[-1] in missing      # the newest, vouched for by syslog

    # --syslog names the hidden login as the first record lost
    capture_syslog(postern)
    r = verify_syslog(postern, syslog_file(postern))
    assert r.returncode == 1
    first = log_lines(postern)[1]
    assert "lost %d records" % len(missing) in r.stderr
    assert "the first is at %s:%d: audit %s service=\"imap\"" % (
        syslog_file(postern), first[0], prefixes[1]) in r.stderr
    assert 'address="192.0.2.2" result="fail"' in r.stderr
    postern.start()


# ------------------------------------------------- the head and syslog

def syslog_file(p):
    return os.path.join(p.dir, "syslog")


def log_lines(p):
    """(line number, hash prefix) of each audit line in syslog_file."""
    with open(syslog_file(p)) as f:
        return [(i, m.group(1)) for i, line in enumerate(f, 1)
                for m in [re.search(r"\baudit ([0-9a-f]{16}) service=",
                                    line)] if m]


def capture_syslog(p, stamp=False):
    """Writes authd's log lines (authd -d logs to stderr what it sends to
    syslog) to syslog_file(p), with a syslog(3) time and host in front
    when stamp, between lines that are not audit lines."""
    with open(syslog_file(p), "w") as f:
        f.write("Nov 30 10:00:00 mx kernel: [0.0] an unrelated line\n")
        for line in p.log().splitlines():
            f.write(("Nov 30 10:00:01 mx %s\n" if stamp else "%s\n")
                    % line)
            f.write("Nov 30 10:00:02 mx sshd[9]: audit of nothing\n")


def verify_syslog(p, path):
    return p.authctl("audit", "--verify", "--syslog", path, check=False)


def logins_last(p):
    """populate, with the newest records all logins: only authd's lines
    are captured here, authctl's own go to the system's syslog."""
    populate(p)
    c = p.client()
    for i in range(3):
        assert c.login("ghost%d@example.test" % i, "x",
                       address="192.0.2.%d" % (10 + i))[0] == "fail"
    c.close()
    assert p.stop() == 0
    return raw_records(p)


@pytest.mark.parametrize("stamp", [False, True])
def test_verify_syslog_clean(postern, stamp):
    recs = logins_last(postern)
    capture_syslog(postern, stamp)
    r = verify_syslog(postern, syslog_file(postern))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "audit chain verified: %d records" % len(recs)
    assert lines[1].endswith(" " + rec_hash(*recs[-1]))
    last = log_lines(postern)[-1]
    assert last[1] == rec_hash(*recs[-1])[:16]
    assert lines[2] == ("syslog copy: %s line %d vouches for the newest "
                        "record; no later audit line is missing from the "
                        "database" % (syslog_file(postern), last[0]))
    postern.start()


def test_tail_deletion_named_by_syslog(postern):
    """Deleting the newest records leaves a chain that holds: plain
    --verify shows the head it has (for the operator to compare), and
    --syslog names the first record lost."""
    recs = logins_last(postern)
    capture_syslog(postern, stamp=True)
    lost = recs[-2:]
    rewrite(postern, lambda txn, db: [txn.delete(k, db=db) for k, _ in lost])

    r = verify(postern)
    assert r.returncode == 0, "the chain of what is left holds"
    head = audit(postern)[-1]
    assert head["hash"] == rec_hash(*recs[-3])
    assert r.stdout.splitlines() == [
        "audit chain verified: %d records" % (len(recs) - 2),
        "newest record: %s %s" % (head["time"], head["hash"])]

    r = verify_syslog(postern, syslog_file(postern))
    assert r.returncode == 1
    assert r.stdout.splitlines()[1] == \
        "newest record: %s %s" % (head["time"], head["hash"])
    where = dict((h, n) for n, h in log_lines(postern))
    first = rec_hash(*lost[0])[:16]
    want = ("authctl: audit: the database lost 2 records that %s holds "
            "after its copy of the newest record kept (line %d); the first "
            "is at %s:%d: audit %s service=\"imap\" mech=\"plain\" "
            "user=\"ghost1@example.test\" address=\"192.0.2.11\" "
            "result=\"fail\"" % (
                syslog_file(postern), where[head["hash"][:16]],
                syslog_file(postern), where[first], first))
    assert r.stderr.startswith(want), r.stderr
    postern.start()


def test_forged_head_not_vouched_for(postern):
    """Records appended by hand extend the chain correctly but have no
    syslog copy."""
    recs = logins_last(postern)
    capture_syslog(postern)
    k, v = recs[-1]
    t = key_time(k) + 1
    forged = "\t".join([rec_hash(k, v), str(t), "imap", "plain", ALICE,
                        "203.0.113.66", "ok", "password", "forged"]).encode()
    rewrite(postern, lambda txn, db: txn.put(tkey(t), forged, db=db))
    assert verify(postern).returncode == 0
    r = verify_syslog(postern, syslog_file(postern))
    assert r.returncode == 1
    assert "the newest 1 record (from %s) has no copy in %s" % (
        audit(postern)[-1]["time"], syslog_file(postern)) in r.stderr
    postern.start()


def test_verify_syslog_errors(postern):
    logins_last(postern)
    r = postern.authctl("audit", "--syslog", "/nonexistent", check=False)
    assert r.returncode == 2 and "--syslog goes with --verify" in r.stderr
    r = postern.authctl("audit", "--verify", "--syslog", check=False)
    assert r.returncode == 2
    r = verify_syslog(postern, os.path.join(postern.dir, "nonexistent"))
    assert r.returncode == 1
    assert r.stderr == "authctl: %s: No such file or directory\n" % \
        os.path.join(postern.dir, "nonexistent")
    empty = os.path.join(postern.dir, "empty.log")
    with open(empty, "w") as f:
        f.write("Nov 30 10:00:00 mx kernel: nothing here\n")
    r = verify_syslog(postern, empty)
    assert r.returncode == 1
    assert "%s holds no audit lines" % empty in r.stderr
    other = os.path.join(postern.dir, "other.log")
    with open(other, "w") as f:
        f.write('authd[1]: audit 0123456789abcdef service="imap" x\n')
    r = verify_syslog(postern, other)
    assert r.returncode == 1
    assert "none of the 1 audit lines in %s names a record" % other \
        in r.stderr and "%s:1: audit 0123456789abcdef" % other in r.stderr
    postern.start()


# ------------------------------------------------------------ retention

def wait_anchor(p, reason=None):
    deadline = time.time() + 15
    while time.time() < deadline:
        recs = audit(p)
        if recs and recs[0]["result"] == "anchor" and (
                reason is None or recs[0]["reason"] == reason):
            return recs
        time.sleep(0.1)
    raise AssertionError("no anchor: %r" % audit(p))


def test_retention_prunes_and_anchors(stopped_postern):
    p = stopped_postern
    p.write_config(extra="audit retention 1d\n")
    p.start()
    pw = populate(p)
    old = audit(p)
    assert verify(p).returncode == 0
    p.restart(offset="+2d")
    recs = wait_anchor(p)
    assert recs[0]["result"] == "anchor", recs
    assert recs[0]["service"] == "-"
    assert recs[0]["reason"] == "pruned %d records" % len(old)
    old_hashes = {r["hash"] for r in old}
    assert not any(r["hash"] in old_hashes for r in recs)
    r = verify(p)
    assert r.returncode == 0, r.stderr
    assert "verified: %d records" % len(recs) in r.stdout
    # new records chain on after the anchor
    c = p.client()
    assert c.login(ALICE, pw)[0] == "ok"
    assert c.login(ALICE, "wrong")[0] == "fail"
    p.add_user("carol@example.test")
    recs = audit(p)
    assert len(recs) == 4
    r = verify(p)
    assert r.returncode == 0, r.stderr
    assert "verified: 4 records" in r.stdout


def test_retention_partial(stopped_postern):
    """Old records go, newer ones stay and still link to the anchor."""
    p = stopped_postern
    p.write_config(extra="audit retention 1d\n")
    p.start()
    pw = populate(p)
    n_old = len(audit(p))
    p.restart(offset="+12h")
    c = p.client()
    assert c.login(ALICE, pw, session="kept-1")[0] == "ok"
    assert c.login(ALICE, "nope", session="kept-2")[0] == "fail"
    c.close()
    p.restart(offset="+30h")
    recs = wait_anchor(p)
    assert recs[0]["result"] == "anchor", recs
    assert recs[0]["reason"] == "pruned %d records" % n_old
    assert [r["session"] for r in recs[1:]] == ["kept-1", "kept-2"]
    r = verify(p)
    assert r.returncode == 0, r.stderr
    assert "verified: 3 records" in r.stdout
    assert c is not None
    c = p.client()
    assert c.login(ALICE, pw)[0] == "ok"
    assert verify(p).returncode == 0


def test_retention_anchor_does_not_hide_deletion(stopped_postern):
    """After pruning, removing a kept record is still detected."""
    p = stopped_postern
    p.write_config(extra="audit retention 1d\n")
    p.start()
    pw = populate(p)
    p.restart(offset="+12h")
    c = p.client()
    for i in range(3):
        assert c.login(ALICE, pw, session="kept-%d" % i)[0] == "ok"
    c.close()
    p.restart(offset="+30h")
    wait_anchor(p)
    assert p.stop() == 0
    raw = raw_records(p)
    assert fields(raw[0][1])[6] == "anchor"
    rewrite(p, lambda txn, db: txn.delete(raw[2][0], db=db))
    r = p.authctl("audit", "--verify", check=False, offset="+30h")
    assert r.returncode == 1
    assert str(key_time(raw[3][0])) in r.stderr
    p.start(offset="+30h")


def test_retention_second_prune_removes_only_the_anchor(stopped_postern):
    """authd prunes at start and then every hour.  A prune that keeps some
    records leaves an anchor dated just before the cut-off, and the first
    kept record links to the last pruned one (the anchor's prev).  The
    next prune (an hour later) finds the anchor itself older than the new
    cut-off while the kept records are still young, so it removes only the
    anchor and writes a new one.  The chain must still verify."""
    p = stopped_postern
    p.write_config(extra="audit retention 1d\n")
    p.start()
    pw = populate(p)
    n_old = len(audit(p))
    p.restart(offset="+12h")                # nothing is old yet
    c = p.client()
    assert c.login(ALICE, pw, session="young-1")[0] == "ok"
    assert c.login(ALICE, pw, session="young-2")[0] == "ok"
    c.close()
    p.restart(offset="+30h")                # prune 1: the first batch
    recs = wait_anchor(p, "pruned %d records" % n_old)
    assert [r["session"] for r in recs[1:]] == ["young-1", "young-2"]
    r = verify(p)
    assert r.returncode == 0, r.stderr
    p.restart(offset="+32h")                # prune 2: the anchor only
    recs = wait_anchor(p, "pruned 1 records")
    assert [r["session"] for r in recs[1:]] == ["young-1", "young-2"]
    r = verify(p)
    assert r.returncode == 0, \
        "pruning broke the chain: %s" % r.stderr.strip()
    assert "verified: 3 records" in r.stdout
