"""The outbound TLS policies through the whole smtpd: bob submits on
465, the queue hands the remote recipients to the relay, which resolves
them against the test DNS (dnstest.py), fetches MTA-STS policies from an
HTTPS server of the test (test_relay_mtasts.PolicyServer) and delivers
to "the remote", a second postern that takes mail for every test domain
with one certificate from a test CA made here.  The relay trusts that CA
("relay ca file"); the certificate names mx.sts.test, mx.both.test,
mx.bothbad.test, rogue.stsrogue.test and smtp.hub.test, and not
mx.stsbad.test.  Every *sts* and *both* domain publishes a "_mta-sts"
TXT record and one enforce policy that lists mx.<domain>.

Covered (test_relay_mtasts.py has the same policies through relay_run;
test_outbound.py delivery, DANE alone and the retries):
  - MTA-STS enforce: sts.test (unsigned) delivered with policy mta-sts
    over a CA-verified certificate; stsbad.test, whose MX's certificate
    does not name it, not delivered: the handshake was tried (the
    remote logged it failing), the mail waits with 4.7.5 and queue show
    says TLS policy mta-sts; stsrogue.test, whose only MX the policy
    does not list, waits without that host ever being asked;
  - DANE before MTA-STS (RFC 8461 §2): both.test (signed, a TLSA record
    of the remote's key) delivered with policy dane, DANE-EE;
    bothbad.test (a TLSA record of another key, a policy MTA-STS alone
    would deliver under) waits with policy dane; neither policy is
    fetched;
  - the smarthost: "relay via smtp.hub.test port <the remote's 465>
    tls implicit for viahub.test credentials FILE": mail to viahub.test
    (a domain without DNS records: only the smarthost can take it)
    arrives through the remote's submission port with AUTH as the
    remote's bob, and mail to direct.test goes to its MX; a second
    sender with "relay via" for every domain sends direct.test's mail
    through the smarthost and keeps its own domain's; the password is
    in no log.

The DNS server, the policy server, the remote and each sender are shared
by the module: every test uses recipients and subjects of its own."""
import os
import tempfile
import types

import pytest

import dnstest
from conftest import ALICE, BOB, Postern
from test_outbound import (queue_show, rcpt_state, received_lines, release,
                           spki_sha256, start_remote, stop_checked, submit,
                           wait_for, wait_gone, with_subject)
from test_relay_mtasts import POLICY, PolicyServer
from test_smtp import mails
from test_tls_client import make_ca, make_leaf

SAM = "sam@sts.test"            # MTA-STS enforce, listed MX, good certificate
SID = "sid@stsbad.test"         # MTA-STS enforce, certificate of other names
BEA = "bea@both.test"           # TLSA records and an MTA-STS policy
BEN = "ben@bothbad.test"        # TLSA of another key, a policy it meets
ROY = "roy@stsrogue.test"       # MTA-STS enforce, the MX not listed
VIC = "vic@viahub.test"         # through the smarthost
DAN = "dan@direct.test"         # beside the smarthost: direct to the MX

STS_ID = "20261130e2e"
REMOTE_HEAD = ("hostname smtp.hub.test\ndomain sts.test\n"
               "domain stsbad.test\ndomain both.test\ndomain bothbad.test\n"
               "domain stsrogue.test\ndomain viahub.test\n"
               "domain direct.test\ndomain example.test\n")
REMOTE_NAMES = ["mx.sts.test", "mx.both.test", "mx.bothbad.test",
                "rogue.stsrogue.test", "smtp.hub.test"]
STS_DOMAINS = ("sts.test", "stsbad.test", "both.test", "bothbad.test",
               "stsrogue.test")
DANE_DOMAINS = ("both.test", "bothbad.test")


@pytest.fixture(scope="module")
def net():
    """The sender (bob; "relay via" the remote for viahub.test), the
    remote, the policy server, the DNS server, the CA file and the
    smarthost credentials file."""
    top = tempfile.mkdtemp(prefix="postern-pol-", dir="/tmp")
    os.chmod(top, 0o755)
    make_ca(top, "ca", "Postern Outbound Policy Test CA")
    make_leaf(top, "remote", "ca", REMOTE_NAMES)
    make_leaf(top, "mta-sts", "ca", ["mta-sts." + d for d in STS_DOMAINS])
    started, dns, server = [], None, None
    try:
        remote = start_remote(started, REMOTE_HEAD,
                              os.path.join(top, "remote.pem"),
                              os.path.join(top, "remote.key"),
                              (SAM, SID, BEA, BEN, ROY, VIC, DAN, BOB))
        # One policy for every domain, listing each one's mx.<domain>.
        server = PolicyServer(top, "mta-sts", POLICY % (
            "enforce", "\r\nmx: ".join("mx." + d for d in STS_DOMAINS)))

        dns = dnstest.DnsServer(top)
        for z in STS_DOMAINS:
            mx = "rogue" if z == "stsrogue.test" else "mx"
            dns.zone(z, signed=z in DANE_DOMAINS)
            dns.add(z, "@", "MX", "10 %s.%s." % (mx, z))
            dns.add(z, mx, "A", "127.0.0.1")
            dns.add(z, "mta-sts", "A", "127.0.0.1")
            dns.add(z, "_mta-sts", "TXT", '"v=STSv1; id=%s"' % STS_ID)
        dns.add("both.test", "_%d._tcp.mx" % remote.smtp_port, "TLSA",
                "3 1 1 " + spki_sha256(os.path.join(top, "remote.pem")))
        dns.add("bothbad.test", "_%d._tcp.mx" % remote.smtp_port, "TLSA",
                "3 1 1 " + spki_sha256(os.path.join(top, "ca.pem")))
        dns.zone("direct.test")
        dns.add("direct.test", "@", "MX", "10 mx.direct.test.")
        dns.add("direct.test", "mx", "A", "127.0.0.1")
        dns.zone("hub.test")
        dns.add("hub.test", "smtp", "A", "127.0.0.1")
        dns.start()

        net = types.SimpleNamespace(
            remote=remote, server=server, dns=dns,
            ca=os.path.join(top, "ca.pem"),
            cred=os.path.join(top, "smarthost.cred"))
        with open(net.cred, "w") as f:
            f.write("%s %s\n" % (BOB, remote.pw[BOB]))
        os.chmod(net.cred, 0o600)
        net.sender = start_sender(started, net, "for viahub.test ")
        yield net
        stop_checked(started)
    finally:
        release(started, top, server, dns)


@pytest.fixture(scope="module")
def hub_sender(net):
    """A second sender (bob, alice) whose only way out is the smarthost:
    "relay via" without "for"."""
    started = []
    try:
        yield start_sender(started, net, "", (ALICE,))
        stop_checked(started)
    finally:
        for p in started:
            p.cleanup()


# --- helpers -----------------------------------------------------------------

def start_sender(started, net, via_for, others=()):
    """A sending postern pointed at net's DNS, CA, policy server and
    remote, with "relay via" the remote's 465 as its bob ("for DOMAIN "
    in via_for, or ""); bob (his password in .pw) and others as users;
    appended to started before anything runs."""
    sender = Postern(extra=net.dns.config_lines() + (
        "relay port %d\nrelay ca file \"%s\"\nmta-sts port %d\n"
        "relay processes 1\n"
        "relay via smtp.hub.test port %d tls implicit %scredentials "
        "\"%s\"\n" % (net.remote.smtp_port, net.ca, net.server.port,
                       net.remote.subm_port, via_for, net.cred)))
    started.append(sender)
    sender.start()
    sender.pw = {BOB: sender.add_user(BOB)}
    for u in others:
        sender.add_user(u)
    sender.start_smtpd()
    return sender


def delivered_line(p, qid, rcpt):
    """The queue's one "delivered" log line for rcpt of message qid."""
    lines = [l for l in p.smtp_log().splitlines()
             if "message %s delivered to %s " % (qid, rcpt) in l]
    assert len(lines) == 1, p.smtp_log()
    return lines[0]


def relay_lines(p, qid):
    """The relay's log lines about the job of message qid."""
    return [l for l in p.smtp_log().splitlines()
            if " %s to " % qid in l]


def waiting(p, qid, rcpt):
    """queue show's lines about rcpt of qid once its first attempt
    failed for now."""
    return wait_for(
        lambda: "a deferral of %s: %s\n%s" % (qid, queue_show(p, qid),
                                              p.smtp_log()),
        lambda: (lambda s: s if s and "waiting, 1 attempt" in s else None)(
            rcpt_state(p, qid, rcpt)))


REFUSED = "TLS handshake failed"


def refused_once(remote, before):
    """The remote logged one more handshake that failed than before."""
    wait_for(lambda: "the remote's log of the refused handshake: " +
             remote.smtp_log(),
             lambda: remote.smtp_log().count(REFUSED) > before)
    assert remote.smtp_log().count(REFUSED) == before + 1, remote.smtp_log()


def arrived(sender, remote, rcpt, subject):
    """The one message with subject in rcpt's Maildir at the remote."""
    got = wait_for(lambda: "%s's message: %s" % (rcpt, sender.smtp_log()),
                   lambda: with_subject(remote, rcpt, subject))
    assert len(got) == 1, got
    return got[0]


# --- the tests ---------------------------------------------------------------

def test_mtasts_enforce_delivered_verified(net):
    sender, remote, server = net.sender, net.remote, net.server
    qid = submit(sender, SAM, "pol sts ok")
    arrived(sender, remote, SAM, "pol sts ok")
    wait_gone(sender, qid)
    line = delivered_line(sender, qid, SAM)
    assert "via mx.sts.test [127.0.0.1] (mta-sts, TLSv1." in line, line
    assert "CA verified" in line, line
    assert "mta-sts.sts.test" in server.hosts, server.hosts
    log = "\n".join(relay_lines(sender, qid))
    assert "MTA-STS policy id %s fetched: mode enforce" % STS_ID in log, log
    assert "host mx.sts.test [127.0.0.1], TLS " in log and \
        "policy mta-sts: 1 sent" in log, log


def test_mtasts_enforce_wrong_certificate_waits(net):
    sender, remote, server = net.sender, net.remote, net.server
    before = remote.smtp_log().count(REFUSED)
    qid = submit(sender, SID, "pol sts bad cert")
    state = waiting(sender, qid, SID)
    answer = [l for l in state.splitlines() if l.startswith("last ")]
    assert answer, state
    assert "last answer from mx.stsbad.test: 4.7.5 TLS handshake failed" \
        in answer[0], state
    assert "TLS policy mta-sts, " in state, state
    # The policy was fetched and the handshake really tried: the relay
    # greeted the MX and asked for STARTTLS; the remote saw it fail.
    assert "mta-sts.stsbad.test" in server.hosts, server.hosts
    log = "\n".join(relay_lines(sender, qid))
    assert "host mx.stsbad.test [127.0.0.1]" in log and \
        "policy mta-sts: 0 sent, 1 deferred" in log, log
    refused_once(remote, before)
    # Never delivered, not in plaintext either.
    assert not mails(remote, SID)
    assert "delivered to %s" % SID not in sender.smtp_log()


def test_mtasts_enforce_unlisted_mx_waits(net):
    sender, remote, server = net.sender, net.remote, net.server
    qid = submit(sender, ROY, "pol sts unlisted mx")
    state = waiting(sender, qid, ROY)
    assert "last error: 4.7.5 not an MX host the MTA-STS policy allows " \
        "for rogue.stsrogue.test" in state, state
    assert "mta-sts.stsrogue.test" in server.hosts, server.hosts
    log = "\n".join(relay_lines(sender, qid))
    assert "to <%s>: deferred: 4.7.5 not an MX host" % ROY in log, log
    # The host was never asked (its certificate would have done).
    assert "host rogue.stsrogue.test [" not in log, log
    assert not mails(remote, ROY)


def test_dane_before_mtasts(net):
    sender, remote, server = net.sender, net.remote, net.server
    qid = submit(sender, BEA, "pol dane and sts")
    m = arrived(sender, remote, BEA, "pol dane and sts")
    assert "ESMTPS" in received_lines(m)[0], m
    wait_gone(sender, qid)
    line = delivered_line(sender, qid, BEA)
    assert "via mx.both.test [127.0.0.1] (dane, TLSv1." in line, line
    assert "DANE-EE verified" in line, line
    # RFC 8461 §2: with TLSA records the MTA-STS policy is not needed
    # for the decision; this relay does not even fetch it.
    assert "mta-sts.both.test" not in server.hosts, server.hosts
    log = "\n".join(relay_lines(sender, qid))
    assert "MTA-STS" not in log and "policy dane: 1 sent" in log, log


def test_dane_mismatch_not_saved_by_mtasts(net):
    """bothbad.test's TLSA record is of another key; its MTA-STS policy
    lists its MX, whose certificate the CA signed: DANE decides, and
    the mail waits."""
    sender, remote, server = net.sender, net.remote, net.server
    before = remote.smtp_log().count(REFUSED)
    qid = submit(sender, BEN, "pol dane bad sts good")
    state = waiting(sender, qid, BEN)
    assert "last answer from mx.bothbad.test: 4.7.5 TLS handshake " \
        "failed: the server's certificate was refused: no TLSA record " \
        "matches" in state, state
    assert "TLS policy dane, " in state, state
    refused_once(remote, before)
    assert "mta-sts.bothbad.test" not in server.hosts, server.hosts
    assert not mails(remote, BEN)


def test_smarthost_for_one_domain(net):
    sender, remote = net.sender, net.remote
    password = remote.pw[BOB]
    via = submit(sender, VIC, "pol via smarthost")
    direct = submit(sender, DAN, "pol direct")
    m = arrived(sender, remote, VIC, "pol via smarthost")
    # It came in on the remote's submission port, as its bob.
    rec = received_lines(m)[0]
    assert "ESMTPSA" in rec, rec
    arrived(sender, remote, DAN, "pol direct")
    wait_gone(sender, via)
    wait_gone(sender, direct)
    line = delivered_line(sender, via, VIC)
    assert "via smtp.hub.test [127.0.0.1] (smarthost, TLSv1." in line, line
    assert "CA verified" in line, line
    line = delivered_line(sender, direct, DAN)
    assert "via mx.direct.test [127.0.0.1] (opportunistic, " in line, line
    rec = received_lines(with_subject(remote, DAN, "pol direct")[0])[0]
    assert "ESMTPS" in rec and "ESMTPSA" not in rec, rec
    for p in (sender, remote):
        for log in (p.smtp_log(), p.log()):
            assert password not in log
    assert password not in m


def test_smarthost_for_every_domain(net, hub_sender):
    sender, remote = hub_sender, net.remote
    qid = submit(sender, DAN, "pol all via hub")
    local = submit(sender, ALICE, "pol all local")
    m = arrived(sender, remote, DAN, "pol all via hub")
    assert "ESMTPSA" in received_lines(m)[0], m
    wait_gone(sender, qid)
    line = delivered_line(sender, qid, DAN)
    assert "via smtp.hub.test [127.0.0.1] (smarthost, TLSv1." in line, line
    # The server's own domains stay here.
    got = wait_for(lambda: "alice's message: " + sender.smtp_log(),
                   lambda: with_subject(sender, ALICE, "pol all local"))
    assert len(got) == 1, got
    wait_gone(sender, local)
    assert "delivered to %s via" % ALICE not in sender.smtp_log()
    for p in (sender, remote):
        for log in (p.smtp_log(), p.log()):
            assert remote.pw[BOB] not in log
