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

from conftest import ALICE, deliver
from test_imap import imap, imap_user, connect, login, raw, lines_until  # noqa: F401,E501

DATE = 1764478800          # 2025-11-30 05:00:00 UTC
DATE_TEXT = b'"30-Nov-2025 05:00:00 +0000"'


def wire(text):
    """The wire form of a message text: CRLF kept, bare LF as CRLF, and
    a line end at the end when the text lacks one (store.h: W=)."""
    if isinstance(text, str):
        text = text.encode()
    w = text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return w + b"\r\n" if text and not text.endswith(b"\n") else w


def put(p, text, mtime=DATE):
    """Deliver text (str or bytes, written as they are) into new/ with
    the given mtime, as a delivery agent would."""
    if isinstance(text, str):
        text = text.encode()
    put.n = getattr(put, "n", 0) + 1
    name = "%d.M%dP%d.fetchtest" % (time.time(), put.n, os.getpid())
    deliver(p, ALICE, "", name=name)     # the Maildir, owners, new/name
    path = os.path.join(p.maildir(ALICE), "new", name)
    with open(path, "wb") as f:
        f.write(text)
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
    buf = bytearray()
    pos = 0

    def more():
        chunk = s.recv(1 << 20)
        if not chunk:
            raise AssertionError("connection closed; got %r" % buf[-2000:])
        buf.extend(chunk)

    while True:
        nl = buf.find(b"\r\n", pos)
        if nl == -1:
            more()
            continue
        line = bytes(buf[pos:nl])
        m = re.search(rb"~?\{(\d+)\}$", line[-32:])
        if m:
            end = nl + 2 + int(m.group(1))
            while len(buf) < end:
                more()
            pos = end
            continue
        if line.startswith(tag + b" "):
            return bytes(buf)
        pos = nl + 2


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
    # names that are not atoms are echoed quoted; a literal name as atom
    t, out = cmd(s, b'FETCH 1 (BODY.PEEK[HEADER.FIELDS ("X]Y" SUBJECT)])')
    assert literal_after(out, b'BODY[HEADER.FIELDS ("X]Y" SUBJECT)]') == \
        b"Subject: simple\r\n\r\n", out
    s.sendall(b"lit FETCH 1 (BODY.PEEK[HEADER.FIELDS ({2+}\r\nTo)])\r\n")
    out = read_answer(s, b"lit")
    assert literal_after(out, b"BODY[HEADER.FIELDS (To)]") == \
        b"To: alice@example.test\r\n\r\n", out
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


def highestmodseq(out):
    return int(re.search(rb"HIGHESTMODSEQ (\d+)", out).group(1))


def set_flags_on_disk(p, uid, letters):
    """Another agent changes a message's flags: rename its file."""
    cur = os.path.join(p.maildir(ALICE), "cur")
    for n in os.listdir(cur):
        if re.search(r",U=%d[,:]" % uid, n):
            os.rename(os.path.join(cur, n),
                      os.path.join(cur, n.split(":2,")[0] + ":2," + letters))
            return
    raise AssertionError("no file for UID %d" % uid)


def test_changedsince_and_vanished(imap):
    p = imap
    pw = imap_user(p)
    for i in range(5):
        put(p, SIMPLE)
    s = session(p, pw, select=None, enable=b"QRESYNC")
    t, out = cmd(s, b"SELECT INBOX")
    m0 = highestmodseq(out)
    t, out = cmd(s, b"FETCH 2 (BODY[TEXT])")
    mod2 = int(re.search(rb"MODSEQ \((\d+)\)", out).group(1))
    assert mod2 > m0
    # QRESYNC is on: the implicit FLAGS comes with UID and MODSEQ
    assert out.startswith(b"* 2 FETCH (UID 2 BODY[TEXT] {20}\r\n"), out
    assert b"\r\n FLAGS (\\Seen) MODSEQ (%d))\r\n" % mod2 in out, out
    t, out = cmd(s, b"FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % m0)
    assert out == (b"* 2 FETCH (FLAGS (\\Seen) MODSEQ (%d))\r\n" % mod2 +
                   t + b" OK FETCH completed\r\n"), out
    t, out = cmd(s, b"UID FETCH 1:* (UID) (CHANGEDSINCE %d)" % mod2)
    assert out == t + b" OK UID FETCH completed\r\n", out
    t, out = cmd(s, b"FETCH 1:5 (MODSEQ)")
    mods = [int(x) for x in re.findall(rb"MODSEQ \((\d+)\)", out)]
    assert len(mods) == 5 and mods[1] == mod2 and max(mods) == mod2, out
    # 3 and 4 go (\Deleted set by another agent, then EXPUNGE here)
    set_flags_on_disk(p, 3, "T")
    set_flags_on_disk(p, 4, "T")
    t, out = cmd(s, b"NOOP")
    t, out = cmd(s, b"EXPUNGE")
    assert b"* VANISHED 3,4" in out or b"* VANISHED 3:4" in out, out
    t, out = cmd(s, b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % m0)
    lines = out.split(b"\r\n")
    assert lines[0] == b"* VANISHED (EARLIER) 3:4", out
    assert lines[1].startswith(b"* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ ("), \
        out
    assert b"UID 1 " not in out and b"UID 5 " not in out
    t, out = cmd(s, b"UID FETCH 4:5 (FLAGS) (CHANGEDSINCE %d VANISHED)" % m0)
    assert out.startswith(b"* VANISHED (EARLIER) 4\r\n"), out
    t, out = cmd(s, b"UID FETCH 1:2 (FLAGS) (CHANGEDSINCE %d VANISHED)" % m0)
    assert b"VANISHED" not in out, out
    # VANISHED needs UID FETCH, and QRESYNC enabled
    t, out = cmd(s, b"FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)")
    assert tagged(out, t).startswith(t + b" BAD"), out
    plain = session(p, pw)
    t, out = cmd(plain, b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
    assert tagged(out, t).startswith(t + b" BAD"), out
    # CHANGEDSINCE turns CONDSTORE on: FLAGS then comes with MODSEQ
    t, out = cmd(plain, b"FETCH 1 (FLAGS) (CHANGEDSINCE 1)")
    assert b"MODSEQ (" in out
    t, out = cmd(plain, b"FETCH 1 (FLAGS)")
    assert re.match(rb"\* 1 FETCH \(FLAGS \(\) MODSEQ \(\d+\)\)\r\n", out), \
        out


def test_uid_fetch_macros_and_sets(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        put(p, SIMPLE)
    s = session(p, pw)
    n = len(wire(SIMPLE))
    t, out = cmd(s, b"UID FETCH 2:* FLAGS")
    assert out == (b"* 2 FETCH (UID 2 FLAGS ())\r\n"
                   b"* 3 FETCH (UID 3 FLAGS ())\r\n" + t +
                   b" OK UID FETCH completed\r\n"), out
    t, out = cmd(s, b"FETCH 3 FAST")
    assert out.startswith(b"* 3 FETCH (FLAGS () INTERNALDATE " + DATE_TEXT +
                          b" RFC822.SIZE %d)\r\n" % n), out
    t, out = cmd(s, b"FETCH 3 ALL")
    assert out.startswith(b"* 3 FETCH (FLAGS () INTERNALDATE " + DATE_TEXT +
                          b" RFC822.SIZE %d ENVELOPE (" % n), out
    t, out = cmd(s, b"FETCH 3 FULL")
    assert b' BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2' \
        b'))\r\n' in out, out
    t, out = cmd(s, b"UID FETCH 7:9 (FLAGS)")
    assert out == t + b" OK UID FETCH completed\r\n", out
    t, out = cmd(s, b"FETCH 4 (FLAGS)")
    assert tagged(out, t).startswith(t + b" BAD"), out


def test_cached_structure_is_not_parsed_again(imap):
    """The second FETCH of ENVELOPE/BODYSTRUCTURE/BODY answers from the
    cache: changing the file in place (which nothing legitimate does)
    shows it."""
    p = imap
    pw = imap_user(p)
    put(p, SIMPLE)
    s = session(p, pw)
    t, first = cmd(s, b"FETCH 1 (ENVELOPE BODYSTRUCTURE)")
    cur = os.path.join(p.maildir(ALICE), "cur")
    path = os.path.join(cur, os.listdir(cur)[0])
    with open(path, "r+") as f:
        text = f.read().replace("Subject: simple", "Subject: CHANGE")
        f.seek(0)
        f.write(text)
    t, second = cmd(s, b"FETCH 1 (ENVELOPE BODYSTRUCTURE)")
    assert second.split(b"\r\n")[0] == first.split(b"\r\n")[0], \
        (first, second)
    assert b'"simple"' in second
    t, out = cmd(s, b"FETCH 1 (BODY)")
    assert out.startswith(b'* 1 FETCH (BODY ("text" "plain" ("charset" '
                          b'"us-ascii") NIL NIL "7bit" 20 2))'), out
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: CHANGE" in out      # sections read the file


def test_message_expunged_by_another_agent(imap):
    """RFC 2180 4.1: the view still shows a message whose file is gone:
    what the view knows is sent, the rest left out, EXPUNGEISSUED."""
    p = imap
    pw = imap_user(p)
    put(p, SIMPLE)
    put(p, SIMPLE)
    s = session(p, pw)
    cur = os.path.join(p.maildir(ALICE), "cur")
    for n in os.listdir(cur):
        if ",U=1" in n:
            os.unlink(os.path.join(cur, n))
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[])")
    assert out == t + b" NO [EXPUNGEISSUED] Some of the requested messages " \
        b"no longer exist\r\n", out
    t, out = cmd(s, b"FETCH 1:2 (FLAGS BODY.PEEK[TEXT])")
    text = wire(SIMPLE.split("\n\n", 1)[1])
    assert out.startswith(b"* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS () "
                          b"BODY[TEXT] {%d}\r\n" % len(text) + text), out
    assert tagged(out, t).startswith(t + b" OK [EXPUNGEISSUED]"), out
    t, out = cmd(s, b"UID FETCH 1 (RFC822.SIZE)")
    assert tagged(out, t).startswith(t + b" ") and b"EXPUNGE" in out


def broken_corpus():
    """Broken and hostile messages, as bytes."""
    deep = b"".join(b"Content-Type: multipart/mixed; boundary=d%d\n\n--d%d\n"
                    % (i, i) for i in range(40)) + b"\ninnermost\n"
    nested = b"".join(b"Content-Type: message/rfc822\n\n" for _ in range(40))
    return [
        # truncated multipart: never closed, cut in the middle of a line
        b"Subject: truncated\nContent-Type: multipart/mixed; boundary=x\n\n"
        b"--x\nContent-Type: text/plain\n\nabc\n--x\nContent-Type: text/h",
        # multipart without a boundary parameter
        b"Subject: no boundary\nContent-Type: multipart/mixed\n\n--x\n"
        b"\nbody\n--x--\n",
        # a header line of 1 MB
        b"Subject: long\nX-Long: " + b"a" * (1 << 20) + b"\n\nbody\n",
        # NUL bytes in the header and the body, 8-bit bytes
        b"Subject: nul\x00here\nFrom: \xff\xfe <x@y>\n\nbo\x00dy\n",
        # nesting deeper than the parser goes
        b"Subject: deep\n" + deep,
        b"Subject: nested\n" + nested + b"Subject: bottom\n\nend\n",
        # no body, no header, nothing at all, bare CRs, no final LF
        b"Subject: header only",
        b"\nbody without header\n",
        b"",
        b"Subject: cr\r\rX: y\r\n\r\nbody\rmore\r\n",
        # boundary parameter 300 octets long, and one equal to its parent's
        b"Content-Type: multipart/mixed; boundary=" + b"b" * 300 +
        b"\n\n--" + b"b" * 300 + b"\n\nx\n",
        b"Content-Type: multipart/mixed; boundary=s\n\n--s\n"
        b"Content-Type: multipart/mixed; boundary=s\n\n--s\n\ny\n--s--\n",
        # broken encodings and a malformed address list
        b"From: <<<@@@>>>, \"unterminated\nTo: ,,,;;;:\n"
        b"Content-Type: text/plain; charset=\"x; name*0*=''%ZZ\n"
        b"Content-Transfer-Encoding: base64\n\n!!!===\n",
    ]


ALL_ITEMS = (b"FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE BODY "
             b"BODYSTRUCTURE BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] "
             b"BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[1.1.1.1] "
             b"BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[1]<2.3> "
             b"BODY.PEEK[HEADER.FIELDS (Subject X-Long)] "
             b"BODY.PEEK[HEADER.FIELDS.NOT (Subject)] RFC822.HEADER MODSEQ")


def test_broken_messages_get_answers(imap):
    p = imap
    pw = imap_user(p)
    corpus = broken_corpus()
    for text in corpus:
        put(p, text)
    s = session(p, pw)
    for seq, text in enumerate(corpus, 1):
        for items in (ALL_ITEMS, b"RFC822 RFC822.TEXT BODY[]<5.10>"):
            t, out = cmd(s, b"FETCH %d (%s)" % (seq, items))
            assert tagged(out, t) == t + b" OK FETCH completed", (seq, out)
            assert out.count(b"* %d FETCH (" % seq) == 1, (seq, out[:300])
        t, out = cmd(s, b"FETCH %d (RFC822.SIZE BODY.PEEK[])" % seq)
        w = wire(text)
        assert b"RFC822.SIZE %d " % len(w) in out, (seq, out[:200])
        # a literal cannot carry NUL: it comes as 0x80, the size kept
        assert literal_after(out, b"BODY[]") == w.replace(b"\0", b"\x80"), \
            seq
    # the NUL message: BODY[TEXT] masks, BINARY sends a literal8
    seq = 1 + next(i for i, m in enumerate(corpus) if b"nul\x00" in m)
    t, out = cmd(s, b"FETCH %d (BODY.PEEK[TEXT] BINARY.PEEK[1])" % seq)
    assert out.startswith(b"* %d FETCH (BODY[TEXT] {7}\r\nbo\x80dy\r\n "
                          b"BINARY[1] ~{7}\r\nbo\x00dy\r\n)" % seq), out
    # and a second time, from the cache
    t, out = cmd(s, b"FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)")
    assert tagged(out, t) == t + b" OK FETCH completed"
    assert out.count(b" FETCH (") == len(corpus)


def mail_process(p):
    """The pid of the session's mail process: a child of the parent with
    the parent's command line (a fork) that has a child (its net)."""
    parent = p.imap.pid
    want = open("/proc/%d/cmdline" % parent, "rb").read()
    for pid in open("/proc/%d/task/%d/children" % (parent, parent)).read(
            ).split():
        if open("/proc/%s/cmdline" % pid, "rb").read() != want:
            continue
        kids = open("/proc/%s/task/%s/children" % (pid, pid)).read().split()
        if kids:
            return int(pid)
    return None


def vm_hwm_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_20mb_message_streams_with_bounded_memory(imap):
    p = imap
    pw = imap_user(p)
    line = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"         b"ABCDEFGHIJK\n"
    big = (b"From: ann@example.org\nSubject: big\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=zz\n\n--zz\n"
           b"Content-Type: text/plain\n\nsee below\n--zz\n"
           b"Content-Type: application/octet-stream\n"
           b"Content-Transfer-Encoding: base64\n\n" +
           line * (20 * 1024 * 1024 // len(line)) + b"--zz--\n")
    put(p, big)
    w = wire(big)
    s = session(p, pw)
    pid = mail_process(p)
    assert pid is not None
    before = vm_hwm_kb(pid)
    t, out = cmd(s, b"FETCH 1 (RFC822.SIZE BODY.PEEK[])")
    assert b"RFC822.SIZE %d " % len(w) in out[:200]
    got = literal_after(out, b"BODY[]")
    assert len(got) == len(w)
    assert hashlib.sha256(got).digest() == hashlib.sha256(w).digest()
    t, out = cmd(s, b"FETCH 1 (BODY.PEEK[]<10000000.1000>)")
    assert literal_after(out, b"BODY[]<10000000>") == w[10000000:10001000]
    grown = vm_hwm_kb(pid) - before
    assert grown < 4 * 1024, "the mail process grew by %d kB" % grown
    # sections parse the message in memory (bounded by the append limit)
    t, out = cmd(s, b"FETCH 1 (BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[2]<7.5>)")
    assert tagged(out, t) == t + b" OK FETCH completed"
    assert literal_after(out, b"BODY[1]") == b"see below"
    assert literal_after(out, b"BODY[2]<7>") == b"HIJKL"
    nlines = 20 * 1024 * 1024 // len(line)
    # no line count: it is not a text part
    assert b'"base64" %d NIL' % (nlines * (len(line) + 1) - 2) \
        in out, out[:600].decode()


def test_binary(imap):
    """BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516, in IMAP4rev2)."""
    p = imap
    pw = imap_user(p)
    qp = ("Subject: qp\nContent-Type: text/plain; charset=iso-8859-1\n"
          "Content-Transfer-Encoding: Quoted-Printable\n\n"
          "caf=E9 soft=\nbreak\nline2\n")
    unknown = ("Subject: uu\nContent-Transfer-Encoding: x-uuencode\n\n"
               "begin 644 x\n")
    put(p, MIXED)
    put(p, qp)
    put(p, unknown)
    s = session(p, pw)
    t, out = cmd(s, b"FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.PEEK[1] "
                    b"BINARY.PEEK[2]<4.3> BINARY.SIZE[1] BINARY.SIZE[9])")
    pdf = b"%PDF-1.4\n\x00\x00\x00"
    assert out.startswith(b"* 1 FETCH (BINARY.SIZE[2] 12 BINARY[2] ~{12}\r\n"
                          + pdf + b" BINARY[1] {14}\r\nsee attached\r\n "
                          b"BINARY[2]<4> {3}\r\n-1. BINARY.SIZE[1] 14 "
                          b"BINARY.SIZE[9] 0)\r\n"), out
    assert tagged(out, t) == t + b" OK FETCH completed"
    t, out = cmd(s, b"FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])")
    dec = b"caf\xe9 softbreak\r\nline2\r\n"
    assert out.startswith(b"* 2 FETCH (BINARY[1] {%d}\r\n" % len(dec) + dec +
                          b" BINARY.SIZE[1] %d)\r\n" % len(dec)), out
    w = wire(qp)
    t, out = cmd(s, b"FETCH 2 (BINARY.PEEK[] BINARY.SIZE[])")
    assert out.startswith(b"* 2 FETCH (BINARY[] {%d}\r\n" % len(w) + w +
                          b" BINARY.SIZE[] %d)\r\n" % len(w)), out
    t, out = cmd(s, b"FETCH 1:3 (FLAGS)")
    assert b"\\Seen" not in out
    t, out = cmd(s, b"FETCH 3 (BINARY.PEEK[1])")
    assert tagged(out, t).startswith(t + b" NO [UNKNOWN-CTE]"), out
    assert b"BINARY[1]" not in out
    t, out = cmd(s, b"FETCH 2 (BINARY[1])")
    assert out.endswith(b" FLAGS (\\Seen))\r\n" + t +
                        b" OK FETCH completed\r\n"), out


def test_sizes_and_dates_listed_or_looked_up(imap):
    """Many messages (the index listed in one go) and a few (one lookup
    each) give the same RFC822.SIZE and INTERNALDATE."""
    p = imap
    pw = imap_user(p)
    texts = [SIMPLE + "x" * i + "\n" for i in range(40)]
    for i, text in enumerate(texts):
        put(p, text, mtime=DATE + 86400 * i)
    s = session(p, pw)
    t, many = cmd(s, b"FETCH 1:* (RFC822.SIZE INTERNALDATE)")
    for i, text in enumerate(texts):
        day = time.strftime("%d-%b-%Y", time.gmtime(DATE + 86400 * i))
        line = b'* %d FETCH (RFC822.SIZE %d INTERNALDATE "%s 05:00:00 ' \
            b'+0000")' % (i + 1, len(wire(text)), day.encode())
        assert line in many, (line, many[:300])
        t, one = cmd(s, b"FETCH %d (RFC822.SIZE INTERNALDATE)" % (i + 1))
        assert one.split(b"\r\n")[0] == line
    t, out = cmd(s, b"UID FETCH 40,2,17 (RFC822.SIZE)")
    assert out.count(b" FETCH (UID ") == 3
