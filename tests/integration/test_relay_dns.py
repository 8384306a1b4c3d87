"""The relay role with its real resolver (libunbound, DNSSEC-validating)
against the test DNS (dnstest.py: unbound serving signed and unsigned
zones on loopback) and a second postern smtpd as the MX: MX lookup,
null MX, NXDOMAIN, and DANE (RFC 7672): a TLSA record of the server's
key in a signed zone makes verified TLS mandatory and succeeds; a TLSA
record of another key defers the mail."""
import hashlib
import os
import subprocess

import pytest

import dnstest
from conftest import ALICE
from test_relay import relay
from test_smtp import smtp, wait_mails, mails  # noqa: F401



def spki_sha256(cert):
    """SHA-256 of the certificate's SubjectPublicKeyInfo (TLSA 3 1 1)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout",
                          "-pubkey"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()


@pytest.fixture
def dns(tmp_path):
    d = dnstest.DnsServer(str(tmp_path))
    yield d
    d.stop()


def run(p, dns, tmp_path, domain, rcpts=(ALICE,)):
    extra = dns.config_lines()
    res, done, log = relay(p, b"Subject: dns\r\n\r\nx\r\n", list(rcpts), [],
                           tmp_path, domain=domain, extra=extra,
                           real_dns=True)
    return res, done, log


def zones(p, dns, tlsa):
    """example.test (signed): MX mx.example.test, 127.0.0.1, and the
    TLSA record tlsa (None: none); nullmx.test: a null MX."""
    dns.zone("example.test", signed=True)
    dns.add("example.test", "@", "MX", "10 mx.example.test.")
    dns.add("example.test", "mx", "A", "127.0.0.1")
    if tlsa is not None:
        dns.add("example.test", "_%d._tcp.mx" % p.smtp_port, "TLSA", tlsa)
    dns.zone("nullmx.test", signed=True)
    dns.add("nullmx.test", "@", "MX", "0 .")
    dns.start()


def test_dane_ee(smtp, dns, tmp_path):
    p = smtp
    zones(p, dns, "3 1 1 " + spki_sha256(os.path.join(p.dir, "cert.pem")))
    res, done, log = run(p, dns, tmp_path, "example.test")
    assert res[0][0] == 0, (res, log)
    assert done[3] == "dane" and "DANE-EE verified" in done[4], done
    assert wait_mails(p, ALICE)


def test_dane_mismatch_deferred(smtp, dns, tmp_path):
    p = smtp
    zones(p, dns, "3 1 1 " + "00" * 32)
    res, done, log = run(p, dns, tmp_path, "example.test")
    assert res[0][0] == 1 and res[0][2].startswith("4.7."), (res, log)
    assert not mails(p, ALICE)


def test_no_dane_opportunistic(smtp, dns, tmp_path):
    p = smtp
    zones(p, dns, None)
    res, done, log = run(p, dns, tmp_path, "example.test")
    assert res[0][0] == 0, (res, log)
    assert done[3] == "opportunistic", done


def test_null_mx_and_nxdomain(smtp, dns, tmp_path):
    p = smtp
    zones(p, dns, None)
    res, _, log = run(p, dns, tmp_path, "nullmx.test", ["a@nullmx.test"])
    assert res[0][:3] == (2, 0, "5.1.10"), (res, log)
    res, _, log = run(p, dns, tmp_path, "nx.example.test",
                      ["a@nx.example.test"])
    assert res[0][:3] == (2, 0, "5.1.2"), (res, log)
