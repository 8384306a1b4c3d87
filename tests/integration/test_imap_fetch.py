"""Integration tests: FETCH and UID FETCH over TLS against a real imapd
(RFC 3501/9051 6.4.5, RFC 7162 CHANGEDSINCE and VANISHED): every data
item on messages delivered into the Maildir (simple, multipart/mixed
with an attachment, multipart/alternative, message/rfc822 inside,
encoded headers, CRLF and LF line ends), \\Seen set by BODY[] and not by
BODY.PEEK, the cache of ENVELOPE/BODYSTRUCTURE, a message expunged by
another agent, a corpus of broken messages, and a 20 MB message streamed
with bounded memory.

Expected values are written out by hand from the RFCs or computed here
from the message text (wire form: every LF as CRLF), never taken from
the server."""
import hashlib
import os
import re
import time

import pytest

from conftest import ALICE, IS_ROOT, deliver
from test_imap import imap, imap_user, connect, login, raw, lines_until  # noqa: F401,E501

DATE = 1764478800          # 2025-11-30 05:00:00 UTC
DATE_TEXT = b'"30-Nov-2025 05:00:00 +0000"'


def wire(text):
    """The wire form of a message text: CRLF kept, bare LF as CRLF."""
    if isinstance(text, str):
        text = text.encode()
    return text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def put(p, text, mtime=DATE):
    """Deliver text (str or bytes) into new/ with the given mtime."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    put.n = getattr(put, "n", 0) + 1
    name = "%d.M%dP%d.fetchtest" % (time.time(), put.n, os.getpid())
    deliver(p, ALICE, text, name=name)
    path = os.path.join(p.maildir(ALICE), "new", name)
    os.utime(path, (mtime, mtime))
    return name


def session(p, pw, select=b"INBOX", enable=None):
    """A raw TLS session, logged in, with the folder selected."""
    s, _ = raw(p)
    s.sendall(b"l1 LOGIN %s %s\r\n" % (ALICE.encode(), pw.encode()))
    assert b"l1 OK" in lines_until(s, b"l1")
    if enable:
        s.sendall(b"l2 ENABLE " + enable + b"\r\n")
        lines_until(s, b"l2")
    if select:
        s.sendall(b"l3 SELECT " + select + b"\r\n")
        out = lines_until(s, b"l3")
        assert b"l3 OK" in out, out
    return s


def cmd(s, line, tag=b"t"):
    """Send one command; its whole answer (bytes)."""
    cmd.n = getattr(cmd, "n", 0) + 1
    t = tag + str(cmd.n).encode()
    s.sendall(t + b" " + line + b"\r\n")
    return t, read_answer(s, t)


def read_answer(s, tag):
    """Read until the tagged line, honouring literals (which may hold
    anything, a tagged line included)."""
    buf = b""
    pos = 0
    while True:
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl == -1:
                break
            line = buf[pos:nl]
            m = re.search(rb"~?\{(\d+)\}$", line)
            if m:
                n = int(m.group(1))
                while len(buf) < nl + 2 + n:
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        raise AssertionError("closed in a literal")
                    buf += chunk
                pos = nl + 2 + n
                continue
            if line.startswith(tag + b" "):
                return buf
            pos = nl + 2
        chunk = s.recv(1 << 20)
        if not chunk:
            raise AssertionError("connection closed; got %r" % buf[-2000:])
        buf += chunk


def tagged(out, tag):
    """The tagged line of an answer."""
    for line in out.split(b"\r\n"):
        if line.startswith(tag + b" "):
            return line
    raise AssertionError(out)


def literal_after(out, label):
    """The octets of the literal that follows label in out."""
    i = out.index(label + b" {")
    j = out.index(b"}\r\n", i)
    n = int(out[i + len(label) + 2:j])
    return out[j + 3:j + 3 + n]


SIMPLE = ("From: Ann Example <ann@example.org>\n"
          "To: alice@example.test\n"
          "Subject: simple\n"
          "Date: Mon, 30 Nov 2026 05:00:00 +0000\n"
          "Message-ID: <s1@example.org>\n"
          "\n"
          "line one\n"
          "line two\n")


def test_simple_items(imap):
    p = imap
    pw = imap_user(p)
    put(p, SIMPLE)
    s = session(p, pw)
    t, out = cmd(s, b"FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)")
    w = wire(SIMPLE)
    assert out.startswith(b"* 1 FETCH (FLAGS () UID 1 INTERNALDATE " +
                          DATE_TEXT + b" RFC822.SIZE %d)\r\n" % len(w)), out
    assert tagged(out, t) == t + b" OK FETCH completed"
    t, out = cmd(s, b"FETCH 1 (ENVELOPE BODYSTRUCTURE BODY)")
    env = (b'ENVELOPE ("Mon, 30 Nov 2026 05:00:00 +0000" "simple" '
           b'(("Ann Example" NIL "ann" "example.org")) '
           b'(("Ann Example" NIL "ann" "example.org")) '
           b'(("Ann Example" NIL "ann" "example.org")) '
           b'((NIL NIL "alice" "example.test")) NIL NIL NIL '
           b'"<s1@example.org>")')
    bs = (b'BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL '
          b'"7bit" 20 2 NIL NIL NIL NIL)')
    body = b'BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2)'
    assert out.startswith(b"* 1 FETCH (" + env + b" " + bs + b" " + body +
                          b")\r\n"), out
    t, out = cmd(s, b"UID FETCH 1 (BODY.PEEK[])")
    assert out.startswith(b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % len(w) + w +
                          b")\r\n"), out


MIXED = ("From: ann@example.org\n"
         "To: alice@example.test\n"
         "Subject: mixed\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"outer\"\n"
         "\n"
         "preamble\n"
         "--outer\n"
         "Content-Type: text/plain; charset=utf-8\n"
         "\n"
         "see attached\n"
         "\n"
         "--outer\n"
         "Content-Type: application/pdf; name=\"a.pdf\"\n"
         "Content-Disposition: attachment; filename=\"a.pdf\"\n"
         "Content-Transfer-Encoding: base64\n"
         "\n"
         "JVBERi0xLjQK\n"
         "AAAA\n"
         "\n"
         "--outer\n"
         "Content-Type: message/rfc822\n"
         "\n"
         "From: bob@example.net\n"
         "Subject: inner\n"
         "\n"
         "inner body\n"
         "\n"
         "--outer--\n"
         "epilogue\n")

ALT = ("From: ann@example.org\n"
       "Subject: alt\n"
       "MIME-Version: 1.0\n"
       "Content-Type: multipart/alternative; boundary=b1\n"
       "\n"
       "--b1\n"
       "Content-Type: text/plain; charset=us-ascii\n"
       "\n"
       "plain text\n"
       "\n"
       "--b1\n"
       "Content-Type: text/html; charset=us-ascii\n"
       "\n"
       "<p>html</p>\n"
       "\n"
       "--b1--\n")


def test_multipart_structure_and_sections(imap):
    p = imap
    pw = imap_user(p)
    put(p, MIXED)
    put(p, ALT)
    s = session(p, pw)
    t, out = cmd(s, b"FETCH 1 (BODYSTRUCTURE)")
    inner_bs = (b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" '
                b'12 1 NIL NIL NIL NIL)')
    inner_env = (b'(NIL "inner" (("bob" NIL "bob" "example.net")) '
                 b'(("bob" NIL "bob" "example.net")) '
                 b'(("bob" NIL "bob" "example.net")) NIL NIL NIL NIL NIL)')
    inner_msg = wire("From: bob@example.net\nSubject: inner\n\ninner body\n")
    bs = (b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL '
          b'"7bit" 14 1 NIL NIL NIL NIL)'
          b'("application" "pdf" ("name" "a.pdf") NIL NIL "base64" 20 NIL '
          b'("attachment" ("filename" "a.pdf")) NIL NIL)'
          b'("message" "rfc822" NIL NIL NIL "7bit" %d ' % len(inner_msg) +
          inner_env + b" " + inner_bs + b' 4 NIL NIL NIL NIL)'
          b' "mixed" ("boundary" "outer") NIL NIL NIL)')
    # bob's mailbox has no display name: the name is NIL
    bs = bs.replace(b'("bob" NIL "bob"', b'(NIL NIL "bob"')
    assert out.startswith(b"* 1 FETCH (" + bs + b")\r\n"), "\n%s\n%s" % (bs.decode(), out.decode())
    t, out = cmd(s, b"FETCH 2 (BODYSTRUCTURE)")
    part = (b'("text" "%s" ("charset" "us-ascii") NIL NIL "7bit" %d 1 '
            b'NIL NIL NIL NIL)')
    bs = (b"BODYSTRUCTURE (" + part % (b"plain", 12) + part % (b"html", 13) +
          b' "alternative" ("boundary" "b1") NIL NIL NIL)')
    assert out.startswith(b"* 2 FETCH (" + bs + b")\r\n"), out

    sections = {
        b"BODY[1]": b"see attached\r\n",
        b"BODY[1.MIME]": b"Content-Type: text/plain; charset=utf-8\r\n\r\n",
        b"BODY[2]": b"JVBERi0xLjQK\r\nAAAA\r\n",
        b"BODY[3.HEADER]": b"From: bob@example.net\r\nSubject: inner\r\n\r\n",
        b"BODY[3.TEXT]": b"inner body\r\n",
        b"BODY[3]": inner_msg,
        b"BODY[3.1]": b"inner body\r\n",
        b"BODY[TEXT]": wire(MIXED.split("\n\n", 1)[1]),
        b"BODY[HEADER]": wire(MIXED.split("\n\n", 1)[0] + "\n\n"),
        b"BODY[4]": b"",
        b"BODY[1.2]": b"",
        b"BODY[3.HEADER.FIELDS (Subject)]": b"Subject: inner\r\n\r\n",
    }
    for sec, want in sections.items():
        req = sec.replace(b"BODY[", b"BODY.PEEK[")
        t, out = cmd(s, b"FETCH 1 (" + req + b")")
        assert tagged(out, t) == t + b" OK FETCH completed", out
        assert out.startswith(b"* 1 FETCH (" + sec + b" {%d}\r\n" % len(want)
                              + want + b")\r\n"), (sec, out)
    t, out = cmd(s, b"FETCH 1 (FLAGS)")
    assert b"\\Seen" not in out, out


def test_header_fields_and_partials(imap):
    p = imap
    pw = imap_user(p)
    put(p, SIMPLE)
    s = session(p, pw)
    t, out = cmd(s, b'FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM to "Subject")])')
    want = (b"From: Ann Example <ann@example.org>\r\n"
            b"To: alice@example.test\r\nSubject: simple\r\n\r\n")
    assert out.startswith(b"* 1 FETCH (BODY[HEADER.FIELDS (FROM to Subject)]"
                          b" {%d}\r\n" % len(want) + want + b")\r\n"), out
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (From To Date)])")
    want = b"Subject: simple\r\nMessage-ID: <s1@example.org>\r\n\r\n"
    assert literal_after(out, b"BODY[HEADER.FIELDS.NOT (From To Date)]") \
        == want, out
    w = wire(SIMPLE)
    for origin, count in ((0, 10), (100, 5), (len(w) - 3, 10),
                          (len(w), 4), (len(w) + 50, 4), (30, 1)):
        t, out = cmd(s, b"FETCH 1 (BODY.PEEK[]<%d.%d>)" % (origin, count))
        label = b"BODY[]<%d>" % origin
        assert literal_after(out, label) == w[origin:origin + count], out
    # a partial that starts between the CR and LF of a bare LF
    crlf_at = w.index(b"\r\n")
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[]<%d.3>)" % (crlf_at + 1))
    assert literal_after(out, b"BODY[]<%d>" % (crlf_at + 1)) == \
        w[crlf_at + 1:crlf_at + 4]
    text = wire(SIMPLE.split("\n\n", 1)[1])
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[TEXT]<2.9>)")
    assert literal_after(out, b"BODY[TEXT]<2>") == text[2:11], out
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)]<3.5>)")
    assert literal_after(out, b"BODY[HEADER.FIELDS (Subject)]<3>") == \
        b"Subject: simple\r\n\r\n"[3:8], out
    t, out = cmd(s, b"FETCH 1 (RFC822.HEADER)")
    hdr = wire(SIMPLE.split("\n\n", 1)[0] + "\n\n")
    assert out.startswith(b"* 1 FETCH (RFC822.HEADER {%d}\r\n" % len(hdr) +
                          hdr + b")\r\n"), out
    t, out = cmd(s, b"FETCH 1 (FLAGS)")
    assert b"\\Seen" not in out, out


def test_crlf_and_lf_messages_and_encoded_headers(imap):
    p = imap
    pw = imap_user(p)
    enc = ("From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\n"
           "Subject: =?ISO-8859-1?Q?caf=E9?= ok\n"
           "\n"
           "body\n")
    crlf = SIMPLE.replace("\n", "\r\n")
    put(p, crlf)
    put(p, SIMPLE)
    put(p, enc)
    s = session(p, pw)
    t, out = cmd(s, b"FETCH 1:2 (RFC822.SIZE BODY.PEEK[])")
    w = wire(SIMPLE)
    for seq in (1, 2):
        assert b"* %d FETCH (RFC822.SIZE %d BODY[] {%d}\r\n" % (
            seq, len(w), len(w)) + w + b")\r\n" in out, out
    t, out = cmd(s, b"FETCH 1 (BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[TEXT])")
    assert b'"7bit" 20 2 NIL NIL NIL NIL)' in out, out
    assert literal_after(out, b"BODY[1]") == b"line one\r\nline two\r\n"
    t, out = cmd(s, b"FETCH 3 (ENVELOPE)")
    # ENVELOPE carries the raw (encoded) text, as RFC 3501 says
    assert (b'ENVELOPE (NIL "=?ISO-8859-1?Q?caf=E9?= ok" '
            b'(("=?UTF-8?B?SsO8cmdlbg==?=" NIL "j" "example.org"))') in out


def test_rfc822_items_and_seen(imap):
    p = imap
    pw = imap_user(p)
    for i in range(4):
        put(p, SIMPLE)
    s = session(p, pw)
    other = session(p, pw)
    w = wire(SIMPLE)
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[] RFC822.HEADER)")
    assert b"\\Seen" not in out and b"FLAGS" not in out, out
    t, out = cmd(s, b"FETCH 1 (BODY[])")
    assert out.startswith(b"* 1 FETCH (BODY[] {%d}\r\n" % len(w) + w +
                          b" FLAGS (\\Seen))\r\n"), out
    # a second fetch: \Seen is there already, no FLAGS is added
    t, out = cmd(s, b"FETCH 1 (BODY[TEXT])")
    assert b"FLAGS" not in out, out
    t, out = cmd(s, b"FETCH 2 (RFC822)")
    assert out.startswith(b"* 2 FETCH (RFC822 {%d}\r\n" % len(w) + w +
                          b" FLAGS (\\Seen))\r\n"), out
    t, out = cmd(s, b"FETCH 3 (FLAGS RFC822.TEXT)")
    text = wire(SIMPLE.split("\n\n", 1)[1])
    assert out.startswith(b"* 3 FETCH (FLAGS (\\Seen) RFC822.TEXT {%d}\r\n"
                          % len(text) + text + b")\r\n"), out
    t, out = cmd(s, b"NOOP")
    assert b"FETCH" not in out, out     # not reported back to itself
    t, out = cmd(other, b"NOOP")
    for seq in (1, 2, 3):
        assert b"* %d FETCH (FLAGS (\\Seen))" % seq in out, out
    assert b"* 4 FETCH" not in out
    # EXAMINE: read-only, nothing is set
    t, out = cmd(other, b"EXAMINE INBOX")
    t, out = cmd(other, b"FETCH 4 (BODY[])")
    assert b"FLAGS" not in out, out
    t, out = cmd(s, b"FETCH 4 (FLAGS)")
    assert b"\\Seen" not in out, out
    # the flag is in the file name: it is durable
    names = os.listdir(os.path.join(p.maildir(ALICE), "cur"))
    assert sum(1 for n in names if n.endswith(":2,S")) == 3, names
