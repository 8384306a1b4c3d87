"""Integration tests: CONDSTORE and QRESYNC (RFC 7162) as a reconnecting
client meets them.  A client remembers (UIDVALIDITY, HIGHESTMODSEQ),
goes away; meanwhile flags change and messages are expunged, by other
means than IMAP (a Maildir client renaming files, POP3-style removals);
each change is logged with what the client must be told.  The client
comes back with SELECT (QRESYNC (uidvalidity modseq)) and must get
exactly the flag changes and the VANISHED UIDs of the log: no fewer, no
more."""
import os
import re

from conftest import ALICE, deliver, message
from test_imap import imap, imap_user, lines_until, raw  # noqa: F401


def session(p, pw):
    s, _ = raw(p)
    s.sendall(b"a LOGIN %s %s\r\nb ENABLE QRESYNC\r\n" % (
        ALICE.encode(), pw.encode()))
    lines_until(s, b"b")
    return s


def select_state(s, extra=b""):
    """SELECT INBOX (with extra parameters); the answer's lines."""
    s.sendall(b"c SELECT INBOX" + extra + b"\r\n")
    return lines_until(s, b"c").decode()


def cur_files(p):
    d = os.path.join(p.maildir(ALICE), "cur")
    return {int(re.search(r",U=(\d+)", f).group(1)): f
            for f in os.listdir(d) if ",U=" in f}


def test_reconnect_gets_exactly_the_changes(imap):
    p = imap
    pw = imap_user(p)
    for i in range(10):
        deliver(p, ALICE, message(i))
    s = session(p, pw)
    out = select_state(s)
    uidvalidity = int(re.search(r"UIDVALIDITY (\d+)", out).group(1))
    modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", out).group(1))
    s.sendall(b"z LOGOUT\r\n")
    lines_until(s, b"z")
    s.close()

    # The log of what changes while the client is away.
    d = os.path.join(p.maildir(ALICE), "cur")
    files = cur_files(p)
    flagged = {2: "\\Seen", 5: "\\Flagged", 7: "\\Seen \\Answered"}
    letters = {2: "S", 5: "F", 7: "RS"}
    for uid, f in files.items():
        if uid in letters:
            base = f.split(":2,")[0]
            os.rename(os.path.join(d, f),
                      os.path.join(d, base + ":2," + letters[uid]))
    gone = [3, 8]
    for uid in gone:
        os.unlink(os.path.join(d, cur_files(p)[uid]))

    s = session(p, pw)
    out = select_state(s, b" (QRESYNC (%d %d))" % (uidvalidity, modseq))
    vanished = re.findall(r"^\* VANISHED \(EARLIER\) (\S+)\r$", out, re.M)
    fetched = {int(m.group(2)): m.group(3) for m in re.finditer(
        r"^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \(\d+\)\)\r$",
        out, re.M)}
    assert vanished == ["3,8"], out
    assert fetched == flagged, out
    # Sequence numbers are those after the expunges: UID 7 is the 6th.
    assert re.search(r"^\* 6 FETCH \(UID 7 ", out, re.M), out
    new_modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", out).group(1))
    assert new_modseq > modseq

    # Nothing changed since: a second reconnect gets nothing.
    s.sendall(b"d SELECT INBOX (QRESYNC (%d %d))\r\n" % (uidvalidity,
                                                         new_modseq))
    out = lines_until(s, b"d").decode()
    assert "VANISHED" not in out and "FETCH" not in out, out
    # A wrong UIDVALIDITY gets a plain SELECT.
    s.sendall(b"e SELECT INBOX (QRESYNC (%d %d))\r\n" % (uidvalidity + 1,
                                                         modseq))
    out = lines_until(s, b"e").decode()
    assert "VANISHED" not in out and "FETCH" not in out, out
    # known-uids limits VANISHED to UIDs the client knows of.
    s.sendall(b"f SELECT INBOX (QRESYNC (%d %d 1:5))\r\n" % (uidvalidity,
                                                            modseq))
    out = lines_until(s, b"f").decode()
    assert re.findall(r"^\* VANISHED \(EARLIER\) (\S+)\r$", out, re.M) \
        == ["3"], out
    s.close()


def test_qresync_needs_enable(imap):
    p = imap
    pw = imap_user(p)
    s, _ = raw(p)
    s.sendall(b"a LOGIN %s %s\r\nb SELECT INBOX (QRESYNC (1 1))\r\n" % (
        ALICE.encode(), pw.encode()))
    assert b"b BAD " in lines_until(s, b"b")
