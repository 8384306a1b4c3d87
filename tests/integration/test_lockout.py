"""Integration tests: failure counters, (user, address) and account
lockouts, per-address bans and their escalation, through the real authd.
Time travel uses libfaketime offsets at restart (plain seconds or a
single unit: libfaketime does not parse "+1h1m")."""
import re

from conftest import ALICE, last_login

GHOST = "ghost@example.test"   # never created: unknown user


def assert_login(p, c, user, secret, status, reason, address,
                 service="imap"):
    st, _, _ = c.login(user, secret, address=address, service=service)
    rec = last_login(p)
    assert st == status, (st, rec)
    assert rec["reason"] == reason, rec
    assert rec["result"] == status, rec
    assert rec["address"] == address or address.startswith("::ffff:"), rec


def restarted(p, offset):
    """Restarts authd with the faketime offset; returns a new client."""
    p.restart(offset=offset)
    return p.client()


def fail_n(c, user, n, address, secret="wrong-password"):
    """n failed logins; returns the statuses."""
    return [c.login(user, secret, address=address)[0] for _ in range(n)]


def flood(p, c, address, n=20):
    """n unknown-user failures from address; returns the last reason."""
    sts = fail_n(c, GHOST, n, address)
    assert sts == ["fail"] * n, sts
    return last_login(p, address=address)["reason"]


# --- (user, address) pair lockout -----------------------------------------

def test_pair_locks_after_five_failures(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    a = "192.0.2.40"
    assert fail_n(c, ALICE, 4, a) == ["fail"] * 4
    assert last_login(p)["reason"] == "wrong password"
    assert_login(p, c, ALICE, pw, "ok", "password", a)   # resets the pair
    assert fail_n(c, ALICE, 5, a) == ["fail"] * 5
    assert last_login(p)["reason"] == "wrong password"
    # Even the right password is refused now, temporarily.
    assert_login(p, c, ALICE, pw, "fail", "pair locked", a)
    assert_login(p, c, ALICE, "wrong", "fail", "pair locked", a)
    # Another address is not concerned (the account has 5 failures only).
    assert_login(p, c, ALICE, pw, "ok", "password", "192.0.2.41")
    p.authctl("unlock", ALICE)
    assert_login(p, c, ALICE, pw, "ok", "password", a)


def test_lock_does_not_reveal_the_account(postern):
    """Past the pair lock, an existing user's answers look like an unknown
    user's: the same status for the right and the wrong password; only
    the audit log tells them apart."""
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    a = "192.0.2.45"
    answers = {}
    for user, secret in ((ALICE, "wrong"), (GHOST, "wrong")):
        assert fail_n(c, user, 6, a) == ["fail"] * 6
        answers[user] = c.login(user, secret, address=a)
    assert answers[ALICE] == answers[GHOST] == ("fail", "", "")
    assert c.login(ALICE, pw, address=a) == ("fail", "", "")
    assert last_login(p, address=a)["reason"] == "pair locked"


def test_pair_lock_covers_ipv4_mapped_form(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(5):
        addr = "::ffff:192.0.2.42" if i % 2 else "192.0.2.42"
        assert c.login(ALICE, "wrong", address=addr)[0] == "fail"
    assert_login(p, c, ALICE, pw, "fail", "pair locked",
                 "::ffff:192.0.2.42")
    assert last_login(p)["address"] == "192.0.2.42"
    assert_login(p, c, ALICE, pw, "fail", "pair locked", "192.0.2.42")


def test_pair_lock_expires_after_fifteen_minutes(stopped_postern):
    p = stopped_postern
    p.start()
    pw = p.add_user(ALICE)
    c = p.client()
    a = "198.51.100.40"
    fail_n(c, ALICE, 5, a)
    assert_login(p, c, ALICE, pw, "fail", "pair locked", a)
    c = restarted(p, "+14m")
    assert_login(p, c, ALICE, pw, "fail", "pair locked", a)
    c = restarted(p, "+16m")
    assert_login(p, c, ALICE, pw, "ok", "password", a)


def test_failures_outside_the_window_do_not_add_up(stopped_postern):
    p = stopped_postern
    p.start()
    pw = p.add_user(ALICE)
    c = p.client()
    a = "198.51.100.41"
    fail_n(c, ALICE, 4, a)
    c = restarted(p, "+16m")
    fail_n(c, ALICE, 4, a)
    assert_login(p, c, ALICE, pw, "ok", "password", a)


def test_unknown_user_failures_count_per_address_only(postern):
    p = postern
    c = p.client()
    a = "192.0.2.43"
    assert fail_n(c, "bob@example.test", 12, a) == ["fail"] * 12
    assert last_login(p)["reason"] == "unknown user"
    # The user now created must not inherit a pair or account lock.
    pw = p.add_user("bob@example.test")
    assert_login(p, c, "bob@example.test", pw, "ok", "password", a)
    assert_login(p, c, "bob@example.test", pw, "ok", "password",
                 "192.0.2.44")


# --- account lockout -------------------------------------------------------

def test_account_locks_only_for_unknown_addresses(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    office = "203.0.113.5"
    assert_login(p, c, ALICE, pw, "ok", "password", office)
    # 10 failures from 10 addresses: no pair reaches 5.
    for i in range(10):
        assert c.login(ALICE, "wrong", address="198.51.100.%d" % (i + 1))[0] \
            == "fail"
        assert last_login(p)["reason"] == "wrong password"
    assert_login(p, c, ALICE, pw, "fail", "account locked",
                 "198.51.100.200")
    assert_login(p, c, ALICE, pw, "fail", "account locked",
                 "2001:db8::77")
    # One of the attackers' addresses, too.
    assert_login(p, c, ALICE, pw, "fail", "account locked",
                 "198.51.100.1")
    # The owner's office, which logged in before, still gets in.
    assert_login(p, c, ALICE, pw, "ok", "password", office)
    p.authctl("unlock", ALICE)
    assert_login(p, c, ALICE, pw, "ok", "password", "198.51.100.200")


def test_account_lock_needs_ten_failures(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(9):
        c.login(ALICE, "wrong", address="198.51.100.%d" % (i + 1))
    assert_login(p, c, ALICE, pw, "ok", "password", "198.51.100.201")


def test_account_lock_expires(stopped_postern):
    p = stopped_postern
    p.start()
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(10):
        c.login(ALICE, "wrong", address="198.51.100.%d" % (i + 1))
    assert_login(p, c, ALICE, pw, "fail", "account locked",
                 "198.51.100.202")
    c = restarted(p, "+16m")
    assert_login(p, c, ALICE, pw, "ok", "password", "198.51.100.202")


def test_unlock_of_user_without_failures(postern):
    p = postern
    p.add_user(ALICE)
    r = p.authctl("unlock", ALICE, check=False)
    assert "no failures recorded" in r.stdout + r.stderr, r
    assert p.client().bancheck("192.0.2.1") == "ok"


# --- address bans ------------------------------------------------------------

def test_address_banned_after_twenty_failures(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    x = "192.0.2.66"
    assert c.bancheck(x) == "ok"
    fail_n(c, GHOST, 19, x)
    assert c.bancheck(x) == "ok"
    assert last_login(p, address=x)["reason"] == "unknown user"
    assert flood(p, c, x, 1) == "unknown user; address banned for 3600s"
    assert c.bancheck(x) == "tempfail"
    assert c.bancheck("::ffff:" + x) == "tempfail"
    assert_login(p, c, ALICE, pw, "tempfail", "address banned", x)
    # Others are not concerned.
    assert c.bancheck("192.0.2.67") == "ok"
    assert_login(p, c, ALICE, pw, "ok", "password", "192.0.2.67")
    bans = p.authctl("bans").stdout
    assert x in bans and "level 1" in bans, bans
    p.authctl("unban", x)
    assert c.bancheck(x) == "ok"
    assert x not in p.authctl("bans").stdout
    assert_login(p, c, ALICE, pw, "ok", "password", x)


def test_ipv6_failures_count_and_ban_per_64(postern):
    """Twenty failures spread over one /64 ban the whole /64 (an IPv6
    client picks any address in it), but not the neighbouring /64; the
    (user, address) pair lock still keys on the exact address."""
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    for i in range(19):
        assert fail_n(c, GHOST, 1, "2001:db8:1:2::%x" % (i + 1)) == ["fail"]
    assert c.bancheck("2001:db8:1:2::ffff") == "ok"
    assert flood(p, c, "2001:db8:1:2:aaaa::1", 1).endswith(
        "address banned for 3600s")
    assert c.bancheck("2001:db8:1:2:ffff:ffff:ffff:ffff") == "tempfail"
    assert_login(p, c, ALICE, pw, "tempfail", "address banned",
                 "2001:db8:1:2::77")
    assert c.bancheck("2001:db8:1:3::1") == "ok"
    assert_login(p, c, ALICE, pw, "ok", "password", "2001:db8:1:3::1")
    assert "2001:db8:1:2::/64 until" in p.authctl("bans").stdout
    # Pair locks are per exact address: four failures each from two
    # addresses of one /64 lock neither pair.
    for a in ("2001:db8:9::1", "2001:db8:9::2"):
        assert fail_n(c, ALICE, 4, a) == ["fail"] * 4
        assert_login(p, c, ALICE, pw, "ok", "password", a)


def test_wrong_passwords_of_known_users_count_for_the_ban(postern):
    p = postern
    c = p.client()
    x = "192.0.2.68"
    users = ["u%d@example.test" % i for i in range(5)]
    for u in users:
        p.add_user(u)
    for u in users:
        fail_n(c, u, 4, x)
    assert c.bancheck(x) == "tempfail"
    assert last_login(p, address=x)["reason"] == \
        "wrong password; address banned for 3600s"


def test_ban_expires_and_escalates(stopped_postern):
    p = stopped_postern
    p.start()
    pw = p.add_user(ALICE)
    c = p.client()
    x = "2001:db8::66"
    assert flood(p, c, x) == "unknown user; address banned for 3600s"
    assert c.bancheck(x) == "tempfail"
    c = restarted(p, "+59m")
    assert c.bancheck(x) == "tempfail"
    assert_login(p, c, ALICE, pw, "tempfail", "address banned", x)
    c = restarted(p, "+61m")
    assert c.bancheck(x) == "ok"
    assert_login(p, c, ALICE, pw, "ok", "password", x)
    # The second ban is twice as long.
    assert flood(p, c, x) == "unknown user; address banned for 7200s"
    assert c.bancheck(x) == "tempfail"
    bans = p.authctl("bans").stdout
    assert re.search(r"2001:db8::/64 until \S+ level 2", bans), bans
    c = restarted(p, "+180m")          # 61m + 119m: still banned
    assert c.bancheck(x) == "tempfail"
    c = restarted(p, "+182m")          # 61m + 121m: over
    assert c.bancheck(x) == "ok"
    # The third, four hours.
    assert flood(p, c, x) == "unknown user; address banned for 14400s"


def test_failures_from_a_banned_address_do_not_reach_the_user(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    x = "192.0.2.69"
    p.authctl("ban", x)
    for _ in range(12):
        assert c.login(ALICE, "wrong", address=x)[0] == "tempfail"
        assert last_login(p)["reason"] == "address banned"
    # Refused before the password check, so no account lock.
    assert_login(p, c, ALICE, pw, "ok", "password", "192.0.2.70")


def test_manual_ban_and_unban(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    p.authctl("ban", "198.51.100.9", "2h")
    bans = p.authctl("bans").stdout
    assert "198.51.100.9" in bans and "manual" in bans, bans
    assert c.bancheck("198.51.100.9") == "tempfail"
    assert_login(p, c, ALICE, pw, "tempfail", "address banned",
                 "198.51.100.9")
    p.authctl("unban", "198.51.100.9")
    assert c.bancheck("198.51.100.9") == "ok"
    assert_login(p, c, ALICE, pw, "ok", "password", "198.51.100.9")


def test_manual_ban_of_mapped_address(postern):
    p = postern
    c = p.client()
    p.authctl("ban", "::ffff:192.0.2.50")
    assert c.bancheck("192.0.2.50") == "tempfail"
    assert c.bancheck("::ffff:192.0.2.50") == "tempfail"


def test_manual_ban_expires(stopped_postern):
    p = stopped_postern
    p.start()
    c = p.client()
    p.authctl("ban", "198.51.100.10", "30m")
    assert c.bancheck("198.51.100.10") == "tempfail"
    p.restart(offset="+31m")
    assert p.client().bancheck("198.51.100.10") == "ok"


def test_flood_does_not_starve_other_addresses(postern):
    p = postern
    pw = p.add_user(ALICE)
    attacker = p.client()
    victim = p.client()
    ids = [attacker.send_login(GHOST, "guess%d" % i, address="192.0.2.99")
           for i in range(30)]
    assert victim.login(ALICE, pw, address="203.0.113.9")[0] == "ok"
    rec = last_login(p, address="203.0.113.9")
    assert rec["reason"] == "password", rec
    got = {}
    for _ in ids:
        rid, status, _, _, _ = attacker.read_login()
        got[rid] = status
    assert sorted(got) == ids
    assert all(s != 0 for s in got.values()), got     # none succeeded
    assert victim.bancheck("192.0.2.99") == "tempfail"
    assert victim.bancheck("203.0.113.9") == "ok"
