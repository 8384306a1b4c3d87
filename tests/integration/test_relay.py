"""The relay role against a real SMTP server: relay_run plays the queue
for one job and answers DNS from a table, the relay process (its
sandbox, its SMTP client, real TCP) delivers to a second postern smtpd
on loopback as the destination's MX, whose Maildir shows what arrived.
Covers delivery with per-recipient answers, dot-stuffing and line ends,
8BITMIME, MX preference with a dead first host, and the destinations
that never reach SMTP: null MX, NXDOMAIN, an MX of 0.0.0.0, every host
down.  A scripted Python server that drips its replies a byte a second
(each reply far within its RFC 5321 timeout): the session's deadline
(relay_run -T shortens it) defers the job with 4.4.2 on time, also when
it is the answer to the end of data that drips (never "sent").

Then the whole smtpd (queue, relay processes, keyholder) sending to a
second smtpd found through the test DNS: mail submitted on 465 from a
domain with a key made by `authctl dkim keygen` arrives DKIM-signed, and
Debian's python3-dkim verifies it (and not after a body change); mail
from a domain without a key arrives unsigned; mail from another server
on port 25 forwarded by an alias keeps its Authentication-Results and is
not signed; a rotated key signs after a reload."""
import os
import re
import signal
import smtplib
import subprocess
import time

import pytest

import dnstest
from conftest import ALICE, BOB, BUILD, Postern, tls_context
from conftest import wait_smtp_log as wait_log
from loopserver import LoopServer
from test_smtp import smtp, wait_mails, mails  # noqa: F401

RELAY_RUN = os.path.join(BUILD, "tests", "tools", "relay_run")


def relay(p, msg, rcpts, records, tmp_path, eightbit=False,
          sender="sender@elsewhere.test", domain="example.test", extra="",
          real_dns=False):
    """One job through relay_run; (results, done, its log)."""
    conf = tmp_path / "relay.conf"
    conf.write_text("hostname relay.elsewhere.test\ndomain elsewhere.test\n"
                    "relay port %d\n" % p.smtp_port + extra)
    mfile = tmp_path / "msg"
    mfile.write_bytes(msg)
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    args = [RELAY_RUN, "-f", str(conf), "-m", str(mfile), "-d", domain,
            "-s", sender, "-r", str(empty)]
    if eightbit:
        args.append("-8")
    if real_dns:
        args.append("-D")
    for r in records:
        args += r
    out = subprocess.run(args + rcpts, capture_output=True, text=True,
                         timeout=120)
    results, done, exit_ = [], None, None
    for line in out.stdout.splitlines():
        w = line.split(" ", 4)
        if w[0] == "RESULT":
            results.append((int(w[1]), int(w[2]), w[3],
                            w[4] if len(w) > 4 else ""))
        elif w[0] == "DONE":
            done = line.split(" ", 5)[1:]
        elif w[0] == "EXIT":
            exit_ = int(w[1])
    assert exit_ == 0, out.stdout + out.stderr
    assert done is not None, out.stdout + out.stderr
    assert "AddressSanitizer" not in out.stderr and \
        "runtime error" not in out.stderr, out.stderr
    return results, done, out.stderr


MX = [["-x", "example.test=10:mx.example.test"],
      ["-a", "mx.example.test=127.0.0.1"]]


def test_delivery_per_recipient(smtp, tmp_path):
    p = smtp
    msg = (b"From: sender@elsewhere.test\r\nTo: alice@example.test\r\n"
           b"Subject: relayed\r\n\r\n.leading dot\r\nbare LF\n"
           b"..two dots\r\nlast line without end")
    res, done, log = relay(p, msg, [ALICE, "nobody@example.test", BOB],
                           MX, tmp_path)
    assert res[0][0] == 0 and res[0][1] == 250, res
    assert res[1][0] == 2 and res[1][1] == 550 and \
        res[1][2].startswith("5.1."), res
    assert res[2][0] == 0, res
    host, addr, down, policy = done[0], done[1], done[2], done[3]
    assert (host, addr, down) == ("mx.example.test", "127.0.0.1", "0")
    assert policy == "opportunistic"
    # STARTTLS; the test certificate is self-signed for "localhost":
    # used, not verified.
    assert done[4].startswith("TLSv1.2 ") and "unverified" in done[4], done
    got = wait_mails(p, ALICE)[0]
    assert "Subject: relayed" in got
    # Dot-stuffed on the wire, unstuffed by the server: as sent.
    assert "\r\n.leading dot\r\nbare LF\r\n..two dots\r\n" \
        "last line without end\r\n" in got.replace("\r\n", "\n") \
        .replace("\n", "\r\n"), got
    assert wait_mails(p, BOB)
    assert "mx.example.test [127.0.0.1]" in log and "1 failed" in log, log


def test_8bitmime(smtp, tmp_path):
    p = smtp
    msg = ("From: sender@elsewhere.test\r\nTo: alice@example.test\r\n"
           "Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\ngrüße\r\n"
           ).encode("utf-8")
    res, done, _ = relay(p, msg, [ALICE], MX, tmp_path, eightbit=True)
    assert res[0][0] == 0, res
    assert "grüße" in wait_mails(p, ALICE)[0]


def test_preference_and_a_dead_host(smtp, tmp_path):
    p = smtp
    recs = [["-x", "example.test=20:mx2.example.test"],
            ["-x", "example.test=10:mx1.example.test"],
            ["-a", "mx1.example.test=127.0.0.3"],
            ["-a", "mx2.example.test=127.0.0.1"]]
    res, done, log = relay(p, b"Subject: x\r\n\r\nx\r\n", [ALICE], recs,
                           tmp_path)
    assert res[0][0] == 0, (res, log)
    assert done[0] == "mx2.example.test", done
    assert "cannot connect to mx1.example.test [127.0.0.3]" in log, log
    assert wait_mails(p, ALICE)


@pytest.mark.parametrize("recs,status,dsn", [
    ([["-x", "example.test=0:."]], 2, "5.1.10"),
    ([["-a", "other.test=127.0.0.1"]], 2, "5.1.2"),
    ([["-x", "example.test=10:mx.example.test"],
      ["-a", "mx.example.test=0.0.0.0"]], 2, "5.4.4"),
    ([["-x", "example.test=10:mx.example.test"],
      ["-a", "mx.example.test=127.0.0.3"]], 1, "4.4.1"),
])
def test_no_smtp(smtp, tmp_path, recs, status, dsn):
    p = smtp
    res, done, log = relay(p, b"Subject: x\r\n\r\nx\r\n",
                           [ALICE, BOB], recs, tmp_path)
    assert [r[0] for r in res] == [status, status], res
    assert [r[2] for r in res] == [dsn, dsn], res
    assert done[0] == "-" and done[1] == "-", done
    assert not mails(p, ALICE)
    if dsn == "4.4.1":
        assert done[2] == "1", done


def test_tls_verify(smtp, tmp_path):
    """relay tls verify: with the server's own certificate as the CA and
    the MX named as the certificate, delivered over verified TLS."""
    p = smtp
    extra = ("relay tls example.test verify\nrelay ca file %s/cert.pem\n"
             % p.dir)
    recs = [["-x", "example.test=10:localhost"],
            ["-a", "localhost=127.0.0.1"]]
    res, done, log = relay(p, b"Subject: v\r\n\r\nv\r\n", [ALICE], recs,
                           tmp_path, extra=extra)
    assert res[0][0] == 0, (res, log)
    assert "CA verified" in done[4] and done[3] == "tls-required", done
    assert wait_mails(p, ALICE)


def test_tls_verify_name_mismatch(smtp, tmp_path):
    """relay tls verify and a certificate for another name: deferred."""
    p = smtp
    extra = ("relay tls example.test verify\nrelay ca file %s/cert.pem\n"
             % p.dir)
    res, done, log = relay(p, b"Subject: v\r\n\r\nv\r\n", [ALICE], MX,
                           tmp_path, extra=extra)
    assert res[0][0] == 1 and res[0][2].startswith("4.7."), (res, log)
    assert not mails(p, ALICE)


def test_tls_none(smtp, tmp_path):
    p = smtp
    res, done, log = relay(p, b"Subject: n\r\n\r\nn\r\n", [ALICE], MX,
                           tmp_path, extra="relay tls example.test none\n")
    assert res[0][0] == 0, res
    assert done[3] == "no-tls" and done[4] == "none", done
    assert wait_mails(p, ALICE)


class DripSmtp(LoopServer):
    """A scripted SMTP server on 127.0.0.1, a thread of the test (no
    PIPELINING, no STARTTLS): the replies named in drip ("greeting",
    "EHLO", "MAIL", "RCPT", "DATA", "dot": the answer to the end of data)
    go out one byte a second, the others at once.  smtp_port is its port
    (what relay() reads), got what came after DATA."""

    def __init__(self, drip):
        self.slow = drip
        self.got = b""
        super().__init__()
        self.smtp_port = self.port

    def reply(self, conn, text, kind):
        if kind in self.slow:
            self.drip(conn.sendall, text)
        else:
            conn.sendall(text)

    def serve(self, conn):
        self.session(conn, conn.makefile("rb"))

    def session(self, conn, f):
        self.reply(conn, b"220 d\r\n", "greeting")
        for line in f:
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                self.reply(conn, b"250-d\r\n250 8BITMIME\r\n", "EHLO")
            elif cmd in (b"MAIL", b"RCPT"):
                self.reply(conn, b"250 ok\r\n", cmd.decode())
            elif cmd == b"DATA":
                self.reply(conn, b"354 go on\r\n", "DATA")
                for body in f:
                    if body == b".\r\n":
                        break
                    self.got += body
                self.reply(conn, b"250 2.0.0 queued\r\n", "dot")
            elif cmd == b"QUIT":
                self.reply(conn, b"221 bye\r\n", "QUIT")
                return
            else:
                self.reply(conn, b"500 what\r\n", "other")


@pytest.fixture
def drip_smtp():
    servers = []

    def start(drip):
        servers.append(DripSmtp(drip))
        return servers[-1]
    yield start
    for s in servers:
        s.stop()


def test_dripping_server_session_deadline(drip_smtp, tmp_path):
    """Every reply a byte a second: the greeting (7 s) and the EHLO
    answer (16 s) each far within their 5 minutes, the session (9 s
    here, -T) ends in the EHLO answer: deferred with 4.4.2 on time."""
    d = drip_smtp({"greeting", "EHLO", "MAIL", "RCPT", "DATA", "dot"})
    t0 = time.time()
    res, done, log = relay(d, b"Subject: slow\r\n\r\nslow\r\n", [ALICE],
                           MX + [["-T", "9000"]], tmp_path)
    took = time.time() - t0
    assert res[0][:3] == (1, 0, "4.4.2"), (res, log)
    assert "the session took longer than the 9 s allowed while waiting " \
        "for the EHLO answer" in res[0][3], res
    assert 8.5 < took < 16, took
    assert done[0] == "mx.example.test" and done[2] == "0", done
    assert "the session with mx.example.test [127.0.0.1] took longer " \
        "than the 9 s allowed and was ended" in log, log
    assert d.got == b""


def test_dripping_hosts_share_one_job_deadline(drip_smtp, tmp_path):
    """Three MX hosts (the same dripping server under three names), each
    host's sessions bounded to 3 s (-T), the whole job to twice that:
    the first two hosts use it up, the third is not tried, and the job
    ends in about 6 s, not 9 (a domain of many slow hosts cannot hold a
    relay process for each of them)."""
    d = drip_smtp({"greeting", "EHLO", "MAIL", "RCPT", "DATA", "dot"})
    hosts = [["-x", "example.test=%d:mx%d.example.test" % (10 * i, i)]
             for i in (1, 2, 3)]
    addrs = [["-a", "mx%d.example.test=127.0.0.1" % i] for i in (1, 2, 3)]
    t0 = time.time()
    res, done, log = relay(d, b"Subject: slow\r\n\r\nslow\r\n", [ALICE],
                           hosts + addrs + [["-T", "3000"]], tmp_path)
    took = time.time() - t0
    assert res[0][:3] == (1, 0, "4.4.2"), (res, log)
    assert "the time allowed for the job is up; mx3.example.test and " \
        "the hosts after it not tried" in log, log
    assert "mx1.example.test [127.0.0.1] took longer" in log, log
    assert "mx2.example.test [127.0.0.1] took longer" in log, log
    assert "mx3.example.test [" not in log, log
    assert 5.5 < took < 12, took


def test_dripping_end_of_data_answer_deferred(drip_smtp, tmp_path):
    """Only the answer to the end of data drips (18 s, within its 10
    minutes): the deadline (4 s here) passes while waiting for it: the
    recipient is deferred (4.4.2), never sent, though the server has the
    message (RFC 5321 §6.1's duplicate, accepted)."""
    d = drip_smtp({"dot"})
    t0 = time.time()
    res, done, log = relay(d, b"Subject: dot\r\n\r\nbody\r\n", [ALICE],
                           MX + [["-T", "4000"]], tmp_path)
    took = time.time() - t0
    assert res[0][:3] == (1, 0, "4.4.2"), (res, log)
    assert "took longer than the 4 s allowed while waiting for the " \
        "answer to the end of data" in res[0][3], res
    assert 3.5 < took < 12, took
    assert b"body\r\n" in d.got
    assert "the message is with mx.example.test" in log, log


# ---- The whole smtpd: DKIM signing and forwarded Authentication-Results.
#
# Two postern installations: "ours" (example.test, example.org; DKIM key
# for example.test made by `authctl dkim keygen`) sends through its
# queue and relay processes; "theirs" (remote.test, hostname
# mx.remote.test) is the MX of remote.test in the test DNS (dnstest.py),
# reached on its port-25 listener ("relay port").

CAROL = "carol@remote.test"
DAVE = "dave@example.org"


def dkim_txt(out):
    """The TXT record `authctl dkim keygen` printed: its strings joined."""
    zone = out[out.index("IN TXT ("):]
    return "".join(re.findall(r'"([^"]*)"', zone)).encode()


def theirs_config(q):
    """q serves remote.test only, as mx.remote.test (so it does not take
    our Authentication-Results, which name our hostname, as its own)."""
    with open(q.conf) as f:
        text = f.read()
    text = text.replace("hostname localhost\n", "hostname mx.remote.test\n")
    text = text.replace("domain example.test\ndomain example.org\n",
                        "domain remote.test\n")
    with open(q.conf, "w") as f:
        f.write(text)


@pytest.fixture(scope="module")
def pair():
    theirs = Postern()
    theirs_config(theirs)
    theirs.start()
    theirs.add_user(CAROL)
    theirs.start_smtpd()
    ours = Postern()
    dns = dnstest.DnsServer(ours.dir)
    dns.zone("remote.test", signed=True)
    dns.add("remote.test", "@", "MX", "10 mx.remote.test.")
    dns.add("remote.test", "mx", "A", "127.0.0.1")
    dns.add("remote.test", "@", "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
    dns.start()
    keydir = os.path.join(ours.dir, "dkim")
    ours.write_config(dns.config_lines() +
                      "relay port %d\ndkim key directory \"%s\"\n"
                      % (theirs.smtp_port, keydir))
    with open(ours.conf) as f:
        text = f.read()
    # SPF on port 25, so forwarded mail carries Authentication-Results.
    with open(ours.conf, "w") as f:
        f.write(text.replace("smtp spf check no", "smtp spf check yes"))
    ours.start()
    ours.pw = {BOB: ours.add_user(BOB), DAVE: ours.add_user(DAVE)}
    r = ours.authctl("dkim", "keygen", "example.test", "--selector",
                     "mail2026", "--bits", "1024")
    ours.dkim_txt = dkim_txt(r.stdout)
    ours.authctl("alias", "add", "fwd@example.test", CAROL)
    ours.start_smtpd()
    yield ours, theirs
    logs = ours.smtp_log() + theirs.smtp_log()
    ours.cleanup()
    theirs.cleanup()
    dns.stop()
    assert "AddressSanitizer" not in logs and "runtime error" not in logs, \
        logs


def received(pair, subject):
    """The message with subject in carol's INBOX at theirs (bytes, as
    stored: LF line ends), waiting for it."""
    ours, theirs = pair
    deadline = time.time() + 60
    while time.time() < deadline:
        for m in mails(theirs, CAROL):
            if "Subject: %s\n" % subject in m.replace("\r\n", "\n"):
                return m.replace("\r\n", "\n").encode()
        time.sleep(0.1)
    raise AssertionError("%s did not arrive:\n%s\n%s" % (
        subject, ours.smtp_log(), theirs.smtp_log()))


def as_sent(stored):
    """The message as theirs got it on the wire: its own Received and
    Return-Path lines dropped, CRLF line ends."""
    lines = stored.split(b"\n")
    while lines and (lines[0].startswith(b"Return-Path:") or
                     lines[0].startswith(b"Delivered-To:") or
                     (lines[0].startswith(b"Received:") and
                      b"by mx.remote.test" in received_field(lines))):
        lines = drop_field(lines)
    return b"\r\n".join(lines)


def received_field(lines):
    field = lines[0]
    for line in lines[1:]:
        if not line[:1] in (b" ", b"\t"):
            break
        field += line
    return field


def drop_field(lines):
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return lines[i:]


def submit(ours, user, frm, subject, body):
    s = smtplib.SMTP_SSL("127.0.0.1", ours.subm_port, timeout=15,
                         context=tls_context())
    s.login(user, ours.pw[user])
    s.sendmail(user, [CAROL], (
        "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 30 Nov 2026 "
        "12:00:00 +0000\r\nMessage-ID: <%s@example.test>\r\n\r\n%s" % (
            frm, CAROL, subject, subject, body)).encode())
    s.quit()


def test_relayed_mail_is_dkim_signed(pair):
    dkim = pytest.importorskip("dkim")
    ours, theirs = pair
    body = ("Hello Carol,\r\n\r\n.a line with a dot\r\nthe numbers are"
            "\tin.  \r\n" + "A line of the report.\r\n" * 100)
    submit(ours, BOB, "Bob <%s>" % BOB, "signed", body)
    got = as_sent(received(pair, "signed"))
    assert re.sub(rb"\r\n\t\s*", b" ", got).startswith(
        b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
        b"d=example.test; s=mail2026;"), got[:300]
    assert b"Authentication-Results" not in got, got[:600]

    def dnsfunc(name, timeout=5):
        assert name in (b"mail2026._domainkey.example.test.",
                        "mail2026._domainkey.example.test."), name
        return ours.dkim_txt
    assert dkim.verify(got, dnsfunc=dnsfunc), got[:800]
    changed = got.replace(b"the numbers are", b"the numbers were")
    assert changed != got
    assert not dkim.verify(changed, dnsfunc=dnsfunc)
    assert wait_log(ours, "DKIM signed d=example.test s=mail2026"), \
        ours.smtp_log()


def test_relayed_mail_without_a_key_goes_out_unsigned(pair):
    ours, theirs = pair
    submit(ours, DAVE, DAVE, "unsigned", "no key for example.org\r\n")
    got = as_sent(received(pair, "unsigned"))
    assert b"DKIM-Signature" not in got, got[:600]
    assert wait_log(ours, "not DKIM-signed for example.org: no key for "
                    "the From domain"), ours.smtp_log()


def test_forwarded_mail_keeps_its_authentication_results(pair):
    """Mail from another server on port 25 to an alias that forwards it
    out: its Authentication-Results go along, and it is not signed even
    with a From of our own domain."""
    ours, theirs = pair
    s = smtplib.SMTP("127.0.0.1", ours.smtp_port, timeout=15)
    s.ehlo("client.remote.test")
    s.starttls(context=tls_context())
    s.ehlo("client.remote.test")
    s.sendmail("someone@remote.test", ["fwd@example.test"],
               b"From: boss@example.test\r\nTo: fwd@example.test\r\n"
               b"Subject: forwarded\r\n\r\nforged From\r\n")
    s.quit()
    got = as_sent(received(pair, "forwarded"))
    assert got.startswith(b"Authentication-Results: localhost;"), got[:600]
    assert re.search(rb"spf=pass smtp\.mailfrom=someone@remote\.test",
                     got), got[:600]
    assert b"DKIM-Signature" not in got, got[:600]
    assert b"Authentication-Results" in got.split(b"\r\n\r\n")[0]


def test_rotated_key_signs_after_a_reload(pair):
    """A key made for a rotation signs from the reload on (the relay's
    channel stays; the keyholder's key set changes under it)."""
    dkim = pytest.importorskip("dkim")
    ours, theirs = pair
    time.sleep(1.1)     # a newer modification time than mail2026's
    r = ours.authctl("dkim", "keygen", "example.test", "--selector",
                     "mail2027", "--bits", "1024")
    txt = dkim_txt(r.stdout)
    os.kill(ours.smtp.pid, signal.SIGHUP)
    assert wait_log(ours, "DKIM key of example.test, selector mail2027, "
                    "loaded"), ours.smtp_log()
    submit(ours, BOB, BOB, "rotated", "after the reload\r\n")
    got = as_sent(received(pair, "rotated"))
    assert b" s=mail2027;" in re.sub(rb"\r\n\t\s*", b" ", got), got[:400]
    assert dkim.verify(got, dnsfunc=lambda name, timeout=5: txt)
    assert not dkim.verify(got, dnsfunc=lambda name, timeout=5:
                           ours.dkim_txt)
