"""SPF cross-check: our evaluator (common/spf*.c, through the test program
tests/tools/spfcheck) and Debian's python3-spf (pyspf, an independent
implementation of RFC 7208) answer the same questions from the same table
of DNS records, and must agree.

Each case is a small zone in the text form tests/tools/dnstable.h reads
("NAME TYPE VALUE" lines); pyspf gets the same records through its
module-level DNSLookup hook, monkeypatched to answer from the table, so
neither side touches a real resolver.  Each case also names the result
RFC 7208 gives, so that two implementations agreeing on a wrong answer
still fail.  Needs `make unit` (which builds spfcheck) before.
"""
import os
import subprocess

import pytest
import spf

from conftest import BUILD

SPFCHECK = os.path.join(BUILD, "tests", "tools", "spfcheck")


def parse_zone(text):
    """The records as {(name, type): [value, ...]}, names lowercased."""
    zone = {}
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        name, rtype = parts[0].lower().rstrip("."), parts[1].upper()
        value = parts[2] if len(parts) > 2 else ""
        zone.setdefault((name, rtype), []).append(value)
    return zone


def table_lookup(zone):
    """A replacement for spf.DNSLookup answering from the zone the way
    dnstable.c does: TEMP fails every question about a name."""
    def lookup(name, qtype, strict=True, timeout=None):
        name = name.lower().rstrip(".")
        if (name, "TEMP") in zone:
            raise spf.TempError("DNS table: temporary failure")
        answers = []
        for value in zone.get((name, qtype), []):
            if qtype in ("A", "AAAA", "PTR"):
                answers.append(((name, qtype), value))
            elif qtype == "MX":
                pref, host = value.split()
                answers.append(((name, qtype), (int(pref), host)))
            elif qtype == "TXT":
                raw = value.encode()
                chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)]
                answers.append(((name, qtype), chunks or [b""]))
        return answers
    return lookup


def pyspf_result(monkeypatch, zone, ip, sender, helo):
    monkeypatch.setattr(spf, "DNSLookup", table_lookup(zone))
    result, _ = spf.check2(i=ip, s=sender, h=helo, receiver="mx.example.net")
    return result


def our_result(tmp_path, text, ip, sender, helo):
    records = tmp_path / "records"
    records.write_text(text.strip() + "\n")
    assert os.path.exists(SPFCHECK), "build it first: make unit"
    out = subprocess.run([SPFCHECK, str(records), ip, sender, helo],
                         capture_output=True, text=True, timeout=30,
                         check=True)
    return out.stdout.split("\t", 1)[0]


def chain(n):
    """example.com includes i1, i1 includes i2 ... in passes."""
    lines = []
    for i in range(n):
        name = "example.com" if i == 0 else "i%d.example.com" % i
        lines.append("%s TXT v=spf1 include:i%d.example.com -all" % (name, i + 1))
    lines.append("i%d.example.com TXT v=spf1 +all" % n)
    return "\n".join(lines)


def terms(n, kind):
    """A record of n "a:" terms (each name resolving elsewhere) or of n
    void "a:" terms, then the client's address."""
    names = " ".join("a:h%d.example.com" % i for i in range(n))
    lines = ["example.com TXT v=spf1 %s ip4:192.0.2.1 -all" % names]
    if kind == "resolving":
        lines += ["h%d.example.com A 198.51.100.1" % i for i in range(n)]
    return "\n".join(lines)


def many_mx(n):
    lines = ["example.com TXT v=spf1 mx -all"]
    for i in range(n):
        lines.append("example.com MX %d mx%d.example.com" % (i, i))
        lines.append("mx%d.example.com A 192.0.2.%d" % (i, i + 1))
    return "\n".join(lines)


# (id, records, ip, sender, helo, the RFC's result)
CASES = [
    ("pass-ip4", "example.com TXT v=spf1 ip4:192.0.2.0/24 -all",
     "192.0.2.7", "joe@example.com", "mx.example.org", "pass"),
    ("fail", "example.com TXT v=spf1 ip4:192.0.2.0/24 -all",
     "198.51.100.7", "joe@example.com", "mx.example.org", "fail"),
    ("softfail", "example.com TXT v=spf1 ip4:192.0.2.0/24 ~all",
     "198.51.100.7", "joe@example.com", "mx.example.org", "softfail"),
    ("neutral-all", "example.com TXT v=spf1 ?all",
     "198.51.100.7", "joe@example.com", "mx.example.org", "neutral"),
    ("neutral-nomatch", "example.com TXT v=spf1 ip4:192.0.2.0/24",
     "198.51.100.7", "joe@example.com", "mx.example.org", "neutral"),
    ("none", "example.com A 192.0.2.1\nexample.com TXT hello world",
     "192.0.2.1", "joe@example.com", "mx.example.org", "none"),
    ("none-nxdomain", "other.example TXT v=spf1 -all",
     "192.0.2.1", "joe@example.com", "mx.example.org", "none"),
    ("uppercase", "example.com TXT V=SPF1 IP4:192.0.2.0/24 -ALL",
     "192.0.2.7", "joe@example.com", "mx.example.org", "pass"),
    ("include-chain-pass", """
example.com TXT v=spf1 include:a.example.net -all
a.example.net TXT v=spf1 include:b.example.org ~all
b.example.org TXT v=spf1 ip4:192.0.2.0/28 -all
""", "192.0.2.3", "joe@example.com", "mx.example.org", "pass"),
    ("include-chain-fail", """
example.com TXT v=spf1 include:a.example.net -all
a.example.net TXT v=spf1 include:b.example.org ~all
b.example.org TXT v=spf1 ip4:192.0.2.0/28 -all
""", "192.0.2.30", "joe@example.com", "mx.example.org", "fail"),
    ("include-inner-fail-outer-softfail", """
example.com TXT v=spf1 include:a.example.net ~all
a.example.net TXT v=spf1 -all
""", "192.0.2.30", "joe@example.com", "mx.example.org", "softfail"),
    ("include-no-record", """
example.com TXT v=spf1 include:a.example.net -all
a.example.net A 192.0.2.1
""", "192.0.2.30", "joe@example.com", "mx.example.org", "permerror"),
    ("include-temperror", """
example.com TXT v=spf1 include:a.example.net -all
a.example.net TEMP
""", "192.0.2.30", "joe@example.com", "mx.example.org", "temperror"),
    ("redirect", """
example.com TXT v=spf1 redirect=_spf.example.net
_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 -all
""", "192.0.2.9", "joe@example.com", "mx.example.org", "pass"),
    ("redirect-fail", """
example.com TXT v=spf1 redirect=_spf.example.net
_spf.example.net TXT v=spf1 ip4:192.0.2.0/24 -all
""", "198.51.100.9", "joe@example.com", "mx.example.org", "fail"),
    ("redirect-after-all-ignored", """
example.com TXT v=spf1 ~all redirect=_spf.example.net
_spf.example.net TXT v=spf1 +all
""", "198.51.100.9", "joe@example.com", "mx.example.org", "softfail"),
    ("redirect-no-record", "example.com TXT v=spf1 redirect=_spf.example.net",
     "198.51.100.9", "joe@example.com", "mx.example.org", "permerror"),
    ("macro-exists", """
example.com TXT v=spf1 exists:%{ir}.%{l1r-}.%{d}.rbl.example.org -all
7.2.0.192.joe.example.com.rbl.example.org A 127.0.0.2
""", "192.0.2.7", "joe-list@example.com", "mx.example.org", "pass"),
    ("macro-exists-miss", """
example.com TXT v=spf1 exists:%{ir}.%{l1r-}.%{d}.rbl.example.org -all
7.2.0.192.joe.example.com.rbl.example.org A 127.0.0.2
""", "192.0.2.8", "joe-list@example.com", "mx.example.org", "fail"),
    ("macro-d2-o-h", """
mail.example.com TXT v=spf1 exists:%{d2}.%{o}.%{h}.%{v}.x.example.org -all
example.com.mail.example.com.helo.example.net.in-addr.x.example.org A 127.0.0.2
""", "192.0.2.8", "joe@mail.example.com", "helo.example.net", "pass"),
    ("macro-redirect-lr", """
example.com TXT v=spf1 redirect=%{lr-}._spf.%{d}
bob.alice._spf.example.com TXT v=spf1 ip4:192.0.2.8 -all
""", "192.0.2.8", "alice-bob@example.com", "mx.example.org", "pass"),
    ("macro-ipv6-nibbles", """
example.com TXT v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all
1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com A 127.0.0.2
""", "2001:db8::cb01", "joe@example.com", "mx.example.org", "pass"),
    ("lookups-10", chain(10), "192.0.2.1", "joe@example.com", "h.example.org",
     "pass"),
    ("lookups-11", chain(11), "192.0.2.1", "joe@example.com", "h.example.org",
     "permerror"),
    ("a-terms-10", terms(10, "resolving"), "192.0.2.1", "joe@example.com",
     "h.example.org", "pass"),
    ("a-terms-11", terms(11, "resolving"), "192.0.2.1", "joe@example.com",
     "h.example.org", "permerror"),
    ("void-2", terms(2, "void"), "192.0.2.1", "joe@example.com",
     "h.example.org", "pass"),
    ("void-3", terms(3, "void"), "192.0.2.1", "joe@example.com",
     "h.example.org", "permerror"),
    ("ip6-pass", "example.com TXT v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all",
     "2001:db8:1::5", "joe@example.com", "mx.example.org", "pass"),
    ("ip6-fail", "example.com TXT v=spf1 ip6:2001:db8::/32 -all",
     "2001:db9::5", "joe@example.com", "mx.example.org", "fail"),
    ("ip4-no-match-for-ip6", "example.com TXT v=spf1 ip4:0.0.0.0/0 -all",
     "2001:db8::5", "joe@example.com", "mx.example.org", "fail"),
    ("mx", """
example.com TXT v=spf1 mx -all
example.com MX 10 mx1.example.com
example.com MX 20 mx2.example.com
mx1.example.com A 192.0.2.10
mx2.example.com A 192.0.2.20
""", "192.0.2.20", "joe@example.com", "mx.example.org", "pass"),
    ("mx-cidr", """
example.com TXT v=spf1 mx/30 -all
example.com MX 10 mx1.example.com
mx1.example.com A 192.0.2.10
""", "192.0.2.9", "joe@example.com", "mx.example.org", "pass"),
    ("mx-ip6-dual-cidr", """
example.com TXT v=spf1 mx/24//64 -all
example.com MX 10 mx1.example.com
mx1.example.com AAAA 2001:db8:5:6::1
""", "2001:db8:5:6:ffff::1", "joe@example.com", "mx.example.org", "pass"),
    ("mx-11", many_mx(11), "192.0.2.1", "joe@example.com", "mx.example.org",
     "permerror"),
    ("a-cidr", """
example.com TXT v=spf1 a/24 -all
example.com A 192.0.2.200
""", "192.0.2.1", "joe@example.com", "mx.example.org", "pass"),
    ("a-other-domain", """
example.com TXT v=spf1 a:mail.example.net -all
mail.example.net A 192.0.2.200
""", "192.0.2.200", "joe@example.com", "mx.example.org", "pass"),
    ("exists", """
example.com TXT v=spf1 exists:ok.example.net -all
ok.example.net A 127.0.0.1
""", "198.51.100.1", "joe@example.com", "mx.example.org", "pass"),
    ("ptr", """
example.com TXT v=spf1 ptr -all
7.2.0.192.in-addr.arpa PTR mail.example.com
mail.example.com A 192.0.2.7
""", "192.0.2.7", "joe@example.com", "mx.example.org", "pass"),
    ("ptr-not-validated", """
example.com TXT v=spf1 ptr -all
7.2.0.192.in-addr.arpa PTR mail.example.com
mail.example.com A 192.0.2.8
""", "192.0.2.7", "joe@example.com", "mx.example.org", "fail"),
    ("syntax-unknown-mechanism", "example.com TXT v=spf1 ip4:192.0.2.0/24 moo -all",
     "192.0.2.7", "joe@example.com", "mx.example.org", "permerror"),
    ("syntax-cidr", "example.com TXT v=spf1 ip4:192.0.2.0/33 -all",
     "192.0.2.7", "joe@example.com", "mx.example.org", "permerror"),
    ("syntax-bad-domain", "example.com TXT v=spf1 a:example.com:8080 -all",
     "192.0.2.7", "joe@example.com", "mx.example.org", "permerror"),
    ("syntax-bad-macro", "example.com TXT v=spf1 exists:%{z}.example.com -all",
     "192.0.2.7", "joe@example.com", "mx.example.org", "permerror"),
    ("unknown-modifier-ignored",
     "example.com TXT v=spf1 -all foo=bar.%{d} match.sub-domains_9=yes",
     "192.0.2.7", "joe@example.com", "mx.example.org", "fail"),
    ("two-records", """
example.com TXT v=spf1 +all
example.com TXT v=spf1 -all
""", "192.0.2.7", "joe@example.com", "mx.example.org", "permerror"),
    ("temperror", "example.com TEMP", "192.0.2.7", "joe@example.com",
     "mx.example.org", "temperror"),
    ("helo-null-sender", """
mx.example.org TXT v=spf1 a -all
mx.example.org A 192.0.2.25
""", "192.0.2.25", "", "mx.example.org", "pass"),
    ("helo-null-sender-fail", """
mx.example.org TXT v=spf1 a -all
mx.example.org A 192.0.2.25
""", "192.0.2.26", "", "mx.example.org", "fail"),
    ("mapped-ipv6-is-ipv4", "example.com TXT v=spf1 ip4:192.0.2.0/24 -all",
     "::ffff:192.0.2.7", "joe@example.com", "mx.example.org", "pass"),
]


@pytest.mark.parametrize("name,records,ip,sender,helo,want", CASES,
                         ids=[c[0] for c in CASES])
def test_spf_agrees_with_pyspf(tmp_path, monkeypatch, name, records, ip,
                               sender, helo, want):
    theirs = pyspf_result(monkeypatch, parse_zone(records), ip, sender, helo)
    ours = our_result(tmp_path, records, ip, sender, helo)
    assert (ours, theirs) == (want, want), \
        "%s: ours %s, pyspf %s, RFC 7208 %s" % (name, ours, theirs, want)
