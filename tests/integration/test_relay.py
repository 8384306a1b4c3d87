"""The relay role against a real SMTP server: relay_run plays the queue
for one job and answers DNS from a table, the relay process (its
sandbox, its SMTP client, real TCP) delivers to a second postern smtpd
on loopback as the destination's MX, whose Maildir shows what arrived.
Covers delivery with per-recipient answers, dot-stuffing and line ends,
8BITMIME, MX preference with a dead first host, and the destinations
that never reach SMTP: null MX, NXDOMAIN, an MX of 0.0.0.0, every host
down."""
import os
import subprocess

import pytest

from conftest import ALICE, BOB, BUILD
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
