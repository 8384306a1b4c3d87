"""Integration tests: app passwords (random, shown once, scoped to
services, revocable, no 2FA code needed) through the real authd."""
import functools
import re
import subprocess

from conftest import ALICE, BOB, expect_login, last_login, totp_enable

assert_login = functools.partial(expect_login, address="192.0.2.90")


def add_apppass(p, user, label, services=None):
    args = ["apppass", "add", user, label]
    if services:
        args += ["--services", services]
    r = p.authctl(*args)
    secret = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){4}", secret), r.stdout
    return secret


def enable_totp(p, user):
    secret = totp_enable(p, user)
    c = subprocess.run(["oathtool", "--totp", "-b", secret],
                       capture_output=True, text=True,
                       check=True).stdout.strip()
    p.authctl("totp", "confirm", user, c)
    return secret


def test_apppass_is_scoped_to_its_services(postern):
    p = postern
    pw = p.add_user(ALICE)
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    ap = add_apppass(p, ALICE, "phone", "imap")
    assert ap != pw
    c = p.client()
    assert_login(p, c, ap, "ok", "app password phone")
    assert_login(p, c, ap, "fail",
                 "app password phone: service pop3 not allowed",
                 service="pop3")
    assert_login(p, c, ap, "fail",
                 "app password phone: service smtp not allowed",
                 service="smtp")
    # The account password is not limited by the app password's scope.
    assert_login(p, c, pw, "ok", "password", service="pop3")


def test_apppass_defaults_to_the_users_services(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "laptop")
    c = p.client()
    assert_login(p, c, ap, "ok", "app password laptop", service="imap")
    assert_login(p, c, ap, "ok", "app password laptop", service="smtp")
    # The user lacks pop3, so the app password does too.
    assert_login(p, c, ap, "fail",
                 "app password laptop: service pop3 not allowed",
                 service="pop3")


def test_apppass_cannot_exceed_the_users_services(postern):
    p = postern
    p.add_user(ALICE)
    r = p.authctl("apppass", "add", ALICE, "mailer", "--services", "pop3")
    assert "authctl user services" in r.stderr, r     # warned
    ap = r.stdout.strip().splitlines()[-1]
    c = p.client()
    assert_login(p, c, ap, "fail",
                 "app password mailer: service pop3 not allowed",
                 service="pop3")
    assert_login(p, c, ap, "fail",
                 "app password mailer: service imap not allowed")
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    assert_login(p, c, ap, "ok", "app password mailer", service="pop3")


def test_apppass_needs_no_code_for_totp_users(postern):
    p = postern
    pw = p.add_user(ALICE)
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    enable_totp(p, ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    assert_login(p, c, pw, "fail", "2FA code missing")
    # Roaming device: any address, no code, no trust window needed.
    for addr in ("192.0.2.91", "198.51.100.91", "2001:db8::91"):
        assert_login(p, c, ap, "ok", "app password phone", address=addr)
    assert_login(p, c, ap, "fail",
                 "app password phone: service pop3 not allowed",
                 service="pop3")
    # Logging in with an app password does not open a trust window.
    assert_login(p, c, pw, "fail", "2FA code missing", address="192.0.2.91")


def test_revoked_apppass_stops_working(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    keep = add_apppass(p, ALICE, "tablet", "imap")
    c = p.client()
    assert_login(p, c, ap, "ok", "app password phone")
    p.authctl("apppass", "revoke", ALICE, "phone")
    assert_login(p, c, ap, "fail", "wrong password")
    assert_login(p, c, keep, "ok", "app password tablet")
    out = p.authctl("apppass", "list", ALICE).stdout
    assert "phone" not in out and "tablet" in out, out


def test_revoked_apppass_of_totp_user(postern):
    p = postern
    p.add_user(ALICE)
    enable_totp(p, ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    assert_login(p, c, ap, "ok", "app password phone")
    p.authctl("apppass", "revoke", ALICE, "phone")
    st, _, _ = c.login(ALICE, ap, address="192.0.2.92")
    assert st == "fail"
    assert not last_login(p)["reason"].startswith("app password"), \
        last_login(p)


def test_apppass_list_shows_last_use(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    out = p.authctl("apppass", "list", ALICE).stdout
    assert re.search(r"^phone imap created \S+ last used never$", out,
                     re.M), out
    c = p.client()
    assert_login(p, c, ap, "ok", "app password phone")
    out = p.authctl("apppass", "list", ALICE).stdout
    m = re.search(r"^phone imap created (\S+) last used (\S+)$", out, re.M)
    assert m and m.group(2) != "never", out
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m.group(2)), out


def test_apppass_is_typed_leniently(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    assert_login(p, c, ap.replace("-", ""), "ok", "app password phone")
    assert_login(p, c, ap.upper(), "ok", "app password phone")
    assert_login(p, c, ap.replace("-", " "), "ok", "app password phone")


def test_apppass_belongs_to_its_user(postern):
    p = postern
    p.add_user(ALICE)
    p.add_user(BOB)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    assert_login(p, c, ap, "fail", "wrong password", user=BOB)
    assert_login(p, c, ap, "ok", "app password phone")


def test_apppass_respects_account_state_and_networks(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    p.authctl("user", "disable", ALICE)
    assert_login(p, c, ap, "fail", "app password phone: account disabled")
    p.authctl("user", "enable", ALICE)
    p.authctl("user", "networks", ALICE, "10.0.0.0/8")
    assert_login(p, c, ap, "fail",
                 "app password phone: address not in the user's networks")
    assert_login(p, c, ap, "ok", "app password phone", address="10.0.0.9")


def test_apppass_respects_lockout_and_bans(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    c = p.client()
    for _ in range(5):
        c.login(ALICE, "wrong", address="192.0.2.93")
    assert_login(p, c, ap, "fail", "pair locked", address="192.0.2.93")
    p.authctl("ban", "192.0.2.94")
    assert_login(p, c, ap, "tempfail", "address banned", address="192.0.2.94")


def test_apppass_survives_password_change(postern):
    p = postern
    p.add_user(ALICE)
    ap = add_apppass(p, ALICE, "phone", "imap")
    p.authctl("user", "passwd", ALICE, "--password-stdin",
              input="Quiet-Orbit-Lantern-Mosaic-9713\n")
    assert_login(p, p.client(), ap, "ok", "app password phone")
