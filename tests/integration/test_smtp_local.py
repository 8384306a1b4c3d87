"""smtpd's local side with the whole server running: sendmail(8) from a
cron-like caller, authd's login notices delivered by the queue,
subaddresses, the quota at RCPT, and the per-address limits of port 25
(message rate, recipient harvesting) hit from several addresses."""
import os
import pwd
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import ALICE, BOB, IS_ROOT, SENDMAIL, tls_context
from test_smtp import MSG, mails, mx, raw25, reply, smtp, submission, \
    wait_mails  # noqa: F401


def test_sendmail_t_from_a_cron_job_reaches_root_alias(smtp):
    p = smtp
    p.authctl("alias", "add", "root@example.test", ALICE)
    env = {"PATH": "/usr/bin:/bin", "POSTERN_CONF": p.conf, "LOGNAME": "cron"}
    user = None
    if IS_ROOT:
        os.chmod(p.conf, 0o644)
        user = "nobody"
    job = ("To: root\nSubject: cron <root@host> /etc/cron.daily/backup\n\n"
           "backup done\n")
    r = subprocess.run([SENDMAIL, "-t", "-oi"], input=job.encode(),
                       env=env, user=user, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    m = wait_mails(p, ALICE)[0]
    assert "Subject: cron <root@host>" in m and "backup done" in m
    assert "Delivered-To: root@example.test" in m
    assert "(from local uid" in m


def test_login_from_a_new_address_mails_the_user(smtp):
    p = smtp
    # The first login of an account tells nothing; the next from a new
    # address does.
    s = smtplib.SMTP_SSL("127.0.0.1", p.subm_port, timeout=15,
                         context=tls_context())
    s.login(BOB, p.pw[BOB])
    s.quit()
    s = smtplib.SMTP_SSL("127.0.0.1", p.subm_port, timeout=15,
                         context=tls_context(),
                         source_address=("127.0.0.7", 0))
    s.login(BOB, p.pw[BOB])
    s.quit()
    m = wait_mails(p, BOB)[0]
    assert "Subject: New sign-in" in m, m
    assert "127.0.0.7" in m and "SMTP" in m
    assert m.startswith("Return-Path: <>\n")


def test_subaddress_and_catch_all(smtp):
    p = smtp
    p.authctl("alias", "add", "@example.org", BOB)
    s = mx(p)
    s.sendmail("x@example.net", ["alice+lists@example.test",
                                 "anything@example.org"], MSG % ("sub", "sub"))
    s.quit()
    assert "Delivered-To: alice+lists@example.test" in wait_mails(p, ALICE)[0]
    assert "Delivered-To: anything@example.org" in wait_mails(p, BOB)[0]


def test_over_quota_recipient_refused_at_rcpt(smtp):
    p = smtp
    p.authctl("user", "quota", ALICE, "2K")
    s = mx(p)
    # SIZE= tells the check what is coming: too much for the quota.
    s.mail("x@example.net", ["SIZE=3000"])
    code, msg = s.rcpt(ALICE)
    assert code == 452 and b"4.2.2" in msg, (code, msg)
    s.rset()
    s.sendmail("x@example.net", [ALICE], MSG % ("big", "x" * 1500))
    s.quit()
    wait_mails(p, ALICE)
    # The first message fit; now the mailbox has less room than a
    # message needs.
    s = mx(p)
    s.mail("x@example.net", ["SIZE=1500"])
    deadline = time.time() + 10
    while True:
        code, msg = s.rcpt(ALICE)
        if code != 250 or time.time() > deadline:
            break
        s.rset()
        s.mail("x@example.net", ["SIZE=1500"])
        time.sleep(0.2)
    assert code == 452 and b"4.2.2" in msg, (code, msg)
    code, _ = s.rcpt(BOB)
    assert code == 250
    s.quit()


def test_recipient_harvest_is_cut_off(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO harvester\r\nMAIL FROM:<h@example.net>\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 250
    codes = []
    for i in range(25):
        s.sendall(b"RCPT TO:<guess%d@example.test>\r\n" % i)
        try:
            codes.append(reply(f)[0])
        except AssertionError:
            break
        if codes[-1] == 421:
            break
    assert codes[:19] == [550] * 19 and codes[-1] == 421, codes
    s.close()


def test_message_rate_per_address(stopped_postern):
    p = stopped_postern
    p.write_config("smtp message rate 3\n")
    p.start()
    p.pw = {ALICE: p.add_user(ALICE)}
    p.start_smtpd()
    try:
        def send(src):
            s = smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=15,
                             source_address=(src, 0))
            try:
                s.sendmail("r@example.net", [ALICE], MSG % ("r", "r"))
                return 250
            except smtplib.SMTPResponseException as e:
                return e.smtp_code
            except smtplib.SMTPServerDisconnected:
                return 421
            finally:
                s.close()
        codes = [send("127.0.0.5") for _ in range(4)]
        assert codes == [250, 250, 250, 421], codes
        assert send("127.0.0.6") == 250, "another address has its own"
    finally:
        p.stop_smtpd()


def test_many_idle_connections_do_not_block_a_sender(stopped_postern):
    """Idle connections from many addresses hold slots of the budget of
    connections that sent nothing; a real sender still gets through and
    the idle ones are closed by the timeout."""
    p = stopped_postern
    p.write_config("smtp idle timeout 1m\n")
    p.start()
    p.pw = {ALICE: p.add_user(ALICE)}
    p.start_smtpd()
    idle = []
    try:
        for i in range(40):
            idle.append(socket.create_connection(
                ("127.0.0.1", p.smtp_port), 5,
                source_address=("127.0.%d.%d" % (1 + i // 10, 10 + i), 0)))
        s = smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=15,
                         source_address=("127.0.9.9", 0))
        s.sendmail("x@example.net", [ALICE], MSG % ("busy", "busy"))
        s.quit()
        wait_mails(p, ALICE)
    finally:
        for c in idle:
            c.close()
        p.stop_smtpd()
