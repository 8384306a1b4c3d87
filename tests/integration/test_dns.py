"""test_dns.py: the resolver (common/dns.c on libunbound) end to end,
through `authctl dns check DOMAIN` against the test DNS of dnstest.py:
secure answers under a signed zone, insecure under an unsigned one, bogus
when the trust anchor names another key, no such domain, the null MX,
TLSA records, a record changed between two runs, and the errors an
administrator gets for a missing anchor file or a server that is down.
Then the resolver under seccomp (tests/tools/dns_query -s): the list of
system calls dns.h gives the relay is complete.
"""
import os
import signal
import subprocess

import pytest

from conftest import BUILD, Postern
from dnstest import DnsServer

DNS_QUERY = os.path.join(BUILD, "tests", "tools", "dns_query")

TLSA_HEX = "9f" * 32


@pytest.fixture(scope="module")
def dns():
    p = Postern()
    d = DnsServer(p.dir)
    d.zone("sec.test", signed=True)
    d.zone("plain.test")
    d.add("sec.test", "@", "MX", "10 mx.sec.test.")
    d.add("sec.test", "@", "MX", "20 mx.plain.test.")
    d.add("sec.test", "mx", "A", "127.0.0.21")
    d.add("sec.test", "mx", "AAAA", "2001:db8::21")
    d.add("sec.test", "_25._tcp.mx", "TLSA", "3 1 1 " + TLSA_HEX)
    d.add("sec.test", "@", "TXT", '"v=spf1 " "ip4:127.0.0.21 -all"')
    d.add("sec.test", "@", "TXT", '"site-verification=abc"')
    d.add("sec.test", "_dmarc", "TXT", '"v=DMARC1; p=reject"')
    d.add("sec.test", "_mta-sts", "TXT", '"v=STSv1; id=20261130"')
    d.add("sec.test", "nomx", "A", "127.0.0.23")
    d.add("sec.test", "null", "MX", "0 .")
    d.add("plain.test", "@", "MX", "5 mx.plain.test.")
    d.add("plain.test", "mx", "A", "127.0.0.22")
    d.add("plain.test", "null", "MX", "0 .")
    # Larger than a UDP answer may be: the resolver retries over TCP.
    d.add("plain.test", "big", "TXT",
          " ".join('"%s"' % ("x" * 250) for _ in range(12)))
    for i in range(40):
        d.add("plain.test", "many", "MX", "%d mx%02d.many.plain.test." % (i, i))
    d.start()
    p.write_config(d.config_lines())
    yield p, d
    d.stop()
    p.cleanup()


def check(p, domain):
    return p.authctl("dns", "check", domain, check=False)


def lines(r):
    return r.stdout.splitlines()


def test_signed_zone_is_secure(dns):
    p, d = dns
    r = check(p, "sec.test")
    assert r.returncode == 0, r.stdout + r.stderr
    out = lines(r)
    assert "sec.test MX 10 mx.sec.test (DNSSEC: secure)" in out
    assert "sec.test MX 20 mx.plain.test (DNSSEC: secure)" in out
    assert "mx.sec.test A 127.0.0.21 (DNSSEC: secure)" in out
    assert "mx.sec.test AAAA 2001:db8::21 (DNSSEC: secure)" in out
    assert ("_25._tcp.mx.sec.test TLSA 3 1 1 %s (DNSSEC: secure)"
            % TLSA_HEX) in out
    assert 'sec.test TXT "v=spf1 ip4:127.0.0.21 -all" (DNSSEC: secure)' \
        in out
    # Only the SPF record of the domain's TXT records is shown.
    assert not any("site-verification" in ln for ln in out)
    assert '_dmarc.sec.test TXT "v=DMARC1; p=reject" (DNSSEC: secure)' \
        in out
    assert ('_mta-sts.sec.test TXT "v=STSv1; id=20261130" '
            '(DNSSEC: secure)') in out
    # The MX hosts come in preference order, each with its records.
    assert out.index("sec.test MX 10 mx.sec.test (DNSSEC: secure)") < \
        out.index("sec.test MX 20 mx.plain.test (DNSSEC: secure)")


def test_unsigned_zone_is_insecure(dns):
    p, d = dns
    r = check(p, "plain.test")
    assert r.returncode == 0, r.stdout + r.stderr
    out = lines(r)
    assert "plain.test MX 5 mx.plain.test (DNSSEC: insecure)" in out
    assert "mx.plain.test A 127.0.0.22 (DNSSEC: insecure)" in out
    assert "mx.plain.test AAAA: no record (DNSSEC: insecure)" in out
    assert "_25._tcp.mx.plain.test TLSA: no such name (DNSSEC: insecure)" \
        in out
    assert not any("secure)" in ln and "insecure" not in ln for ln in out)


def test_mixed_mx_hosts_keep_their_own_status(dns):
    p, d = dns
    out = lines(check(p, "sec.test"))
    assert "mx.plain.test A 127.0.0.22 (DNSSEC: insecure)" in out


def test_null_mx(dns):
    p, d = dns
    for domain, status in (("null.sec.test", "secure"),
                           ("null.plain.test", "insecure")):
        r = check(p, domain)
        assert r.returncode == 0, r.stdout + r.stderr
        out = lines(r)
        assert ("%s MX: null MX, the domain accepts no mail (DNSSEC: %s)"
                % (domain, status)) in out
        assert not any(" A " in ln for ln in out)


def test_more_mx_than_kept(dns):
    p, d = dns
    r = check(p, "many.plain.test")
    out = lines(r)
    mx = [ln for ln in out if ln.startswith("many.plain.test MX ")]
    assert len(mx) == 32, out
    assert "many.plain.test MX: more records than the 32 shown" in out
    # The mail hosts do not exist: each says so, and that is an answer.
    for ln in mx:
        host = ln.split()[3]
        assert "%s A: no such name (DNSSEC: insecure)" % host in out
    assert r.returncode == 0, r.stderr


def test_no_mx_falls_back_to_the_domain(dns):
    p, d = dns
    r = check(p, "nomx.sec.test")
    assert r.returncode == 0, r.stdout + r.stderr
    out = lines(r)
    assert "nomx.sec.test MX: no record (DNSSEC: secure)" in out
    assert "nomx.sec.test A 127.0.0.23 (DNSSEC: secure)" in out


def test_nxdomain(dns):
    p, d = dns
    for domain, status in (("nx.sec.test", "secure"),
                           ("nx.plain.test", "insecure")):
        r = check(p, domain)
        assert r.returncode == 1
        assert ("%s MX: no such name (DNSSEC: %s)" % (domain, status)) \
            in lines(r)
        assert "authctl: %s: no such domain" % domain in r.stderr


def test_name_outside_the_zones_fails_at_once(dns):
    p, d = dns
    r = check(p, "example.com")
    assert r.returncode == 1
    assert "example.com MX: lookup failed: temporary failure" in r.stdout
    assert "authctl: example.com: " in r.stderr


def test_wrong_anchor_is_bogus(dns):
    p, d = dns
    p.write_config(d.config_lines(d.wrong_anchor_file()))
    try:
        r = check(p, "sec.test")
        assert r.returncode == 1
        assert "sec.test MX: lookup failed: DNSSEC validation failed" \
            in r.stdout
        assert "(DNSSEC: bogus)" in r.stdout
        assert "secure)" not in r.stdout.replace("bogus)", "")
        assert "authctl: sec.test: 4 lookups failed (first: sec.test MX: " \
            "DNSSEC validation failed)" in r.stderr
        # The unsigned zone is outside the anchor: still insecure, fine.
        r = check(p, "plain.test")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "plain.test MX 5 mx.plain.test (DNSSEC: insecure)" \
            in lines(r)
    finally:
        p.write_config(d.config_lines())


def test_changed_records_after_reload(dns):
    p, d = dns
    d.set("plain.test", "mx", "A", ["127.0.0.24", "127.0.0.25"])
    d.reload()
    try:
        out = lines(check(p, "plain.test"))
        assert "mx.plain.test A 127.0.0.24 (DNSSEC: insecure)" in out
        assert "mx.plain.test A 127.0.0.25 (DNSSEC: insecure)" in out
        assert "mx.plain.test A 127.0.0.22 (DNSSEC: insecure)" not in out
        # Re-signed: still secure.
        assert "sec.test MX 10 mx.sec.test (DNSSEC: secure)" in \
            lines(check(p, "sec.test"))
    finally:
        d.set("plain.test", "mx", "A", ["127.0.0.22"])
        d.reload()


def test_missing_anchor_file(dns):
    p, d = dns
    missing = os.path.join(p.dir, "no-such-anchor.key")
    p.write_config(d.config_lines(missing))
    try:
        r = check(p, "sec.test")
        assert r.returncode == 1
        assert r.stdout == ""
        assert ("authctl: DNS trust anchor %s: No such file or directory"
                % missing) in r.stderr
    finally:
        p.write_config(d.config_lines())


def test_anchor_file_without_records(dns):
    p, d = dns
    empty = os.path.join(p.dir, "empty-anchor.key")
    with open(empty, "w") as f:
        f.write("; nothing but a comment\n\n")
    p.write_config(d.config_lines(empty))
    try:
        r = check(p, "sec.test")
        assert r.returncode == 1
        assert "no DS or DNSKEY record in it" in r.stderr
    finally:
        p.write_config(d.config_lines())


def test_server_down(dns):
    p, d = dns
    # A port on the server's address where nothing listens.
    p.write_config("dns server %s port 9\ndns trust anchor %s\n"
                   % (d.addr, d.anchor_file))
    try:
        r = check(p, "plain.test")
        assert r.returncode == 1
        assert "plain.test MX: lookup failed: temporary failure" \
            in r.stdout
        assert "authctl: plain.test: " in r.stderr
        assert "lookups failed (first: plain.test MX: temporary " \
            "failure)" in r.stderr
    finally:
        p.write_config(d.config_lines())


def test_bad_argument(dns):
    p, d = dns
    r = check(p, "bad..domain")
    assert r.returncode == 2
    assert "not a domain name" in r.stderr
    r = p.authctl("dns", "check", check=False)
    assert r.returncode == 2
    assert "usage: authctl dns check domain" in r.stderr


def query(d, anchor, *pairs, sandbox=True):
    argv = [DNS_QUERY] + (["-s"] if sandbox else []) + \
        ["%s@%d" % (d.addr, d.port), anchor] + list(pairs)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_resolver_under_seccomp(dns):
    p, d = dns
    r = query(d, d.anchor_file, "sec.test", "15", "mx.sec.test", "1",
              "mx.sec.test", "28", "nx.sec.test", "1",
              "_25._tcp.mx.sec.test", "52", "big.plain.test", "16",
              "nx.plain.test", "15")
    assert r.returncode == 0, "killed by signal %s: %s" % (
        signal.Signals(-r.returncode).name if r.returncode < 0 else "-",
        r.stderr)
    assert r.stdout.splitlines() == [
        "sec.test 15 ok secure 2 0",
        "mx.sec.test 1 ok secure 1 0",
        "mx.sec.test 28 ok secure 1 0",
        "nx.sec.test 1 nxdomain secure 0 0",
        "_25._tcp.mx.sec.test 52 ok secure 1 0",
        "big.plain.test 16 ok insecure 1 0",
        "nx.plain.test 15 nxdomain insecure 0 0",
    ]


def test_resolver_under_seccomp_bogus_and_down(dns):
    p, d = dns
    r = query(d, d.wrong_anchor_file(), "sec.test", "15", "plain.test",
              "15")
    assert r.returncode == 0, r.returncode
    assert r.stdout.splitlines() == [
        "sec.test 15 DNSSEC_validation_failed bogus 0 0",
        "plain.test 15 ok insecure 1 0",
    ]
    argv = [DNS_QUERY, "-s", "%s@9" % d.addr, d.anchor_file, "sec.test",
            "15"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.returncode
    assert r.stdout == "sec.test 15 temporary_failure insecure 0 0\n"
