"""The crash test of smtpd: clients submit 2,000 messages on port 25 and
port 465 while smtpd's processes of every role (parent, keyholder, queue,
deliver, broker, net) are killed with SIGKILL at random moments and smtpd
is started again when its parent died (as it does without its
keyholder).  Afterwards every message that got
250 is in its mailbox exactly once, none is there twice, nothing partial
exists in a Maildir or in the spool, and the queue is empty.

Each attempt carries an id of its own and is never sent again, so a
message whose 250 was lost in a crash may be there (once) or not; one
that got 250 must be.  Bounded: the clients stop at the count or after
their time, the killer with them."""
import os
import random
import smtplib
import socket
import ssl
import threading
import time

import pytest

from conftest import ALICE, BOB, Postern, _finish, tls_context
from test_pop3_privsep import alive, children, cmdline
from test_smtp import smtp_users

pytestmark = pytest.mark.serial

TOTAL = 500 if "asan" in os.environ.get("POSTERN_BUILD", "") else 2000
CLIENTS = 8
PER_CONNECTION = 25
TIME_LIMIT = 240
MIN_KILLS = 20          # the clients go on past TOTAL until then


def body(i):
    return ("From: bob@example.test\r\nTo: alice@example.test\r\n"
            "Subject: crash %d\r\nX-Crash-Id: %d\r\n\r\n" % (i, i) +
            "line of the message body\r\n" * 40 +
            "END-OF-MESSAGE %d\r\n" % i)


class Run:
    def __init__(self, p):
        self.p = p
        self.lock = threading.Lock()
        self.next = 0
        self.acked = set()
        self.stop = threading.Event()
        self.all_killed = threading.Event()
        self.kills = []
        self.errors = []

    def take(self):
        """The next id; past TOTAL until every role was killed and
        MIN_KILLS kills were made."""
        with self.lock:
            if self.next >= TOTAL and self.all_killed.is_set():
                return None
            self.next += 1
            return self.next

    def client(self, k):
        submission = k % 2 == 1
        deadline = time.time() + TIME_LIMIT
        while time.time() < deadline:
            try:
                if submission:
                    s = smtplib.SMTP_SSL("127.0.0.1", self.p.subm_port,
                                         timeout=10, context=tls_context())
                    s.login(BOB, self.p.pw[BOB])
                else:
                    s = smtplib.SMTP("127.0.0.1", self.p.smtp_port,
                                     timeout=10)
                    s.ehlo("crash.example.net")
            except (OSError, smtplib.SMTPException):
                time.sleep(0.1)
                continue
            try:
                for _ in range(PER_CONNECTION):
                    i = self.take()
                    if i is None:
                        s.quit()
                        return
                    # A refusal (the queue was killed under this
                    # connection) raises too: a new connection, a new id.
                    s.sendmail(BOB, [ALICE], body(i))
                    with self.lock:
                        self.acked.add(i)
                s.quit()
            except (OSError, smtplib.SMTPException) as e:
                with self.lock:
                    self.errors.append(repr(e)[:80])
                time.sleep(0.05)

    def victims(self):
        """(what, pid) of every smtpd process but the keyholder."""
        parent = self.p.smtp.pid
        out = [("parent", parent)]
        for k in children(parent):
            if not alive(k):
                continue
            c = cmdline(k)
            if "-K" in c:
                out.append(("keyholder", k))
                continue
            if "-R" in c:
                out.append((c[c.index("-R") + 1], k))
                continue
            out.append(("broker", k))
            out.extend(("net", n) for n in children(k) if alive(n))
        return out

    def killer(self):
        rnd = random.Random(os.getpid())
        # Every role at least once, in a random order; then at random,
        # the parent and the keyholder (whose end ends the daemon) less
        # often: a restart costs the most.
        due = ["parent", "keyholder", "queue", "deliver", "broker", "net"]
        rnd.shuffle(due)
        while not self.stop.wait(rnd.uniform(0.1, 0.4) if due else
                                 rnd.uniform(0.2, 0.8)):
            try:
                vs = self.victims()
            except OSError:
                continue
            firsts = [v for v in vs if due and v[0] == due[0]]
            if firsts:
                what, pid = firsts[0]
            else:
                weights = [1 if w in ("parent", "keyholder") else 6
                           for w, _ in vs]
                what, pid = rnd.choices(vs, weights)[0]
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                continue
            self.kills.append(what)
            if due and what == due[0]:
                due.pop(0)
            if not due and len(self.kills) >= MIN_KILLS:
                self.all_killed.set()
            if what in ("parent", "keyholder"):
                # Without its keyholder the daemon shuts down too.
                self.p.smtp.wait(30)
                self.p.smtp = None
                self.restart()

    def restart(self):
        # The old group dies with its parent; the new one waits for the
        # spool until it is free.
        for _ in range(100):
            try:
                self.p.start_smtpd()
                return
            except AssertionError:
                time.sleep(0.2)
        raise AssertionError("smtpd did not start again: " +
                             self.p.smtp_log())


def messages(p, user):
    md = p.maildir(user)
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, name), "rb") as f:
                out.append((name, f.read().decode("utf-8", "replace")))
    return out


def spool_files(p):
    q = os.path.join(p.dir, "spool", "queue")
    return sorted(os.listdir(q)) if os.path.isdir(q) else []


@pytest.fixture
def crashing():
    p = Postern("smtp message rate 100000\n")
    p.start()
    p.pw = smtp_users(p)
    p.start_smtpd()
    yield p
    p.stop_smtpd()
    log = p.smtp_log()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    _finish(p)


def test_kill9_any_process_loses_and_duplicates_nothing(crashing):
    p = crashing
    run = Run(p)
    clients = [threading.Thread(target=run.client, args=(k,))
               for k in range(CLIENTS)]
    killer = threading.Thread(target=run.killer)
    for t in clients:
        t.start()
    killer.start()
    for t in clients:
        t.join(TIME_LIMIT + 30)
    run.stop.set()
    killer.join(60)
    assert {"parent", "keyholder", "queue", "deliver", "broker",
            "net"} <= set(run.kills), (run.kills, run.next,
                                        run.errors[-5:])
    assert len(run.acked) > TOTAL // 4, (len(run.acked), run.kills,
                                         run.errors[:40])

    # Everything queued is delivered: the queue empties.
    deadline = time.time() + 120
    while time.time() < deadline and spool_files(p):
        time.sleep(0.2)
    left = spool_files(p)
    if left:
        with open("/tmp/smtp-crash-failure.log", "w") as f:
            f.write(p.smtp_log())
    assert left == [], (left, [l for l in p.smtp_log().splitlines()
                               if left[0].split(".")[0] in l])

    seen = {}
    for name, text in messages(p, ALICE):
        head = text.split("\n\n", 1)[0]
        ids = [l.split(":", 1)[1].strip() for l in head.splitlines()
               if l.startswith("X-Crash-Id:")]
        assert len(ids) == 1, (name, head)
        i = int(ids[0])
        assert text.endswith("END-OF-MESSAGE %d\n" % i), \
            "partial message %s" % name
        seen[i] = seen.get(i, 0) + 1
    twice = sorted(i for i, n in seen.items() if n > 1)
    assert twice == [], "delivered twice: %s" % twice[:20]
    lost = sorted(i for i in run.acked if i not in seen)
    assert lost == [], "acknowledged but lost: %s (kills %s)" % (
        lost[:20], run.kills)
    tmp = os.path.join(p.maildir(ALICE), "tmp")
    assert os.listdir(tmp) == [], "partial files in tmp/: %s" % \
        os.listdir(tmp)
    print("crash test: %d acknowledged of %d, %d delivered, kills: %s" % (
        len(run.acked), run.next, len(seen),
        {w: run.kills.count(w) for w in set(run.kills)}))
