"""authctl, the administrator's tool: every command against a running
authd, its errors (exit status, a message naming what, where and why) and
the rule that a refused command writes nothing."""
import base64
import os
import hashlib
import hmac
import struct
import subprocess
import time

import pytest

from conftest import ALICE, AUTHCTL, audit
STRONG = "Quartz-Nebula-71-Violin"
STRONG2 = "Harbor*Tulip-Glacier-39"


def users(p):
    return [l.split()[0] for l in p.authctl("user", "list").stdout.splitlines()]


def audit_count(p):
    return len(audit(p))


def failed(p, *args, rc=1, input=None):
    """Runs authctl expecting failure; returns stderr."""
    r = p.authctl(*args, input=input, check=False)
    assert r.returncode == rc, (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), "no error message for %s" % (args,)
    return r.stderr


def totp_code(b32secret, t=None):
    key = base64.b32decode(b32secret + "=" * (-len(b32secret) % 8))
    step = int((time.time() if t is None else t) // 30)
    d = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = d[-1] & 0x0F
    v = (struct.unpack(">I", d[o:o + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % v


# ---------------------------------------------------------------- user add

def test_user_add_generated_password_logs_in(postern):
    r = postern.authctl("user", "add", ALICE)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, "stdout must hold the password alone: %r" % r.stdout
    pw = lines[0]
    assert len(pw) >= 16 and " " not in pw
    assert pw not in r.stderr
    st, user, maildir = postern.client().login(ALICE, pw)
    assert st == "ok" and user == ALICE and maildir
    assert postern.client().login(ALICE, pw + "x")[0] == "fail"
    assert ALICE in users(postern)


def test_user_add_uppercase_is_canonicalised(postern):
    pw = postern.add_user("Bob.Smith@Example.TEST")
    assert "bob.smith@example.test" in users(postern)
    st, user, _ = postern.client().login("bob.smith@example.test", pw)
    assert st == "ok" and user == "bob.smith@example.test"


def test_user_add_duplicate(postern):
    postern.add_user(ALICE)
    n = audit_count(postern)
    err = failed(postern, "user", "add", ALICE)
    assert ALICE in err and "exists" in err
    assert audit_count(postern) == n, "a refused command was audited/written"
    assert users(postern) == [ALICE]


def test_user_add_non_local_domain(postern):
    err = failed(postern, "user", "add", "bob@other.test")
    assert "other.test" in err and "not a local domain" in err
    assert postern.conf in err
    assert users(postern) == []
    assert audit_count(postern) == 0


@pytest.mark.parametrize("name", ["a b@example.test", "a\xe9@example.test"])
def test_user_add_bad_names(postern, name):
    err = failed(postern, "user", "add", name)
    assert "not a valid address" in err
    assert users(postern) == []
    assert audit_count(postern) == 0


SAFE_DIR = "(mail lives in %s/mail/<domain>/<local part>)"


@pytest.mark.parametrize("name,shown,why", [
    ("..@example.test", "..@example.test",
     'local part ".." names the parent directory'),
    (".@example.test", ".@example.test",
     'local part "." names the directory itself'),
    ("a/b@example.test", "a/b@example.test", "local part: '/' at byte 2"),
    ("../../etc@example.test", "../../etc@example.test",
     "local part starts with '.' (a hidden directory, or a Maildir++ "
     "folder)"),
    (".Sent@example.test", ".Sent@example.test",
     "local part starts with '.' (a hidden directory, or a Maildir++ "
     "folder)"),
    ("x\x01y@example.test", "x?y@example.test",
     "local part: control character 0x01 at byte 2"),
    ("x\ty@example.test", "x?y@example.test",
     "local part: control character 0x09 at byte 2"),
    ("x\x7f@example.test", "x?@example.test",
     "local part: control character 0x7f at byte 2"),
    ("alice@..", "alice@..", 'domain ".." names the parent directory'),
    ("alice@.example.test", "alice@.example.test",
     "domain starts with '.' (a hidden directory, or a Maildir++ folder)"),
    ("alice@example.test/..", "alice@example.test/..",
     "domain: '/' at byte 19"),
    ("@example.test", "@example.test", "empty local part"),
    ("alice@", "alice@", "empty domain"),
    ("alice", "alice", "no '@' between local part and domain"),
    ("a@b@example.test", "a@b@example.test", "more than one '@'"),
    ("l" * 65 + "@example.test", "l" * 65 + "@example.test",
     "local part longer than 64 bytes"),
])
def test_user_add_unsafe_directory_names(postern, name, shown, why):
    """A name becomes <mail>/<domain>/<local part>: '..' would be the whole
    mail tree, 'a/b' a directory inside another user's Maildir."""
    r = postern.authctl("user", "add", name, check=False)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stdout == ""
    want = "authctl: %s: not a safe mail directory name: %s %s\n" % (
        shown, why, SAFE_DIR % postern.dir)
    assert r.stderr == want
    assert users(postern) == []
    assert audit_count(postern) == 0
    assert os.listdir(os.path.join(postern.dir, "mail")) == []


@pytest.mark.parametrize("name,why", [
    ("..@example.test", 'local part ".." names the parent directory'),
    ("a/b@example.test", "local part: '/' at byte 2"),
    (".x@example.test", "local part starts with '.'"),
])
def test_alias_add_unsafe_directory_names(postern, name, why):
    postern.add_user(ALICE)
    n = audit_count(postern)
    err = failed(postern, "alias", "add", name, ALICE)
    assert err.startswith("authctl: %s: not a safe mail directory name: %s"
                          % (name, why)), err
    assert postern.authctl("alias", "list").stdout == ""
    assert audit_count(postern) == n


def test_unsafe_old_record_can_be_deleted(postern):
    """A record written before the check existed can still be shown and
    deleted; only creating such a name is refused."""
    import lmdb
    postern.add_user(ALICE)
    postern.stop()
    env = lmdb.open(os.path.join(postern.dir, "state", "auth"), max_dbs=16,
                    map_size=1 << 30)
    db = env.open_db(b"users")
    with env.begin(db=db, write=True) as txn:
        txn.put(b"..@example.test", txn.get(ALICE.encode()))
    env.close()
    postern.start()
    assert "..@example.test" in users(postern)
    postern.authctl("user", "show", "..@example.test")
    postern.authctl("user", "del", "..@example.test")
    assert users(postern) == [ALICE]


@pytest.mark.parametrize("pw,why", [
    ("short1!", "too short"),
    ("passwordpassword", "too easy to guess"),
    ("1234567890123456", "too easy to guess"),
    ("Robert2024Robert!", "derived from the user name"),
    ("Example.Test.2024", "derived from the domain name"),
])
def test_user_add_weak_password_refused(postern, pw, why):
    user = "robert@example.test"
    err = failed(postern, "user", "add", user, "--password-stdin",
                 input=pw + "\n")
    assert "password refused" in err and why in err, err
    assert user in err
    assert pw not in err, "the password itself must not be echoed"
    assert users(postern) == []
    assert audit_count(postern) == 0


def test_user_add_password_stdin_strong(postern):
    postern.add_user(ALICE, STRONG)
    assert postern.client().login(ALICE, STRONG)[0] == "ok"
    show = postern.authctl("user", "show", ALICE).stdout
    assert "strength 10^" in show


def test_user_add_empty_stdin(postern):
    err = failed(postern, "user", "add", ALICE, "--password-stdin", input="")
    assert "empty password" in err
    assert users(postern) == []


def test_user_add_conflicting_options_usage(postern):
    r = postern.authctl("user", "add", ALICE, "--password",
                        "--password-stdin", input=STRONG + "\n", check=False)
    assert r.returncode == 2 and "usage" in r.stderr
    assert "--password and --password-stdin exclude each other" in r.stderr
    assert users(postern) == []


def test_user_add_unknown_option(postern):
    r = postern.authctl("user", "add", ALICE, "--frob", check=False)
    assert r.returncode == 2
    assert "--frob" in r.stderr and "unknown option" in r.stderr
    assert users(postern) == []


# ------------------------------------------------------- del, list, show

def test_user_del(postern):
    pw = postern.add_user(ALICE)
    postern.add_user("bob@example.test")
    postern.authctl("user", "del", ALICE)
    assert users(postern) == ["bob@example.test"]
    assert postern.client().login(ALICE, pw)[0] == "fail"
    err = failed(postern, "user", "del", ALICE)
    assert ALICE in err and "no such user" in err


def test_user_list_format(postern):
    postern.add_user(ALICE)
    postern.add_user("bob@example.org")
    out = postern.authctl("user", "list").stdout.splitlines()
    assert len(out) == 2
    line = [l for l in out if l.startswith(ALICE + " ")][0]
    assert "enabled" in line and "2fa=off" in line


def test_user_show(postern):
    postern.add_user(ALICE)
    out = postern.authctl("user", "show", ALICE).stdout
    assert "user: %s" % ALICE in out
    assert "state: enabled" in out
    assert "2fa: off" in out
    assert "networks: any" in out


def test_user_show_missing(postern):
    r = postern.authctl("user", "show", "nobody@example.test", check=False)
    assert r.returncode == 1
    assert "nobody@example.test" in r.stderr and "no such user" in r.stderr
    assert r.stdout == ""


# ----------------------------------------------------------------- passwd

def test_user_passwd(postern):
    old = postern.add_user(ALICE)
    postern.authctl("user", "passwd", ALICE, "--password-stdin",
                    input=STRONG2 + "\n")
    c = postern.client()
    assert c.login(ALICE, old)[0] == "fail"
    assert c.login(ALICE, STRONG2)[0] == "ok"
    reasons = [r["reason"] for r in audit(postern, "--user", ALICE)]
    assert "password changed" in reasons


def test_user_passwd_weak_keeps_old(postern):
    old = postern.add_user(ALICE)
    n = audit_count(postern)
    err = failed(postern, "user", "passwd", ALICE, "--password-stdin",
                 input="short\n")
    assert "too short" in err
    assert postern.client().login(ALICE, old)[0] == "ok"
    assert len([r for r in audit(postern) if r["service"] == "authctl"]) == n


def test_user_passwd_missing_user(postern):
    err = failed(postern, "user", "passwd", "nobody@example.test",
                 "--password-stdin", input=STRONG + "\n")
    assert "no such user" in err


# --------------------------------------------------------- enable/disable

def test_user_disable_enable(postern):
    pw = postern.add_user(ALICE)
    postern.authctl("user", "disable", ALICE)
    assert "state: disabled" in postern.authctl("user", "show", ALICE).stdout
    assert " disabled " in postern.authctl("user", "list").stdout
    assert postern.client().login(ALICE, pw)[0] != "ok"
    postern.authctl("user", "enable", ALICE)
    assert "state: enabled" in postern.authctl("user", "show", ALICE).stdout
    assert postern.client().login(ALICE, pw)[0] == "ok"


def test_user_disable_missing(postern):
    err = failed(postern, "user", "disable", "nobody@example.test")
    assert "no such user" in err


# --------------------------------------------------------------- services

def test_user_services(postern):
    pw = postern.add_user(ALICE)
    postern.authctl("user", "services", ALICE, "pop3")
    assert "services: pop3" in postern.authctl("user", "show", ALICE).stdout
    c = postern.client()
    assert c.login(ALICE, pw, service="imap")[0] != "ok"
    assert c.login(ALICE, pw, service="pop3")[0] == "ok"


def test_user_services_bad_list(postern):
    postern.add_user(ALICE)
    before = postern.authctl("user", "show", ALICE).stdout
    n = audit_count(postern)
    for bad in ("imap,foo", "imap, pop3", "", "imap,,smtp"):
        err = failed(postern, "user", "services", ALICE, bad)
        assert "not a list of services" in err, (bad, err)
    assert postern.authctl("user", "show", ALICE).stdout == before
    assert audit_count(postern) == n


# --------------------------------------------------------------- networks

def test_user_networks_v4_v6_and_any(postern):
    pw = postern.add_user(ALICE)
    postern.authctl("user", "networks", ALICE, "10.0.0.0/8",
                    "2001:db8::/32")
    show = postern.authctl("user", "show", ALICE).stdout
    assert "networks: 10.0.0.0/8 2001:db8::/32" in show
    c = postern.client()
    assert c.login(ALICE, pw, address="192.0.2.1")[0] != "ok"
    assert c.login(ALICE, pw, address="10.1.2.3")[0] == "ok"
    assert c.login(ALICE, pw, address="2001:db8::5")[0] == "ok"
    postern.authctl("user", "networks", ALICE, "any")
    assert "networks: any" in postern.authctl("user", "show", ALICE).stdout
    assert c.login(ALICE, pw, address="192.0.2.1")[0] == "ok"


@pytest.mark.parametrize("net", ["10.0.0.0/33", "10.0.0", "fe80::/129",
                                 "example.test", "10.0.0.0/8x"])
def test_user_networks_bad(postern, net):
    postern.add_user(ALICE)
    postern.authctl("user", "networks", ALICE, "10.0.0.0/8")
    n = audit_count(postern)
    err = failed(postern, "user", "networks", ALICE, "192.168.0.0/16", net)
    assert net in err and "not a network" in err
    assert "networks: 10.0.0.0/8\n" in \
        postern.authctl("user", "show", ALICE).stdout
    assert audit_count(postern) == n


def test_user_networks_any_not_alone(postern):
    postern.add_user(ALICE)
    err = failed(postern, "user", "networks", ALICE, "10.0.0.0/8", "any")
    assert "any" in err and "alone" in err


# ------------------------------------------------------------------ alias

def test_alias_add_list_del(postern):
    postern.add_user(ALICE)
    postern.authctl("alias", "add", "postmaster@example.test",
                    ALICE + ",ext@remote.example")
    out = postern.authctl("alias", "list").stdout
    assert out.strip() == \
        "postmaster@example.test %s,ext@remote.example" % ALICE
    st, targets = postern.client().rcpt("postmaster@example.test")
    assert st == "ok" and ALICE in targets
    postern.authctl("alias", "del", "postmaster@example.test")
    assert postern.authctl("alias", "list").stdout == ""
    err = failed(postern, "alias", "del", "postmaster@example.test")
    assert "no such alias" in err


def test_alias_errors(postern):
    postern.add_user(ALICE)
    n = audit_count(postern)
    err = failed(postern, "alias", "add", "x@example.test",
                 "ghost@example.test")
    assert "ghost@example.test" in err and "no such user or alias" in err
    err = failed(postern, "alias", "add", ALICE, "ext@remote.example")
    assert "a user has that name" in err
    err = failed(postern, "alias", "add", "x@example.test", "x@example.test")
    assert "itself" in err
    err = failed(postern, "alias", "add", "x@example.test",
                 ALICE + "," + ALICE)
    assert "twice" in err
    err = failed(postern, "alias", "add", "x@other.test", ALICE)
    assert "not a local domain" in err
    assert postern.authctl("alias", "list").stdout == ""
    assert audit_count(postern) == n
    postern.authctl("alias", "add", "x@example.test", ALICE)
    err = failed(postern, "alias", "add", "x@example.test", ALICE)
    assert "exists already" in err
    err = failed(postern, "user", "add", "x@example.test")
    assert "alias" in err


# ----------------------------------------------------------------- unlock

def test_unlock(postern):
    pw = postern.add_user(ALICE)
    c = postern.client()
    assert c.login(ALICE, "wrong", address="192.0.2.7")[0] == "fail"
    assert "failures: 1" in postern.authctl("user", "show", ALICE).stdout
    out = postern.authctl("unlock", ALICE).stdout
    assert "unlocked" in out
    assert "failures: none" in postern.authctl("user", "show", ALICE).stdout
    out = postern.authctl("unlock", ALICE).stdout
    assert "no failures recorded" in out
    assert c.login(ALICE, pw)[0] == "ok"


def test_unlock_bad_name(postern):
    err = failed(postern, "unlock", "alice")
    assert "not a valid address" in err


# ------------------------------------------------------------------- bans

def test_ban_unban_bans(postern):
    c = postern.client()
    assert c.bancheck("192.0.2.9") == "ok"
    out = postern.authctl("ban", "192.0.2.9", "2h").stdout
    assert out.startswith("192.0.2.9 banned until ")
    bans = postern.authctl("bans").stdout
    assert "192.0.2.9 until" in bans and "manual" in bans
    assert c.bancheck("192.0.2.9") != "ok"
    postern.authctl("ban", "2001:DB8::1")
    assert "2001:db8::/64 until" in postern.authctl("bans").stdout
    postern.authctl("unban", "192.0.2.9")
    bans = postern.authctl("bans").stdout
    assert "192.0.2.9" not in bans and "2001:db8::/64" in bans
    assert c.bancheck("192.0.2.9") == "ok"
    err = failed(postern, "unban", "192.0.2.9")
    assert "not banned" in err
    reasons = [r["reason"] for r in audit(postern)]
    assert "ban 2h" in reasons and "unban" in reasons


@pytest.mark.parametrize("args,what", [
    (("ban", "1.2.3.999"), "not a numeric"),
    (("ban", "mail.example.test"), "not a numeric"),
    (("ban", "10.0.0.0/8"), "not a numeric"),
    (("ban", "192.0.2.1", "xyz"), "not a duration"),
    (("ban", "192.0.2.1", "0s"), "must be at least 1s"),
    (("ban", "192.0.2.1", "0"), "must be at least 1s"),
    (("ban", "192.0.2.1", "-5m"), ""),
    (("unban", "nope"), "not a numeric"),
])
def test_ban_errors(postern, args, what):
    r = postern.authctl(*args, check=False)
    assert r.returncode != 0
    assert what in r.stderr
    assert postern.authctl("bans").stdout == ""
    assert audit_count(postern) == 0


# ---------------------------------------------------------------- apppass

def test_apppass_add_list_revoke(postern):
    postern.add_user(ALICE)
    r = postern.authctl("apppass", "add", ALICE, "phone")
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    secret = lines[0]
    c = postern.client()
    assert c.login(ALICE, secret)[0] == "ok"
    out = postern.authctl("apppass", "list", ALICE).stdout
    assert out.startswith("phone ")
    assert secret not in out
    assert "app passwords: 1" in postern.authctl("user", "show", ALICE).stdout
    err = failed(postern, "apppass", "add", ALICE, "phone")
    assert "exists already" in err
    postern.authctl("apppass", "revoke", ALICE, "phone")
    assert postern.authctl("apppass", "list", ALICE).stdout == ""
    assert c.login(ALICE, secret)[0] == "fail"
    err = failed(postern, "apppass", "revoke", ALICE, "phone")
    assert "no app password phone" in err


def test_apppass_services_scope(postern):
    postern.add_user(ALICE)
    secret = postern.authctl("apppass", "add", ALICE, "mailer",
                             "--services", "smtp").stdout.strip()
    c = postern.client()
    assert c.login(ALICE, secret, service="smtp")[0] == "ok"
    assert c.login(ALICE, secret, service="imap")[0] != "ok"


@pytest.mark.parametrize("label", ["bad label", "", "x" * 64, "a/b", "ü"])
def test_apppass_bad_label(postern, label):
    postern.add_user(ALICE)
    n = audit_count(postern)
    err = failed(postern, "apppass", "add", ALICE, label)
    assert "not a valid label" in err
    assert postern.authctl("apppass", "list", ALICE).stdout == ""
    assert audit_count(postern) == n


def test_apppass_errors(postern):
    postern.add_user(ALICE)
    err = failed(postern, "apppass", "add", "nobody@example.test", "phone")
    assert "no such user" in err
    err = failed(postern, "apppass", "add", ALICE, "phone", "--services",
                 "imap,foo")
    assert "not a list of services" in err
    assert postern.authctl("apppass", "list", ALICE).stdout == ""


# ------------------------------------------------------------------- totp

def _totp_enable(p, user):
    out = p.authctl("totp", "enable", user).stdout
    secret = [l.split(": ", 1)[1] for l in out.splitlines()
              if l.startswith("secret: ")][0]
    assert "otpauth://totp/" in out and "secret=" + secret in out
    return secret


def test_totp_wrong_code_stays_pending(postern):
    postern.add_user(ALICE)
    secret = _totp_enable(postern, ALICE)
    assert "2fa: pending" in postern.authctl("user", "show", ALICE).stdout
    good = {totp_code(secret, time.time() + d) for d in (-60, -30, 0, 30, 60)}
    wrong = next("%06d" % i for i in range(1000000) if "%06d" % i not in good)
    err = failed(postern, "totp", "confirm", ALICE, wrong)
    assert "does not match" in err
    err = failed(postern, "totp", "confirm", ALICE, "12345")
    assert "six digits" in err
    err = failed(postern, "totp", "confirm", ALICE, "abcdef")
    assert "six digits" in err
    assert "2fa: pending" in postern.authctl("user", "show", ALICE).stdout


def test_totp_enable_confirm_disable(postern):
    pw = postern.add_user(ALICE)
    secret = _totp_enable(postern, ALICE)
    r = postern.authctl("totp", "confirm", ALICE, totp_code(secret))
    codes = r.stdout.split()
    assert len(codes) >= 5
    show = postern.authctl("user", "show", ALICE).stdout
    assert "2fa: on" in show
    assert "recovery codes left: %d" % len(codes) in show
    err = failed(postern, "totp", "enable", ALICE)
    assert "already active" in err
    err = failed(postern, "totp", "confirm", ALICE, totp_code(secret))
    assert "already confirmed" in err
    # the bare password is not enough from a new address
    assert postern.client().login(ALICE, pw, address="192.0.2.50")[0] != "ok"
    postern.authctl("totp", "disable", ALICE)
    assert "2fa: off" in postern.authctl("user", "show", ALICE).stdout
    assert postern.client().login(ALICE, pw, address="192.0.2.51")[0] == "ok"
    reasons = [x["reason"] for x in audit(postern, "--user", ALICE)]
    for w in ("totp enabled", "totp confirmed", "totp disabled"):
        assert w in reasons


def test_totp_confirm_not_enrolled(postern):
    postern.add_user(ALICE)
    err = failed(postern, "totp", "confirm", ALICE, "123456")
    assert "not being enrolled" in err
    assert "2fa: off" in postern.authctl("user", "show", ALICE).stdout


# ------------------------------------------------------ general / usage

def test_config_file_missing(postern):
    r = subprocess.run([AUTHCTL, "-f", "/nonexistent/postern.conf", "user",
                        "list"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "/nonexistent/postern.conf" in r.stderr
    assert "No such file" in r.stderr


def test_unknown_command_usage(postern):
    r = postern.authctl("frobnicate", check=False)
    assert r.returncode == 2
    assert "frobnicate: unknown command" in r.stderr
    assert "usage:" in r.stderr and "user add" in r.stderr


def test_unknown_subcommand_usage(postern):
    r = postern.authctl("user", "frob", check=False)
    assert r.returncode == 2
    assert "user frob: unknown command" in r.stderr
    assert "authctl user add" in r.stderr


def test_no_command_usage(postern):
    r = postern.authctl(check=False)
    assert r.returncode == 2 and "usage" in r.stderr


def test_too_many_arguments_usage(postern):
    r = postern.authctl("user", "show", ALICE, "extra", check=False)
    assert r.returncode == 2 and "usage: authctl user show" in r.stderr


def test_help(postern):
    r = subprocess.run([AUTHCTL, "-h"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and "user add" in r.stdout


def test_every_admin_action_is_audited(postern):
    postern.add_user(ALICE)
    postern.authctl("user", "disable", ALICE)
    postern.authctl("user", "enable", ALICE)
    postern.authctl("user", "services", ALICE, "imap,smtp")
    postern.authctl("alias", "add", "pm@example.test", ALICE)
    postern.authctl("alias", "del", "pm@example.test")
    postern.authctl("ban", "192.0.2.1")
    postern.authctl("unban", "192.0.2.1")
    postern.authctl("user", "del", ALICE)
    recs = [r for r in audit(postern) if r["service"] == "authctl"]
    assert [r["reason"] for r in recs] == [
        "user add", "user disabled", "user enabled", "services imap,smtp",
        "alias add " + ALICE, "alias del", "ban 1h", "unban",
        "user del; no mailbox"]
    assert all(r["result"] == "admin" for r in recs)
    assert postern.authctl("audit", "--verify").returncode == 0


# ------------------------------------------ new-admin trial regressions

READ_ONLY = [("user", "list"), ("user", "show", ALICE), ("audit",),
             ("audit", "--verify"), ("report",), ("bans",),
             ("apppass", "list", ALICE), ("alias", "list")]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in
                                                 READ_ONLY])
def test_read_only_command_without_database(stopped_postern, args):
    p = stopped_postern
    err = failed(p, *args)
    auth = os.path.join(p.dir, "state", "auth")
    assert err == ("authctl: no credential database in %s (check "
                   "\"state\" in %s; authd or a command that writes "
                   "creates it)\n" % (auth, p.conf))
    assert not os.path.exists(auth), "a read-only command created files"


def test_write_command_creates_the_database(stopped_postern):
    p = stopped_postern
    p.add_user(ALICE)
    assert os.path.exists(os.path.join(p.dir, "state", "auth", "data.mdb"))
    assert users(p) == [ALICE]


def test_read_only_command_missing_state_dir(stopped_postern):
    p = stopped_postern
    os.rmdir(os.path.join(p.dir, "state"))
    assert "no credential database" in failed(p, "bans")
    assert not os.path.exists(os.path.join(p.dir, "state"))


def test_alias_loop_refused(postern):
    postern.add_user(ALICE)
    a, b, c = ("%s@example.test" % x for x in ("a", "b", "c"))
    postern.authctl("alias", "add", a, ALICE)
    postern.authctl("alias", "add", b, a)
    postern.authctl("alias", "add", c, b)
    r = postern.authctl("alias", "del", a)
    assert "warning: alias %s still points to %s" % (b, a) in r.stderr
    assert c not in r.stderr
    n = audit_count(postern)
    err = failed(postern, "alias", "add", a, b)
    assert "would form a loop: %s -> %s -> %s" % (a, b, a) in err
    err = failed(postern, "alias", "add", a, ALICE + "," + c)
    assert "would form a loop: %s -> %s -> %s -> %s" % (a, c, b, a) in err
    assert audit_count(postern) == n
    assert a not in [l.split()[0] for l in
                     postern.authctl("alias", "list").stdout.splitlines()]
    postern.authctl("alias", "add", a, ALICE)


def test_alias_long_loop_refused(postern):
    postern.add_user(ALICE)
    a = "a@example.test"
    chain = ["l%d@example.test" % i for i in range(1, 8)]
    postern.authctl("alias", "add", a, ALICE)
    prev = a
    for name in chain:
        postern.authctl("alias", "add", name, prev)
        prev = name
    postern.authctl("alias", "del", a)
    err = failed(postern, "alias", "add", a, chain[-1])
    shown = " -> ".join([a] + chain[::-1] + [a])
    assert "would form a loop: " + shown in err


def test_totp_enable_stdout_holds_only_the_secret(postern):
    postern.add_user(ALICE)
    r = postern.authctl("totp", "enable", ALICE)
    assert r.stdout.startswith("secret: ")
    assert "confirm" not in r.stdout and "Scan" not in r.stdout
    assert "authctl totp confirm %s CODE" % ALICE in r.stderr


def test_audit_since_accepts_what_audit_prints(postern):
    postern.add_user(ALICE)
    postern.authctl("user", "disable", ALICE)
    postern.authctl("user", "enable", ALICE)
    lines = postern.authctl("audit").stdout.splitlines()
    t = lines[-2].split()[0]
    assert t.endswith("Z") and "." in t
    out = postern.authctl("audit", "--since", t).stdout.splitlines()
    assert out == lines[-2:]
    out = postern.authctl("audit", "--since", t[:19] + "Z").stdout
    assert out.splitlines()[-2:] == lines[-2:]
    for bad in (t[:19] + ".Z", t[:19] + ".1234567Z", t + "Z", t[:19] + "z"):
        assert "not a time" in failed(postern, "audit", "--since", bad)


def test_user_add_local_part_limits(postern):
    err = failed(postern, "user", "add", "x" * 65 + "@example.test")
    assert "local part longer than 64 bytes" in err
    postern.add_user("x" * 64 + "@example.test")
    # a domain over 253 characters cannot fit in AUTH_USER_MAX anyway
    err = failed(postern, "alias", "add", "al@example.test",
                 "a@" + "d" * 250 + ".com")
    assert "too long" in err


def test_ban_again_says_what_it_replaces(postern):
    postern.authctl("ban", "192.0.2.9", "2h")
    r = postern.authctl("ban", "192.0.2.9", "1h")
    assert "192.0.2.9 was banned until " in r.stderr
    assert "; now until " in r.stderr
    assert r.stdout.startswith("192.0.2.9 banned until ")


@pytest.mark.parametrize("addr", ["127.0.0.1", "127.1.2.3", "::1", "::",
                                  "0.0.0.0", "::ffff:127.0.0.1"])
def test_ban_loopback_needs_force(postern, addr):
    err = failed(postern, "ban", addr)
    assert "--force" in err and ("loopback" in err)
    assert postern.authctl("bans").stdout == ""
    postern.authctl("ban", addr, "--force")
    assert postern.authctl("bans").stdout != ""


def test_ban_ipv6_says_slash_64(postern):
    r = postern.authctl("ban", "2001:db8::7")
    assert "2001:db8::/64" in r.stderr


def test_user_networks_duplicates_and_normalisation(postern):
    postern.add_user(ALICE)
    r = postern.authctl("user", "networks", ALICE, "10.0.0.1/8")
    assert "10.0.0.1/8 is the network 10.0.0.0/8" in r.stderr
    assert "networks: 10.0.0.0/8\n" in \
        postern.authctl("user", "show", ALICE).stdout
    n = audit_count(postern)
    err = failed(postern, "user", "networks", ALICE, "10.0.0.0/8",
                 "10.9.9.9/8")
    assert "given twice" in err
    assert audit_count(postern) == n
    r = postern.authctl("user", "networks", ALICE, "192.0.2.0/24")
    assert r.stderr == ""


def test_unlock_unknown_user(postern):
    err = failed(postern, "unlock", "nobody@example.test")
    assert "nobody@example.test: no such user" in err


def test_control_characters_are_not_echoed(postern):
    err = failed(postern, "user", "add", "a\x1b[31mb@example.test")
    assert "\x1b" not in err and "a?[31mb@example.test" in err
    err = failed(postern, "ban", "1.2.3.4\x07")
    assert "\x07" not in err and "1.2.3.4?" in err
    r = postern.authctl("frob\rnicate", check=False)
    assert r.returncode == 2 and "\r" not in r.stderr


def test_audit_verify_with_other_options_says_why(postern):
    err = failed(postern, "audit", "--verify", "--json", rc=2)
    assert "--verify excludes the other options" in err
