"""MTA-STS (RFC 8461) and the smarthost in the relay, end to end.

MTA-STS: the relay (relay_run -D: its real resolver) asks the test DNS
(dnstest.py) for the destination's MX and its "_mta-sts" TXT record,
fetches the policy from a small HTTPS server started here (Python's ssl
module, a certificate for mta-sts.example.test from a test CA made here
with openssl; "relay ca file" is that CA, "mta-sts port" the server's
port, and the test DNS sends mta-sts.example.test to 127.0.0.1), and
delivers to a second postern smtpd as mx.example.test, whose certificate
comes from the same CA: delivered with policy "mta-sts" and a CA-verified
certificate; a certificate for another name deferred (4.7.x) and nothing
sent; an MX the policy does not list never used; mode testing delivers
over a bad certificate and says so in the log; one policy fetch for two
jobs of one relay process (the cache); a policy server that drips its
answer a byte a second: the fetch gives up at its deadline (relay_run -F
shortens it), the mail goes as without MTA-STS, and the next job of the
process does not contact that server again (the failure is remembered).

Smarthost: "relay via localhost port <the second postern's 465> tls
implicit credentials FILE": implicit TLS (RFC 8314; the default on port
465 only, and the test's port is another), the certificate verified, AUTH
PLAIN as a user of that postern, the mail in the recipient's Maildir; a
wrong password deferred with the remote's 535 text; a credentials file
others may read refused; the password never in a log.

Every server started here is stopped by this test (the HTTPS server is a
thread of the test; unbound and smtpd are the fixtures')."""
import http.server
import os
import shutil
import ssl
import threading
import time

import pytest

import dnstest
from conftest import ALICE, BOB, free_port
from loopserver import LoopServer
from test_relay import relay
from test_smtp import smtp, smtp_users, wait_mails, mails  # noqa: F401
from test_tls_client import make_ca, make_leaf

POLICY = ("version: STSv1\r\nmode: %s\r\nmx: %s\r\n"
          "max_age: 86400\r\n")


class PolicyServer:
    """HTTPS on 127.0.0.1: /.well-known/mta-sts.txt answers body
    (text/plain), anything else 404; fetches counts the policy GETs."""

    def __init__(self, certdir, name, body):
        self.body = body.encode()
        self.fetches = 0
        self.hosts = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/.well-known/mta-sts.txt":
                    self.send_error(404)
                    return
                server.fetches += 1
                server.hosts.append(self.headers.get("Host"))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1",
                                                      self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certdir, name + ".pem"),
                            os.path.join(certdir, name + ".key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


class DripPolicyServer(LoopServer):
    """HTTPS on 127.0.0.1 that reads the request and then drips a valid
    policy answer one byte a second; connections counts the TCP
    connections it accepted."""

    def __init__(self, certdir, name, body):
        self.answer = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                       "Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                       % (len(body), body)).encode()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(certdir, name + ".pem"),
                                 os.path.join(certdir, name + ".key"))
        super().__init__()

    def serve(self, conn):
        try:
            t = self.ctx.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = t.recv(1024)
                if not chunk:
                    return
                head += chunk
            self.drip(t.sendall, self.answer)
        except ssl.SSLError:
            pass


@pytest.fixture
def pki(tmp_path):
    """A test CA and leaves: mta-sts.example.test (the policy server),
    mx.example.test (the MX), other.example.test (a wrong name)."""
    d = str(tmp_path / "pki")
    os.mkdir(d)
    make_ca(d, "ca", "Postern Test CA")
    for leaf in ("mta-sts.example.test", "mx.example.test",
                 "other.example.test"):
        make_leaf(d, leaf, "ca", [leaf])
    return d


def mx_smtpd(postern, pki, leaf):
    """The second postern's smtpd with the CA's certificate for leaf."""
    shutil.copy(os.path.join(pki, leaf + ".pem"),
                os.path.join(postern.dir, "cert.pem"))
    shutil.copy(os.path.join(pki, leaf + ".key"),
                os.path.join(postern.dir, "key.pem"))
    os.chmod(os.path.join(postern.dir, "key.pem"), 0o600)
    postern.pw = smtp_users(postern)
    postern.start_smtpd()
    return postern


@pytest.fixture
def remote(postern, pki):
    """A factory: start_remote(leaf) starts the MX; stopped at the end."""
    started = []

    def start(leaf):
        started.append(mx_smtpd(postern, pki, leaf))
        return postern
    yield start
    for p in started:
        p.stop_smtpd()
        log = p.smtp_log()
        assert "AddressSanitizer" not in log and \
            "runtime error" not in log, log


@pytest.fixture
def dns(tmp_path):
    d = dnstest.DnsServer(str(tmp_path))
    yield d
    d.stop()


@pytest.fixture
def policy_server(pki):
    servers = []

    def start(body):
        s = PolicyServer(pki, "mta-sts.example.test", body)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()


def zone(dns, mxs, txt_id="20261130"):
    """example.test (signed, without TLSA records: no DANE): mxs [(pref,
    host)], each host and mta-sts at 127.0.0.1, and the _mta-sts TXT
    record."""
    dns.zone("example.test", signed=True)
    for pref, host in mxs:
        dns.add("example.test", "@", "MX", "%d %s." % (pref, host))
        dns.add("example.test", host + ".", "A", "127.0.0.1")
    dns.add("example.test", "mta-sts", "A", "127.0.0.1")
    dns.add("example.test", "_mta-sts", "TXT",
            '"v=STSv1; id=%s"' % txt_id)
    dns.start()


def run(p, dns, tmp_path, pki, server, jobs=1, args=()):
    extra = dns.config_lines() + "relay ca file %s/ca.pem\n" \
        "mta-sts port %d\n" % (pki, server.port)
    records = [["-n", str(jobs)]] if jobs > 1 else []
    records += [list(args)] if args else []
    return relay(p, b"Subject: sts\r\n\r\nsts\r\n", [ALICE], records,
                 tmp_path, domain="example.test", extra=extra,
                 real_dns=True)


def test_enforce_delivers_verified_and_caches(remote, dns, policy_server,
                                              pki, tmp_path):
    p = remote("mx.example.test")
    zone(dns, [(10, "mx.example.test")])
    server = policy_server(POLICY % ("enforce", "mx.example.test"))
    res, done, log = run(p, dns, tmp_path, pki, server, jobs=2)
    assert len(res) == 2, (res, log)
    assert [r[0] for r in res] == [0, 0], (res, log)
    assert done[0] == "mx.example.test" and done[3] == "mta-sts", done
    assert "CA verified" in done[4], done
    assert "policy mta-sts" in log, log
    assert server.fetches == 1, "two jobs, one fetch (cached): %d" % \
        server.fetches
    assert server.hosts == ["mta-sts.example.test"], server.hosts
    assert "MTA-STS policy id 20261130 fetched: mode enforce" in log, log
    assert len(wait_mails(p, ALICE, 2)) == 2


def test_enforce_wrong_certificate_deferred(remote, dns, policy_server,
                                            pki, tmp_path):
    p = remote("other.example.test")
    zone(dns, [(10, "mx.example.test")])
    server = policy_server(POLICY % ("enforce", "mx.example.test"))
    res, done, log = run(p, dns, tmp_path, pki, server)
    assert res[0][0] == 1 and res[0][2].startswith("4.7."), (res, log)
    assert server.fetches == 1
    time.sleep(1)
    assert not mails(p, ALICE), "never in plaintext"
    assert "policy mta-sts" in log or "TLS" in res[0][3], (res, log)


def test_enforce_mx_not_in_policy_not_used(remote, dns, policy_server,
                                           pki, tmp_path):
    p = remote("mx.example.test")
    # The preferred MX is not in the policy: skipped for the listed one.
    zone(dns, [(5, "rogue.example.test"), (10, "mx.example.test")])
    server = policy_server(POLICY % ("enforce", "mx.example.test"))
    res, done, log = run(p, dns, tmp_path, pki, server)
    assert res[0][0] == 0, (res, log)
    assert done[0] == "mx.example.test" and done[3] == "mta-sts", done
    assert "not an MX host the MTA-STS policy allows for " \
        "rogue.example.test" in log, log
    assert "host rogue.example.test" not in log, log
    assert wait_mails(p, ALICE)


def test_enforce_only_unlisted_mx_deferred(remote, dns, policy_server,
                                           pki, tmp_path):
    p = remote("mx.example.test")
    zone(dns, [(10, "rogue.example.test")])
    server = policy_server(POLICY % ("enforce", "mx.example.test"))
    res, done, log = run(p, dns, tmp_path, pki, server)
    assert res[0][:3] == (1, 0, "4.7.5"), (res, log)
    assert done[0] == "-", done
    time.sleep(1)
    assert not mails(p, ALICE)


def test_testing_mode_delivers_over_a_bad_certificate(remote, dns,
                                                      policy_server, pki,
                                                      tmp_path):
    p = remote("other.example.test")
    zone(dns, [(10, "mx.example.test")])
    server = policy_server(POLICY % ("testing", "mx.example.test"))
    res, done, log = run(p, dns, tmp_path, pki, server)
    assert res[0][0] == 0, (res, log)
    assert done[3] == "mta-sts-testing" and "unverified" in done[4], done
    assert "MTA-STS (testing): TLS with mx.example.test was" in log and \
        "mode enforce would defer the mail" in log, log
    assert wait_mails(p, ALICE)


def test_policy_fetch_fails_delivers_without_mtasts(remote, dns, pki,
                                                    tmp_path):
    """A TXT record and no policy server: as without MTA-STS (§5)."""
    p = remote("other.example.test")
    zone(dns, [(10, "mx.example.test")])

    class Closed:
        port = free_port()
    res, done, log = run(p, dns, tmp_path, pki, Closed)
    assert res[0][0] == 0, (res, log)
    assert done[3] == "opportunistic", done
    assert "could not be fetched" in log and \
        "delivered as without MTA-STS" in log, log
    assert wait_mails(p, ALICE)


def test_dripping_policy_server_one_fetch(remote, dns, pki, tmp_path):
    """A policy server that drips its (valid, enforce) answer a byte a
    second: the fetch gives up at its deadline (4 s here, -F) instead of
    a timeout per read, the two jobs go as without MTA-STS, and the
    second job does not contact the policy server: the failure is
    remembered (RFC 8461 §3.3), and logged once."""
    p = remote("other.example.test")
    zone(dns, [(10, "mx.example.test")])
    server = DripPolicyServer(pki, "mta-sts.example.test",
                              POLICY % ("enforce", "mx.example.test"))
    try:
        t0 = time.time()
        res, done, log = run(p, dns, tmp_path, pki, server, jobs=2,
                             args=["-F", "4000"])
        took = time.time() - t0
    finally:
        server.stop()
    assert [r[0] for r in res] == [0, 0], (res, log)
    assert done[3] == "opportunistic", done
    assert server.connections == 1, server.connections
    assert log.count("could not be fetched") == 1, log
    assert "could not be fetched: no policy within the 4 s allowed; " \
        "delivered as without MTA-STS (no new fetch for 5 minutes)" in log, \
        log
    assert 3.5 < took < 20, took
    assert len(wait_mails(p, ALICE, 2)) == 2


def test_unanswered_sts_record_looked_up_once(remote, dns, pki, tmp_path):
    """A domain whose _mta-sts TXT lookup is never answered: the two jobs
    go as without MTA-STS, and the second does not wait for the lookup
    again (each job waited for it before: a slow DNS cost every message
    its timeout)."""
    p = remote("other.example.test")
    dns.deny("_mta-sts.example.test")
    zone(dns, [(10, "mx.example.test")])

    class Closed:
        port = free_port()
    res, done, log = run(p, dns, tmp_path, pki, Closed, jobs=2)
    assert [r[0] for r in res] == [0, 0], (res, log)
    assert done[3] == "opportunistic", done
    assert log.count("the MTA-STS record could not be looked up; "
                     "delivered as without MTA-STS (no new lookup for 5 "
                     "minutes)") == 1, log
    assert "could not be fetched" not in log, log
    assert len(wait_mails(p, ALICE, 2)) == 2


# --- the smarthost ---------------------------------------------------------

def smarthost(p, tmp_path, password, mode=0o600):
    """relay_run through p's port 465 as bob, to alice."""
    cred = tmp_path / "smarthost.cred"
    cred.write_text("%s %s\n" % (BOB, password))
    os.chmod(str(cred), mode)
    extra = ("relay via localhost port %d tls implicit credentials %s\n"
             "relay ca file %s/cert.pem\n" % (p.subm_port, cred, p.dir))
    return relay(p, b"From: bob@example.test\r\nSubject: via\r\n\r\nvia\r\n",
                 [ALICE], [["-a", "localhost=127.0.0.1"]], tmp_path,
                 sender=BOB, domain="example.test", extra=extra)


def test_smarthost_submissions_auth(smtp, tmp_path):
    p = smtp
    res, done, log = smarthost(p, tmp_path, p.pw[BOB])
    assert res[0][0] == 0 and res[0][1] == 250, (res, log)
    assert done[0] == "localhost" and done[3] == "smarthost", done
    assert "CA verified" in done[4], done
    got = wait_mails(p, ALICE)[0]
    assert "Subject: via" in got
    assert p.pw[BOB] not in log
    assert p.pw[BOB] not in p.smtp_log()


def test_smarthost_wrong_password_deferred(smtp, tmp_path):
    p = smtp
    wrong = "Wrong-" + p.pw[BOB][::-1]
    res, done, log = smarthost(p, tmp_path, wrong)
    assert res[0][0] == 1 and res[0][1] == 535, (res, log)
    assert res[0][2] == "4.7.8", res
    assert "535" in log and "Authentication credentials invalid" in \
        res[0][3], (res, log)
    assert wrong not in log and wrong not in p.smtp_log()
    time.sleep(1)
    assert not mails(p, ALICE)


def test_smarthost_credentials_readable_by_others_refused(smtp, tmp_path):
    p = smtp
    res, done, log = smarthost(p, tmp_path, p.pw[BOB], mode=0o644)
    assert res[0][:3] == (1, 0, "4.7.8"), (res, log)
    assert "others cannot read" in log, log
    assert p.pw[BOB] not in log
    assert not mails(p, ALICE)
