"""Integration tests: password logins through the real authd, the
account checks that follow a right password (disabled, services,
networks), request validation, and the audit log with its syslog copy."""
import os
import re

from conftest import ALICE, audit, last_login


def assert_login(p, c, user, secret, status, reason, address="192.0.2.10",
                 service="imap", result=None):
    """Logs in, asserts the answer status and the audit reason."""
    st, u, maildir = c.login(user, secret, address=address, service=service)
    assert st == status, (st, last_login(p))
    rec = last_login(p)
    assert rec["reason"] == reason, rec
    assert rec["result"] == (result or status), rec
    return st, u, maildir


def test_right_password_answers_canonical_user_and_maildir(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    st, u, maildir = assert_login(p, c, ALICE, pw, "ok", "password")
    assert u == ALICE
    assert maildir == os.path.join(p.dir, "mail", "example.test", "alice")
    rec = last_login(p)
    assert rec["user"] == ALICE and rec["address"] == "192.0.2.10"
    assert rec["service"] == "imap" and rec["mech"] == "plain"


def test_user_name_is_case_insensitive(postern):
    p = postern
    pw = p.add_user(ALICE)
    st, u, _ = assert_login(p, p.client(), "Alice@Example.TEST", pw, "ok",
                            "password")
    assert u == ALICE


def test_password_is_case_sensitive(postern):
    p = postern
    pw = p.add_user(ALICE, "Correct-Horse-Battery-Staple-42")
    assert_login(p, p.client(), ALICE, pw.lower(), "fail", "wrong password")


def test_wrong_password_fails_without_details(postern):
    p = postern
    p.add_user(ALICE)
    st, u, maildir = assert_login(p, p.client(), ALICE, "not-the-password",
                                  "fail", "wrong password")
    assert (u, maildir) == ("", "")


def test_empty_password_fails(postern):
    p = postern
    p.add_user(ALICE)
    assert_login(p, p.client(), ALICE, "", "fail", "wrong password")


def test_unknown_user_answer_equals_wrong_password_answer(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    a = c.login(ALICE, "wrong", address="192.0.2.11")
    assert last_login(p)["reason"] == "wrong password"
    b = assert_login(p, c, "nobody@example.test", "wrong", "fail",
                     "unknown user", address="192.0.2.12")
    assert a == b == ("fail", "", "")


def test_invalid_user_names_are_unknown_users(postern):
    p = postern
    p.add_user(ALICE)
    c = p.client()
    for name in ("alice", "", "alice@example.test@x", "a b@example.test"):
        st, _, _ = c.login(name, "whatever", address="192.0.2.13")
        assert st == "fail", name
        rec = last_login(p)
        assert rec["reason"] == "unknown user", (name, rec)


def test_disabled_account(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    p.authctl("user", "disable", ALICE)
    assert_login(p, c, ALICE, pw, "fail", "account disabled")
    # Decided before any hashing, so a wrong password gets the same
    # answer and the same audit reason.
    assert_login(p, c, ALICE, "wrong", "fail", "account disabled")
    p.authctl("user", "enable", ALICE)
    assert_login(p, c, ALICE, pw, "ok", "password")


def test_new_users_get_imap_and_smtp_but_not_pop3(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    assert_login(p, c, ALICE, pw, "ok", "password", service="imap")
    assert_login(p, c, ALICE, pw, "ok", "password", service="smtp")
    assert_login(p, c, ALICE, pw, "fail", "service pop3 not allowed",
                 service="pop3")
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    assert_login(p, c, ALICE, pw, "ok", "password", service="pop3")
    p.authctl("user", "services", ALICE, "pop3")
    assert_login(p, c, ALICE, pw, "fail", "service imap not allowed",
                 service="imap")
    assert_login(p, c, ALICE, pw, "fail", "service smtp not allowed",
                 service="smtp")


def test_unknown_service(postern):
    p = postern
    pw = p.add_user(ALICE)
    st, _, _ = p.client().login(ALICE, pw, service="ftp",
                                address="192.0.2.14")
    assert st == "fail"
    rec = last_login(p)
    assert rec["reason"] == "unknown service", rec


def test_networks(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    p.authctl("user", "networks", ALICE, "10.0.0.0/8", "2001:db8::/32")
    assert_login(p, c, ALICE, pw, "ok", "password", address="10.1.2.3")
    assert_login(p, c, ALICE, pw, "ok", "password", address="2001:db8::5")
    assert_login(p, c, ALICE, pw, "ok", "password",
                 address="::ffff:10.9.9.9")
    assert_login(p, c, ALICE, pw, "fail",
                 "address not in the user's networks", address="192.0.2.1")
    assert_login(p, c, ALICE, pw, "fail",
                 "address not in the user's networks", address="2001:db9::1")
    assert_login(p, c, ALICE, pw, "fail",
                 "address not in the user's networks", address="11.0.0.1")
    p.authctl("user", "networks", ALICE, "any")
    assert_login(p, c, ALICE, pw, "ok", "password", address="192.0.2.1")


def test_invalid_client_address(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for addr in ("example.org", "", "300.1.2.3", "10.0.0.1/8",
                 "1.2.3.4; rm -rf"):
        st, _, _ = c.login(ALICE, pw, address=addr)
        assert st == "fail", addr
        rec = last_login(p)
        assert rec["reason"] == "invalid client address", (addr, rec)
    assert_login(p, c, ALICE, pw, "ok", "password")


def test_address_is_normalised(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    assert c.login(ALICE, pw, address="::ffff:192.0.2.7")[0] == "ok"
    assert last_login(p)["address"] == "192.0.2.7"
    assert c.login(ALICE, pw, address="2001:DB8:0:0::0:1")[0] == "ok"
    assert last_login(p)["address"] == "2001:db8::1"


def test_password_change(postern):
    p = postern
    old = p.add_user(ALICE)
    new = "Quiet-Orbit-Lantern-Mosaic-9713"
    p.authctl("user", "passwd", ALICE, "--password-stdin", input=new + "\n")
    c = p.client()
    assert_login(p, c, ALICE, old, "fail", "wrong password")
    assert_login(p, c, ALICE, new, "ok", "password")


def test_deleted_user_is_unknown(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    assert_login(p, c, ALICE, pw, "ok", "password")
    p.authctl("user", "del", ALICE)
    assert_login(p, c, ALICE, pw, "fail", "unknown user")


def test_mechanism_and_session_are_audited(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    st, _, _ = c.login(ALICE, pw, mech="login", session="sess-42",
                       address="192.0.2.15")
    assert st == "ok"
    rec = last_login(p)
    assert rec["mech"] == "login" and rec["session"] == "sess-42", rec


def test_syslog_copy_carries_the_record_hash(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    c.login(ALICE, pw, address="192.0.2.20")
    c.login(ALICE, "wrong", address="192.0.2.21")
    c.login("ghost@example.test", "x", address="192.0.2.22")
    recs = [r for r in audit(p) if r["service"] != "authctl"]
    assert len(recs) == 3
    lines = [l for l in p.log().splitlines() if " audit " in l]
    assert len(lines) == 3, p.log()
    for r, line in zip(recs, lines):
        m = re.search(r'audit ([0-9a-f]{16}) service="([^"]*)" .*'
                      r'user="([^"]*)" address="([^"]*)" '
                      r'result="([^"]*)" reason="([^"]*)"', line)
        assert m, line
        assert m.group(1) == r["hash"][:16], (line, r)
        assert (m.group(2), m.group(3), m.group(4), m.group(5),
                m.group(6)) == (r["service"], r["user"], r["address"],
                                r["result"], r["reason"]), (line, r)


def test_syslog_copy_cannot_be_forged_through_the_user_name(postern):
    """A user name full of field syntax stays inside its quoted field."""
    p = postern
    c = p.client()
    evil = 'x@example.test" address="10.0.0.1" result="ok" reason="password'
    assert c.login(evil, "x", address="192.0.2.30",
                   session='s"\x1b[1m')[0] == "fail"
    lines = [l for l in p.log().splitlines() if " audit " in l]
    assert len(lines) == 1, p.log()
    m = re.search(r'user="([^"]*)" address="([^"]*)" result="([^"]*)" '
                  r'reason="([^"]*)" session="([^"]*)"$', lines[0])
    assert m, lines[0]
    assert m.group(2) == "192.0.2.30" and m.group(3) == "fail", lines[0]
    assert m.group(4) == "unknown user", lines[0]
    assert "\x1b" not in lines[0], lines[0]
    assert m.group(5) == "s??[1m", lines[0]


def test_audit_chain_verifies_after_logins(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(5):
        c.login(ALICE, pw if i % 2 else "wrong", address="192.0.2.%d" % i)
    out = p.authctl("audit", "--verify").stdout
    assert "audit chain verified: 6 records" in out, out
    recs = audit(p)
    assert [r["result"] for r in recs[1:]] == \
        ["fail", "ok", "fail", "ok", "fail"]


def test_audit_text_output_lists_reason(postern):
    p = postern
    p.add_user(ALICE)
    p.client().login(ALICE, "wrong", address="192.0.2.30")
    out = p.authctl("audit", "--failed").stdout
    assert "wrong password" in out and "192.0.2.30" in out, out
    assert "user add" not in out, out


def test_old_record_with_unsafe_name_gets_no_mail_directory(postern):
    """A user record written before authctl checked names (planted here
    through LMDB) logs in with the right password only to a temporary
    failure: authd hands out no directory outside the mail root."""
    import lmdb
    p = postern
    pw = p.add_user(ALICE)
    p.stop()
    env = lmdb.open(os.path.join(p.dir, "state", "auth"), max_dbs=16,
                    map_size=1 << 30)
    with env.begin(db=env.open_db(b"users"), write=True) as txn:
        rec = txn.get(ALICE.encode())
        for name in (b"..@example.test", b"a/b@example.test"):
            txn.put(name, rec)
    env.close()
    p.start()
    c = p.client()
    for name in ("..@example.test", "a/b@example.test"):
        st, u, maildir = c.login(name, pw, address="192.0.2.10")
        rec = last_login(p)
        assert (st, u, maildir) == ("tempfail", "", ""), (st, rec)
        assert rec["reason"].startswith("no usable mail directory: "), rec
    assert_login(p, c, ALICE, pw, "ok", "password")
