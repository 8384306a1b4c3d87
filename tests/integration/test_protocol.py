"""Integration tests: the authd protocol itself (framing, request ids,
malformed input, requests in flight), recipient lookups and ban checks,
through the real authd."""
import os
import socket
import struct

import lmdb

from authclient import (MSG_BANCHECK, MSG_LOGIN, MSG_RCPT,
                        STATUS, frame)
from conftest import ALICE, BOB, audit

FRAME_MAX = 4096


def login_frame(rid, user="ghost@example.test", secret="x",
                address="192.0.2.1", service="imap", mech="plain",
                port=993, session="s"):
    return frame(MSG_LOGIN, rid, service, mech, user, secret, address, port,
                 session)


def raw_frame(payload):
    return struct.pack(">I", len(payload)) + payload


def assert_closed(c):
    """authd closes c without an answer."""
    c.s.settimeout(10)
    try:
        data = c.s.recv(65536)
    except ConnectionResetError:
        data = b""
    assert data == b"", "authd answered a malformed request: %r" % data


def assert_still_serving(p, pw):
    c = p.client()
    assert c.login(ALICE, pw, address="192.0.2.200")[0] == "ok"
    assert c.bancheck("192.0.2.200") == "ok"
    c.close()


# --- recipients --------------------------------------------------------------

def test_rcpt_users_and_aliases(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    assert c.rcpt(ALICE) == ("ok", [ALICE])
    assert c.rcpt("Alice@Example.Test") == ("ok", [ALICE])
    assert c.rcpt("nobody@example.test") == ("fail", [])
    p.authctl("alias", "add", "sales@example.test", "%s,%s" % (ALICE, BOB))
    st, users = c.rcpt("sales@example.test")
    assert st == "ok" and sorted(users) == [ALICE, BOB]
    p.authctl("alias", "del", "sales@example.test")
    assert c.rcpt("sales@example.test") == ("fail", [])


def test_rcpt_disabled_users_are_not_recipients(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    c = p.client()
    p.authctl("alias", "add", "team@example.test", "%s,%s" % (ALICE, BOB))
    p.authctl("user", "disable", BOB)
    assert c.rcpt(BOB) == ("fail", [])
    assert c.rcpt("team@example.test") == ("ok", [ALICE])
    p.authctl("user", "disable", ALICE)
    assert c.rcpt("team@example.test") == ("fail", [])


def test_rcpt_external_targets_and_nesting(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    p.authctl("alias", "add", "fwd@example.test",
              "someone@elsewhere.example,%s" % ALICE)
    st, users = c.rcpt("fwd@example.test")
    assert st == "ok"
    assert sorted(users) == sorted(["someone@elsewhere.example", ALICE])
    # A bare external address is not ours.
    assert c.rcpt("someone@elsewhere.example") == ("fail", [])
    # Aliases nest, also across local domains; duplicates collapse.
    p.authctl("alias", "add", "all@example.org",
              "fwd@example.test,%s" % ALICE)
    st, users = c.rcpt("all@example.org")
    assert st == "ok"
    assert sorted(users) == sorted(["someone@elsewhere.example", ALICE])


def test_rcpt_alias_loop_terminates(postern):
    p = postern
    c = p.client()
    p.add_user(ALICE)
    # authctl refuses loops, so an intruder with file access writes one
    # into the database; authd's expansion must still stop.
    p.authctl("alias", "add", "b@example.test", ALICE)
    env = lmdb.open(os.path.join(p.dir, "state", "auth"), max_dbs=16)
    with env.begin(write=True) as t:
        db = env.open_db(b"aliases", txn=t)
        t.put(b"a@example.test", b"b@example.test", db=db)
        t.put(b"b@example.test", b"a@example.test", db=db)
    env.close()
    p.authctl("alias", "add", "c@example.test", "a@example.test," + ALICE)
    assert c.rcpt("a@example.test") == ("fail", [])
    assert c.rcpt("c@example.test") == ("ok", [ALICE])
    assert c.rcpt("not an address") == ("fail", [])
    assert c.rcpt("") == ("fail", [])


# --- ban checks ----------------------------------------------------------------

def test_bancheck(postern):
    p = postern
    c = p.client()
    assert c.bancheck("192.0.2.5") == "ok"
    assert c.bancheck("2001:db8::5") == "ok"
    assert c.bancheck("not-an-address") == "fail"
    p.authctl("ban", "2001:db8::5")
    assert c.bancheck("2001:db8:0::5") == "tempfail"
    # An IPv6 client holds a whole /64: the ban covers it, and no more.
    assert c.bancheck("2001:db8::6") == "tempfail"
    assert c.bancheck("2001:db8:0:1::5") == "ok"


# --- framing and request ids -------------------------------------------------

def test_pipelined_requests_are_answered_by_id(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    reqs = {}
    buf = b""
    for rid in range(100, 112):
        kind = rid % 3
        if kind == 0:
            buf += login_frame(rid, ALICE, pw if rid % 2 else "wrong",
                               address="192.0.2.%d" % rid)
        elif kind == 1:
            buf += frame(MSG_BANCHECK, rid, "192.0.2.%d" % rid)
        else:
            buf += frame(MSG_RCPT, rid, ALICE)
        reqs[rid] = kind
    c.send_raw(buf)
    got = {}
    for _ in reqs:
        f = c.read_frame()
        rid, status = struct.unpack_from(">II", f, 1)
        assert f[0] == [MSG_LOGIN, MSG_BANCHECK, MSG_RCPT][reqs[rid]], f
        got[rid] = STATUS[status]
    assert sorted(got) == sorted(reqs)
    for rid, kind in reqs.items():
        if kind == 0:
            assert got[rid] == ("ok" if rid % 2 else "fail"), (rid, got)
        else:
            assert got[rid] == "ok", (rid, got)


def test_many_clients_at_once(postern):
    p = postern
    pw = p.add_user(ALICE)
    clients = [p.client() for _ in range(40)]
    ids = [c.send_login(ALICE, pw, address="198.51.100.%d" % (i + 1))
           for i, c in enumerate(clients)]
    for c, rid in zip(clients, ids):
        r, status, user, _, _ = c.read_login()
        assert (r, STATUS[status], user) == (rid, "ok", ALICE)


def test_requests_in_flight_limit(postern):
    p = postern
    pw = p.add_user(ALICE)
    # 64 logins in flight on one connection: all answered.
    c = p.client()
    c.send_raw(b"".join(login_frame(i + 1, address="10.0.%d.1" % i)
                        for i in range(64)))
    ids = sorted(c.read_login()[0] for _ in range(64))
    assert ids == list(range(1, 65))
    assert "too many requests in flight" not in p.log()
    # 65 (all read by authd at once): the client is dropped.
    batch = b"".join(login_frame(i + 1, address="10.1.%d.1" % i)
                     for i in range(65))
    assert len(batch) < FRAME_MAX
    c = p.client()
    c.send_raw(batch)
    c.s.settimeout(10)
    answers = 0
    try:
        while True:
            c.read_login()
            answers += 1
    except (ConnectionError, socket.timeout):
        pass
    assert answers < 65
    assert "client has too many requests in flight" in p.log(), p.log()
    assert_still_serving(p, pw)


def malformed_cases():
    good = login_frame(1)[4:]
    return {
        "zero length": struct.pack(">I", 0),
        "length over the maximum": struct.pack(">I", FRAME_MAX) + b"\x01",
        "huge length": b"\xff\xff\xff\xff",
        "trailing bytes": raw_frame(good + b"\x00"),
        "unknown type": frame(9, 1, "192.0.2.1"),
        "type zero": frame(0, 1, "192.0.2.1"),
        "type only": raw_frame(bytes([MSG_LOGIN])),
        "truncated field": raw_frame(bytes([MSG_LOGIN]) + struct.pack(
            ">I", 1) + struct.pack(">H", 100) + b"imap"),
        "missing fields": frame(MSG_LOGIN, 1, "imap", "plain"),
        "oversized service": login_frame(1, service="i" * 16),
        "oversized user": login_frame(1, user="a" * 250 + "@example.test"),
        "oversized secret": login_frame(1, secret="s" * 1025),
        "oversized address": login_frame(1, address="1" * 64),
        "oversized bancheck": frame(MSG_BANCHECK, 1, "1" * 256),
        "bancheck trailing": raw_frame(frame(MSG_BANCHECK, 1,
                                             "192.0.2.1")[4:] + b"x"),
        "rcpt without address": frame(MSG_RCPT, 1),
        "NUL in user": login_frame(1, user="alice\x00@example.test"),
    }


def test_malformed_frames_close_only_that_client(postern):
    p = postern
    pw = p.add_user(ALICE)
    bystander = p.client()
    for name, data in malformed_cases().items():
        c = p.client()
        c.send_raw(data)
        try:
            assert_closed(c)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (name, e))
        c.close()
        # The other connection was not disturbed.
        assert bystander.bancheck("192.0.2.3") == "ok", name
    assert_still_serving(p, pw)
    assert bystander.login(ALICE, pw, address="192.0.2.4")[0] == "ok"
    log = p.log()
    assert "malformed request; closing client" in log, log
    assert "bad frame length; closing client" in log, log
    # Nothing malformed reached the audit log as a login.
    assert all(r["address"] in ("-", "192.0.2.200", "192.0.2.4")
               for r in audit(p)), audit(p)


def test_good_request_before_malformed_one_is_not_a_login(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    c.send_raw(frame(MSG_BANCHECK, 1, "192.0.2.9") + frame(77, 2, "x"))
    assert_closed(c)
    assert_still_serving(p, pw)


def test_frame_split_across_writes(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    data = login_frame(5, ALICE, pw, address="192.0.2.8")
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
    rid, status, user, maildir, _ = c.read_login()
    assert (rid, STATUS[status], user) == (5, "ok", ALICE)


def test_maximal_secret_is_accepted(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    assert c.login(ALICE, "s" * 1024, address="192.0.2.7")[0] == "fail"
    assert audit(p)[-1]["reason"] == "wrong password"
    assert c.bancheck("192.0.2.7") == "ok"


def test_binary_secret_and_odd_fields_are_audited_safely(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    st, _, _ = c.login(ALICE, b"\xff\x00\n\x1b[31m".decode("latin-1"),
                       address="192.0.2.6", session="a\tb\nc")
    assert st == "fail"
    rec = audit(p)[-1]
    assert rec["reason"] == "wrong password"
    assert "\n" not in rec["session"] and "\t" not in rec["session"], rec
    assert "verified" in p.authctl("audit", "--verify").stdout
