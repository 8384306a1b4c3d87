"""DKIM against a tool nobody here wrote: `authctl dkim keygen` makes a key
and prints its TXT record; messages signed with it by our code
(tests/tools/dkimtool, common/dkim.h) verify with Debian's python3-dkim
given that record, and fail after a change of body or header; messages
signed by python3-dkim (relaxed and simple, with and without l=) verify
with ours, and a tampered one does not.  Also keygen's and list's
refusals, the key file's mode, and no overwrite of a selector."""
import os
import re
import signal
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import AUTHCTL, BUILD, ensure_system_users
from conftest import wait_smtp_log as wait_log

dkim = pytest.importorskip("dkim")

DKIMTOOL = os.path.join(BUILD, "tests", "tools", "dkimtool")

MESSAGE = (b"From: Alice <alice@example.com>\r\n"
           b"To: Bob <bob@example.org>\r\n"
           b"Subject: Quarterly  report\r\n"
           b"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
           b"Message-ID: <q4@example.com>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"\r\n"
           b"Hello Bob,\r\n"
           b"\r\n"
           b"  the numbers are\tin.  \r\n"
           + b"A line of the report, long enough to need some bytes.\r\n" * 200
           + b"\r\n\r\n")


@pytest.fixture(scope="module")
def keys():
    """A configuration, its key directory, and two keys made by authctl:
    (conf, keydir, {selector: (keyfile, txt record, stdout)})."""
    ensure_system_users()
    d = tempfile.mkdtemp(prefix="postern-dkim-", dir="/tmp")
    os.chmod(d, 0o755)
    keydir = os.path.join(d, "dkim")
    conf = os.path.join(d, "postern.conf")
    with open(conf, "w") as f:
        f.write('hostname mx.example.com\ndomain example.com\n'
                'state "%s/state"\ndkim key directory "%s"\n' % (d, keydir))
    os.mkdir(os.path.join(d, "state"))
    made = {}
    for args in (["example.com"], ["Example.COM", "--selector", "s1024",
                                    "--bits", "1024"]):
        p = authctl(conf, "dkim", "keygen", *args)
        assert p.returncode == 0, p.stderr
        m = re.search(r"^(\S+)\._domainkey\.example\.com\. IN TXT \(", p.stdout,
                      re.M)
        assert m, p.stdout
        sel = m.group(1)
        made[sel] = (os.path.join(keydir, "example.com.%s.key" % sel),
                     txt_record(p.stdout), p.stdout)
    yield conf, keydir, made


def authctl(conf, *args):
    return subprocess.run([AUTHCTL, "-f", conf] + list(args),
                          capture_output=True, text=True, timeout=120)


def txt_record(out):
    """The record's text: its quoted strings joined (RFC 6376 §3.6.2.2);
    each string must fit a TXT character-string."""
    zone = out[out.index("IN TXT ("):]
    strings = re.findall(r'"([^"]*)"', zone)
    assert strings and all(len(s) <= 255 for s in strings)
    assert zone.rstrip().endswith(")")
    return "".join(strings).encode()


def dns_for(record):
    def dnsfunc(name, timeout=5):
        return record
    return dnsfunc


def our_sign(keyfile, msg, lifetime=None, selector=None):
    sel = selector or os.path.basename(keyfile).split(".")[-2]
    argv = [DKIMTOOL, "sign", keyfile, "example.com", sel]
    if lifetime is not None:
        argv.append(str(lifetime))
    p = subprocess.run(argv, input=msg, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def our_verify(msg, selector, record):
    with tempfile.NamedTemporaryFile() as f:
        f.write(record)
        f.flush()
        p = subprocess.run(
            [DKIMTOOL, "verify",
             "%s._domainkey.example.com=%s" % (selector, f.name)],
            input=msg, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().splitlines()


def test_keygen_record_and_file(keys):
    conf, keydir, made = keys
    assert len(made) == 2 and "s1024" in made
    default = [s for s in made if s != "s1024"][0]
    assert re.fullmatch(r"p\d{6}", default), default
    assert stat.S_IMODE(os.stat(keydir).st_mode) == 0o700
    for sel, (keyfile, record, out) in made.items():
        st = os.stat(keyfile)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_uid == os.getuid()
        with open(keyfile) as f:
            assert f.read().startswith("-----BEGIN RSA PRIVATE KEY-----\n")
        assert record.startswith(b"v=DKIM1; k=rsa; p=MI")
        assert keyfile in out
    assert not [n for n in os.listdir(keydir) if n.endswith(".tmp")]


def test_keygen_refuses(keys):
    conf, keydir, made = keys
    keyfile = made["s1024"][0]
    before = open(keyfile).read()
    p = authctl(conf, "dkim", "keygen", "example.com", "--selector", "s1024")
    assert p.returncode == 1 and "exists" in p.stderr
    assert open(keyfile).read() == before
    for args, why in ((["bad..example"], "not a domain name"),
                      (["example.com", "--selector", "a.b"], "one DNS label"),
                      (["example.com", "--selector", "-x"], "one DNS label"),
                      (["example.com", "--bits", "512"], "1024 to 4096"),
                      (["example.com", "--bits", "8192"], "1024 to 4096"),
                      (["example.com", "--bits", "2k"], "1024 to 4096"),
                      ([], "usage")):
        p = authctl(conf, "dkim", "keygen", *args)
        assert p.returncode == 2, (args, p.stderr)
        assert why in p.stderr, (args, p.stderr)
    assert len([n for n in os.listdir(keydir) if n.endswith(".key")]) == 2


def test_list(keys):
    conf, keydir, made = keys
    out = authctl(conf, "dkim", "list").stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    assert ["example.com", "s1024", "1024", made["s1024"][0]] in rows
    default = [s for s in made if s != "s1024"][0]
    assert ["example.com", default, "2048", made[default][0]] in rows


def test_list_empty_directory():
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "postern.conf")
        with open(conf, "w") as f:
            f.write('dkim key directory "%s/none"\n' % d)
        p = authctl(conf, "dkim", "list")
        assert p.returncode == 0 and "no DKIM keys" in p.stdout


@pytest.mark.parametrize("sel_kind", ["default", "s1024"])
def test_ours_verified_by_python_dkim(keys, sel_kind):
    conf, keydir, made = keys
    sel = sel_kind if sel_kind != "default" else \
        [s for s in made if s != "s1024"][0]
    keyfile, record, _ = made[sel]
    signed = our_sign(keyfile, MESSAGE)
    field = signed[:signed.index(b"\r\nFrom: ")]
    unfolded = re.sub(rb"\r\n\t\s*", b" ", field)
    assert unfolded.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; "
                               b"c=relaxed/relaxed; d=example.com; s=%s;"
                               % sel.encode()), unfolded
    assert all(len(line) <= 78 for line in field.split(b"\r\n"))
    assert b" h=from:from:subject:date:to:message-id:mime-version:" \
        b"content-type;" in field.replace(b"\r\n\t", b""), field
    assert dkim.verify(signed, dnsfunc=dns_for(record))
    assert our_verify(signed, sel, record)[0].startswith("pass ")
    body_changed = signed.replace(b"numbers are", b"numbers were")
    assert not dkim.verify(body_changed, dnsfunc=dns_for(record))
    assert our_verify(body_changed, sel, record)[0].startswith("fail ")
    subj_changed = signed.replace(b"Quarterly", b"Yearly")
    assert not dkim.verify(subj_changed, dnsfunc=dns_for(record))
    from_added = signed.replace(b"From: Alice",
                                b"From: Mallory <m@evil.example>\r\nFrom: Alice")
    assert not dkim.verify(from_added, dnsfunc=dns_for(record))
    other_key = made["s1024" if sel != "s1024" else
                     [s for s in made if s != "s1024"][0]][1]
    assert not dkim.verify(signed, dnsfunc=dns_for(other_key))


def test_ours_expired(keys):
    conf, keydir, made = keys
    keyfile, record, _ = made["s1024"]
    signed = our_sign(keyfile, MESSAGE, lifetime=1)
    assert re.search(rb"x=\d+;", signed)
    # python3-dkim still takes it (it allows 10 hours for clocks); we do
    # not.
    assert dkim.verify(signed, dnsfunc=dns_for(record))
    time.sleep(2.2)
    assert our_verify(signed, "s1024", record)[0] == \
        "policy d=example.com s=s1024 (signature expired)"


@pytest.mark.parametrize("canon", [(b"relaxed", b"relaxed"),
                                   (b"simple", b"simple"),
                                   (b"relaxed", b"simple"),
                                   (b"simple", b"relaxed")])
@pytest.mark.parametrize("length", [False, True])
def test_python_dkim_verified_by_ours(keys, canon, length):
    conf, keydir, made = keys
    keyfile, record, _ = made["s1024"]
    with open(keyfile, "rb") as f:
        key = f.read()
    sig = dkim.sign(MESSAGE, b"s1024", b"example.com", key,
                    canonicalize=canon, length=length)
    signed = sig + MESSAGE
    assert dkim.verify(signed, dnsfunc=dns_for(record))
    assert our_verify(signed, "s1024", record) == \
        ["pass d=example.com s=s1024 ()"]
    tampered = signed.replace(b"Hello Bob", b"Hello Eve")
    assert our_verify(tampered, "s1024", record)[0].startswith(
        "fail d=example.com s=s1024 (body hash did not verify)")
    header = signed.replace(b"Subject: Quarterly", b"Subject: Monthly")
    assert our_verify(header, "s1024", record)[0].startswith(
        "fail d=example.com s=s1024 (signature did not verify)")
    appended = signed + b"Appended by a mailing list.\r\n"
    expect = "pass" if length else "fail"
    assert our_verify(appended, "s1024", record)[0].startswith(expect)
    if canon[1] == b"relaxed":
        spaced = signed.replace(b"numbers are\tin.", b"numbers  are in.")
        assert our_verify(spaced, "s1024", record)[0].startswith("pass")


def test_python_dkim_wrong_key_and_none(keys):
    conf, keydir, made = keys
    keyfile, _, _ = made["s1024"]
    default = [s for s in made if s != "s1024"][0]
    with open(keyfile, "rb") as f:
        key = f.read()
    signed = dkim.sign(MESSAGE, b"s1024", b"example.com", key) + MESSAGE
    assert our_verify(signed, "s1024", made[default][1])[0].startswith(
        "fail ")
    assert our_verify(signed, "other", made["s1024"][1]) == \
        ["permerror d=example.com s=s1024 (no key record)"]
    assert our_verify(signed, "s1024", b"v=DKIM1; k=rsa; p=") == \
        ["permerror d=example.com s=s1024 (key revoked)"]
    assert our_verify(MESSAGE, "s1024", made["s1024"][1]) == ["none"]


def test_smtpd_keyholder_loads_keys(stopped_postern):
    """smtpd's parent hands each key file to the keyholder at start and on
    SIGHUP; a file others may read is skipped; the keyholder (sandboxed)
    survives it all."""
    p = stopped_postern
    keydir = os.path.join(p.dir, "dkim")
    p.write_config('dkim key directory "%s"\n' % keydir)
    for sel in ("s1", "s2"):
        r = p.authctl("dkim", "keygen", "example.org", "--selector", sel,
                      "--bits", "1024")
        assert "s%s._domainkey" % sel[1:] in r.stdout
    loose = os.path.join(keydir, "example.test.open.key")
    with open(os.path.join(keydir, "example.org.s1.key")) as f, \
            open(loose, "w") as g:
        g.write(f.read())
    os.chmod(loose, 0o644)
    p.start()
    p.start_smtpd()
    for sel in ("s1", "s2"):
        assert wait_log(p, "DKIM key of example.org, selector %s, loaded"
                        % sel), p.smtp_log()
    assert wait_log(p, "example.test.open.key: the private key must be a "
                    "regular file readable by its owner only"), p.smtp_log()
    assert "DKIM key of example.test" not in p.smtp_log()
    p.authctl("dkim", "keygen", "example.test", "--selector", "new",
              "--bits", "1024")
    before = p.smtp_log().count("selector s1, loaded")
    os.kill(p.smtp.pid, signal.SIGHUP)
    assert wait_log(p, "DKIM key of example.test, selector new, loaded"), \
        p.smtp_log()
    deadline = time.time() + 10
    while p.smtp_log().count("selector s1, loaded") == before and \
            time.time() < deadline:
        time.sleep(0.1)
    assert p.smtp_log().count("selector s1, loaded") == before + 1
    assert p.smtp.poll() is None, p.smtp_log()
    assert "keyholder ended" not in p.smtp_log()
    assert p.stop_smtpd() == 0, p.smtp_log()
