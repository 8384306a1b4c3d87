"""Integration tests: IMAP SEARCH and UID SEARCH (RFC 3501/9051) with
ESEARCH (RFC 4731), SEARCHRES (RFC 5182), CONDSTORE's MODSEQ key (RFC
7162) and IMAP4rev2's ESEARCH answers, against a real imapd over TLS.

Messages are dropped into the Maildir's cur/ with their flags in the
name (":2,FS", and the keyword letter "a" listed in dovecot-keywords) and
their internal date as the file's mtime, as a Maildir client would; the
store gives UIDs to such files in mtime order.  Commands go over a raw
TLS socket so that every answer (ESEARCH included) is checked as sent."""
import base64
import calendar
import os
import pwd
import re
import time

from conftest import ALICE, IS_ROOT, deliver, message
from test_imap import imap, imap_user, raw, lines_until  # noqa: F401


def utc(y, m, d, hh=12):
    return calendar.timegm((y, m, d, hh, 0, 0))


def chown_all(p):
    if not IS_ROOT:
        return
    pw = pwd.getpwnam("_postern-mail")
    for root, dirs, files in os.walk(os.path.join(p.dir, "mail")):
        for x in dirs + files:
            os.chown(os.path.join(root, x), pw.pw_uid, pw.pw_gid)


def put(p, data, flags="", mtime=None, user=ALICE):
    """One message into cur/ with Maildir flags and an internal date."""
    md = p.maildir(user)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    put.n = getattr(put, "n", 0) + 1
    name = "%d.M%dP%d.test:2,%s" % (time.time(), put.n, os.getpid(), flags)
    path = os.path.join(md, "cur", name)
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    chown_all(p)
    return path


def keywords(p, names, user=ALICE):
    os.makedirs(p.maildir(user), exist_ok=True)
    with open(os.path.join(p.maildir(user), "dovecot-keywords"), "w") as f:
        for i, n in enumerate(names):
            f.write("%d %s\n" % (i, n))
    chown_all(p)


B64_BODY = base64.encodebytes("Grüße aus MÜNCHEN, die Stadt\n".encode())

MSG1 = (b"From: Alice Example <alice@example.org>\n"
        b"To: Bob <bob@example.com>\n"
        b"Subject: Hello world\n"
        b"Date: Mon, 5 Jan 2026 10:00:00 +0000\n"
        b"\n"
        b"The quick brown fox visits m\xc3\xbcnchen.\n")

MSG2 = (b"From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.org>\n"
        b"To: alice@example.test\n"
        b"Subject: =?UTF-8?B?w5xiZXIgZGllIEJyw7xja2U=?=\n"
        b"Date: Tue, 10 Feb 2026 09:00:00 +0100\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n" + B64_BODY)

MSG3 = (b"From: shop@example.net\n"
        b"To: alice@example.test\n"
        b"Cc: Carol <carol@example.net>\n"
        b"Subject: =?ISO-8859-1?Q?Caf=E9_au_lait?=\n"
        b"Date: yesterday, around noon\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n"
        b"\n"
        b"Un caf=E9 cr=E8me, s'il vous pla=EEt.=\n"
        b" Merci.\n")

ATTACH = base64.encodebytes(bytes(range(256)) * 40)

MSG4 = (b"From: news@example.com\n"
        b"To: alice@example.test\n"
        b"Bcc: dave@example.com\n"
        b"Subject: Newsletter\n"
        b"Date: 1 Mar 26 08:00 GMT\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=\"XYZ\"\n"
        b"\n"
        b"preamble text hidden\n"
        b"--XYZ\n"
        b"Content-Type: text/plain; charset=iso-8859-2\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"\n"
        b"Pozdrowienia z \xa3odzi i \xaf\xf3\xb3\xe6 na koniec\n"
        b"--XYZ\n"
        b"Content-Type: text/plain; charset=windows-1252\n"
        b"\n"
        b"Price: 10 \x80uro, \x93quoted\x94 text\n"
        b"--XYZ\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n" + ATTACH +
        b"--XYZ--\n"
        b"epilogue\n")

MSG5 = (b"From: bob@example.com\n"
        b"To: alice@example.test\n"
        b"Subject: late\n"
        b"X-Custom: Marker-42\n"
        b"Date: Sun, 15 Mar 2026 23:30:00 -0800\n"
        b"\n"
        b"nothing special here\n")


def setup_box(p):
    pw = imap_user(p)
    keywords(p, ["$Work"])
    put(p, MSG1, "S", utc(2026, 1, 5))
    put(p, MSG2, "FRS", utc(2026, 2, 10))
    put(p, MSG3, "Da", utc(2026, 3, 1))
    put(p, MSG4, "T", utc(2026, 3, 15))
    put(p, MSG5, "", utc(2026, 3, 16))
    return pw


class Conn:
    """A raw IMAP connection: cmd() sends one command and returns its
    untagged lines and the tagged line."""

    def __init__(self, p, pw):
        self.s, _ = raw(p)
        self.n = 0
        self.cmd("LOGIN %s %s" % (ALICE, pw), ok=True)

    def cmd(self, text, literal=None, ok=None):
        self.n += 1
        tag = b"t%d" % self.n
        data = text.encode() if isinstance(text, str) else text
        if literal is not None:
            data += b"{%d+}\r\n" % len(literal) + literal
        self.s.sendall(tag + b" " + data + b"\r\n")
        out = lines_until(self.s, tag).split(b"\r\n")
        tagged = [x for x in out if x.startswith(tag + b" ")][0]
        untagged = [x for x in out if x.startswith(b"* ")]
        if ok is True:
            assert tagged.startswith(tag + b" OK"), (text, out)
        self.tag = tag
        return untagged, tagged

    def search(self, crit, literal=None, uid=False):
        """The numbers of a plain SEARCH answer."""
        u, t = self.cmd(("UID SEARCH " if uid else "SEARCH ") + crit,
                        literal)
        assert b" OK " in t, (crit, u, t)
        lines = [x for x in u if x.startswith(b"* SEARCH")]
        assert len(lines) == 1, (crit, u)
        return [int(x) for x in lines[0].split()[2:]]

    def esearch(self, crit, uid=False):
        u, t = self.cmd(("UID SEARCH " if uid else "SEARCH ") + crit)
        assert b" OK " in t, (crit, u, t)
        return [x for x in u if x.startswith(b"* ESEARCH")]


def conn(p, pw, select=True):
    c = Conn(p, pw)
    if select:
        c.cmd("SELECT INBOX", ok=True)
    return c


def test_flag_keys_positive_and_negative(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("ALL") == [1, 2, 3, 4, 5]
    assert c.search("SEEN") == [1, 2]
    assert c.search("UNSEEN") == [3, 4, 5]
    assert c.search("ANSWERED") == [2]
    assert c.search("UNANSWERED") == [1, 3, 4, 5]
    assert c.search("FLAGGED") == [2]
    assert c.search("UNFLAGGED") == [1, 3, 4, 5]
    assert c.search("DELETED") == [4]
    assert c.search("UNDELETED") == [1, 2, 3, 5]
    assert c.search("DRAFT") == [3]
    assert c.search("UNDRAFT") == [1, 2, 4, 5]
    assert c.search("KEYWORD $Work") == [3]
    assert c.search("KEYWORD $work") == [3]
    assert c.search("UNKEYWORD $Work") == [1, 2, 4, 5]
    assert c.search("KEYWORD $Nope") == []
    assert c.search("UNKEYWORD $Nope") == [1, 2, 3, 4, 5]


def test_sets_sizes_and_internal_dates(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("2:3") == [2, 3]
    assert c.search("*") == [5]
    assert c.search("4,1") == [1, 4]
    assert c.search("9") == []
    assert c.search("UID 2,4:5") == [2, 4, 5]
    assert c.search("UID 99:*") == [5]
    assert c.search("UID 3", uid=True) == [3]
    assert c.search("UID 100") == []
    assert c.search("LARGER 5000") == [4]
    assert c.search("SMALLER 5000") == [1, 2, 3, 5]
    assert c.search("LARGER 100000") == []
    assert c.search("BEFORE 10-Feb-2026") == [1]
    assert c.search("ON 10-Feb-2026") == [2]
    assert c.search("ON 11-Feb-2026") == []
    assert c.search("SINCE 15-Mar-2026") == [4, 5]
    assert c.search("SINCE 1-Jan-2027") == []


def test_sent_dates_from_the_date_field(imap):
    p = imap
    c = conn(p, setup_box(p))
    # Message 3's Date: is not a date: it never matches SENT* keys.
    assert c.search("SENTBEFORE 10-Feb-2026") == [1]
    assert c.search("SENTON 10-Feb-2026") == [2]
    # Two-digit year, no day name.
    assert c.search("SENTON 1-Mar-2026") == [4]
    # The day as written, the zone disregarded (RFC 3501).
    assert c.search("SENTON 15-Mar-2026") == [5]
    assert c.search("SENTON 16-Mar-2026") == []
    assert c.search("SENTSINCE 1-Mar-2026") == [4, 5]
    assert c.search("NOT SENTSINCE 1-Mar-2026") == [1, 2, 3]


def test_header_keys_with_encoded_words(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("FROM alice@example.org") == [1]
    assert c.search("FROM \"Alice Example\"") == [1]
    assert c.search("TO bob") == [1]
    assert c.search("TO nobody") == []
    assert c.search("CC carol") == [3]
    assert c.search("CC bob") == []
    assert c.search("BCC dave") == [4]
    assert c.search("BCC carol") == []
    assert c.search("SUBJECT hello") == [1]
    assert c.search("SUBJECT HELLO") == [1]
    assert c.search("SUBJECT nothing") == []
    assert c.search("HEADER X-Custom marker-42") == [5]
    assert c.search("HEADER X-Custom marker-43") == []
    assert c.search("HEADER X-Custom \"\"") == [5]
    assert c.search("HEADER Subject newsletter") == [4]
    # =?UTF-8?B?...?= and =?ISO-8859-1?Q?...?=, any case, non-ASCII.
    assert c.search("CHARSET UTF-8 SUBJECT ",
                    "ÜBER DIE BRÜCKE".encode()) == [2]
    assert c.search("CHARSET UTF-8 SUBJECT ", "brücke".encode()) == [2]
    assert c.search("CHARSET UTF-8 SUBJECT ", "CAFÉ".encode()) == [3]
    assert c.search("CHARSET UTF-8 FROM ", "jörg müller".encode()) == [2]
    assert c.search("CHARSET UTF-8 FROM ", "jürg".encode()) == []
    # The raw encoded word is not what the user sees.
    assert c.search("SUBJECT w5xiZXIg") == []


def test_body_and_text_decoded_and_case_folded(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("BODY fox") == [1]
    assert c.search("BODY FOX") == [1]
    assert c.search("BODY elephant") == []
    # UTF-8 8bit body; base64 UTF-8 body: "MÜNCHEN" finds "münchen".
    assert c.search("CHARSET UTF-8 BODY ", "MÜNCHEN".encode()) == [1, 2]
    assert c.search("CHARSET UTF-8 BODY ", "grüße".encode()) == [2]
    assert c.search("BODY Stadt") == [2]
    # Quoted-printable ISO-8859-1, soft line break joined.
    assert c.search("CHARSET UTF-8 BODY ", "CAFÉ CRÈME".encode()) == [3]
    assert c.search("CHARSET UTF-8 BODY ", "plaît. Merci".encode()) == [3]
    # ISO-8859-2 and Windows-1252 parts.
    assert c.search("CHARSET UTF-8 BODY ", "łodzi".encode()) == [4]
    assert c.search("CHARSET UTF-8 BODY ", "ŻÓŁĆ".encode()) == [4]
    assert c.search("CHARSET UTF-8 BODY ", "€uro".encode()) == [4]
    assert c.search("CHARSET UTF-8 BODY ", "“quoted”".encode()) == [4]
    # Preambles and non-text parts are not searched.
    assert c.search("BODY preamble") == []
    # The header is not body; TEXT is both.
    assert c.search("BODY newsletter") == []
    assert c.search("TEXT newsletter") == [4]
    assert c.search("TEXT fox") == [1]
    assert c.search("CHARSET UTF-8 TEXT ", "brücke".encode()) == [2]
    assert c.search("TEXT zebra") == []
    assert c.search("CHARSET US-ASCII BODY FOX") == [1]


def test_and_or_not_nesting(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("SEEN FLAGGED") == [2]
    assert c.search("OR DELETED DRAFT") == [3, 4]
    assert c.search("NOT SEEN") == [3, 4, 5]
    assert c.search("NOT NOT SEEN") == [1, 2]
    assert c.search("(SEEN) (UNFLAGGED)") == [1]
    assert c.search("OR (SEEN SUBJECT hello) BODY zzz") == [1]
    assert c.search("OR SUBJECT late (DELETED BODY uro)") == [4, 5]
    assert c.search("NOT (OR SUBJECT late BODY fox)") == [2, 3, 4]
    assert c.search("UNSEEN NOT OR BODY uro TEXT late") == [3]
    assert c.search("OR OR 1 2 OR (UID 5) NOT ALL") == [1, 2, 5]
    assert c.search("ALL NOT (2:4 OR SEEN TEXT late)") == [1, 3, 4, 5]
    assert c.search("UID 1:* SUBJECT e 1:4 NOT DELETED") == [1, 2]


def test_uid_search_answers_uids(imap):
    p = imap
    pw = setup_box(p)
    c = conn(p, pw)
    # Expunge message 4 (\Deleted) so that UIDs and sequence numbers
    # differ.
    s2 = conn(p, pw)
    s2.cmd("EXPUNGE", ok=True)
    c.cmd("NOOP")
    assert c.search("ALL") == [1, 2, 3, 4]
    assert c.search("ALL", uid=True) == [1, 2, 3, 5]
    assert c.search("SUBJECT late", uid=True) == [5]
    assert c.search("SUBJECT late") == [4]
    assert c.search("UID 5") == [4]
    assert c.search("4", uid=True) == [5]
    assert c.search("UID 4") == []


def test_badcharset_and_bad_syntax(imap):
    p = imap
    c = conn(p, setup_box(p))
    u, t = c.cmd("SEARCH CHARSET ISO-8859-1 SUBJECT x")
    assert t.startswith(c.tag + b" NO [BADCHARSET"), t
    assert b"UTF-8" in t
    u, t = c.cmd("SEARCH FROBNICATE")
    assert t.startswith(c.tag + b" BAD"), t
    u, t = c.cmd("SEARCH BODY ", literal=b"x" * 5000)
    assert t.startswith(c.tag + b" NO [LIMIT]"), t
    assert c.search("CHARSET \"utf-8\" BODY fox") == [1]


def test_esearch_return_options(imap):
    p = imap
    c = conn(p, setup_box(p))
    t = c.n + 1
    assert c.esearch("RETURN (MIN MAX COUNT ALL) UNDELETED") == [
        b'* ESEARCH (TAG "t%d") MIN 1 MAX 5 COUNT 4 ALL 1:3,5' % t]
    t = c.n + 1
    assert c.esearch("RETURN () 2:4") == [b'* ESEARCH (TAG "t%d") ALL 2:4'
                                         % t]
    t = c.n + 1
    assert c.esearch("RETURN (COUNT) SUBJECT nothing") == [
        b'* ESEARCH (TAG "t%d") COUNT 0' % t]
    t = c.n + 1
    assert c.esearch("RETURN (MIN MAX) SUBJECT nothing") == [
        b'* ESEARCH (TAG "t%d")' % t]
    t = c.n + 1
    assert c.esearch("RETURN (MAX) UNSEEN", uid=True) == [
        b'* ESEARCH (TAG "t%d") UID MAX 5' % t]
    t = c.n + 1
    assert c.esearch("RETURN (ALL) OR 1 OR 3 5") == [
        b'* ESEARCH (TAG "t%d") ALL 1,3,5' % t]
    # The plain form is unchanged without RETURN.
    assert c.search("UNDELETED") == [1, 2, 3, 5]


def test_searchres_save_and_dollar(imap):
    p = imap
    c = conn(p, setup_box(p))
    # SAVE alone answers nothing.
    assert c.esearch("RETURN (SAVE) OR SEEN DRAFT") == []
    assert c.search("$") == [1, 2, 3]
    assert c.search("$", uid=True) == [1, 2, 3]
    assert c.search("UID $ FLAGGED") == [2]
    assert c.search("NOT $") == [4, 5]
    # "$" in the SAVE command is the previous result.
    assert c.esearch("RETURN (SAVE COUNT) $ UNFLAGGED") == [
        b'* ESEARCH (TAG "t%d") COUNT 2' % c.n]
    assert c.search("$") == [1, 3]
    # MIN/MAX alone: only those are saved.
    c.esearch("RETURN (SAVE MAX) ALL", uid=True)
    assert c.search("$") == [5]
    c.esearch("RETURN (SAVE MIN MAX) 2:4")
    assert c.search("$") == [2, 4]
    # An empty result saves nothing; a failed SAVE empties "$".
    c.esearch("RETURN (SAVE) SUBJECT nothing")
    assert c.search("$") == []
    c.esearch("RETURN (SAVE) ALL")
    u, t = c.cmd("SEARCH RETURN (SAVE) BODY ", literal=b"y" * 5000)
    assert b" NO " in t
    assert c.search("$") == []


def test_modseq_key_and_answers(imap):
    p = imap
    c = conn(p, setup_box(p))
    u, t = c.cmd("SELECT INBOX (CONDSTORE)", ok=True)
    hms = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(u)).group(1))
    lines, t = c.cmd("SEARCH MODSEQ 1")
    assert b" OK " in t
    m = re.match(rb"\* SEARCH 1 2 3 4 5 \(MODSEQ (\d+)\)$", lines[-1])
    assert m, lines
    top = int(m.group(1))
    assert 0 < top <= hms
    assert c.search("MODSEQ %d" % (hms + 1)) == []
    lines, t = c.cmd('SEARCH MODSEQ "/flags/\\\\seen" all 1 SEEN')
    assert re.match(rb"\* SEARCH 1 2 \(MODSEQ \d+\)$", lines[-1]), lines
    # ESEARCH with MODSEQ.
    e = c.esearch("RETURN (COUNT) MODSEQ 1")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) COUNT 5 MODSEQ %d$' % top,
                    e[0]), e
    # Without the MODSEQ key, no MODSEQ in the answer.
    assert c.search("SEEN") == [1, 2]


def test_imap4rev2_answers_esearch(imap):
    p = imap
    c = conn(p, setup_box(p), select=False)
    u, t = c.cmd("ENABLE IMAP4rev2", ok=True)
    c.cmd("SELECT INBOX", ok=True)
    assert c.esearch("SEEN") == [b'* ESEARCH (TAG "t%d") ALL 1:2' % c.n]
    assert c.esearch("UNSEEN", uid=True) == [
        b'* ESEARCH (TAG "t%d") UID ALL 3:5' % c.n]
    assert c.esearch("SUBJECT nothing") == [b'* ESEARCH (TAG "t%d")' % c.n]
    assert c.esearch("RETURN (COUNT) ALL") == [
        b'* ESEARCH (TAG "t%d") COUNT 5' % c.n]
    u, t = c.cmd("SEARCH ALL")
    assert not any(x.startswith(b"* SEARCH") for x in u), u
    # RECENT, NEW and OLD keep their IMAP4rev1 meaning.
    assert c.esearch("OLD") == [b'* ESEARCH (TAG "t%d") ALL 1:5' % c.n]
    assert c.esearch("RECENT") == [b'* ESEARCH (TAG "t%d")' % c.n]


def test_recent_new_old(imap):
    p = imap
    c = conn(p, setup_box(p))
    assert c.search("RECENT") == []
    assert c.search("NEW") == []
    assert c.search("OLD") == [1, 2, 3, 4, 5]
    deliver(p, ALICE, message(6, body="fresh"))
    c.cmd("NOOP")
    assert c.search("RECENT") == [6]
    assert c.search("NEW") == [6]
    assert c.search("NOT NEW") == [1, 2, 3, 4, 5]
    assert c.search("OLD") == [1, 2, 3, 4, 5]
    assert c.search("NEW BODY fresh") == [6]


def test_expunged_by_another_session_does_not_crash(imap):
    p = imap
    pw = setup_box(p)
    c = conn(p, pw)
    other = conn(p, pw)
    other.cmd("EXPUNGE", ok=True)    # message 4, \Deleted
    # A file removed behind the index's back, too.
    cur = os.path.join(p.maildir(ALICE), "cur")
    victim = [f for f in os.listdir(cur) if ",U=3" in f]
    for f in victim:
        os.unlink(os.path.join(cur, f))
    u, t = c.cmd("SEARCH TEXT e")
    assert b" OK " in t
    assert not any(b"EXPUNGE" in x for x in u), u
    hits = [int(x) for x in [y for y in u if y.startswith(b"* SEARCH")][0]
            .split()[2:]]
    assert hits == [1, 2, 5], u
    # UID SEARCH may report the expunge before its tagged answer.
    u, t = c.cmd("UID SEARCH ALL")
    assert b" OK " in t
    u, t = c.cmd("NOOP")
    assert b" OK " in t


def test_many_messages_large_and_header_only(imap):
    p = imap
    pw = imap_user(p)
    for i in range(200):
        put(p, ("From: u%d@example.org\nSubject: item %d\n\nbody %d %s\n"
                % (i, i, i, "needle" if i % 50 == 7 else "hay")).encode(),
            "", utc(2026, 1, 1) + i)
    big = (b"From: big@example.org\nSubject: big one\n\n" +
           b"filler line of text\n" * 300000 + b"the needle at the end\n")
    put(p, big, "", utc(2026, 2, 1))
    c = conn(p, pw)
    assert c.search("BODY needle") == [8, 58, 108, 158, 201]
    assert c.search("FROM u150@") == [151]
    assert c.search("SUBJECT \"big one\" BODY \"at the end\"") == [201]
    assert c.search("SUBJECT \"item 1\" NOT BODY needle") == [
        x + 1 for x in range(200) if str(x).startswith("1") and x % 50 != 7]


def test_repeated_header_searches_agree(imap):
    """The header fields searched are kept for the session: the same
    answers the second time, after new names, new mail and with more
    names than are kept."""
    p = imap
    c = conn(p, setup_box(p))
    for _ in range(2):
        assert c.search("SUBJECT hello") == [1]
        assert c.search("CHARSET UTF-8 SUBJECT ", "brücke".encode()) == [2]
    assert c.search("OR FROM bob TO bob") == [1, 5]
    assert c.search("SUBJECT late") == [5]
    assert c.search("SENTON 15-Mar-2026 SUBJECT late") == [5]
    assert c.search("HEADER x-custom MARKER") == [5]
    assert c.search("SUBJECT newsletter") == [4]
    deliver(p, ALICE, message(6, body="fresh"))
    c.cmd("NOOP")
    assert c.search("SUBJECT message") == [6]
    assert c.search("SUBJECT hello") == [1]
    many = ("OR HEADER A1 x OR HEADER A2 x OR HEADER A3 x OR HEADER A4 x "
            "OR HEADER A5 x OR HEADER A6 x OR HEADER A7 x OR HEADER A8 x "
            "OR HEADER A9 x SUBJECT late")
    assert c.search(many) == [5]
    assert c.search(many) == [5]
    assert c.search("SUBJECT late") == [5]
    assert c.search("NOT SUBJECT e") == [3]


def test_expunge_while_searching(imap):
    """Another session expunges every message while searches by sequence
    number and by UID run: each answers OK, the seq SEARCH sends no
    EXPUNGE, and the next NOOP reports them all."""
    import threading
    p = imap
    pw = imap_user(p)
    for i in range(300):
        put(p, ("From: a@example.org\nSubject: doomed %d\n\n%s\n"
                % (i, "text line\n" * 200)).encode(), "T",
            utc(2026, 1, 1) + i)
    c = conn(p, pw)
    other = conn(p, pw)
    t = threading.Thread(target=lambda: other.cmd("EXPUNGE", ok=True))
    t.start()
    for _ in range(4):
        u, tagged = c.cmd("SEARCH BODY \"line\" NOT SUBJECT zzz")
        assert b" OK " in tagged, tagged
        assert not any(b"EXPUNGE" in x for x in u), u[:3]
        u, tagged = c.cmd("UID SEARCH TEXT doomed")
        assert b" OK " in tagged, tagged
    t.join()
    u, tagged = c.cmd("NOOP")
    assert c.search("ALL") == []
