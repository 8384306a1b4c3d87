"""Integration tests: imapd's APPEND, STORE, COPY and MOVE (and EXPUNGE
after STORE) over TLS with Python's imaplib and raw sockets, against a
real authd, on 127.0.0.1: flags and keywords kept in the Maildir's file
names across sessions and index rebuilds, UIDPLUS, LITERAL+, streamed
large messages, APPENDLIMIT, quota, UNCHANGEDSINCE, and what two
sessions (and POP3) see of each other's changes.

Messages are put into the Maildir's new/ as any delivery agent does, or
appended over IMAP; the tests read the Maildir's files to check what was
stored."""
import calendar
import os
import poplib
import pwd
import re
import shutil
import time

from conftest import ALICE, IS_ROOT, deliver, message, tls_context
from test_imap import imap, imap_user, login, raw, \
    lines_until  # noqa: F401


# --- helpers -----------------------------------------------------------------

def chown_mail(p):
    """As root, give the mail tree to the mail user, as deliver() does."""
    if not IS_ROOT:
        return
    pw = pwd.getpwnam("_postern-mail")
    for root, dirs, files in os.walk(os.path.join(p.dir, "mail")):
        for x in dirs + files:
            os.chown(os.path.join(root, x), pw.pw_uid, pw.pw_gid)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chown(os.path.join(p.dir, "mail"), 0, 0)


def make_folder(p, name, user=ALICE):
    """A Maildir++ folder .name, as CREATE will make it."""
    d = os.path.join(p.maildir(user), "." + name)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "maildirfolder"), "w").close()
    chown_mail(p)


def set_quota(p, limit, user=ALICE):
    """The user's quota in bytes, set as an administrator does: authd
    hands it to the mail role at the next login."""
    p.authctl("user", "quota", user, str(limit))


def files(p, folder=None, user=ALICE):
    """{uid: (path, info letters)} of the messages in cur/."""
    d = p.maildir(user)
    if folder:
        d = os.path.join(d, "." + folder)
    out = {}
    for name in os.listdir(os.path.join(d, "cur")):
        m = re.search(r",U=(\d+):2,([A-Za-z]*)$", name)
        assert m, name
        out[int(m.group(1))] = (os.path.join(d, "cur", name), m.group(2))
    return out


def keywords_file(p, folder=None, user=ALICE):
    d = p.maildir(user)
    if folder:
        d = os.path.join(d, "." + folder)
    with open(os.path.join(d, "dovecot-keywords")) as f:
        return dict((int(i), n) for i, n in
                    (line.split(" ", 1) for line in f.read().splitlines()))


def letters(p, uid, folder=None):
    """The keyword names of message uid from its file name's letters."""
    kw = keywords_file(p, folder)
    info = files(p, folder)[uid][1]
    return sorted(kw[ord(c) - ord("a")] for c in info if c.islower())


class Raw:
    """A logged-in raw session: send a command, get its whole answer."""

    def __init__(self, p, pw):
        self.s, _ = raw(p)
        self.n = 0
        out = self.cmd(b"LOGIN %s %s" % (ALICE.encode(), pw.encode()))
        assert b" OK " in out, out

    def tag(self):
        self.n += 1
        return b"t%d" % self.n

    def cmd(self, text):
        t = self.tag()
        self.s.sendall(t + b" " + text + b"\r\n")
        return lines_until(self.s, t)

    def send(self, data):
        self.s.sendall(data)

    def until(self, tag):
        return lines_until(self.s, tag)

    def wait_for(self, what, timeout=5):
        """Read until what shows up (IDLE); the bytes read."""
        self.s.settimeout(timeout)
        got = b""
        try:
            while what not in got:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise AssertionError("closed; got %r" % got)
                got += chunk
        finally:
            self.s.settimeout(30)
        return got

    def close(self):
        self.s.close()


def tagged(out, tag=None):
    """The tagged line of an answer."""
    lines = [x for x in out.split(b"\r\n") if x and not x.startswith(b"* ")
             and not x.startswith(b"+")]
    return lines[-1]


def flags_of(out, seq):
    """The FLAGS of "* seq FETCH" in out, as a sorted list."""
    m = re.search(rb"\* %d FETCH \([^\r]*FLAGS \(([^)]*)\)" % seq, out)
    assert m, (seq, out)
    return sorted(m.group(1).decode().split())


def store_flags(c, seqs):
    """The current flags of seqs through imaplib: STORE +FLAGS () sets
    nothing and answers each message's FLAGS."""
    typ, data = c.store(seqs, "+FLAGS", "()")
    assert typ == "OK", data
    out = {}
    for d in data:
        m = re.match(rb"(\d+) \(FLAGS \(([^)]*)\)", d)
        assert m, data
        out[int(m.group(1))] = sorted(m.group(2).decode().split())
    return out


DATE = '"15-Mar-2024 10:20:30 +0100"'
DATE_EPOCH = calendar.timegm((2024, 3, 15, 9, 20, 30))


# --- APPEND --------------------------------------------------------------------

def test_append_flags_keywords_date_and_appenduid(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    text = message(1).replace("\n", "\r\n").encode()
    typ, data = c.append("INBOX", r"(\Seen \Flagged $Junk)", DATE, text)
    assert typ == "OK", data
    m = re.match(rb"\[APPENDUID (\d+) (\d+)\] APPEND completed", data[0])
    assert m, data
    uid = int(m.group(2))
    typ, data = c.append("INBOX", "(Work $Forwarded)", None, text)
    m2 = re.match(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
    assert typ == "OK" and m2.group(1) == m.group(1), data
    assert int(m2.group(2)) == uid + 1
    c.logout()
    f = files(p)
    path, info = f[uid]
    assert "S" in info and "F" in info and "T" not in info, info
    assert letters(p, uid) == ["$Junk"]
    assert letters(p, uid + 1) == ["$Forwarded", "Work"]
    assert os.stat(path).st_mtime == DATE_EPOCH
    with open(path, "rb") as fh:
        assert fh.read() == message(1).encode()
    # without a date the internal date is now
    assert abs(os.stat(f[uid + 1][0]).st_mtime - time.time()) < 60


def test_append_literal_plus_empty_8bit_and_literal8(imap):
    p = imap
    pw = imap_user(p)
    r = Raw(p, pw)
    eight = "Subject: caf\u00e9\r\n\r\nna\u00efve \u00fcber\r\n".encode()
    binary = b"Subject: bin\r\n\r\n\x00\x01\xff\r\nend\x00"
    # Non-synchronizing literals, pipelined without waiting for "+".
    r.send(b"a1 APPEND INBOX {0+}\r\n\r\n"
           b"a2 APPEND INBOX (\\Draft) {%d+}\r\n%s\r\n"
           b"a3 APPEND INBOX ~{%d+}\r\n%s\r\n" % (
               len(eight), eight, len(binary), binary))
    out = r.until(b"a3")
    assert b"+ " not in out, out
    uids = [int(x) for x in re.findall(rb"a\d OK \[APPENDUID \d+ (\d+)\]",
                                       out)]
    assert len(uids) == 3, out
    # A synchronizing literal waits for the continuation.
    r.send(b"a4 APPEND INBOX {5}\r\n")
    assert r.s.recv(100).startswith(b"+ ")
    r.send(b"hello\r\n")
    assert re.search(rb"a4 OK \[APPENDUID", r.until(b"a4"))
    # A NUL octet needs literal8, large or not.
    r.send(b"a5 APPEND INBOX {3+}\r\na\x00b\r\n")
    assert b"a5 BAD " in r.until(b"a5")
    big = b"Subject: big\r\n\r\n" + b"\x00\x01" * 50000 + b"\r\n"
    r.send(b"a6 APPEND INBOX {%d+}\r\n%s\r\n" % (len(big), big))
    assert tagged(r.until(b"a6")).startswith(b"a6 BAD NUL octet")
    r.send(b"a7 APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(big), big))
    m = re.search(rb"a7 OK \[APPENDUID \d+ (\d+)\]", r.until(b"a7"))
    assert m
    uids.append(int(m.group(1)))
    r.close()
    f = files(p)
    with open(f[uids[0]][0], "rb") as fh:
        assert fh.read() == b""
    with open(f[uids[1]][0], "rb") as fh:
        assert fh.read() == eight.replace(b"\r\n", b"\n")
    assert f[uids[1]][1] == "D"
    with open(f[uids[2]][0], "rb") as fh:
        assert fh.read() == binary.replace(b"\r\n", b"\n")
    with open(f[uids[3]][0], "rb") as fh:
        assert fh.read() == big.replace(b"\r\n", b"\n")
    assert len(f) == 5
    assert os.listdir(os.path.join(p.maildir(ALICE), "tmp")) == []


def test_append_to_the_selected_folder_reports_exists_first(imap):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(0))
    r = Raw(p, pw)
    assert b"* 1 EXISTS" in r.cmd(b"SELECT INBOX")
    r.send(b"a1 APPEND INBOX (\\Seen) {5+}\r\nhello\r\n")
    out = r.until(b"a1")
    assert out.index(b"* 2 EXISTS") < out.index(b"a1 OK [APPENDUID"), out
    # RFC 3501 \Recent: the new message is recent to this session
    assert b"* 1 RECENT" in out, out
    out = r.cmd(b"NOOP")
    assert b"EXISTS" not in out, out
    r.close()


def test_append_10mb_is_streamed_and_stored_byte_for_byte(imap):
    p = imap
    pw = imap_user(p)
    body = b"".join(b"line %07d: %s\r\n" % (i, b"x" * (i % 61))
                    for i in range(250000))
    text = b"Subject: big\r\n\r\n" + body
    text = text[:10 * 1024 * 1024 - 2] + b"\r\n"
    assert len(text) == 10 * 1024 * 1024
    r = Raw(p, pw)
    r.send(b"a1 APPEND INBOX (\\Seen) {%d}\r\n" % len(text))
    assert r.s.recv(100).startswith(b"+ ")
    r.send(text + b"\r\n")
    out = r.until(b"a1")
    m = re.search(rb"a1 OK \[APPENDUID \d+ (\d+)\]", out)
    assert m, out
    path, info = files(p)[int(m.group(1))]
    assert info == "S"
    with open(path, "rb") as fh:
        assert fh.read() == text.replace(b"\r\n", b"\n")
    # W= is the size with CRLF line ends: the literal's
    assert ",W=%d," % len(text) in os.path.basename(path)
    # The same with LITERAL+, and nothing is left in tmp/.
    r.send(b"a2 APPEND INBOX {%d+}\r\n%s\r\n" % (len(text), text))
    assert re.search(rb"a2 OK \[APPENDUID", r.until(b"a2"))
    assert os.listdir(os.path.join(p.maildir(ALICE), "tmp")) == []
    r.close()


def test_append_cut_short_leaves_nothing(imap):
    p = imap
    pw = imap_user(p)
    r = Raw(p, pw)
    r.send(b"a1 APPEND INBOX {%d+}\r\n" % 300000 + b"h" * 150000)
    tmp = os.path.join(p.maildir(ALICE), "tmp")
    deadline = time.monotonic() + 5
    while not os.listdir(tmp) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(os.listdir(tmp)) == 1, "the message is written as it comes"
    r.close()
    deadline = time.monotonic() + 5
    while "disconnected without LOGOUT" not in p.imap_log() and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert "0 appended" in p.imap_log()
    assert os.listdir(tmp) == []
    assert os.listdir(os.path.join(p.maildir(ALICE), "cur")) == []


def test_append_to_a_missing_folder_is_trycreate(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    typ, data = c.append("NoSuchFolder", None, None, b"Subject: x\r\n\r\n")
    assert typ == "NO" and data[0].startswith(b"[TRYCREATE]"), data
    c.logout()
    # A large message is refused before the client sends it.
    r = Raw(p, pw)
    r.send(b"a1 APPEND NoSuchFolder {200000}\r\n")
    out = r.until(b"a1")
    assert out == b"a1 NO [TRYCREATE] No such mailbox\r\n", out
    assert b" OK " in r.cmd(b"NOOP")
    make_folder(p, "Archive")
    r.send(b"a2 APPEND Archive {200000}\r\n")
    assert r.s.recv(100).startswith(b"+ ")
    r.send(b"S" * 200000 + b"\r\n")
    assert re.search(rb"a2 OK \[APPENDUID", r.until(b"a2"))
    r.close()
    assert len(files(p, "Archive")) == 1


def test_append_over_the_append_limit_is_no_toobig(imap):
    p = imap
    p.stop_imapd()
    p.write_config("imap append limit 1M\n")
    p.start_imapd()
    pw = imap_user(p)
    r = Raw(p, pw)
    assert b"APPENDLIMIT=1048576" in r.cmd(b"CAPABILITY")
    # synchronizing: refused instead of the continuation
    r.send(b"a1 APPEND INBOX {1048577}\r\n")
    out = r.until(b"a1")
    assert out.startswith(b"a1 NO [TOOBIG] "), out
    # non-synchronizing: the octets are read and dropped
    r.send(b"a2 APPEND INBOX {1048577+}\r\n" + b"x" * 1048577 + b"\r\n")
    out = r.until(b"a2")
    assert out.startswith(b"a2 NO [TOOBIG] "), out
    # exactly the limit is fine
    r.send(b"a3 APPEND INBOX {1048576+}\r\n" + b"y" * 1048576 + b"\r\n")
    assert re.search(rb"a3 OK \[APPENDUID", r.until(b"a3"))
    # other commands' literals are still a BAD [TOOBIG]
    r.send(b"a4 LIST \"\" {1048577}\r\n")
    assert r.until(b"a4").startswith(b"a4 BAD [TOOBIG] ")
    assert b" OK " in r.cmd(b"NOOP")
    r.close()
    assert len(files(p)) == 1


def test_append_over_quota_is_overquota(imap):
    p = imap
    pw = imap_user(p)
    set_quota(p, 150000)
    r = Raw(p, pw)
    small = b"Subject: s\r\n\r\n" + b"z" * 40000 + b"\r\n"
    r.send(b"a1 APPEND INBOX {%d+}\r\n%s\r\n" % (len(small), small))
    assert re.search(rb"a1 OK \[APPENDUID", r.until(b"a1"))
    # inline (at most 64K): the store refuses it
    r.send(b"a2 APPEND INBOX {60000+}\r\n" + b"z" * 60000 + b"\r\n")
    assert b"a2 OK " in r.until(b"a2")
    r.send(b"a3 APPEND INBOX {60000+}\r\n" + b"z" * 60000 + b"\r\n")
    assert r.until(b"a3").startswith(b"a3 NO [OVERQUOTA] ")
    # external: refused before the continuation
    r.send(b"a4 APPEND INBOX {100000}\r\n")
    assert r.until(b"a4") == b"a4 NO [OVERQUOTA] Quota exceeded\r\n"
    assert b" OK " in r.cmd(b"NOOP")
    r.close()
    assert len(files(p)) == 2
    assert os.listdir(os.path.join(p.maildir(ALICE), "tmp")) == []


def test_append_with_bad_syntax_before_a_large_literal_is_bad(imap):
    p = imap
    pw = imap_user(p)
    r = Raw(p, pw)
    r.send(b"a1 APPEND INBOX (\\Bogus) {100000}\r\n")
    out = r.until(b"a1")
    assert out.startswith(b"a1 BAD ") and b"system flag" in out, out
    r.send(b"a2 APPEND INBOX \"99-Foo-2024 00:00:00 +0000\" {100000+}\r\n" +
           b"q" * 100000 + b"\r\n")
    assert r.until(b"a2").startswith(b"a2 BAD ")
    assert b" OK " in r.cmd(b"NOOP")
    r.close()
    assert os.listdir(os.path.join(p.maildir(ALICE), "cur")) == []


# --- STORE ---------------------------------------------------------------------

def test_store_all_forms_and_keywords_survive_sessions_and_rebuild(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    r = Raw(p, pw)
    r.cmd(b"SELECT INBOX")
    out = r.cmd(b"STORE 1 FLAGS (\\Seen $Junk)")
    assert flags_of(out, 1) == ["$Junk", "\\Seen"], out
    # a new keyword is announced with FLAGS and PERMANENTFLAGS
    assert re.search(rb"\* FLAGS \([^)]*\$Junk", out), out
    assert re.search(rb"PERMANENTFLAGS \([^)]*\$Junk[^)]*\\\*\)", out), out
    out = r.cmd(b"STORE 1:2 +FLAGS (\\Flagged $Forwarded label-1)")
    assert flags_of(out, 1) == ["$Forwarded", "$Junk", "\\Flagged",
                                "\\Seen", "label-1"], out
    assert flags_of(out, 2) == ["$Forwarded", "\\Flagged", "label-1"], out
    out = r.cmd(b"STORE 1 -FLAGS ($Junk \\Seen NeverSeen)")
    assert flags_of(out, 1) == ["$Forwarded", "\\Flagged", "label-1"], out
    out = r.cmd(b"STORE 3 +FLAGS.SILENT ($NotJunk $MDNSent \\Answered)")
    assert b"FETCH" not in out and tagged(out).endswith(b"OK STORE "
                                                        b"completed"), out
    out = r.cmd(b"UID STORE 2 FLAGS (\\Draft)")
    assert re.search(rb"\* 2 FETCH \(FLAGS \(\\Draft\) UID 2\)", out), out
    out = r.cmd(b"NOOP")
    assert b"FETCH" not in out, out
    out = r.cmd(b"STORE 2:9 +FLAGS (\\Seen)")
    assert tagged(out).endswith(b"BAD No message 9: the mailbox has 3"), out
    assert b"FETCH" not in out, out
    r.close()
    assert "NeverSeen" not in keywords_file(p).values()
    assert letters(p, 3) == ["$MDNSent", "$NotJunk"]
    expect = {1: ["$Forwarded", "\\Flagged", "label-1"], 2: ["\\Draft"],
              3: ["$MDNSent", "$NotJunk", "\\Answered"]}
    c = login(p, pw)
    c.select("INBOX")
    assert store_flags(c, "1:3") == expect
    c.logout()
    # the index is a cache: the flags live in the file names
    shutil.rmtree(os.path.join(p.maildir(ALICE), "index.lmdb"))
    c = login(p, pw)
    typ, data = c.select("INBOX")
    assert data == [b"3"]
    assert store_flags(c, "1:3") == expect
    c.logout()


def test_store_in_a_read_only_folder_is_refused(imap):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(0))
    r = Raw(p, pw)
    r.cmd(b"EXAMINE INBOX")
    out = r.cmd(b"STORE 1 +FLAGS (\\Seen)")
    assert tagged(out).endswith(b"NO [READ-ONLY] Mailbox is read-only")
    assert tagged(r.cmd(b"MOVE 1 INBOX")).endswith(b"NO [READ-ONLY] "
                                                   b"Mailbox is read-only")
    # COPY only reads the folder: allowed
    out = r.cmd(b"COPY 1 INBOX")
    assert re.search(rb"OK \[COPYUID \d+ 1 2\] COPY completed", out), out
    assert b"* 2 EXISTS" in out, out
    r.close()
    assert files(p)[1][1] == "" and len(files(p)) == 2


def test_store_deleted_then_expunge(imap):
    p = imap
    pw = imap_user(p)
    for i in range(4):
        deliver(p, ALICE, message(i))
    r = Raw(p, pw)
    r.cmd(b"SELECT INBOX")
    r.cmd(b"STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    out = r.cmd(b"EXPUNGE")
    assert out.index(b"* 4 EXPUNGE") < out.index(b"* 2 EXPUNGE"), out
    assert sorted(files(p)) == [1, 3]
    out = r.cmd(b"STORE 2 +FLAGS (\\Deleted)")
    assert re.search(rb"\* 2 FETCH \(FLAGS \(\\Deleted\)\)", out), out
    out = r.cmd(b"UID EXPUNGE 1:2")
    assert b"EXPUNGE" not in out.replace(b"UID EXPUNGE", b""), out
    out = r.cmd(b"UID EXPUNGE 3")
    assert b"* 2 EXPUNGE" in out, out
    r.close()
    assert sorted(files(p)) == [1]


def test_store_unchangedsince_reports_modified(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    a, b = Raw(p, pw), Raw(p, pw)
    a.cmd(b"ENABLE CONDSTORE")
    out = a.cmd(b"SELECT INBOX")
    high = int(re.search(rb"HIGHESTMODSEQ (\d+)", out).group(1))
    b.cmd(b"SELECT INBOX")
    out = a.cmd(b"STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % high)
    mods = [int(x) for x in re.findall(rb"MODSEQ \((\d+)\)", out)]
    assert len(mods) == 3 and len(set(mods)) == 1 and mods[0] > high, out
    assert tagged(out).endswith(b"OK STORE completed"), out
    # session b changes message 2 behind a's back
    assert b"OK" in b.cmd(b"STORE 2 +FLAGS (\\Flagged)")
    out = a.cmd(b"STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Deleted)" %
                mods[0])
    assert tagged(out).endswith(b"OK [MODIFIED 2] Conditional STORE "
                                b"failed"), out
    # .SILENT: MODSEQ only for the changed; FLAGS for what b changed
    assert re.search(rb"\* 1 FETCH \(MODSEQ \(\d+\)\)", out), out
    assert re.search(rb"\* 3 FETCH \(MODSEQ \(\d+\)\)", out), out
    assert flags_of(out, 2) == ["\\Flagged", "\\Seen"], out
    assert b"\\Deleted" not in re.search(rb"\* 2 FETCH[^\r]*", out).group(0)
    # UID STORE names UIDs; 0 always fails
    out = a.cmd(b"UID STORE 2:3 (UNCHANGEDSINCE 0) FLAGS (\\Answered)")
    assert tagged(out).endswith(b"OK [MODIFIED 2:3] Conditional STORE "
                                b"failed"), out
    out = a.cmd(b"NOOP")
    assert b"FETCH" not in out, out
    a.close()
    b.close()
    f = files(p)
    assert f[1][1] == "ST" and f[2][1] == "FS" and f[3][1] == "ST", f


def test_store_beyond_26_keywords_is_limit(imap):
    p = imap
    pw = imap_user(p)
    deliver(p, ALICE, message(0))
    r = Raw(p, pw)
    r.cmd(b"SELECT INBOX")
    kws = b" ".join(b"kw%02d" % i for i in range(26))
    out = r.cmd(b"STORE 1 +FLAGS (" + kws + b")")
    assert len(flags_of(out, 1)) == 26, out
    out = r.cmd(b"STORE 1 +FLAGS (one-too-many)")
    assert tagged(out).endswith(b"NO [LIMIT] At most 26 keywords in a "
                                b"mailbox"), out
    r.send(b"a1 APPEND INBOX (another) {1+}\r\nx\r\n")
    assert tagged(r.until(b"a1")).startswith(b"a1 NO [LIMIT] ")
    # an existing keyword, in another case, is still fine
    out = r.cmd(b"STORE 1 FLAGS (KW00 \\Seen)")
    assert flags_of(out, 1) == ["\\Seen", "kw00"], out
    r.close()


# --- COPY and MOVE ---------------------------------------------------------------

def test_copy_and_move_with_copyuid(imap):
    p = imap
    pw = imap_user(p)
    for i in range(5):
        deliver(p, ALICE, message(i))
    make_folder(p, "Archive")
    r = Raw(p, pw)
    r.cmd(b"SELECT INBOX")
    r.cmd(b"STORE 1 +FLAGS (\\Seen $Junk)")
    out = r.cmd(b"COPY 1:2,4 Archive")
    m = re.search(rb"OK \[COPYUID (\d+) 1:2,4 1:3\] COPY completed", out)
    assert m, out
    uv = m.group(1)
    assert b"EXPUNGE" not in out
    out = r.cmd(b"UID MOVE 2:3 Archive")
    first = out.index(b"* OK [COPYUID %s 2:3 4:5] Moved" % uv)
    assert first < out.index(b"* 3 EXPUNGE") < out.index(b"* 2 EXPUNGE"), out
    assert tagged(out).endswith(b"OK UID MOVE completed"), out
    out = r.cmd(b"MOVE 3 Archive")
    assert b"* OK [COPYUID %s 5 6] Moved" % uv in out, out
    assert b"* 3 EXPUNGE" in out, out
    r.cmd(b"UNSELECT")                  # ENABLE only before a SELECT
    r.cmd(b"ENABLE QRESYNC")
    r.cmd(b"SELECT INBOX")
    out = r.cmd(b"UID MOVE 1 Archive")
    assert b"* VANISHED 1\r\n" in out and b"EXPUNGE\r\n" not in out, out
    out = r.cmd(b"COPY 1 NoSuchFolder")
    assert tagged(out).endswith(b"NO [TRYCREATE] No such mailbox"), out
    out = r.cmd(b"UID COPY 999 NoSuchFolder")
    assert tagged(out).endswith(b"NO [TRYCREATE] No such mailbox"), out
    out = r.cmd(b"UID COPY 999 Archive")
    assert tagged(out).endswith(b"OK UID COPY completed"), out
    r.close()
    assert sorted(files(p)) == [4]
    arch = files(p, "Archive")
    assert sorted(arch) == [1, 2, 3, 4, 5, 6, 7]
    # flags and keywords travel with the message
    assert arch[1][1] == "Sa" and letters(p, 1, "Archive") == ["$Junk"]
    assert arch[7][1] == "Sa"
    for uid in (1, 7):
        with open(arch[uid][0]) as fh:
            assert fh.read() == message(0)


def test_imaplib_client_flow(imap):
    """What a simple client does: flag, copy to the archive, move to the
    trash, delete and expunge, through imaplib's own calls."""
    p = imap
    pw = imap_user(p)
    for i in range(4):
        deliver(p, ALICE, message(i))
    make_folder(p, "Archive")
    make_folder(p, "Trash")
    c = login(p, pw)
    assert c.select("INBOX") == ("OK", [b"4"])
    typ, data = c.store("1:2", "+FLAGS", r"(\Seen $Forwarded)")
    assert typ == "OK" and len(data) == 2, data
    typ, data = c.copy("1:2", "Archive")
    assert typ == "OK" and b"[COPYUID " in data[0], data
    typ, data = c.uid("MOVE", "3", "Trash")
    assert typ == "OK", data
    assert c.response("EXPUNGE") == ("EXPUNGE", [b"3"])
    typ, data = c.uid("STORE", "4", "+FLAGS.SILENT", r"(\Deleted)")
    assert typ == "OK" and data == [None], data
    typ, data = c.expunge()
    assert (typ, data) == ("OK", [b"3"]), data
    c.close()
    c.logout()
    assert sorted(files(p)) == [1, 2]
    assert [v[1] for k, v in sorted(files(p, "Archive").items())] == \
        ["Sa", "Sa"]
    assert sorted(files(p, "Trash")) == [1]


def test_copy_over_quota_and_move_within_it(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i, body="b" * 1000))
    make_folder(p, "Archive")
    set_quota(p, 4000)
    r = Raw(p, pw)
    r.cmd(b"SELECT INBOX")
    out = r.cmd(b"COPY 1:2 Archive")
    assert tagged(out).endswith(b"NO [OVERQUOTA] Quota exceeded"), out
    out = r.cmd(b"MOVE 1:2 Archive")
    assert b"* OK [COPYUID " in out and tagged(out).endswith(b"OK MOVE "
                                                             b"completed")
    r.close()
    assert len(files(p, "Archive")) == 2 and len(files(p)) == 1


# --- concurrent sessions ------------------------------------------------------------

def test_two_sessions_see_each_others_changes(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    a, b = Raw(p, pw), Raw(p, pw)
    a.cmd(b"SELECT INBOX")
    b.cmd(b"SELECT INBOX")
    # flags, after NOOP
    a.cmd(b"STORE 2 +FLAGS (\\Seen $Junk)")
    out = b.cmd(b"NOOP")
    assert flags_of(out, 2) == ["$Junk", "\\Seen"], out
    assert b"FETCH" not in a.cmd(b"NOOP")
    # an expunge, after NOOP
    b.cmd(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert b"* 1 EXPUNGE" in b.cmd(b"EXPUNGE")
    out = a.cmd(b"NOOP")
    assert b"* 1 FETCH" not in out and b"* 1 EXPUNGE" in out, out
    # an append, after NOOP
    a.send(b"x1 APPEND INBOX {5+}\r\nhello\r\n")
    assert b"* 3 EXISTS" in a.until(b"x1")
    assert b"* 3 EXISTS" in b.cmd(b"NOOP")
    # the same while b is in IDLE
    b.send(b"i1 IDLE\r\n")
    b.wait_for(b"+ idling")
    a.cmd(b"STORE 1 FLAGS (\\Answered)")
    t0 = time.monotonic()
    got = b.wait_for(b"FETCH")
    got += b.wait_for(b")\r\n") if not got.endswith(b")\r\n") else b""
    assert time.monotonic() - t0 < 2
    assert flags_of(got, 1) == ["\\Answered"], got
    a.send(b"x2 APPEND INBOX {5+}\r\nhello\r\n")
    a.until(b"x2")
    assert b"* 4 EXISTS" in b.wait_for(b"EXISTS\r\n")
    a.cmd(b"STORE 3 +FLAGS.SILENT (\\Deleted)")
    a.cmd(b"EXPUNGE")
    got = b.wait_for(b"EXPUNGE\r\n")
    assert b"* 3 EXPUNGE" in got, got
    b.send(b"DONE\r\n")
    out = b.until(b"i1")
    assert tagged(out).endswith(b"OK IDLE terminated"), out
    a.close()
    b.close()


def test_pop3_and_imap_see_each_others_deletions(imap):
    p = imap
    pw = imap_user(p)
    p.authctl("user", "services", ALICE, "imap,pop3,smtp")
    p.start_pop3d()
    try:
        for i in range(3):
            deliver(p, ALICE, message(i))
        r = Raw(p, pw)
        out = r.cmd(b"SELECT INBOX")
        uv = re.search(rb"UIDVALIDITY (\d+)", out).group(1).decode()
        pop = poplib.POP3_SSL("127.0.0.1", p.pop3_port,
                              context=tls_context(), timeout=30)
        pop.user(ALICE)
        pop.pass_(pw)
        uidl = [x.split()[1].decode() for x in pop.uidl()[1]]
        assert uidl == ["%s.%d" % (uv, i) for i in (1, 2, 3)], uidl
        pop.dele(1)
        pop.quit()
        out = r.cmd(b"NOOP")
        assert b"* 1 EXPUNGE" in out, out
        r.cmd(b"STORE 1 +FLAGS (\\Deleted)")
        assert b"* 1 EXPUNGE" in r.cmd(b"EXPUNGE")
        pop = poplib.POP3_SSL("127.0.0.1", p.pop3_port,
                              context=tls_context(), timeout=30)
        pop.user(ALICE)
        pop.pass_(pw)
        assert [x.split()[1].decode() for x in pop.uidl()[1]] == \
            ["%s.3" % uv]
        pop.quit()
        r.close()
    finally:
        rc = p.stop_pop3d()
    assert rc == 0, p.pop3_log()
