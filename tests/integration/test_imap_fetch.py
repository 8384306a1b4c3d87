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
