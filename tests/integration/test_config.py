"""The configuration checker: authd -n, and the same parser as seen from
authctl.  Each error names FILE:LINE and what is wrong; all errors of a
file are reported; nothing starts on a bad file (postern.conf(5))."""
import os
import re
import subprocess

import pytest

from conftest import AUTHCTL, AUTHD, BASE_CONFIG, REPO


def check(path):
    return subprocess.run([AUTHD, "-n", "-f", path], capture_output=True,
                          text=True, timeout=30)


def write(tmp_path, text, name="postern.conf", mode=0o644):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def good_text(tmp_path):
    """The fixtures' base config without its TLS and listen lines, which
    the tests below give themselves; the directories authd -n checks
    exist."""
    for sub in ("state", "run"):
        os.makedirs(os.path.join(str(tmp_path), sub), exist_ok=True)
    text = BASE_CONFIG.format(d=str(tmp_path), pop3_port=10995,
                              imap_port=10993, smtp_port=10025,
                              subm_port=10465)
    return "".join(l for l in text.splitlines(True)
                   if not l.startswith(("tls ", "listen ")))


def test_good_file(tmp_path):
    path = write(tmp_path, good_text(tmp_path) + """\
# a comment, an empty line and a blank one

    \t
audit retention 30d   # trailing comment
password min length 14
lockout pair 5 within 15m for 15m
lockout account 10 within 15m
ban after 20 within 10m for 1h max 7d
default services imap,pop3,smtp
smtp max message size 25M
smtp require tls yes
listen smtp on 127.0.0.1
listen imaps on ::1 port 10993
tls certificate "/etc/ssl/postern cert.pem"
""")
    r = check(path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "%s: configuration OK" % path
    assert r.stderr == ""


def test_minimal_and_no_final_newline(tmp_path):
    path = write(tmp_path, good_text(tmp_path) + "domain example.net")
    r = check(path)
    assert r.returncode == 0 and "configuration OK" in r.stdout


def test_shipped_example_config():
    """The file parses; -n then checks the default directories, which
    this machine need not have: only those may be reported."""
    path = os.path.join(REPO, "etc", "postern.conf")
    r = check(path)
    for line in r.stderr.splitlines():
        assert "No such file or directory (create it" in line, r.stderr
    assert r.returncode == 0 or r.stderr, r


BAD = [
    ("frobnicate yes", 'unknown statement "frobnicate"'),
    ("lockout paire 5 within 15m for 15m", 'unknown statement'),
    ("auth workers many", '"auth workers" needs a number'),
    ("auth workers 257", '"auth workers" needs a number from 0 to 256'),
    ("password min length 99999999999999999999999", "needs a number"),
    ("password min length -3", "needs a number"),
    ("audit retention 5x", '"audit retention" needs a duration'),
    ("audit retention 12h", 'from 1d to 3650d, got "12h"'),
    ("queue retry 1y", '"queue retry" needs a duration'),
    ('mail "relative/path"', '"mail" needs an absolute path'),
    ("spool spool", "needs an absolute path"),
    ('runtime "/tmp/unterminated', "unterminated quoted string"),
    ('empty "/a\\tb"', "unknown escape"),
    ("smtp require tls maybe", "needs yes or no"),
    ("default services imap,foo", "imap,foo"),
    ("smtp max message size 10X", '"smtp max message size" needs a size'),
    ("hostname a\rb", "carriage return"),
    ("hostname a\x01b", "control character 0x01"),
    ("domain bad_domain", '"domain" needs a domain name'),
    ("listen smtp on 127.0.0.1 port 99999", "from 1 to 65535"),
    ("auth scrypt cost", "wrong number of arguments"),
    ("auth scrypt cost 10 11", "wrong number of arguments"),
    ("ban after 20 within 10m for 2h max 1h", "shorter than the ban"),
    ("hostname " + "a" * 5000, "longer than 4096"),
]


@pytest.mark.parametrize("line,msg", BAD,
                         ids=[b[0][:30] for b in BAD])
def test_bad_line(tmp_path, line, msg):
    # the bad line is line 4, between good ones
    text = "hostname localhost\ndomain example.test\n# comment\n" + \
        line + "\nstate \"/var/lib/postern\"\n"
    if line.startswith("hostname "):
        text = text.replace("hostname localhost\n", "# no hostname\n")
    path = write(tmp_path, text)
    r = check(path)
    assert r.returncode == 1, (line, r.stdout, r.stderr)
    assert "configuration OK" not in r.stdout
    errs = r.stderr.splitlines()
    assert len(errs) == 1, errs
    assert errs[0].startswith(path + ":4: "), errs
    assert msg in errs[0], errs


def test_statement_given_twice(tmp_path):
    path = write(tmp_path, "domain example.test\nauth scrypt cost 10\n"
                 "\nauth scrypt cost 11\ndomain example.test\n")
    r = check(path)
    assert r.returncode == 1
    assert path + ':4: "auth scrypt cost" already given on line 2' \
        in r.stderr
    assert re.search(re.escape(path) + r':5: domain "example.test" given '
                     'twice', r.stderr), r.stderr


def test_all_errors_reported(tmp_path):
    path = write(tmp_path, """\
hostname localhost
domain example.test
frobnicate yes
auth scrypt cost abc
audit retention 5x
state relative/path
mail "/tmp/unterminated
spool "/var/spool/postern"
""")
    r = check(path)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert [l.split(": ", 1)[0] for l in lines] == \
        ["%s:%d" % (path, n) for n in (3, 4, 5, 6, 7)], lines
    assert 'unknown statement "frobnicate"' in lines[0]
    assert '"auth scrypt cost" needs a number from 10 to 20, got "abc"' \
        in lines[1]
    assert '"audit retention" needs a duration' in lines[2]
    assert '"state" needs an absolute path, got "relative/path"' in lines[3]
    assert "unterminated quoted string" in lines[4]
    assert r.stdout == ""


def test_error_value_shown_escaped_and_bounded(tmp_path):
    path = write(tmp_path, 'domain example.test\nsmtp require tls "' +
                 'x' * 300 + '"\n')
    r = check(path)
    assert r.returncode == 1
    assert path + ":2:" in r.stderr
    assert "x" * 300 not in r.stderr and "..." in r.stderr


def test_nul_byte(tmp_path):
    path = os.path.join(str(tmp_path), "postern.conf")
    with open(path, "wb") as f:
        f.write(b"domain example.test\nstate \"/a\0b\"\n")
    r = check(path)
    assert r.returncode == 1 and path + ":2: NUL byte" in r.stderr


def test_missing_file(tmp_path):
    path = os.path.join(str(tmp_path), "nope.conf")
    r = check(path)
    assert r.returncode == 1
    assert path in r.stderr and "No such file" in r.stderr


def test_not_a_regular_file(tmp_path):
    r = check(str(tmp_path))
    assert r.returncode == 1
    assert str(tmp_path) in r.stderr and "not a regular file" in r.stderr


def test_world_writable_file(tmp_path):
    path = write(tmp_path, "domain example.test\n", mode=0o666)
    r = check(path)
    assert r.returncode == 1
    assert path in r.stderr and "writable by others" in r.stderr


def test_authd_without_n_refuses_bad_file(tmp_path):
    path = write(tmp_path, good_text(tmp_path) + "frobnicate yes\n")
    r = subprocess.run([AUTHD, "-d", "-f", path], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert 'unknown statement "frobnicate"' in r.stderr
    assert not os.path.exists(os.path.join(str(tmp_path), "run",
                                           "authd.sock"))


def test_authctl_reports_the_same(tmp_path):
    for sub in ("state", "mail", "spool", "run", "empty"):
        os.makedirs(os.path.join(str(tmp_path), sub))
    text = good_text(tmp_path) + \
        "frobnicate yes\naudit retention 5x\npassword min length 3\n"
    path = write(tmp_path, text)
    a = check(path)
    c = subprocess.run([AUTHCTL, "-f", path, "user", "list"],
                       capture_output=True, text=True, timeout=30)
    assert a.returncode == 1 and c.returncode == 1
    want = [l for l in a.stderr.splitlines() if l.startswith(path + ":")]
    got = [l for l in c.stderr.splitlines() if l.startswith(path + ":")]
    assert len(want) == 3
    assert got == want
    assert c.stdout == ""
    # nothing was created for a command that could not start
    assert not os.path.exists(os.path.join(str(tmp_path), "state", "auth"))


def test_authctl_bad_config_before_any_write(tmp_path):
    for sub in ("state", "mail", "spool", "run", "empty"):
        os.makedirs(os.path.join(str(tmp_path), sub))
    path = write(tmp_path, good_text(tmp_path) + "auth scrypt cost 99\n")
    c = subprocess.run([AUTHCTL, "-f", path, "user", "add",
                        "alice@example.test"], capture_output=True,
                       text=True, timeout=30)
    assert c.returncode == 1
    assert path + ':%d: "auth scrypt cost"' % (
        good_text(tmp_path).count("\n") + 1) in c.stderr
    assert c.stdout == ""
    assert not os.path.exists(os.path.join(str(tmp_path), "state", "auth"))
