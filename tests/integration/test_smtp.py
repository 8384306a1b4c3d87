"""smtpd with real clients: port 25 (STARTTLS, the MX) and 465
(submission with AUTH), delivered into the Maildir and seen by imapd and
pop3d.  Clients: Python's smtplib, swaks, curl and msmtp."""
import base64
import os
import poplib
import re
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import ALICE, BOB, audit, tls_context

MSG = ("From: bob@example.test\r\nTo: alice@example.test\r\n"
       "Subject: %s\r\n\r\nhello %s\r\n")


def smtp_users(p):
    """alice and bob, with generated passwords."""
    return {ALICE: p.add_user(ALICE), BOB: p.add_user(BOB)}


@pytest.fixture
def smtp(postern):
    postern.pw = smtp_users(postern)
    postern.start_smtpd()
    yield postern
    postern.stop_smtpd()
    log = postern.smtp_log()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def mails(p, user):
    """The messages in user's INBOX (new/ and cur/), oldest first."""
    md = p.maildir(user)
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append(f.read().decode("utf-8", "replace"))
    return out


def wait_mails(p, user, n=1, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = mails(p, user)
        if len(got) >= n:
            return got
        time.sleep(0.05)
    raise AssertionError("%d message(s) for %s did not arrive: %r\n%s" % (
        n, user, mails(p, user), p.smtp_log()))


def mx(p):
    """smtplib on port 25's kind, after STARTTLS."""
    s = smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=15)
    s.ehlo("client.example.net")
    s.starttls(context=tls_context())
    s.ehlo("client.example.net")
    return s


def submission(p, user=BOB):
    s = smtplib.SMTP_SSL("127.0.0.1", p.subm_port, timeout=15,
                         context=tls_context())
    s.ehlo("laptop")
    s.login(user, p.pw[user])
    return s


def raw25(p):
    """A plaintext socket on port 25's kind, after the greeting."""
    s = socket.create_connection(("127.0.0.1", p.smtp_port), 15)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    return s, f


def reply(f):
    """One whole reply: (code, [lines])."""
    lines = []
    while True:
        line = f.readline()
        assert line, "connection closed"
        lines.append(line.decode().rstrip("\r\n"))
        if line[3:4] != b"-":
            return int(line[:3]), lines


def test_mx_starttls_delivers_with_trace_headers(smtp):
    s = mx(smtp)
    assert s.has_extn("pipelining") and s.has_extn("chunking")
    assert not s.has_extn("auth"), "AUTH is never offered on 25"
    assert not s.has_extn("starttls"), "offered again under TLS"
    assert s.has_extn("requiretls")
    s.sendmail("someone@example.net", [ALICE], MSG % ("mx", "mx"))
    s.quit()
    m = wait_mails(smtp, ALICE)[0]
    assert m.startswith("Return-Path: <someone@example.net>\n"), m
    assert "Delivered-To: alice@example.test" in m
    assert "Received: from client.example.net" in m
    assert "127.0.0.1" in m, "port 25 names the client's address"
    assert "hello mx" in m
    assert "\r" not in m, "the store keeps LF line ends"


def test_submission_delivers_and_names_the_user_not_the_address(smtp):
    s = submission(smtp)
    assert not s.has_extn("starttls"), "465 is TLS already"
    s.sendmail(BOB, [ALICE], MSG % ("465", "465"))
    s.quit()
    m = wait_mails(smtp, ALICE)[0]
    head = m.split("\n\n", 1)[0]
    assert "Delivered-To: alice@example.test" in head
    received = [l for l in head.splitlines() if l.startswith("Received")]
    assert received, head
    unfolded = head.replace("\n\t", " ").replace("\n ", " ")
    rec = [l for l in unfolded.splitlines() if l.startswith("Received")][0]
    assert "bob@example.test" in rec and "TLS" in rec, rec
    assert "127.0.0.1" not in rec, rec


def test_nothing_before_auth_on_465(smtp):
    s = smtplib.SMTP_SSL("127.0.0.1", smtp.subm_port, timeout=15,
                         context=tls_context())
    s.ehlo("laptop")
    assert s.has_extn("auth")
    code, _ = s.mail(BOB)
    assert code == 530
    s.quit()


def test_wrong_password_is_refused_like_an_unknown_user(smtp):
    for user, pw in ((BOB, "wrong password 1"), ("nobody@example.test",
                                                 "wrong password 1")):
        s = smtplib.SMTP_SSL("127.0.0.1", smtp.subm_port, timeout=15,
                             context=tls_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login(user, pw)
        assert e.value.smtp_code == 535
        s.close()


def test_unknown_recipient_refused_at_rcpt(smtp):
    s = mx(smtp)
    s.mail("someone@example.net")
    code, msg = s.rcpt("nobody@example.test")
    assert code == 550 and b"5.1.1" in msg, (code, msg)
    code, _ = s.rcpt(ALICE)
    assert code == 250
    s.quit()


@pytest.mark.parametrize("rcpt", [
    "<victim@example.net>",
    "<victim%example.net@example.test>",
    "<@example.test:victim@example.net>",
    "<\"victim@example.net\"@example.test>",
    "<example.net!victim@example.test>",
    "<alice@example.test.>",
    "<alice@[127.0.0.1]>",
    "<victim@example.net@example.test>",
])
def test_open_relay_attempts_refused(smtp, rcpt):
    s, f = raw25(smtp)
    s.sendall(b"EHLO spammer\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"MAIL FROM:<spam@example.net>\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"RCPT TO:" + rcpt.encode() + b"\r\n")
    code, lines = reply(f)
    assert code >= 500, (rcpt, lines)
    s.sendall(b"QUIT\r\n")
    s.close()
    assert mails(smtp, ALICE) == []


def test_remote_recipient_on_465_is_queued_for_the_relay(smtp):
    s = submission(smtp)
    s.sendmail(BOB, ["friend@example.net"], MSG % ("out", "out"))
    s.quit()
    out = smtp.authctl("queue", "list").stdout
    assert "friend@example.net" in out, out
    qid = None
    for line in out.split("\n"):
        if re.match(r"[0-9a-f]{16} ", line):
            qid = line.split()[0]
        elif "friend@example.net" in line:
            break
    show = smtp.authctl("queue", "show", qid).stdout
    # waiting (for a relay process, or for its retry) or with one now
    assert re.search(r"remote friend@example\.net: (waiting, \d+ attempts?, "
                     r"next |in delivery)", show), show


def test_non_owned_sender_and_from_refused(smtp):
    s = submission(smtp)
    code, msg = s.mail(ALICE)
    assert code == 553 and b"5.7.1" in msg, (code, msg)
    s.rset()
    s.mail(BOB)
    s.rcpt(ALICE)
    code, msg = s.data(MSG.replace("From: bob", "From: alice") % ("x", "x"))
    # 550, not 553: RFC 5321 4.3.2 lists no 553 after the data.
    assert code == 550 and b"5.7.1" in msg, (code, msg)
    s.mail(BOB)
    s.rcpt(ALICE)
    code, msg = s.data(MSG.replace("From: bob@example.test\r\n",
                                   "From: bob@example.test\r\n"
                                   "From: alice@example.test\r\n") %
                       ("two", "two"))
    assert code == 550 and b"5.7.1" in msg, (code, msg)
    s.quit()
    time.sleep(0.5)
    assert mails(smtp, ALICE) == []


def test_alias_that_reaches_the_user_may_send(smtp):
    smtp.authctl("alias", "add", "sales@example.test", BOB)
    s = submission(smtp)
    s.sendmail("sales@example.test", [ALICE],
               MSG.replace("From: bob", "From: Sales <sales") % ("a", "a"))
    s.quit()
    wait_mails(smtp, ALICE)


def test_pipelined_envelope_answers_in_order(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO pipe\r\n")
    reply(f)
    s.sendall(b"MAIL FROM:<p@example.net>\r\n"
              b"RCPT TO:<alice@example.test>\r\n"
              b"RCPT TO:<nobody@example.test>\r\n"
              b"RCPT TO:<bob@example.test>\r\n"
              b"DATA\r\n")
    codes = [reply(f)[0] for _ in range(5)]
    assert codes == [250, 250, 550, 250, 354], codes
    s.sendall(b"Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    assert reply(f)[0] == 250
    assert reply(f)[0] == 221
    s.close()
    assert "Subject: piped" in wait_mails(smtp, ALICE)[0]
    assert "Subject: piped" in wait_mails(smtp, BOB)[0]


def test_bdat_in_several_chunks(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO chunky\r\n")
    reply(f)
    s.sendall(b"MAIL FROM:<c@example.net>\r\nRCPT TO:<alice@example.test>\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 250
    parts = [b"Subject: chunks\r\n\r\n", b"one\r\n.two\r\n", b"three\r\n"]
    for i, part in enumerate(parts):
        last = b" LAST" if i == len(parts) - 1 else b""
        s.sendall(b"BDAT %d%s\r\n" % (len(part), last) + part)
        assert reply(f)[0] == 250
    s.sendall(b"QUIT\r\n")
    s.close()
    m = wait_mails(smtp, ALICE)[0]
    assert "one\n.two\nthree\n" in m, m


def test_smtputf8_address_and_header(smtp):
    smtp.authctl("alias", "add", "andré@example.test", ALICE, check=False)
    s = mx(smtp)
    assert s.has_extn("smtputf8")
    body = ("From: Jörg <jörg@exämple.net>\r\nTo: alice@example.test\r\n"
            "Subject: grüße\r\n\r\nüber\r\n").encode()
    s.sendmail("jörg@exämple.net", [ALICE], body,
               mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    s.quit()
    m = wait_mails(smtp, ALICE)[0]
    assert "Subject: grüße" in m and "Return-Path: <jörg@exämple.net>" in m


def test_utf8_address_without_smtputf8_refused(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO x\r\n")
    reply(f)
    s.sendall("MAIL FROM:<jörg@example.net>\r\n".encode())
    code, lines = reply(f)
    assert code == 553, lines


def test_imap_idle_and_pop3_see_a_submission(smtp):
    import imaplib
    smtp.authctl("user", "services", ALICE, "imap,pop3,smtp")
    smtp.start_imapd()
    smtp.start_pop3d()
    c = imaplib.IMAP4_SSL("127.0.0.1", smtp.imap_port,
                          ssl_context=tls_context())
    c.login(ALICE, smtp.pw[ALICE])
    c.select("INBOX")
    tag = c._new_tag().decode()
    c.send(("%s IDLE\r\n" % tag).encode())
    assert c.readline().startswith(b"+")
    s = submission(smtp)
    s.sendmail(BOB, [ALICE], MSG % ("idle", "idle"))
    s.quit()
    c.sock.settimeout(10)
    line = c.readline()
    assert b"EXISTS" in line, line
    c.send(b"DONE\r\n")
    c.logout()
    pop = poplib.POP3_SSL("127.0.0.1", smtp.pop3_port,
                          context=tls_context())
    pop.user(ALICE)
    pop.pass_(smtp.pw[ALICE])
    assert pop.stat()[0] == 1
    assert b"hello idle" in b"\n".join(pop.retr(1)[1])
    pop.quit()


def test_swaks_starttls_and_implicit_tls(smtp):
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(smtp.smtp_port), "--tls", "--from",
                        "swaks@example.net", "--to", ALICE, "--helo",
                        "swaks.example.net", "--header", "Subject: swaks25"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(smtp.subm_port), "--tls-on-connect", "--auth",
                        "PLAIN", "--auth-user", BOB, "--auth-password",
                        smtp.pw[BOB], "--from", BOB, "--to", ALICE,
                        "--header", "From: " + BOB,
                        "--header", "Subject: swaks465"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    got = "\n".join(wait_mails(smtp, ALICE, 2))
    assert "Subject: swaks25" in got and "Subject: swaks465" in got


def test_curl_smtps_and_msmtp_submit(smtp, tmp_path):
    msg = tmp_path / "m.txt"
    msg.write_text(MSG % ("curl", "curl"))
    r = subprocess.run(["curl", "-sS", "-k", "--url",
                        "smtps://127.0.0.1:%d" % smtp.subm_port,
                        "--user", "%s:%s" % (BOB, smtp.pw[BOB]),
                        "--mail-from", BOB, "--mail-rcpt", ALICE,
                        "--upload-file", str(msg)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rc = tmp_path / "msmtprc"
    rc.write_text("account default\nhost 127.0.0.1\nport %d\n"
                  "tls on\ntls_starttls off\ntls_certcheck off\nauth plain\n"
                  "user %s\npassword %s\nfrom %s\n" % (
                      smtp.subm_port, BOB, smtp.pw[BOB], BOB))
    os.chmod(rc, 0o600)
    r = subprocess.run(["msmtp", "-C", str(rc), ALICE],
                       input=MSG % ("msmtp", "msmtp"), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    got = "\n".join(wait_mails(smtp, ALICE, 2))
    assert "hello curl" in got and "hello msmtp" in got


def test_sending_limit_refuses_the_201st_recipient(smtp):
    s = submission(smtp)
    refused_at = None
    for i in range(201):
        if i % 100 == 0:
            if i:
                s.rset()
            s.mail(BOB)
        code, msg = s.rcpt("friend%d@example.net" % i)
        if code != 250:
            refused_at = i + 1
            assert code == 451 and b"4.7.1" in msg, (code, msg)
            break
    s.quit()
    assert refused_at == 201, refused_at
    assert any("sending limit" in r.get("reason", "")
               for r in audit(smtp)), audit(smtp)


def test_garbage_and_protocol_errors(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO x\r\n")
    reply(f)
    s.sendall(b"NOSUCH\r\n")
    assert reply(f)[0] == 500
    s.sendall(b"MA\x00IL FROM:<a@b.c>\r\n")
    assert reply(f)[0] == 500
    s.sendall(b"NOOP " + b"x" * 5000 + b"\r\n")
    assert reply(f)[0] == 500
    s.sendall(b"RCPT TO:<alice@example.test>\r\n")
    assert reply(f)[0] == 503
    s.sendall(b"DATA\r\n")
    assert reply(f)[0] == 503
    s.sendall(b"AUTH PLAIN AGFsaWNlAHg=\r\n")
    assert reply(f)[0] in (502, 503)
    s.sendall(b"QUIT\r\n")
    assert reply(f)[0] == 221
    s.close()


def test_early_talker_is_dropped(stopped_postern):
    p = stopped_postern
    p.write_config("smtp greeting delay 2s\n")
    p.start()
    p.pw = smtp_users(p)
    p.start_smtpd()
    s = socket.create_connection(("127.0.0.1", p.smtp_port), 15)
    s.sendall(b"EHLO impatient\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"554 "), data
    s.close()
    s, f = raw25(p)      # a patient client is greeted after the delay
    s.close()


def test_smuggled_end_of_data_is_not_the_end(smtp):
    s, f = raw25(smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.net>\r\n"
              b"RCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: smuggle\r\n\r\nbody\n.\n"
              b"MAIL FROM:<evil@example.net>\r\n\r\n.\r\n")
    code, lines = reply(f)
    s.sendall(b"QUIT\r\n")
    s.close()
    time.sleep(0.5)
    for m in mails(smtp, ALICE):
        assert "evil" not in m.split("\n\n")[0]


def test_require_tls_refuses_mail_before_starttls(stopped_postern):
    p = stopped_postern
    p.write_config("smtp require tls yes\n")
    p.start()
    p.pw = smtp_users(p)
    p.start_smtpd()
    try:
        s, f = raw25(p)
        s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.net>\r\n")
        reply(f)
        code, lines = reply(f)
        assert code == 530, lines
        s.close()
        c = mx(p)
        c.sendmail("a@example.net", [ALICE], MSG % ("tls", "tls"))
        c.quit()
        wait_mails(p, ALICE)
    finally:
        p.stop_smtpd()


def test_app_password_scoped_to_imap_cannot_send(smtp):
    out = smtp.authctl("apppass", "add", BOB, "phone", "--services",
                       "imap").stdout
    imap_only = out.strip().splitlines()[-1]
    out = smtp.authctl("apppass", "add", BOB, "laptop", "--services",
                       "smtp").stdout
    smtp_pw = out.strip().splitlines()[-1]
    s = smtplib.SMTP_SSL("127.0.0.1", smtp.subm_port, timeout=15,
                         context=tls_context())
    with pytest.raises(smtplib.SMTPAuthenticationError):
        s.login(BOB, imap_only)
    s.close()
    s = smtplib.SMTP_SSL("127.0.0.1", smtp.subm_port, timeout=15,
                         context=tls_context())
    s.login(BOB, smtp_pw)
    s.sendmail(BOB, [ALICE], MSG % ("app", "app"))
    s.quit()
    wait_mails(smtp, ALICE)


def test_a_recipient_given_twice_gets_one_copy(smtp):
    smtp.authctl("alias", "add", "team@example.test", ALICE + "," + BOB)
    s = mx(smtp)
    s.sendmail("x@example.net", [ALICE, ALICE.upper(), "team@example.test"],
               MSG % ("dup", "dup"))
    s.quit()
    wait_mails(smtp, ALICE)
    wait_mails(smtp, BOB)
    time.sleep(1)
    assert len(mails(smtp, ALICE)) == 1 and len(mails(smtp, BOB)) == 1


def test_sending_limit_counts_destinations(smtp):
    smtp.authctl("user", "sendlimit", BOB, "3")
    smtp.authctl("alias", "add", "list@example.test",
                 "a@example.net,b@example.net,c@example.net")
    s = submission(smtp)
    s.mail(BOB)
    assert s.rcpt("list@example.test")[0] == 250
    code, msg = s.rcpt("d@example.net")
    assert code == 451 and b"4.7.1" in msg, (code, msg)
    s.quit()


def test_binarymime_header_with_a_bare_cr_refused_on_465(smtp):
    s = socket.create_connection(("127.0.0.1", smtp.subm_port), 15)
    t = tls_context().wrap_socket(s)
    f = t.makefile("rb")
    assert reply(f)[0] == 220
    t.sendall(b"EHLO x\r\n")
    reply(f)
    t.sendall(b"AUTH PLAIN " + base64.b64encode(
        b"\0" + BOB.encode() + b"\0" + smtp.pw[BOB].encode()) + b"\r\n")
    assert reply(f)[0] == 235
    t.sendall(b"MAIL FROM:<bob@example.test> BODY=BINARYMIME\r\n"
              b"RCPT TO:<alice@example.test>\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 250
    msg = (b"From: bob@example.test\r\nX-A: b\rFrom: ceo@bank.example\r\n"
           b"Subject: x\r\n\r\nbody\r\n")
    t.sendall(b"BDAT %d LAST\r\n" % len(msg) + msg)
    code, lines = reply(f)
    assert code == 550, lines
    t.close()
