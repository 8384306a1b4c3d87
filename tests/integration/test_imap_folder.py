"""Integration tests: imapd's folder commands over TLS against a real
authd, on 127.0.0.1: CREATE (with CREATE-SPECIAL-USE), DELETE, RENAME,
SUBSCRIBE, UNSUBSCRIBE, LIST (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE,
CHILDREN, IMAP4rev2), LSUB, STATUS, GETQUOTA, GETQUOTAROOT, SETQUOTA, and
the special-use folders a new mailbox gets.

Folders are checked on disk too: Maildir++ directories as Dovecot writes
them (".Archive.2026", ".Entw&APw-rfe").  Messages are put into a
folder's new/ (or cur/, with flags) as any delivery agent does."""
import imaplib
import os
import pwd
import re
import time

import pytest

from conftest import ALICE, IS_ROOT, Postern, _finish, deliver, message
from test_imap import imap, imap_user, login, raw, lines_until  # noqa: F401

SPECIAL = ["Archive", "Drafts", "Junk", "Sent", "Trash"]


# --- helpers -----------------------------------------------------------------

class Session:
    """A logged-in raw IMAP session: cmd() sends one command and returns
    (untagged lines, tagged line), CRLF removed."""

    def __init__(self, p, pw, user=ALICE):
        self.sock, _ = raw(p)
        self.n = 0
        _, done = self.cmd("LOGIN %s %s" % (user, pw))
        assert done.startswith(b"OK "), done

    def cmd(self, line):
        self.n += 1
        tag = b"t%d" % self.n
        data = line.encode() if isinstance(line, str) else line
        self.sock.sendall(tag + b" " + data + b"\r\n")
        lines = lines_until(self.sock, tag).split(b"\r\n")[:-1]
        return lines[:-1], lines[-1][len(tag) + 1:]

    def ok(self, line):
        untagged, done = self.cmd(line)
        assert done.startswith(b"OK "), (line, untagged, done)
        return untagged

    def close(self):
        self.sock.close()


def chown_mail(p):
    """Give the Maildir to the mail user, as deliver() does."""
    if not IS_ROOT:
        return
    pw = pwd.getpwnam("_postern-mail")
    for root, dirs, files in os.walk(os.path.join(p.dir, "mail")):
        for x in dirs + files:
            os.chown(os.path.join(root, x), pw.pw_uid, pw.pw_gid)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chown(os.path.join(p.dir, "mail"), 0, 0)


def deliver_to(p, dirname, text, flags=None):
    """Drop a message into the folder directory dirname (".Work") of
    alice's Maildir: into new/, or with flags (Maildir letters) into
    cur/ as another program that already saw it would."""
    d = os.path.join(p.maildir(ALICE), dirname)
    deliver_to.n = getattr(deliver_to, "n", 0) + 1
    name = "%d.M%dP%d.folder" % (time.time(), deliver_to.n, os.getpid())
    tmp = os.path.join(d, "tmp", name)
    with open(tmp, "w") as f:
        f.write(text)
    if flags is None:
        os.rename(tmp, os.path.join(d, "new", name))
    else:
        os.rename(tmp, os.path.join(d, "cur", name + ":2," + flags))
    chown_mail(p)


def wire_size(text):
    return len(text.encode()) + text.count("\n")


def dirs(p):
    """The folder directories in alice's Maildir."""
    md = p.maildir(ALICE)
    return sorted(x for x in os.listdir(md)
                  if x.startswith(".") and os.path.isdir(os.path.join(md, x)))


def listed(lines):
    """LIST/LSUB lines as {name: (attributes, rest)} (quoted names)."""
    out = {}
    for line in lines:
        m = re.match(rb'\* (?:LIST|LSUB) \(([^)]*)\) "/" "([^"]*)"(.*)$',
                     line)
        if m:
            out[m.group(2).decode()] = (m.group(1).decode(),
                                        m.group(3).decode())
    return out


# --- special-use folders of a new mailbox --------------------------------------

def test_new_mailbox_gets_special_use_folders_once(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    typ, data = c.list()
    assert typ == "OK"
    assert data == [
        b'(\\HasNoChildren) "/" "INBOX"',
        b'(\\HasNoChildren \\Archive) "/" "Archive"',
        b'(\\HasNoChildren \\Drafts) "/" "Drafts"',
        b'(\\HasNoChildren \\Junk) "/" "Junk"',
        b'(\\HasNoChildren \\Sent) "/" "Sent"',
        b'(\\HasNoChildren \\Trash) "/" "Trash"',
    ], data
    assert dirs(p) == ["." + x for x in SPECIAL]
    typ, data = c.lsub()
    assert sorted(data) == [b'() "/" "%s"' % x.encode() for x in SPECIAL]
    assert c.delete("Junk")[0] == "OK"
    c.logout()
    # The next login does not bring Junk back: the mailbox is not new.
    c = login(p, pw)
    typ, data = c.list('""', "Junk")
    assert data == [None]
    assert dirs(p) == [".Archive", ".Drafts", ".Sent", ".Trash"]
    c.logout()
    assert "special-use folders created" in p.imap_log()


def test_migrated_mailbox_keeps_its_folders(imap):
    p = imap
    pw = imap_user(p)
    md = p.maildir(ALICE)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, ".Sent Items", sub))
    deliver(p, ALICE, message(0))
    c = login(p, pw)
    typ, data = c.list()
    assert data == [b'(\\HasNoChildren) "/" "INBOX"',
                    b'(\\HasNoChildren) "/" "Sent Items"'], data
    c.logout()


# --- CREATE DELETE RENAME --------------------------------------------------------

def test_create_hierarchy_and_its_directories(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    assert c.create("Archive/2026")[0] == "OK"
    assert c.create("Projects/Alpha/Docs")[0] == "OK"
    assert c.create("Lists/")[0] == "OK"          # RFC 3501 6.3.3
    assert ".Archive.2026" in dirs(p) and ".Lists" in dirs(p)
    assert ".Projects.Alpha.Docs" in dirs(p)
    # parents stay implied, as Dovecot leaves them
    assert ".Projects" not in dirs(p) and ".Projects.Alpha" not in dirs(p)
    typ, data = c.list('""', "*")
    assert data == [
        b'(\\HasNoChildren) "/" "INBOX"',
        b'(\\HasChildren \\Archive) "/" "Archive"',
        b'(\\HasNoChildren) "/" "Archive/2026"',
        b'(\\HasNoChildren \\Drafts) "/" "Drafts"',
        b'(\\HasNoChildren \\Junk) "/" "Junk"',
        b'(\\HasNoChildren) "/" "Lists"',
        b'(\\Noselect \\HasChildren) "/" "Projects"',
        b'(\\Noselect \\HasChildren) "/" "Projects/Alpha"',
        b'(\\HasNoChildren) "/" "Projects/Alpha/Docs"',
        b'(\\HasNoChildren \\Sent) "/" "Sent"',
        b'(\\HasNoChildren \\Trash) "/" "Trash"',
    ], data
    typ, data = c.list('""', "Projects/%")
    assert data == [b'(\\Noselect \\HasChildren) "/" "Projects/Alpha"']
    # an implied name can become a folder of its own
    assert c.create("Projects")[0] == "OK"
    assert c.list('""', "Projects")[1] == [b'(\\HasChildren) "/" "Projects"']
    for name, code in (("Archive/2026", b"[ALREADYEXISTS]"),
                       ("INBOX", b"[ALREADYEXISTS]"),
                       ("inbox", b"[ALREADYEXISTS]"),
                       ("a.b", b"[CANNOT]"), ("a//b", b"[CANNOT]"),
                       ("/a", b"[CANNOT]"), ('"a*"', b"[CANNOT]")):
        typ, data = c.create(name)
        assert typ == "NO" and data[0].startswith(code), (name, data)
    c.logout()


def test_create_special_use(imap):
    p = imap
    pw = imap_user(p)
    s = Session(p, pw)
    s.ok("DELETE Sent")
    s.ok("CREATE Sent (USE (\\Sent))")
    assert ".Sent" in dirs(p)
    assert listed(s.ok('LIST "" Sent'))["Sent"][0] == "\\HasNoChildren \\Sent"
    for line in ('CREATE Outbox (USE (\\Sent))', 'CREATE Drafts2 (USE '
                 '(\\Drafts))', 'CREATE Everything (USE (\\All))',
                 'CREATE Flagged (USE (\\Flagged))',
                 'CREATE Trash (USE (\\Trash \\Junk))',
                 'CREATE Bogus (USE (\\Bogus))'):
        _, done = s.cmd(line)
        assert done.startswith(b"NO [USEATTR] "), (line, done)
    assert ".Outbox" not in dirs(p) and ".Everything" not in dirs(p)
    _, done = s.cmd("CREATE Archive (USE (\\Archive))")
    assert done.startswith(b"NO [ALREADYEXISTS] "), done
    s.ok("CREATE Plain (USE ())")
    assert ".Plain" in dirs(p)


def test_modified_utf7_names_on_disk_and_on_the_wire(imap):
    p = imap
    pw = imap_user(p)
    md = p.maildir(ALICE)
    c = login(p, pw)
    assert c.create("Entw&APw-rfe")[0] == "OK"
    assert c.create("Archiv/Gr&APYA3w-e")[0] == "OK"
    assert ".Entw&APw-rfe" in dirs(p) and ".Archiv.Gr&APYA3w-e" in dirs(p)
    # a folder Dovecot made shows up under its name
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, ".Caf&AOk-", sub))
    chown_mail(p)
    typ, data = c.list('""', "*")
    assert b'(\\HasNoChildren) "/" "Entw&APw-rfe"' in data
    assert b'(\\HasNoChildren) "/" "Archiv/Gr&APYA3w-e"' in data
    assert b'(\\HasNoChildren) "/" "Caf&AOk-"' in data
    # patterns are matched on the decoded names
    assert c.list('""', "Entw&APw-*")[1] == [
        b'(\\HasNoChildren) "/" "Entw&APw-rfe"']
    # a name must be valid modified UTF-7 ("&" is "&-")
    typ, data = c.create('"R&D"')
    assert typ == "NO" and data[0].startswith(b"[CANNOT]"), data
    assert c.create('"R&-D"')[0] == "OK" and ".R&-D" in dirs(p)
    # a pattern that is not is matched as it is: "R&D*" finds "R&D"
    for pat in ('"R&-D*"', '"R&D*"'):
        assert c.list('""', pat)[1] == [b'(\\HasNoChildren) "/" "R&-D"']
    assert c.rename("Entw&APw-rfe", "Entw&APw-rfe/Alt")[0] == "OK"
    assert ".Entw&APw-rfe.Alt" in dirs(p) and ".Entw&APw-rfe" not in dirs(p)
    c.logout()
    # after ENABLE UTF8=ACCEPT names are UTF-8 both ways
    s = Session(p, pw)
    s.ok("ENABLE UTF8=ACCEPT")
    out = b"\r\n".join(s.ok('LIST "" "Archiv/*"'))
    name = "Archiv/Größe".encode()
    assert out == b'* LIST (\\HasNoChildren) "/" {%d}\r\n%s' % (
        len(name), name), out
    name = "Bücher".encode()
    s.ok(b"CREATE {%d+}\r\n%s" % (len(name), name))
    assert ".B&APw-cher" in dirs(p)


def test_delete_keeps_children_and_refuses_inbox(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    for name in ("Projects", "Projects/Alpha", "Projects/Beta"):
        assert c.create(name)[0] == "OK"
    deliver_to(p, ".Projects", message(1))
    assert c.delete("Projects")[0] == "OK"
    assert ".Projects" not in dirs(p)
    assert ".Projects.Alpha" in dirs(p) and ".Projects.Beta" in dirs(p)
    assert c.list('""', "Projects*")[1] == [
        b'(\\Noselect \\HasChildren) "/" "Projects"',
        b'(\\HasNoChildren) "/" "Projects/Alpha"',
        b'(\\HasNoChildren) "/" "Projects/Beta"']
    typ, data = c.delete("Projects")
    assert typ == "NO" and data[0].startswith(b"[NONEXISTENT]"), data
    typ, data = c.delete("NoSuch")
    assert typ == "NO" and data[0].startswith(b"[NONEXISTENT]"), data
    typ, data = c.delete("inbox")
    assert typ == "NO" and data[0].startswith(b"[CANNOT]"), data
    assert c.select("Projects")[0] == "NO"
    c.logout()


def test_delete_the_selected_folder_closes_it(imap):
    p = imap
    pw = imap_user(p)
    s = Session(p, pw)
    s.ok("CREATE Work")
    s.ok("SELECT Work")
    untagged, done = s.cmd("DELETE Work")
    assert untagged == [b"* OK [CLOSED] Selected mailbox deleted"], untagged
    assert done == b"OK DELETE completed"
    assert ".Work" not in dirs(p)
    # back in the authenticated state: no mailbox to close
    _, done = s.cmd("CLOSE")
    assert done.startswith(b"BAD "), done
    s.ok("NOOP")
    assert "could not be read again" not in p.imap_log()


def test_rename_moves_children_and_follows_the_selected_folder(imap):
    p = imap
    pw = imap_user(p)
    s = Session(p, pw)
    for name in ("Work", "Work/2025", "Work/2025/Q1", "Other"):
        s.ok("CREATE " + name)
    deliver_to(p, ".Work.2025", message(1))
    sel = s.ok("SELECT Work/2025")
    assert b"* 1 EXISTS" in sel
    uidv = [l for l in sel if b"UIDVALIDITY" in l]
    s.ok("RENAME Work Job")
    assert [d for d in dirs(p) if "Work" in d or "Job" in d] == [
        ".Job", ".Job.2025", ".Job.2025.Q1"]
    # the session follows: new mail in the renamed folder is reported
    deliver_to(p, ".Job.2025", message(2))
    untagged = s.ok("NOOP")
    assert b"* 2 EXISTS" in untagged, untagged
    st = s.ok("STATUS Job/2025 (MESSAGES UIDVALIDITY)")
    assert st[0].startswith(b'* STATUS "Job/2025" (MESSAGES 2 UIDVALIDITY ')
    assert uidv[0].split()[3].rstrip(b"]") in st[0], (uidv, st)
    for line, code in (("RENAME Job Other", b"[ALREADYEXISTS]"),
                       ("RENAME Job INBOX", b"[ALREADYEXISTS]"),
                       ("RENAME Job/2025 Job/2025", b"[ALREADYEXISTS]"),
                       ("RENAME NoSuch Else", b"[NONEXISTENT]"),
                       ("RENAME Job a.b", b"[CANNOT]")):
        _, done = s.cmd(line)
        assert done.startswith(b"NO " + code), (line, done)
    assert "could not be read again" not in p.imap_log()


def test_rename_inbox_moves_its_messages(imap):
    p = imap
    pw = imap_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    s = Session(p, pw)
    s.ok("CREATE INBOX/Lists")
    assert b"* 3 EXISTS" in s.ok("SELECT INBOX")
    # the selected INBOX is emptied under the session: it says so
    untagged = s.ok('RENAME INBOX "Old Mail"')
    assert untagged == [b"* 3 EXPUNGE", b"* 2 EXPUNGE", b"* 1 EXPUNGE"], \
        untagged
    assert s.ok('STATUS "Old Mail" (MESSAGES UIDNEXT)') == [
        b'* STATUS "Old Mail" (MESSAGES 3 UIDNEXT 4)']
    assert s.ok("STATUS INBOX (MESSAGES UIDNEXT)") == [
        b'* STATUS "INBOX" (MESSAGES 0 UIDNEXT 4)']
    cur = os.listdir(os.path.join(p.maildir(ALICE), ".Old Mail", "cur"))
    assert sorted(re.search(r",U=(\d+)", n).group(1) for n in cur) == [
        "1", "2", "3"], cur
    # INBOX's children stay where they are
    assert ".INBOX.Lists" in dirs(p)
    deliver(p, ALICE, message(4))
    assert s.ok("NOOP") == [b"* 1 EXISTS", b"* 1 RECENT"]


# --- SUBSCRIBE, LIST, LSUB ---------------------------------------------------------

def fruit(p, pw):
    """alice with Fruit, Fruit/Apple, Fruit/Banana, Vegetable/Carrot (its
    parent implied), INBOX/Lists; subscribed: the special-use folders,
    Fruit/Banana, Fruit/Peach and Tofu/Spicy (neither exists),
    Vegetable/Carrot."""
    s = Session(p, pw)
    for name in ("Fruit", "Fruit/Apple", "Fruit/Banana", "Vegetable/Carrot",
                 "INBOX/Lists"):
        s.ok("CREATE " + name)
    for name in ("Fruit/Banana", "Fruit/Peach", "Tofu/Spicy",
                 "Vegetable/Carrot"):
        s.ok("SUBSCRIBE " + name)
    return s


def test_subscribe_and_unsubscribe(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    assert c.subscribe("Nothing/Here")[0] == "OK"   # need not exist
    assert c.subscribe("Nothing/Here")[0] == "OK"   # once is enough
    assert c.subscribe("inbox")[0] == "OK"
    with open(os.path.join(p.maildir(ALICE), "subscriptions")) as f:
        assert f.read().splitlines() == [
            "Sent", "Drafts", "Trash", "Junk", "Archive", "Nothing/Here",
            "INBOX"]
    typ, data = c.lsub('""', "N*")
    assert data == [b'(\\Noselect) "/" "Nothing/Here"'], data
    assert c.unsubscribe("Nothing/Here")[0] == "OK"
    assert c.unsubscribe("Sent")[0] == "OK"
    typ, data = c.lsub('""', "*")
    assert data == [b'() "/" "INBOX"', b'() "/" "Archive"',
                    b'() "/" "Drafts"', b'() "/" "Junk"', b'() "/" "Trash"']
    typ, data = c.subscribe('"a.b"')
    assert typ == "NO" and data[0].startswith(b"[CANNOT]"), data
    c.logout()


def test_list_extended_outputs(imap):
    p = imap
    pw = imap_user(p)
    s = fruit(p, pw)
    assert s.ok('LIST (SUBSCRIBED) "" ("Fruit*" "Tofu*" "Vegetable*")') == [
        b'* LIST (\\Subscribed \\HasNoChildren) "/" "Fruit/Banana"',
        b'* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" '
        b'"Fruit/Peach"',
        b'* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" '
        b'"Tofu/Spicy"',
        b'* LIST (\\Subscribed \\HasNoChildren) "/" "Vegetable/Carrot"']
    # RFC 5258 3.5: parents of subscriptions the pattern misses
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" ("F%" "T%" "V%")') == [
        b'* LIST (\\HasChildren) "/" "Fruit" ("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\NonExistent \\HasNoChildren) "/" "Tofu" '
        b'("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"',
        b'* LIST (\\NonExistent \\HasChildren) "/" "Vegetable" '
        b'("CHILDINFO" ("SUBSCRIBED"))']
    # with "*" every subscription matches itself: no CHILDINFO
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Fruit*"') == [
        b'* LIST (\\Subscribed \\HasNoChildren) "/" "Fruit/Banana"',
        b'* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" '
        b'"Fruit/Peach"']
    assert s.ok('LIST "" "%" RETURN (CHILDREN SUBSCRIBED)') == [
        b'* LIST (\\HasChildren) "/" "INBOX"',
        b'* LIST (\\Subscribed \\HasNoChildren \\Archive) "/" "Archive"',
        b'* LIST (\\Subscribed \\HasNoChildren \\Drafts) "/" "Drafts"',
        b'* LIST (\\HasChildren) "/" "Fruit"',
        b'* LIST (\\Subscribed \\HasNoChildren \\Junk) "/" "Junk"',
        b'* LIST (\\Subscribed \\HasNoChildren \\Sent) "/" "Sent"',
        b'* LIST (\\Subscribed \\HasNoChildren \\Trash) "/" "Trash"',
        b'* LIST (\\NonExistent \\HasChildren) "/" "Vegetable"']
    assert s.ok('LIST (SPECIAL-USE) "" "*"') == [
        b'* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
        b'* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
        b'* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
        b'* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
        b'* LIST (\\HasNoChildren \\Trash) "/" "Trash"']
    assert s.ok('LIST (SPECIAL-USE) "" "%" RETURN (SUBSCRIBED)')[0] == \
        b'* LIST (\\Subscribed \\HasNoChildren \\Archive) "/" "Archive"'
    assert s.ok('LIST "" "S*" RETURN (SPECIAL-USE)') == [
        b'* LIST (\\HasNoChildren \\Sent) "/" "Sent"']
    assert s.ok('LIST (REMOTE) "" ("INBOX" "Fruit/%")') == [
        b'* LIST (\\HasChildren) "/" "INBOX"',
        b'* LIST (\\HasNoChildren) "/" "Fruit/Apple"',
        b'* LIST (\\HasNoChildren) "/" "Fruit/Banana"']
    for line in ('LIST (RECURSIVEMATCH) "" "*"',
                 'LIST (SPECIAL-USE RECURSIVEMATCH) "" "*"',
                 'LIST "" "*" RETURN (STATUS (MAILBOXID))',
                 'LIST (BOGUS) "" "*"'):
        _, done = s.cmd(line)
        assert done.startswith(b"BAD "), (line, done)


def test_list_status(imap):
    p = imap
    pw = imap_user(p)
    s = fruit(p, pw)
    deliver_to(p, ".Fruit.Apple", message(1))
    deliver_to(p, ".Fruit.Apple", message(2), flags="S")
    assert s.ok('LIST "" ("Fruit*" "Vegetable") RETURN (STATUS (MESSAGES '
                'UNSEEN UIDNEXT))') == [
        b'* LIST (\\HasChildren) "/" "Fruit"',
        b'* STATUS "Fruit" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)',
        b'* LIST (\\HasNoChildren) "/" "Fruit/Apple"',
        b'* STATUS "Fruit/Apple" (MESSAGES 2 UIDNEXT 3 UNSEEN 1)',
        b'* LIST (\\HasNoChildren) "/" "Fruit/Banana"',
        b'* STATUS "Fruit/Banana" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)',
        b'* LIST (\\NonExistent \\HasChildren) "/" "Vegetable"']
    # with a selection, for what it selects
    assert s.ok('LIST (SUBSCRIBED) "" "Fruit/*" RETURN (STATUS (SIZE))') == [
        b'* LIST (\\Subscribed \\HasNoChildren) "/" "Fruit/Banana"',
        b'* STATUS "Fruit/Banana" (SIZE 0)',
        b'* LIST (\\NonExistent \\Subscribed \\HasNoChildren) "/" '
        b'"Fruit/Peach"']


def test_list_references_patterns_and_inbox(imap):
    p = imap
    pw = imap_user(p)
    s = fruit(p, pw)
    assert s.ok('LIST "" ""') == [b'* LIST (\\Noselect) "/" ""']
    assert s.ok('LIST "Fruit/" ""') == [b'* LIST (\\Noselect) "/" ""']
    assert s.ok('LIST "Fruit/" "%"') == [
        b'* LIST (\\HasNoChildren) "/" "Fruit/Apple"',
        b'* LIST (\\HasNoChildren) "/" "Fruit/Banana"']
    assert s.ok('LIST "Fruit" "/A*"') == []      # starts at the root
    assert s.ok('LIST "" "inbox"') == [b'* LIST (\\HasChildren) "/" "INBOX"']
    assert s.ok('LIST "" "In%"') == [b'* LIST (\\HasChildren) "/" "INBOX"']
    assert s.ok('LIST "" "iNbOx/%"') == [
        b'* LIST (\\HasNoChildren) "/" "INBOX/Lists"']
    assert s.ok('LIST "inbox/" "*"') == [
        b'* LIST (\\HasNoChildren) "/" "INBOX/Lists"']
    # RFC 3501: "%" returns the levels a deeper folder implies
    assert s.ok('LIST "" "Veg%"') == [
        b'* LIST (\\Noselect \\HasChildren) "/" "Vegetable"']
    assert s.ok('LIST "" "*Carrot"') == [
        b'* LIST (\\HasNoChildren) "/" "Vegetable/Carrot"']
    assert s.ok('LIST "" "nothing*"') == []
    # a hostile pattern costs a bounded time
    t0 = time.monotonic()
    s.ok('LIST "" "' + "*%" * 500 + 'x"')
    assert time.monotonic() - t0 < 5


def test_lsub(imap):
    p = imap
    pw = imap_user(p)
    s = fruit(p, pw)
    assert s.ok('LSUB "" "*"') == [
        b'* LSUB () "/" "Archive"', b'* LSUB () "/" "Drafts"',
        b'* LSUB () "/" "Fruit/Banana"',
        b'* LSUB (\\Noselect) "/" "Fruit/Peach"',
        b'* LSUB () "/" "Junk"', b'* LSUB () "/" "Sent"',
        b'* LSUB (\\Noselect) "/" "Tofu/Spicy"', b'* LSUB () "/" "Trash"',
        b'* LSUB () "/" "Vegetable/Carrot"']
    # RFC 3501 6.3.9: "%" gives unsubscribed levels as \Noselect
    assert s.ok('LSUB "" "%"') == [
        b'* LSUB () "/" "Archive"', b'* LSUB () "/" "Drafts"',
        b'* LSUB (\\Noselect) "/" "Fruit"', b'* LSUB () "/" "Junk"',
        b'* LSUB () "/" "Sent"', b'* LSUB (\\Noselect) "/" "Tofu"',
        b'* LSUB () "/" "Trash"', b'* LSUB (\\Noselect) "/" "Vegetable"']
    assert s.ok('LSUB "Fruit/" "%"') == [
        b'* LSUB () "/" "Fruit/Banana"',
        b'* LSUB (\\Noselect) "/" "Fruit/Peach"']


def test_imap4rev2_list(imap):
    p = imap
    pw = imap_user(p)
    s = fruit(p, pw)
    assert s.ok('LIST "" "V%"') == [
        b'* LIST (\\Noselect \\HasChildren) "/" "Vegetable"']
    s.ok("ENABLE IMAP4rev2")
    assert s.ok('LIST "" "V%"') == [
        b'* LIST (\\NonExistent \\HasChildren) "/" "Vegetable"']
    assert s.ok('LIST "" "%"')[0] == b'* LIST (\\HasChildren) "/" "INBOX"'
    _, done = s.cmd('LSUB "" "*"')
    assert done.startswith(b"BAD "), done
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "V%"') == [
        b'* LIST (\\NonExistent \\HasChildren) "/" "Vegetable" '
        b'("CHILDINFO" ("SUBSCRIBED"))']
    assert s.ok('LIST "" ""') == [b'* LIST (\\Noselect) "/" ""']


# --- STATUS and QUOTA ---------------------------------------------------------------

def test_status_items(imap):
    p = imap
    pw = imap_user(p)
    s = Session(p, pw)
    s.ok("CREATE Work")
    texts = [message(1), message(2, body="x" * 300), message(3),
             message(4)]
    deliver_to(p, ".Work", texts[0])
    deliver_to(p, ".Work", texts[1])
    deliver_to(p, ".Work", texts[2], flags="S")
    deliver_to(p, ".Work", texts[3], flags="ST")
    untagged = s.ok("STATUS Work (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN "
                    "DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)")
    m = re.fullmatch(rb'\* STATUS "Work" \(MESSAGES 4 RECENT 0 UIDNEXT 5 '
                     rb'UIDVALIDITY (\d+) UNSEEN 2 DELETED 1 SIZE (\d+) '
                     rb'HIGHESTMODSEQ (\d+) APPENDLIMIT 52428800\)',
                     untagged[0])
    assert m and len(untagged) == 1, untagged
    assert int(m.group(2)) == sum(wire_size(t) for t in texts)
    sel = s.ok("EXAMINE Work")
    assert b"* OK [UIDVALIDITY %s] UIDs valid" % m.group(1) in sel, sel
    assert b"* OK [HIGHESTMODSEQ %s] Highest" % m.group(3) in sel, sel
    # the selected folder, with a delivery since
    deliver_to(p, ".Work", message(5))
    assert s.ok("STATUS Work (MESSAGES RECENT UNSEEN)") == [
        b"* 5 EXISTS", b"* 1 RECENT",
        b'* STATUS "Work" (MESSAGES 5 RECENT 1 UNSEEN 3)']
    assert s.ok("STATUS inbox (MESSAGES SIZE)") == [
        b'* STATUS "INBOX" (MESSAGES 0 SIZE 0)']
    for line, start in (("STATUS NoSuch (MESSAGES)", b"NO [NONEXISTENT] "),
                        ("STATUS Fruit/x (MESSAGES)", b"NO [NONEXISTENT] "),
                        ('STATUS "a.b" (MESSAGES)', b"NO [NONEXISTENT] "),
                        ("STATUS Work (MAILBOXID)", b"BAD "),
                        ("STATUS Work (BOGUS)", b"BAD ")):
        _, done = s.cmd(line)
        assert done.startswith(start), (line, done)


def test_quota(imap):
    p = imap
    pw = imap_user(p)
    c = login(p, pw)
    # no limit: no quota root (RFC 9208 allows a mailbox without one)
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK" and data == [[b'"INBOX"'], [None]], data
    typ, data = c.getquota('""')
    assert typ == "NO" and data[0].startswith(b"[NONEXISTENT]"), data
    c.logout()
    texts = [message(1, body="y" * 3000), message(2)]
    for t in texts:
        deliver(p, ALICE, t)
    deliver_to(p, ".Sent", message(3, body="z" * 1500))
    p.authctl("user", "quota", ALICE, "1M")
    used = sum(wire_size(t) for t in texts) + wire_size(
        message(3, body="z" * 1500))
    kib = (used + 1023) // 1024
    s = Session(p, pw)
    s.ok("STATUS Sent (MESSAGES)")
    assert s.ok("GETQUOTAROOT inbox") == [
        b'* QUOTAROOT "INBOX" ""',
        b'* QUOTA "" (STORAGE %d 1024)' % kib]
    assert s.ok('GETQUOTA ""') == [b'* QUOTA "" (STORAGE %d 1024)' % kib]
    for line, start in (('GETQUOTA "other"', b"NO [NONEXISTENT] "),
                        ("GETQUOTAROOT NoSuch", b"NO [NONEXISTENT] "),
                        ('SETQUOTA "" (STORAGE 10)', b"NO [NOPERM] ")):
        _, done = s.cmd(line)
        assert done.startswith(start), (line, done)


@pytest.fixture
def imap_small():
    """authd and imapd with "imap max mailboxes 10"."""
    p = Postern("imap max mailboxes 10\n")
    p.start()
    p.start_imapd()
    yield p
    rc = p.stop_imapd()
    log = p.imap_log()
    _finish(p)
    assert rc == 0, "imapd exited with %s: %s" % (rc, log)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def test_mailbox_limit(imap_small):
    p = imap_small
    pw = imap_user(p)
    s = Session(p, pw)                    # five special-use folders
    for i in range(5):
        s.ok("CREATE Box%d" % i)
    _, done = s.cmd("CREATE Box5")
    assert done == b"NO [LIMIT] Too many mailboxes: at most 10", done
    _, done = s.cmd("CREATE Box0/Sub")
    assert done.startswith(b"NO [LIMIT] "), done
    # renaming INBOX would make an eleventh
    _, done = s.cmd("RENAME INBOX Old")
    assert done.startswith(b"NO [LIMIT] "), done
    s.ok("RENAME Box0 Box5")                 # a rename adds none
    s.ok("DELETE Box5")
    s.ok("CREATE Box6")
    assert len(dirs(p)) == 10


def test_selected_folder_deleted_by_another_session(imap):
    """The session whose selected folder another session deletes is
    told so with BYE and closed, instead of failing every command."""
    p = imap
    pw = imap_user(p)
    a = login(p, pw)
    a.create("Doomed")
    a.select("Doomed")
    b = login(p, pw)
    assert b.delete("Doomed")[0] == "OK"
    b.logout()
    with pytest.raises(imaplib.IMAP4.abort):
        a.noop()
    assert "could not be read again" not in p.imap_log()
