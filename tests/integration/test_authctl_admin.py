"""authctl as an administrator meets it: who ran a command is in its audit
record, ban records are found by address, audit filters refuse what no
record can match, paths in records are absolute, passwords and recovery
codes are generated on request, and every program answers --version and
--help."""
import os
import pwd
import re
import subprocess

import pytest

from conftest import ALICE, AUTHCTL, AUTHD, IS_ROOT, POP3D, audit
from test_totp import code, enrol


def run(p, *args, env=None, cwd=None, input=None):
    e = p.env()
    e.pop("SUDO_USER", None)
    e.update(env or {})
    return subprocess.run([AUTHCTL, "-f", p.conf] + list(args), env=e,
                          cwd=cwd, input=input, capture_output=True,
                          text=True, timeout=60)


# ------------------------------------------------------------ audit fields

def test_ban_records_are_found_by_address(postern):
    postern.authctl("ban", "192.0.2.7", "2h")
    postern.authctl("ban", "2001:db8::5")
    postern.authctl("unban", "192.0.2.7")
    recs = audit(postern, "--address", "192.0.2.7")
    assert [r["reason"] for r in recs] == ["ban 2h", "unban"], recs
    assert all(r["user"] == "-" and r["service"] == "authctl"
               for r in recs), recs
    # An address given in another spelling finds the same records.
    recs = audit(postern, "--address", "2001:DB8:0::5")
    assert [r["reason"] for r in recs] == ["ban 1h"], recs


def test_admin_records_name_who_ran_authctl(postern):
    r = run(postern, "user", "add", ALICE, env={"SUDO_USER": "carol"})
    assert r.returncode == 0, r.stderr
    rec = audit(postern, "--user", ALICE)[-1]
    want = "carol" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name
    assert rec["mech"] == want, rec
    r = run(postern, "user", "disable", ALICE)
    assert r.returncode == 0, r.stderr
    rec = audit(postern, "--user", ALICE)[-1]
    assert rec["mech"] == pwd.getpwuid(os.getuid()).pw_name, rec
    assert rec["reason"] == "user disabled"
    # Text mode shows it too, and the chain still verifies.
    assert " carol " in postern.authctl("audit").stdout or not IS_ROOT
    assert postern.authctl("audit", "--verify").returncode == 0


@pytest.mark.parametrize("opt,value,what", [
    ("--user", "", "empty user name"),
    ("--user", "alice smith", "blank, control or non-ASCII"),
    ("--user", "alice@@example.test", "not a valid address"),
    ("--user", "x" * 300, "too long"),
    ("--address", "not-an-ip", "not a numeric IPv4 or IPv6"),
    ("--address", "192.0.2.300", "not a numeric IPv4 or IPv6"),
])
def test_audit_filter_with_malformed_value_is_an_error(postern, opt, value,
                                                       what):
    postern.add_user(ALICE)
    r = postern.authctl("audit", opt, value, check=False)
    assert r.returncode == 1, r
    assert what in r.stderr and opt in r.stderr, r.stderr
    assert r.stdout == ""


def test_audit_user_filter_accepts_made_up_login_names(postern):
    postern.add_user(ALICE)
    assert postern.client().login("admin", "guess")[0] == "fail"
    recs = audit(postern, "--user", "admin")
    assert recs and all(r["user"] == "admin" for r in recs)


def test_backup_record_holds_an_absolute_path(postern):
    postern.add_user(ALICE)
    r = run(postern, "backup", "bk", cwd=postern.dir)
    assert r.returncode == 0, r.stderr
    rec = [x for x in audit(postern) if x["reason"].startswith("backup")]
    assert rec[-1]["reason"] == "backup to " + os.path.join(postern.dir,
                                                            "bk")


# --------------------------------------------------------------- passwords

def test_user_passwd_without_password_generates_one(postern):
    old = postern.add_user(ALICE)
    r = postern.authctl("user", "passwd", ALICE)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, "stdout must hold the password alone"
    new = lines[0]
    assert len(new) >= 16 and new != old and new not in r.stderr
    assert "generated password for %s" % ALICE in r.stderr
    c = postern.client()
    assert c.login(ALICE, old)[0] == "fail"
    assert c.login(ALICE, new)[0] == "ok"
    assert [r["reason"] for r in audit(postern, "--user", ALICE)
            if r["service"] == "authctl"][-1] == "password changed"


def test_user_passwd_options_exclude_each_other(postern):
    postern.add_user(ALICE)
    r = postern.authctl("user", "passwd", ALICE, "--password",
                        "--password-stdin", check=False)
    assert r.returncode == 2 and "exclude each other" in r.stderr


# ------------------------------------------------------------------- TOTP

def test_totp_recovery_issues_new_codes(postern):
    p = postern
    pw = p.add_user(ALICE)
    _, old = enrol(p)
    n = len(audit(p))
    r = p.authctl("totp", "recovery", ALICE)
    new = r.stdout.split()
    assert len(new) == 10 and len(set(new)) == 10
    assert not set(new) & set(old)
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", x)
               for x in new), new
    assert "shown once" in r.stderr and new[0] not in r.stderr
    recs = audit(p)
    assert len(recs) == n + 1
    assert recs[-1]["reason"] == "totp recovery codes replaced"
    for secret in new + old:
        assert secret not in str(recs)
    c = p.client()
    assert c.login(ALICE, pw + old[0], address="192.0.2.60")[0] == "fail"
    assert c.login(ALICE, pw + new[0], address="192.0.2.61")[0] == "ok"


def test_totp_recovery_needs_active_2fa(postern):
    postern.add_user(ALICE)
    r = postern.authctl("totp", "recovery", ALICE, check=False)
    assert r.returncode == 1 and "not active" in r.stderr
    postern.authctl("totp", "enable", ALICE)
    r = postern.authctl("totp", "recovery", ALICE, check=False)
    assert r.returncode == 1 and "confirm the enrolment" in r.stderr
    assert r.stdout == ""


def secret_of(out):
    return re.search(r"^secret: ([A-Z2-7]+)$", out, re.M).group(1)


def test_totp_enable_over_pending_needs_force(postern):
    p = postern
    p.add_user(ALICE)
    first = secret_of(p.authctl("totp", "enable", ALICE).stdout)
    n = len(audit(p))
    r = p.authctl("totp", "enable", ALICE, check=False)
    assert r.returncode == 1 and "--force" in r.stderr and "pending" in \
        r.stderr
    assert r.stdout == "" and len(audit(p)) == n
    # The pending secret was kept: its code confirms.
    second = secret_of(p.authctl("totp", "enable", ALICE, "--force").stdout)
    assert second != first
    assert audit(p)[-1]["reason"] == "totp enabled (pending enrolment " \
        "replaced)"
    r = p.authctl("totp", "confirm", ALICE, code(p, first), check=False)
    assert r.returncode == 1, "the replaced secret must no longer confirm"
    p.authctl("totp", "confirm", ALICE, code(p, second))


def test_totp_issuer_statement_and_hostname(postern):
    p = postern
    p.add_user(ALICE)
    out = p.authctl("totp", "enable", ALICE).stdout
    assert "otpauth://totp/postern:" in out      # hostname localhost
    with open(p.conf) as f:
        base = f.read()
    with open(p.conf, "w") as f:
        f.write(base.replace("hostname localhost", "hostname mail.example.test"))
    out = p.authctl("totp", "enable", ALICE, "--force").stdout
    assert "otpauth://totp/mail.example.test:" in out
    assert "&issuer=mail.example.test&" in out
    with open(p.conf, "a") as f:
        f.write('totp issuer "ACME Mail"\n')
    out = p.authctl("totp", "enable", ALICE, "--force").stdout
    assert "otpauth://totp/ACME%20Mail:" in out and \
        "&issuer=ACME%20Mail&" in out


@pytest.mark.parametrize("value", ['"a:b"', '""'])
def test_totp_issuer_refuses_bad_names(postern, value):
    postern.write_config("totp issuer %s\n" % value)
    r = postern.authctl("user", "list", check=False)
    assert r.returncode == 1
    assert "totp issuer" in r.stderr and ":" in r.stderr
    assert postern.conf in r.stderr


# ------------------------------------------------------- --version, --help

@pytest.mark.parametrize("prog", [AUTHD, AUTHCTL, POP3D])
def test_version_and_help(prog):
    name = os.path.basename(prog)
    r = subprocess.run([prog, "--version"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0 and r.stderr == ""
    assert re.fullmatch(r"%s \(postern\) \d+\.\d+\.\d+\n" % name, r.stdout)
    r = subprocess.run([prog, "--help"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0 and r.stdout.startswith("usage: " + name)


def test_versions_agree():
    outs = {subprocess.run([p, "--version"], capture_output=True, text=True,
                           timeout=10).stdout.split()[-1]
            for p in (AUTHD, AUTHCTL, POP3D)}
    assert len(outs) == 1


def test_command_help(postern):
    r = postern.authctl("user", "del", "--help")
    assert r.stdout == "usage: authctl user del user [--purge]\n"
    r = postern.authctl("totp", "recovery", "--help")
    assert r.stdout.startswith("usage: authctl totp recovery")
