"""Integration tests: TOTP second factor (RFC 6238) through the real
authd, with codes from oathtool, trust windows per (user, address),
recovery codes, and time travel with libfaketime."""
import functools
import re
import subprocess
import time

from conftest import ALICE, away_from_step_boundary, expect_login, \
    last_login, totp_enable

OFFICE = "192.0.2.80"
HOME = "198.51.100.80"

assert_login = functools.partial(expect_login, address=OFFICE)


def offset_seconds(p):
    """The faketime offset authd runs with, in seconds."""
    o = p.offset
    if not o:
        return 0
    m = re.fullmatch(r"([+-])(\d+)([smhd]?)", o)
    assert m, "unsupported offset %r" % o
    n = int(m.group(2)) * {"": 1, "s": 1, "m": 60, "h": 3600,
                           "d": 86400}[m.group(3)]
    return n if m.group(1) == "+" else -n


def now(p):
    return int(time.time()) + offset_seconds(p)


def code(p, secret, steps=0):
    """oathtool's code for authd's current time plus steps * 30 s."""
    out = subprocess.run(["oathtool", "--totp", "-b", secret,
                          "-N", "@%d" % (now(p) + 30 * steps)],
                         capture_output=True, text=True, check=True)
    c = out.stdout.strip()
    assert re.fullmatch(r"\d{6}", c), c
    return c


def wrong_code(p, secret, candidates=("000000", "123456", "999999",
                                      "314159")):
    """(the codes of steps -2..+2 around authd's time, the first candidate
    that is none of them)."""
    valid = {code(p, secret, s) for s in range(-2, 3)}
    return valid, next(x for x in candidates if x not in valid)


def enrol(p, user=ALICE):
    """Enables and confirms TOTP; returns (secret, recovery codes).

    The confirm uses the current step's code, which authd then
    considers used; logins use the next step's code (inside the +-1
    window)."""
    away_from_step_boundary()
    out = p.authctl("totp", "enable", user).stdout
    m = re.search(r"^secret: ([A-Z2-7]+)$", out, re.M)
    assert m, out
    secret = m.group(1)
    assert re.search(r"^otpauth://totp/\S+\?secret=%s&" % secret, out, re.M), \
        out
    r = p.authctl("totp", "confirm", user, code(p, secret))
    codes = r.stdout.split()
    assert len(codes) == 10, r.stdout
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", x)
               for x in codes), codes
    assert len(set(codes)) == 10
    return secret, codes


def test_totp_login_and_trust_window(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    assert_login(p, c, pw, "fail", "2FA code missing")
    nxt = code(p, secret, 1)
    assert_login(p, c, pw + nxt, "ok", "password and 2FA code")
    # The bare password works from this address now ...
    assert_login(p, c, pw, "ok", "password (trusted address)")
    assert_login(p, c, pw, "ok", "password (trusted address)",
                 service="smtp")
    # ... but not from another one.
    assert_login(p, c, pw, "fail", "2FA code missing", address=HOME)
    # Each code works once.
    assert_login(p, c, pw + nxt, "fail", "wrong or reused 2FA code",
                 address=HOME)
    # An older code (the confirm step or before) is refused too.
    assert_login(p, c, pw + code(p, secret, -1), "fail",
                 "wrong or reused 2FA code", address=HOME)


def test_code_used_at_confirm_cannot_log_in(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret = totp_enable(p)
    first = code(p, secret)
    p.authctl("totp", "confirm", ALICE, first)
    assert_login(p, c, pw + first, "fail", "wrong or reused 2FA code")


def test_wrong_code_and_wrong_password(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    valid, bad = wrong_code(p, secret)
    assert_login(p, c, pw + bad, "fail", "wrong or reused 2FA code")
    assert_login(p, c, "wrong" + code(p, secret, 1), "fail",
                 "wrong password")
    # A code from far outside the +-1 step window is refused.
    far = code(p, secret, 10)
    if far not in valid:
        assert_login(p, c, pw + far, "fail", "wrong or reused 2FA code")
    # Neither failure used up the next code.
    assert_login(p, c, pw + code(p, secret, 1), "ok",
                 "password and 2FA code")


def test_wrong_codes_count_towards_the_pair_lock(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    _, bad = wrong_code(p, secret)
    for _ in range(5):
        assert c.login(ALICE, pw + bad, address=OFFICE)[0] == "fail"
    assert_login(p, c, pw + code(p, secret, 1), "fail", "pair locked")


def test_pending_enrolment_does_not_require_a_code(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret = totp_enable(p)
    assert_login(p, c, pw, "ok", "password")
    _, bad = wrong_code(p, secret, ("000000", "123456", "999999"))
    r = p.authctl("totp", "confirm", ALICE, bad, check=False)
    assert r.returncode != 0, r
    assert_login(p, c, pw, "ok", "password")
    p.authctl("totp", "confirm", ALICE, code(p, secret))
    assert_login(p, c, pw, "fail", "2FA code missing", address=HOME)


def test_recovery_codes_work_once(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    _, codes = enrol(p)
    assert_login(p, c, pw + codes[0], "ok", "password and recovery code")
    # It opened a trust window for this address.
    assert_login(p, c, pw, "ok", "password (trusted address)")
    st, _, _ = c.login(ALICE, pw + codes[0], address=HOME)
    assert st == "fail"
    rec = last_login(p)
    assert rec["result"] == "fail", rec
    assert rec["reason"] == "wrong or used recovery code", rec
    # A made-up code of the right shape says the same.
    assert_login(p, c, pw + "abcd-efgh-2345", "fail",
                 "wrong or used recovery code", address=HOME)
    # A password that merely ends in code-shaped letters, typed without
    # a code, is still told apart from a wrong one.
    assert_login(p, c, pw, "fail", "2FA code missing",
                 address="203.0.113.81")
    # Typed without dashes and in capitals, another code works.
    assert_login(p, c, pw + codes[1].replace("-", "").upper(), "ok",
                 "password and recovery code", address=HOME)
    out = p.authctl("user", "show", ALICE).stdout
    assert re.search(r"recovery codes left: 8\b", out), out
    # A recovery code alone (without the password) is no login.
    assert_login(p, c, codes[2], "fail", "wrong password",
                 address="203.0.113.80")


def test_trust_window_lasts_thirty_days(stopped_postern):
    p = stopped_postern
    p.start()
    pw = p.add_user(ALICE)
    secret, _ = enrol(p)
    assert_login(p, p.client(), pw + code(p, secret, 1), "ok",
                 "password and 2FA code")
    p.restart(offset="+29d")
    c = p.client()
    assert_login(p, c, pw, "ok", "password (trusted address)")
    assert_login(p, c, pw, "fail", "2FA code missing", address=HOME)
    p.restart(offset="+31d")
    c = p.client()
    assert_login(p, c, pw, "fail", "2FA code missing")
    # oathtool under the same faketime as authd agrees on the code.
    away_from_step_boundary()
    env = p.env()
    fresh = subprocess.run(["oathtool", "--totp", "-b", secret],
                           capture_output=True, text=True, env=env,
                           check=True).stdout.strip()
    assert fresh == code(p, secret)
    assert_login(p, c, pw + fresh, "ok", "password and 2FA code")
    assert_login(p, c, pw, "ok", "password (trusted address)")


def test_disable_removes_the_second_factor(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    enrol(p)
    assert_login(p, c, pw, "fail", "2FA code missing")
    p.authctl("totp", "disable", ALICE)
    assert_login(p, c, pw, "ok", "password")
    out = p.authctl("user", "show", ALICE).stdout
    assert re.search(r"^2fa: off", out, re.M), out


def test_reenrolment_clears_trust_windows(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    assert_login(p, c, pw + code(p, secret, 1), "ok",
                 "password and 2FA code")
    assert_login(p, c, pw, "ok", "password (trusted address)")
    p.authctl("totp", "disable", ALICE)
    secret2, _ = enrol(p)
    assert secret2 != secret
    assert_login(p, c, pw, "fail", "2FA code missing")


def test_enable_twice_is_refused_while_active(postern):
    p = postern
    pw = p.add_user(ALICE)
    secret, _ = enrol(p)
    r = p.authctl("totp", "enable", ALICE, check=False)
    assert r.returncode != 0 and "already active" in r.stderr, r
    # The active enrolment is untouched.
    assert_login(p, p.client(), pw + code(p, secret, 1), "ok",
                 "password and 2FA code")


def test_totp_user_account_checks_still_apply(postern):
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    assert_login(p, c, pw + code(p, secret, 1), "fail",
                 "service pop3 not allowed", service="pop3")


def test_refused_login_opens_no_trust_window(postern):
    """Only a 2FA *login* opens a trust window: a right password and code
    on a disabled account (or for a service the user lacks) is refused,
    and must not leave the address trusted for later."""
    p = postern
    pw = p.add_user(ALICE)
    c = p.client()
    secret, _ = enrol(p)
    p.authctl("user", "disable", ALICE)
    assert_login(p, c, pw + code(p, secret, 1), "fail", "account disabled")
    p.authctl("user", "enable", ALICE)
    assert_login(p, c, pw, "fail", "2FA code missing")
    assert_login(p, c, pw, "fail", "2FA code missing", service="smtp")
