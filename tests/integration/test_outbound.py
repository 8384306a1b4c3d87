"""Outbound mail end to end, through the whole smtpd: a user submits on
465, the queue hands the remote recipients to a relay process, which
resolves the MX with its validating resolver against a real DNS server
(dnstest.py: unbound serving DNSSEC-signed test zones) and delivers over
STARTTLS to a real second SMTP server, another postern ("the remote",
MX of remote.test, daneok.test and danebad.test) whose certificate a
test CA made in this file signed.

Covered: delivery over CA-verified STARTTLS ("relay tls remote.test
verify"); DANE-EE by a TLSA record of the remote's key, and a TLSA
record of another key that holds the mail back; a 4xx (the remote's
quota) retried and, after a flush, delivered exactly once; a 5xx bounced
to the sender with an RFC 3464 report; a failure of a null-sender
message dropped, not bounced; a null MX and a domain that does not
exist bounced at once.

The DNS server and both posterns are shared by the whole module (one
start each): every test uses recipients and subjects of its own."""
import email
import hashlib
import os
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

import dnstest
from conftest import BOB, Postern, tls_context
from test_smtp import mails, raw25, reply

CAROL = "carol@remote.test"      # delivery, 5xx, null sender
DORA = "dora@remote.test"        # the quota that answers 4xx
DAVE = "dave@daneok.test"        # DANE-EE, matching TLSA
ERIN = "erin@danebad.test"       # DANE-EE, TLSA of another key
FWD = "fwd@example.test"         # the sender's alias to a remote unknown

REMOTE_HEAD = ("hostname mx.remote.test\ndomain remote.test\n"
               "domain daneok.test\ndomain danebad.test\n")


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   capture_output=True)


def make_ca_and_cert(d):
    """A test CA (ca.pem) and a certificate it signed for mx.remote.test,
    with localhost and 127.0.0.1 too (srv.pem, srv.key); EC P-256."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    ca, cakey = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    openssl("req", "-x509", "-nodes", "-days", "30", *ec, "-keyout", cakey,
            "-out", ca, "-subj", "/CN=Postern Outbound Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    key, csr = os.path.join(d, "srv.key"), os.path.join(d, "srv.csr")
    openssl("req", "-new", "-nodes", *ec, "-keyout", key, "-out", csr,
            "-subj", "/CN=mx.remote.test")
    ext = os.path.join(d, "srv.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:mx.remote.test,DNS:localhost,"
                "IP:127.0.0.1\n")
    crt = os.path.join(d, "srv.pem")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
            "-CAcreateserial", "-days", "30", "-out", crt, "-extfile", ext)
    return ca, crt, key


def spki_sha256(cert):
    """SHA-256 of the certificate's SubjectPublicKeyInfo (TLSA 3 1 1)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout",
                          "-pubkey"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()


def check_clean(p):
    for log in (p.smtp_log(), p.log()):
        assert "AddressSanitizer" not in log and \
            "runtime error" not in log, log


def stop_checked(started):
    """Stops each started postern's smtpd and checks its log is clean."""
    for p in started:
        p.stop_smtpd()
        check_clean(p)


def release(started, top, *services):
    """A fixture's last step: every started postern's files removed, each
    service (a DnsServer, a policy server; None for one not started)
    stopped, and the directory top removed."""
    for p in started:
        p.cleanup()
    for s in services:
        if s is not None:
            s.stop()
    shutil.rmtree(top, ignore_errors=True)


def start_remote(started, head, crt, key, users):
    """Starts "the remote", a second postern whose configuration begins
    with head (its hostname and domains instead of the test ones), with
    the certificate crt and its key, and users (their passwords in
    .pw); appended to started before anything runs, for the caller to
    stop and remove."""
    remote = Postern()
    started.append(remote)
    with open(remote.conf) as f:
        conf = f.read()
    base = "hostname localhost\ndomain example.test\ndomain example.org\n"
    assert conf.startswith(base)
    with open(remote.conf, "w") as f:
        f.write(head + conf[len(base):])
    shutil.copy(crt, os.path.join(remote.dir, "cert.pem"))
    shutil.copy(key, os.path.join(remote.dir, "key.pem"))
    os.chmod(os.path.join(remote.dir, "key.pem"), 0o600)
    remote.start()
    remote.pw = {u: remote.add_user(u) for u in users}
    remote.start_smtpd()
    return remote


@pytest.fixture(scope="module")
def net():
    """(sender, remote, dns): the remote postern with its CA-signed
    certificate and users carol, dora, dave, erin; the test zones; the
    sending postern (bob, alice) pointed at both."""
    top = tempfile.mkdtemp(prefix="postern-out-", dir="/tmp")
    os.chmod(top, 0o755)
    ca, crt, key = make_ca_and_cert(top)
    started = []
    dns = None
    try:
        remote = start_remote(started, REMOTE_HEAD, crt, key,
                              (CAROL, DORA, DAVE, ERIN))

        dns = dnstest.DnsServer(top)
        tlsa = "_%d._tcp.mx" % remote.smtp_port
        for z in ("remote.test", "daneok.test", "danebad.test"):
            dns.zone(z, signed=True)
            dns.add(z, "@", "MX", "10 mx.%s." % z)
            dns.add(z, "mx", "A", "127.0.0.1")
        dns.add("daneok.test", tlsa, "TLSA", "3 1 1 " + spki_sha256(crt))
        dns.add("danebad.test", tlsa, "TLSA", "3 1 1 " + spki_sha256(ca))
        dns.zone("nullmx.test", signed=True)
        dns.add("nullmx.test", "@", "MX", "0 .")
        dns.start()

        sender = Postern(extra=dns.config_lines() + (
            "relay port %d\nrelay ca file \"%s\"\n"
            "relay tls remote.test verify\nrelay processes 1\n"
            % (remote.smtp_port, ca)))
        started.append(sender)
        sender.start()
        sender.pw = {BOB: sender.add_user(BOB)}
        sender.authctl("alias", "add", FWD, "nobody@remote.test")
        sender.start_smtpd()
        yield sender, remote, dns
        stop_checked(started)
    finally:
        release(started, top, dns)


# --- helpers -----------------------------------------------------------------

def submit(p, rcpt, subject, body="hello", sender=BOB):
    """bob submits one message on 465; the queue id from the DATA reply."""
    s = smtplib.SMTP_SSL("127.0.0.1", p.subm_port, timeout=15,
                         context=tls_context())
    s.ehlo("laptop")
    s.login(sender, p.pw[sender])
    msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n"
           % (sender, rcpt, subject, body))
    code, _ = s.mail(sender)
    assert code == 250
    code, ans = s.rcpt(rcpt)
    assert code == 250, (code, ans)
    code, ans = s.data(msg)
    s.quit()
    assert code == 250, (code, ans)
    return ans.decode().rsplit(" ", 1)[-1]


def wait_for(what, fn, timeout=30):
    """Polls fn until it returns something true; that value."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what())
        time.sleep(0.05)


def with_subject(p, user, subject):
    """user's messages that carry subject (as theirs, or quoted)."""
    return [m for m in mails(p, user) if subject in m]


def wait_log(p, text, timeout=30):
    return wait_for(lambda: "%r in the log:\n%s" % (text, p.smtp_log()),
                    lambda: text in p.smtp_log(), timeout)


def queue_show(p, qid):
    """authctl queue show: its output, or None once the message is gone."""
    r = p.authctl("queue", "show", qid, check=False)
    return r.stdout if r.returncode == 0 else None


def rcpt_state(p, qid, rcpt):
    """The lines of queue show about rcpt (its line and the indented
    ones under it), or None once the message is gone."""
    out = queue_show(p, qid)
    if out is None:
        return None
    lines, keep = [], False
    for line in out.splitlines():
        if line.startswith("  remote ") or line.startswith("  local "):
            keep = line.split()[1].rstrip(":").lower() == rcpt
        if keep:
            lines.append(line.strip())
    return "\n".join(lines)


def wait_gone(p, qid, timeout=30):
    wait_for(lambda: "message %s to leave the queue: %s" % (
        qid, queue_show(p, qid)), lambda: queue_show(p, qid) is None,
        timeout)


def all_mails(p):
    """The names of every message file in p's Maildirs."""
    out = set()
    for root, _, files in os.walk(os.path.join(p.dir, "mail")):
        if os.path.basename(root) in ("new", "cur"):
            out.update(os.path.join(root, f) for f in files)
    return out


def received_lines(m):
    head = m.split("\n\n", 1)[0].replace("\n\t", " ").replace("\n ", " ")
    return [l for l in head.splitlines() if l.startswith("Received:")]


def wait_dsn(p, subject, timeout=30):
    """The one report to bob about the message with subject, parsed."""
    got = wait_for(lambda: "a report about %r for bob: %r\n%s" % (
        subject, mails(p, BOB), p.smtp_log()),
        lambda: with_subject(p, BOB, subject), timeout)
    assert len(got) == 1, got
    return got[0], email.message_from_string(got[0])


def check_dsn(raw, msg, rcpt, status, subject):
    """An RFC 3464 failure report for rcpt with status; the
    delivery-status fields of the recipient."""
    assert raw.startswith("Return-Path: <>\n"), raw
    assert "MAILER-DAEMON" in msg["From"], msg["From"]
    assert msg["To"].strip("<>") == BOB, msg["To"]
    assert msg.get_content_type() == "multipart/report", raw
    assert msg.get_param("report-type") == "delivery-status", raw
    parts = msg.get_payload()
    types = [x.get_content_type() for x in parts]
    assert types == ["text/plain", "message/delivery-status",
                     "text/rfc822-headers"], types
    assert rcpt in parts[0].get_payload(decode=True).decode()
    blocks = parts[1].get_payload()
    assert len(blocks) == 2, [dict(b) for b in blocks]
    per_msg, per_rcpt = blocks
    assert per_msg["Reporting-MTA"].startswith("dns;"), dict(per_msg)
    assert per_rcpt["Final-Recipient"].replace(" ", "").lower() == \
        "rfc822;" + rcpt, dict(per_rcpt)
    assert per_rcpt["Action"] == "failed", dict(per_rcpt)
    assert per_rcpt["Status"] == status, dict(per_rcpt)
    headers = parts[2].get_payload(decode=True).decode()
    assert "Subject: " + subject in headers, headers
    return per_rcpt


# --- the tests ---------------------------------------------------------------

def test_delivery_over_verified_starttls(net):
    sender, remote, _ = net
    qid = submit(sender, CAROL, "out verified")
    m = wait_for(lambda: "carol's message: %s" % sender.smtp_log(),
                 lambda: with_subject(remote, CAROL, "out verified"))
    assert len(m) == 1, m
    m = m[0]
    assert m.startswith("Return-Path: <bob@example.test>\n"), m
    assert "Delivered-To: carol@remote.test" in m
    rec = received_lines(m)[0]
    assert "TLS" in rec and "ESMTPS" in rec, rec
    wait_gone(sender, qid)
    log = sender.smtp_log()
    line = [l for l in log.splitlines()
            if "message %s delivered to %s" % (qid, CAROL) in l]
    assert len(line) == 1, log
    assert "via mx.remote.test [127.0.0.1]" in line[0], line
    assert "(tls-required, TLSv1." in line[0], line
    assert "CA verified" in line[0], line


def test_dane_ee_delivered(net):
    sender, remote, _ = net
    qid = submit(sender, DAVE, "out dane")
    wait_for(lambda: "dave's message: %s" % sender.smtp_log(),
             lambda: with_subject(remote, DAVE, "out dane"))
    wait_gone(sender, qid)
    line = [l for l in sender.smtp_log().splitlines()
            if "message %s delivered to %s" % (qid, DAVE) in l]
    assert len(line) == 1, sender.smtp_log()
    assert "via mx.daneok.test [127.0.0.1] (dane, " in line[0], line
    assert "DANE-EE verified" in line[0], line


def test_dane_mismatch_not_delivered(net):
    sender, remote, _ = net
    qid = submit(sender, ERIN, "out dane mismatch")
    state = wait_for(
        lambda: "a deferral of %s: %s\n%s" % (qid, queue_show(sender, qid),
                                              sender.smtp_log()),
        lambda: (lambda s: s if s and "waiting, 1 attempt" in s else None)(
            rcpt_state(sender, qid, ERIN)))
    assert "next in " in state, state
    answer = [l for l in state.splitlines() if l.startswith("last ")]
    assert answer, state
    assert " 4.7." in answer[0] and "TLSA" in answer[0], state
    assert "TLS policy dane" in state, state
    assert not mails(remote, ERIN)
    check_clean(sender)


def test_4xx_retried_then_delivered_once(net):
    sender, remote, _ = net
    remote.authctl("user", "quota", DORA, "1K")
    qid = submit(sender, DORA, "out quota", body="x" * 3000)
    state = wait_for(
        lambda: "a deferral of %s: %s\n%s" % (qid, queue_show(sender, qid),
                                              sender.smtp_log()),
        lambda: (lambda s: s if s and "waiting, 1 attempt" in s else None)(
            rcpt_state(sender, qid, DORA)))
    # Backoff: the first retry 5 minutes on (shown rounded down).
    assert "next in 4m" in state or "next in 5m" in state, state
    assert "last answer from mx.remote.test: 452 4.2.2 Mailbox full" \
        in state, state
    assert "TLS policy tls-required, TLSv1.2 " in state and \
        "CA verified" in state, state
    assert not mails(remote, DORA)
    remote.authctl("user", "quota", DORA, "none")
    sender.authctl("queue", "flush")
    got = wait_for(lambda: "dora's message: %s" % sender.smtp_log(),
                   lambda: with_subject(remote, DORA, "out quota"))
    wait_gone(sender, qid)
    # A second flush finds nothing more to send.
    sender.authctl("queue", "flush")
    time.sleep(0.5)
    got = with_subject(remote, DORA, "out quota")
    assert len(got) == 1, got
    log = sender.smtp_log()
    assert log.count("message %s delivered to %s" % (qid, DORA)) == 1, log
    assert "message %s to %s deferred (attempt 1" % (qid, DORA) in log, log


def test_5xx_bounced_with_a_report(net):
    sender, remote, _ = net
    rcpt = "nobody@remote.test"
    qid = submit(sender, rcpt, "out unknown user")
    raw, msg = wait_dsn(sender, "out unknown user")
    st = check_dsn(raw, msg, rcpt, "5.1.1", "out unknown user")
    assert st["Remote-MTA"].replace(" ", "") == "dns;mx.remote.test", \
        dict(st)
    words = msg.get_payload()[0].get_payload(decode=True).decode()
    assert "host mx.remote.test said: 550 5.1.1" in words, words
    diag = st["Diagnostic-Code"]
    assert diag.replace(" ", "").startswith("smtp;550"), diag
    assert "5.1.1" in diag, diag
    wait_gone(sender, qid)


def test_null_sender_failure_dropped(net):
    sender, remote, _ = net
    before = (all_mails(sender), all_mails(remote))
    s, f = raw25(sender)
    s.sendall(b"EHLO peer.example.net\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"MAIL FROM:<>\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"RCPT TO:<%s>\r\n" % FWD.encode())
    code, lines = reply(f)
    assert code == 250, lines
    s.sendall(b"DATA\r\n")
    assert reply(f)[0] == 354
    s.sendall(b"From: MAILER-DAEMON@peer.example.net\r\n"
              b"To: fwd@example.test\r\n"
              b"Subject: out null sender\r\n\r\nbounce\r\n.\r\n")
    code, lines = reply(f)
    assert code == 250, lines
    qid = lines[-1].rsplit(" ", 1)[-1]
    s.sendall(b"QUIT\r\n")
    s.close()
    wait_log(sender, "message %s from <> to nobody@remote.test failed: no "
             "bounce for a bounce, dropped" % qid)
    wait_gone(sender, qid)
    log = sender.smtp_log()
    assert "message %s to nobody@remote.test failed: mx.remote.test: " \
        "5.1.1 " % qid in log, log
    # Nothing was queued for anyone: no report, on either side.
    assert not [l for l in log.splitlines()
                if "message %s: " % qid in l and "queued to" in l], log
    time.sleep(0.3)
    assert (all_mails(sender), all_mails(remote)) == before
    out = sender.authctl("queue", "list").stdout
    assert qid not in out, out


@pytest.mark.parametrize("rcpt,status", [
    ("x@nullmx.test", "5.1.10"),
    ("y@nx.remote.test", "5.1.2"),
])
def test_no_mail_domain_bounced_at_once(net, rcpt, status):
    sender, _, _ = net
    subject = "out no domain " + rcpt
    qid = submit(sender, rcpt, subject)
    raw, msg = wait_dsn(sender, subject)
    st = check_dsn(raw, msg, rcpt, status, subject)
    # No SMTP server was ever asked.
    assert st["Remote-MTA"] is None and st["Diagnostic-Code"] is None, \
        dict(st)
    wait_gone(sender, qid)
    assert "message %s to %s deferred" % (qid, rcpt) not in \
        sender.smtp_log()
