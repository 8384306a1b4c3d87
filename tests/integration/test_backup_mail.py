"""authctl backup and restore with the mail (postern.7, BACKUP AND
RESTORE): a backup taken while a client delivers and deletes mail,
restored into a fresh state and mail directory, brings back logins, TOTP,
app passwords, aliases and every message whole, once, with its UID."""
import os
import poplib
import pwd
import re
import stat
import threading
import time

from conftest import ALICE, BOB, IS_ROOT, Postern, _finish
from test_pop3 import connect, pop_user
from test_pop3_2fa import enrol, totp

MAIL_UID = pwd.getpwnam("_postern-mail").pw_uid if IS_ROOT else os.getuid()
AUTH_UID = pwd.getpwnam("_postern-auth").pw_uid if IS_ROOT else os.getuid()


class Writer:
    """Delivers into a Maildir the way store_deliver does: tmp/, fsync,
    rename into new/; as the mail user's files."""

    def __init__(self, md):
        self.md, self.n, self.sent = md, 0, {}
        for d in (os.path.dirname(md), md, md + "/cur", md + "/new",
                  md + "/tmp"):
            os.makedirs(d, exist_ok=True)
            os.chown(d, MAIL_UID, MAIL_UID)

    def deliver(self):
        self.n += 1
        mid = "<m%d@example.org>" % self.n
        text = ("Message-ID: %s\nSubject: %d\n\n%s\n" %
                (mid, self.n, ("line %d\n" % self.n) * 40))
        name = "%d.M%dP%d.writer" % (time.time(), self.n, os.getpid())
        tmp = os.path.join(self.md, "tmp", name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, text.encode())
        os.fchown(fd, MAIL_UID, MAIL_UID)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(self.md, "new", name))
        self.sent[mid] = text.replace("\n", "\r\n").encode()
        return mid


def msgid(lines):
    for l in lines:
        if l.lower().startswith(b"message-id:"):
            return l.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID in %r" % lines[:3])


class Client(threading.Thread):
    """POP3 sessions in a loop: UIDL (TOP for UIDs not seen yet), DELE of
    the two first messages, QUIT; records uidl -> Message-ID and when each
    deletion was committed."""

    def __init__(self, p, pw, stop):
        super().__init__(daemon=True)
        self.p, self.pw, self.stop = p, pw, stop
        self.uidl, self.deleted, self.error = {}, {}, None

    def session(self):
        c = connect(self.p)
        c.user(BOB)
        c.pass_(self.pw)
        doomed = []
        for l in c.uidl()[1]:
            n, u = l.decode().split()
            if u not in self.uidl:
                self.uidl[u] = msgid(c.top(int(n), 0)[1])
            if int(n) <= 2:
                c.dele(int(n))
                doomed.append(self.uidl[u])
        c.quit()
        for m in doomed:
            self.deleted[m] = time.time()

    def run(self):
        try:
            while not self.stop.is_set():
                self.session()
        except Exception as e:          # reported by the test
            self.error = e


def pop_all(p, user, secret):
    """uidl -> (Message-ID, wire bytes) of every message."""
    c = connect(p)
    c.user(user)
    c.pass_(secret)
    out = {}
    for l in c.uidl()[1]:
        n, u = l.decode().split()
        lines = c.retr(int(n))[1]
        assert u not in out, "UIDL %s twice" % u
        out[u] = (msgid(lines), b"\r\n".join(lines) + b"\r\n")
    c.quit()
    return out


def test_backup_while_delivering_and_deleting_then_restore(postern):
    p = postern
    p.start_pop3d()
    pw_alice = pop_user(p, ALICE)
    pw_bob = pop_user(p, BOB)
    secret = enrol(p, ALICE)
    app = p.authctl("apppass", "add", BOB, "phone", "--services",
                    "pop3").stdout.strip()
    p.authctl("alias", "add", "info@example.test", BOB)
    w = Writer(p.maildir(BOB))
    for _ in range(600):
        w.deliver()
    before = pop_all(p, BOB, pw_bob)    # gives the UIDs
    assert len(before) == 600
    arch = os.path.join(p.maildir(BOB), ".Archive")
    for d in ("", "/cur", "/new", "/tmp"):
        os.mkdir(arch + d)
    archived = "1700000000.M1P1.x,S=5,W=6,U=7:2,S"
    with open(arch + "/cur/" + archived, "w") as f:
        f.write("old!\n")
    os.utime(arch + "/cur/" + archived, (1700000000, 1700000000))
    with open(arch + "/postern-uids", "w") as f:
        f.write("v1 42 8\n")
    for root, dirs, files in os.walk(arch):
        for x in [root] + [os.path.join(root, y) for y in files]:
            os.chown(x, MAIL_UID, MAIL_UID)

    stop = threading.Event()
    client = Client(p, pw_bob, stop)
    client.start()
    writer_mids = []

    def writing():
        while not stop.is_set():
            writer_mids.append(w.deliver())
            time.sleep(0.002)
    wt = threading.Thread(target=writing, daemon=True)
    wt.start()
    time.sleep(0.3)
    started = time.time()
    bk = os.path.join(p.dir, "bk")
    r = p.authctl("backup", bk)
    ended = time.time()
    time.sleep(0.3)
    stop.set()
    client.join(60)
    wt.join(60)
    assert not client.is_alive() and client.error is None, client.error
    assert "backup written to " + bk in r.stdout
    assert re.search(r"^mail: 1 mailboxes, 2 folders, \d+ messages",
                     r.stdout, re.M), r.stdout
    st = os.stat(bk)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
    bmd = os.path.join(bk, "mail", "example.test", "bob")
    assert not os.path.exists(os.path.join(bmd, "index.lmdb"))
    assert os.listdir(os.path.join(bmd, "tmp")) == []

    q = Postern()
    try:
        r = q.authctl("restore", bk)
        assert "restored 2 users" in r.stdout, r.stdout
        md = q.maildir(BOB)
        assert os.stat(md).st_uid == MAIL_UID
        assert os.stat(os.path.join(q.dir, "state", "auth",
                                    "data.mdb")).st_uid == AUTH_UID
        got = os.stat(os.path.join(md, ".Archive", "cur", archived))
        assert got.st_mtime == 1700000000 and got.st_uid == MAIL_UID
        # UIDVALIDITY kept; UIDNEXT past a gap, so the restored server
        # never hands out a UID the old one may have given out after the
        # backup
        with open(os.path.join(md, ".Archive", "postern-uids")) as f:
            assert f.read() == "v1 42 %d\n" % (8 + (1 << 20))
        q.start()
        q.start_pop3d()
        after = pop_all(q, BOB, pw_bob)
        # each message whole, once, and a UID that names the same message
        mids = [m for m, _ in after.values()]
        assert len(mids) == len(set(mids)), "a message came back twice"
        with open(os.path.join(bmd, "postern-uids")) as f:
            validity, uidnext = map(int, f.read().split()[1:])
        inbk = {}       # Message-ID -> UID in the backup (0: in new/)
        for sub in ("cur", "new"):
            for n in os.listdir(os.path.join(bmd, sub)):
                u = re.search(r",U=(\d+)", n)
                mid = "<m%s@example.org>" % re.search(r"M(\d+)P", n).group(1)
                assert mid not in inbk, "twice in the backup: " + mid
                inbk[mid] = int(u.group(1)) if u else 0
        assert len(after) == len(inbk)
        for u, (m, wire) in after.items():
            assert wire == w.sent[m], "message %s not whole" % m
            uid = int(u.split(".")[1])
            if inbk[m]:     # had a UID: the same one, the live one
                assert (validity, uid) == (int(u.split(".")[0]), inbk[m])
                assert (client.uidl.get(u) or before[u][0]) == m, u
            else:           # delivered, not yet seen: a new UID, past
                # the gap, so none the old server gave out since
                assert uid >= uidnext + (1 << 20), (u, uidnext)
                assert u not in client.uidl or client.uidl[u] == m, u
        # every message that had a UID before the backup and was not
        # deleted before it ended is there, with the same UIDL
        back = {m: u for u, (m, _) in after.items()}
        for u, (m, _) in before.items():
            gone = client.deleted.get(m)
            if gone is not None and gone < started:
                assert m not in back, "%s deleted before the backup" % m
            elif gone is None or gone > ended:
                assert back.get(m) == u, (m, u, back.get(m))
        # logins, 2FA, app passwords, aliases
        c = connect(q)
        c.user(ALICE)
        try:
            c.pass_(pw_alice)
            raise AssertionError("alice logged in without her code")
        except poplib.error_proto:
            pass
        c.close()
        c = connect(q)
        c.user(ALICE)
        assert c.pass_(pw_alice + totp(secret, time.time() + 30)) \
            .startswith(b"+OK")
        c.quit()
        c = connect(q)
        c.user(BOB)
        assert c.pass_(app).startswith(b"+OK")
        c.quit()
        assert "info@example.test " + BOB in q.authctl("alias", "list").stdout
        v = q.authctl("audit", "--verify")
        assert "audit chain verified" in v.stdout
    finally:
        _finish(q)


def test_restore_refuses_a_used_state_or_mailbox(postern):
    p = postern
    pop_user(p, BOB)
    w = Writer(p.maildir(BOB))
    w.deliver()
    bk = os.path.join(p.dir, "bk")
    p.authctl("backup", bk)
    # into the live state: refused, nothing touched
    r = p.authctl("restore", bk, check=False)
    assert r.returncode == 1
    assert "data.mdb: a credential database exists already" in r.stderr
    q = Postern()
    try:
        Writer(q.maildir(BOB))
        r = q.authctl("restore", bk, check=False)
        assert r.returncode == 1
        assert q.maildir(BOB) + ": exists already" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(q.dir, "state", "auth",
                                               "data.mdb"))
        assert os.listdir(os.path.join(q.maildir(BOB), "new")) == []
    finally:
        _finish(q)
    # an interrupted backup (no database) is refused
    os.rename(os.path.join(bk, "auth", "data.mdb"),
              os.path.join(bk, "auth", "x"))
    q = Postern()
    try:
        r = q.authctl("restore", bk, check=False)
        assert r.returncode == 1 and "interrupted" in r.stderr
        assert os.listdir(os.path.join(q.dir, "mail")) == []
    finally:
        _finish(q)
