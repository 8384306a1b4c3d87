"""The checks of inbound mail on port 25, end to end: smtpd's check role
(SPF, DKIM, DMARC) answering from a real DNS server (unbound, dnstest.py)
about messages sent from 127.0.0.x addresses and signed by Debian's
python3-dkim; the Authentication-Results field compared with what
python3-spf and python3-dkim say of the same messages; a forged
Authentication-Results field removed; DMARC p=reject refused with 550
5.7.1 and p=quarantine delivered into Junk; nothing of this on 465; the
checks of a message end within the broker's wait however slow its DNS
(dnstest.py's SlowDns, and names never answered), and hold up no other."""
import os
import re
import signal
import smtplib
import subprocess
import time

import dkim
import dns.resolver
import pytest
import spf

from conftest import ALICE, Postern, read_log, tls_context
from dnstest import DnsServer, SlowDns
from test_smtp import mails, smtp_users, submission, wait_mails

GOOD = "127.0.0.31"     # SPF allows it for every test domain
BAD = "127.0.0.32"      # SPF allows it for none
HOST = "localhost"      # conftest's hostname: our authserv-id

CHECKS = """\
smtp dmarc reject yes
smtp dmarc quarantine junk
"""


def checks_on(p, extra):
    """p's configuration with extra and the checks on (conftest's
    turns them off for the tests without a DNS server)."""
    p.write_config(extra)
    with open(p.conf) as f:
        text = f.read()
    for method in ("spf", "dkim", "dmarc"):
        text = text.replace("smtp %s check no" % method,
                            "smtp %s check yes" % method)
    with open(p.conf, "w") as f:
        f.write(text)


def _dkim_key(d):
    """An RSA key for DKIM: (private PEM, the p= of its record)."""
    key = os.path.join(d, "dkim.pem")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    import base64
    with open(key, "rb") as f:
        return f.read(), base64.b64encode(der).decode()


def _txt(s):
    """A TXT rdata of several strings (each at most 255 bytes)."""
    return " ".join('"%s"' % s[i:i + 200] for i in range(0, len(s), 200))


@pytest.fixture(scope="module")
def checked():
    p = Postern()
    d = DnsServer(p.dir)
    priv, pub = _dkim_key(p.dir)
    # Each domain: SPF for GOOD only, a DKIM key, its DMARC policy.
    for name, policy in (("good.test", "reject"), ("rej.test", "reject"),
                         ("quar.test", "quarantine"), ("nop.test", None)):
        d.zone(name, signed=name == "good.test")
        d.add(name, "@", "TXT", '"v=spf1 ip4:%s -all"' % GOOD)
        d.add(name, "sel._domainkey", "TXT",
              _txt("v=DKIM1; k=rsa; p=" + pub))
        if policy is not None:
            d.add(name, "_dmarc", "TXT", '"v=DMARC1; p=%s"' % policy)
    # SPF that names a host whose lookups are never answered.
    d.deny("never.test")
    d.zone("stuck.test")
    d.add("stuck.test", "@", "TXT", '"v=spf1 a:mx.never.test -all"')
    d.add("stuck.test", "_dmarc", "TXT", '"v=DMARC1; p=reject"')
    d.start()
    checks_on(p, d.config_lines() + CHECKS)
    p.start()
    p.pw = smtp_users(p)
    p.start_smtpd()
    p.dkim_key = priv
    p.dns = d
    yield p
    p.stop_smtpd()
    log = p.smtp_log()
    d.stop()
    p.cleanup()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def resolver(p):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [p.dns.addr]
    r.port = p.dns.port
    r.lifetime = 10
    return r


def py_spf(p, ip, sender, helo):
    """python3-spf's result for the same client and sender."""
    dns.resolver.default_resolver = resolver(p)
    return spf.check2(i=ip, s=sender, h=helo)[0]


def py_dkim(p, msg):
    """python3-dkim's verdict on the message as it was sent."""
    r = resolver(p)

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        try:
            a = r.resolve(name.rstrip("."), "TXT")
        except dns.exception.DNSException:
            return None
        return b"".join(b"".join(x.strings) for x in a)
    return dkim.verify(msg, dnsfunc=dnsfunc)


def make(frm, subject, body="hello\r\n", extra=""):
    return ("From: %s\r\nTo: alice@example.test\r\nSubject: %s\r\n"
            "Message-ID: <%s@test>\r\n%s\r\n%s" % (
                frm, subject, subject.replace(" ", "."), extra,
                body)).encode()


def sign(p, msg, domain):
    sig = dkim.sign(msg, b"sel", domain.encode(), p.dkim_key,
                    include_headers=[b"from", b"to", b"subject",
                                     b"message-id"])
    return sig + msg


def send(p, ip, sender, msg, helo="client.example.net"):
    """msg on port 25 from ip; (code, text) of the end of DATA."""
    s = smtplib.SMTP("127.0.0.1", p.smtp_port, timeout=60,
                     source_address=(ip, 0))
    s.ehlo(helo)
    s.starttls(context=tls_context())
    s.ehlo(helo)
    s.mail(sender)
    code, _ = s.rcpt(ALICE)
    assert code == 250
    try:
        code, text = s.data(msg)
    except smtplib.SMTPException as e:
        raise AssertionError("%s\n%s" % (e, p.smtp_log()))
    s.quit()
    return code, text.decode()


def authres(m):
    """The Authentication-Results fields of a stored message, unfolded."""
    head = m.split("\n\n", 1)[0]
    fields = re.findall(r"^Authentication-Results:.*(?:\n[ \t].*)*", head,
                        re.M | re.I)
    return [re.sub(r"\n[ \t]+", " ", f) for f in fields]


def newest(p, user, folder=None, n=1):
    md = p.maildir(user)
    if folder is not None:
        md = os.path.join(md, "." + folder)
    deadline = time.time() + 30
    while time.time() < deadline:
        got = []
        for sub in ("new", "cur"):
            sd = os.path.join(md, sub)
            if os.path.isdir(sd):
                got += [os.path.join(sd, x) for x in os.listdir(sd)]
        if len(got) >= n:
            got.sort(key=os.path.getmtime)
            with open(got[-1], "rb") as f:
                return f.read().decode()
        time.sleep(0.05)
    raise AssertionError("no message %d in %s\n%s" % (n, md, p.smtp_log()))


def result(ar, method):
    m = re.search(r"\b%s=(\w+)" % method, ar)
    return m.group(1) if m else None


def test_signed_aligned_mail_passes_as_python_says(checked):
    p = checked
    msg = sign(p, make("Ann <ann@good.test>", "pass one"), "good.test")
    assert py_dkim(p, msg) is True
    assert py_spf(p, GOOD, "ann@good.test", "client.example.net") == "pass"
    n = len(mails(p, ALICE))
    code, _ = send(p, GOOD, "ann@good.test", msg)
    assert code == 250
    m = newest(p, ALICE, n=n + 1)
    ars = authres(m)
    assert len(ars) == 1, m
    ar = ars[0]
    assert ar.startswith("Authentication-Results: %s;" % HOST), ar
    assert result(ar, "spf") == "pass"
    assert "smtp.mailfrom=ann@good.test" in ar
    assert result(ar, "dkim") == "pass"
    assert "header.d=good.test" in ar and "header.s=sel" in ar
    assert result(ar, "dmarc") == "pass" and "header.from=good.test" in ar
    # Above the Received field the queue wrote.
    assert m.index("Authentication-Results:") < m.index("Received:")


def test_changed_body_fails_dkim_as_python_says(checked):
    p = checked
    msg = sign(p, make("ann@good.test", "changed"), "good.test")
    msg = msg.replace(b"hello", b"HELLO")
    assert py_dkim(p, msg) is False
    n = len(mails(p, ALICE))
    code, _ = send(p, GOOD, "ann@good.test", msg)
    assert code == 250, "SPF still aligns: DMARC passes"
    ar = authres(newest(p, ALICE, n=n + 1))[0]
    assert result(ar, "dkim") == "fail", ar
    assert result(ar, "spf") == "pass" and result(ar, "dmarc") == "pass"


def test_spf_fail_under_p_reject_is_refused(checked):
    p = checked
    assert py_spf(p, BAD, "eve@rej.test", "client.example.net") == "fail"
    before = len(mails(p, ALICE))
    code, text = send(p, BAD, "eve@rej.test", make("eve@rej.test", "rej"))
    assert code == 550 and text.startswith("5.7.1"), (code, text)
    assert "rej.test" in text
    time.sleep(1)
    assert len(mails(p, ALICE)) == before, "nothing delivered"


def test_signed_but_unaligned_spf_fail_is_refused(checked):
    p = checked
    # Signed by good.test, From rej.test: DKIM passes but does not align.
    msg = sign(p, make("eve@rej.test", "unaligned"), "good.test")
    assert py_dkim(p, msg) is True
    code, text = send(p, BAD, "eve@rej.test", msg)
    assert code == 550 and "5.7.1" in text


def test_p_quarantine_goes_to_junk(checked):
    p = checked
    before = len(mails(p, ALICE))
    code, _ = send(p, BAD, "eve@quar.test", make("eve@quar.test", "quar"))
    assert code == 250
    m = newest(p, ALICE, folder="Junk")
    assert "Subject: quar" in m
    ar = authres(m)[0]
    assert result(ar, "dmarc") == "fail" and result(ar, "spf") == "fail"
    assert "p=quarantine" in ar
    assert len(mails(p, ALICE)) == before, "not in INBOX"
    assert os.path.exists(os.path.join(p.maildir(ALICE), ".Junk",
                                       "maildirfolder"))


def test_no_policy_is_delivered_with_none(checked):
    p = checked
    n = len(mails(p, ALICE))
    code, _ = send(p, BAD, "x@nop.test", make("x@nop.test", "nop"))
    assert code == 250
    ar = authres(newest(p, ALICE, n=n + 1))[0]
    assert result(ar, "spf") == "fail" and result(ar, "dkim") == "none"
    assert result(ar, "dmarc") == "none"


def test_forged_authentication_results_removed(checked):
    p = checked
    forged = ("Authentication-Results: %s; spf=pass smtp.mailfrom=x;\r\n"
              "\tdkim=pass header.d=bank.example\r\n"
              "Authentication-Results: (hi) \"LOCALHOST\"; dmarc=pass\r\n"
              "Authentication-Results: mx.other.example; spf=neutral\r\n"
              % HOST)
    msg = make("ann@good.test", "forged", extra=forged)
    n = len(mails(p, ALICE))
    code, _ = send(p, GOOD, "ann@good.test", msg)
    assert code == 250
    m = newest(p, ALICE, n=n + 1)
    ars = authres(m)
    ours = [a for a in ars if a.startswith("Authentication-Results: %s;"
                                           % HOST)]
    assert len(ours) == 1 and "bank.example" not in ours[0], ars
    assert "LOCALHOST" not in m
    assert "Authentication-Results: mx.other.example; spf=neutral" in m
    assert "removed 2 Authentication-Results" in p.smtp_log()


def test_submission_gets_no_authentication_results(checked):
    p = checked
    n = len(mails(p, ALICE))
    s = submission(p)
    s.sendmail("bob@example.test", [ALICE],
               "From: bob@example.test\r\nTo: alice@example.test\r\n"
               "Subject: sub\r\n\r\nhi\r\n")
    s.quit()
    m = [x for x in wait_mails(p, ALICE, n + 1) if "Subject: sub" in x][0]
    assert authres(m) == [], m


def test_check_role_is_sandboxed_as_the_relay_user(checked):
    p = checked
    out = subprocess.run(["ps", "-eo", "user:20,args"], capture_output=True,
                         text=True).stdout
    rows = [ln for ln in out.splitlines() if "-R check" in ln and
            p.conf in ln]
    assert len(rows) == 4, out      # "smtp check processes", default
    assert all(r.split()[0] == "_postern-relay" for r in rows), rows
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True,
                         text=True).stdout
    for ln in out.splitlines():
        if "-R check" in ln and p.conf in ln:
            root = os.readlink("/proc/%s/root" % ln.split()[0])
            assert root == os.path.join(p.dir, "empty"), root
            with open("/proc/%s/status" % ln.split()[0]) as f:
                assert re.search(r"^Seccomp:\s+2$", f.read(), re.M)
    st = os.stat(os.path.join(p.dir, "spool", "check.sock"))
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0, oct(st.st_mode)
    assert not read_log(p.smtp_logfile).count("fatal")


def test_stalled_check_role_defers_and_loses_nothing(checked):
    """A check role that does not answer (an outside review made it
    crawl with SPF records of slow names): the message is deferred with
    451 after the broker's wait, never accepted unchecked past a DMARC
    p=reject, and the next connection is checked again."""
    p = checked
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True,
                         text=True).stdout
    pids = [int(ln.split()[0]) for ln in out.splitlines()
            if "-R check" in ln and p.conf in ln]
    assert len(pids) == 4
    n = len(mails(p, ALICE))
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        code, _ = send(p, BAD, "eve@rej.test", make("eve@rej.test", "stall"))
        waited = time.time() - t0
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    assert code == 451, "deferred, neither accepted unchecked nor lost"
    assert 15 < waited < 40, waited
    assert len(mails(p, ALICE)) == n
    assert "did not answer in time" in p.smtp_log()
    # The request that waited in the stopped process is answered at once,
    # without a lookup: its broker has given up.
    deadline = time.time() + 10
    while "waited too long for its checks" not in p.smtp_log():
        assert time.time() < deadline, p.smtp_log()
        time.sleep(0.1)
    # The check processes serve the next connection again.
    code, _ = send(p, BAD, "eve@rej.test", make("eve@rej.test", "again"))
    assert code == 550


def test_unanswered_spf_name_holds_up_no_one(checked):
    """A message whose SPF record names a host that never answers: its
    checks end within the time the broker waits (temperror, deferred
    under DMARC), and the next message, on a new connection, is answered
    promptly, by the checks and not by the broker's timeout."""
    p = checked
    before = p.smtp_log().count("did not answer in time")
    t0 = time.time()
    code, text = send(p, BAD, "eve@stuck.test",
                      make("eve@stuck.test", "stuck"))
    first = time.time() - t0
    assert code == 451, (code, text, p.smtp_log())
    assert first < 18, first
    assert re.search(r"message from %s <eve@stuck.test>: .*spf=temperror"
                     % BAD, p.smtp_log()), p.smtp_log()
    # Legitimate mail right after, on the check processes: accepted at
    # once.  (libunbound takes a forwarder that did not answer in time
    # for down and fails every lookup unasked for 30 s; the resolver is
    # made anew after such a lookup, so it does not.)
    for i in range(4):
        t0 = time.time()
        msg = sign(p, make("ann@good.test", "after stuck %d" % i),
                   "good.test")
        code, text = send(p, GOOD, "ann@good.test", msg)
        second = time.time() - t0
        assert code == 250, (i, code, text, p.smtp_log())
        assert second < 8, second
    assert p.smtp_log().count("did not answer in time") == before, \
        p.smtp_log()


def test_check_role_without_resolver_defers_without_a_restart_loop():
    p = Postern()
    try:
        checks_on(p, "dns trust anchor %s/none.key\n"
                  "smtp check processes 1\n" % p.dir)
        p.start()
        p.pw = smtp_users(p)
        p.start_smtpd()
        out = subprocess.run(["ps", "-eo", "args"], capture_output=True,
                             text=True).stdout
        assert len([ln for ln in out.splitlines()
                    if "-R check" in ln and p.conf in ln]) == 1, out
        code, _ = send(p, BAD, "eve@rej.test", make("eve@rej.test", "nores"))
        assert code == 451
        assert not mails(p, ALICE)
        log = p.smtp_log()
        assert "the mail checks have no resolver" in log
        assert "deferred: the sender's DMARC policy could not be checked" \
            in log, log
        assert "restarting the daemon's roles" not in log, log
    finally:
        p.cleanup()


def test_slow_dns_is_cut_off_at_the_deadline():
    """A DNS that answers, but a quarter of a second late, for the names
    of an SPF record that makes 111 lookups (ten mx terms of ten hosts
    each: half a minute): the check process stops asking at its deadline
    (SPF at its share of it) and answers before the broker's 20 s wait
    ends (temperror, deferred under DMARC), and the next message is
    answered at once."""
    p = Postern()
    d = DnsServer(p.dir)
    slow = None
    try:
        d.zone("good.test", signed=True)
        d.add("good.test", "@", "TXT", '"v=spf1 ip4:%s -all"' % GOOD)
        d.add("good.test", "_dmarc", "TXT", '"v=DMARC1; p=reject"')
        d.zone("slow.test")
        d.add("slow.test", "@", "TXT", _txt("v=spf1 %s -all" % " ".join(
            "mx:m%d.slow.test" % i for i in range(10))))
        d.add("slow.test", "_dmarc", "TXT", '"v=DMARC1; p=reject"')
        for i in range(10):
            for j in range(10):
                d.add("slow.test", "m%d" % i, "MX",
                      "%d h%d-%d.slow.test." % (j, i, j))
                d.add("slow.test", "h%d-%d" % (i, j), "A",
                      "192.0.2.%d" % (10 * i + j + 1))
        d.start()
        slow = SlowDns(d, "slow.test", 0.25)
        checks_on(p, slow.config_lines() + CHECKS)
        p.start()
        p.pw = smtp_users(p)
        p.start_smtpd()
        t0 = time.time()
        code, _ = send(p, BAD, "eve@slow.test", make("eve@slow.test", "slow"))
        first = time.time() - t0
        log = p.smtp_log()
        assert code == 451, (code, log)
        assert "did not answer in time" not in log, log
        assert re.search(r"the checks of the message from %s <eve@slow.test> "
                         r"ran out of time" % BAD, log), log
        # SPF asks until its share of the 16 s (8 s; the rest is kept
        # for DMARC's own lookups), then the DMARC record is asked: the
        # From domain's own SPF undecided, DMARC is too.
        assert 7 < first < 16, first
        t0 = time.time()
        code, _ = send(p, GOOD, "ann@good.test",
                       make("ann@good.test", "after slow"))
        second = time.time() - t0
        assert code == 250, (code, p.smtp_log())
        assert second < 8, second
    finally:
        if slow is not None:
            slow.stop()
        d.stop()
        p.cleanup()
