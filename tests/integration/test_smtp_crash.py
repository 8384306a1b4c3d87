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
their time, the killer with them.

The outbound variant (test_kill9_relay_delivers_exactly_once) does the
same for mail to another domain: the relay processes are killed while
they deliver to a second postern (the MX of a DNSSEC-signed test zone),
and every acknowledged message must arrive there, twice only where its
docstring says and the logs prove it."""
import collections
import os
import random
import re
import smtplib
import socket
import ssl
import threading
import time

import pytest

import dnstest
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


# --- outbound: the relay killed while it delivers -----------------------------

ASAN = "asan" in os.environ.get("POSTERN_BUILD", "")
OUT_TOTAL = 100 if ASAN else 300
OUT_CLIENTS = 4
OUT_TIME_LIMIT = 150 if ASAN else 90
OUT_MIN_RELAY_KILLS = 10 if ASAN else 25
OUT_LOCAL_EVERY = 4     # every 4th message also goes to alice (local)
OUT_FAILURE_LOG = "/tmp/smtp-crash-outbound-failure.log"
CAROL = "carol@remote.test"
REMOTE_DOMAIN = "remote.test"


def out_body(i):
    return ("From: bob@example.test\r\nTo: carol@remote.test\r\n"
            "Subject: outbound %d\r\nMessage-ID: <crash-%d@example.test>\r\n"
            "X-Crash-Id: %d\r\n\r\n" % (i, i, i) +
            "line of the message body\r\n" * 40 +
            "END-OF-MESSAGE %d\r\n" % i)


def tcp_inodes(port):
    """Socket inodes of the TCP connections to 127.0.0.1:port."""
    out = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            w = line.split()
            if int(w[2].split(":")[1], 16) == port:
                out.add(w[9])
    return out


def connected(pid, inodes):
    """True when pid holds one of the sockets inodes."""
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    except OSError:
        pass
    return False


class OutRun(Run):
    """Clients submit (465, as bob) messages to carol@remote.test, some
    also to alice; a killer ends relay processes (those in a session with
    the remote first), and at random the queue and the other roles."""

    def __init__(self, p, remote):
        super().__init__(p)
        self.remote = remote
        self.relay_kills = 0
        self.busy_relay_kills = 0
        self.killed = {}        # pid: role

    def take(self):
        """The next id, until OUT_TOTAL messages were acknowledged (a
        refusal during a restart uses an id, not the budget) and the
        killer is through."""
        with self.lock:
            if len(self.acked) >= OUT_TOTAL and self.all_killed.is_set():
                return None
            self.next += 1
            return self.next

    def client(self, k):
        deadline = time.time() + OUT_TIME_LIMIT
        while time.time() < deadline:
            try:
                s = smtplib.SMTP_SSL("127.0.0.1", self.p.subm_port,
                                     timeout=10, context=tls_context())
                s.login(BOB, self.p.pw[BOB])
            except (OSError, smtplib.SMTPException):
                time.sleep(0.1)
                continue
            try:
                for _ in range(PER_CONNECTION):
                    i = self.take()
                    if i is None:
                        s.quit()
                        return
                    rcpts = [CAROL] + ([ALICE] if i % OUT_LOCAL_EVERY == 0
                                       else [])
                    s.sendmail(BOB, rcpts, out_body(i))
                    with self.lock:
                        self.acked.add(i)
                    # a pace the relay keeps up with: kills then land
                    # in deliveries, not in a queue that only grows
                    time.sleep(0.02)
                s.quit()
            except (OSError, smtplib.SMTPException) as e:
                with self.lock:
                    self.errors.append(repr(e)[:80])
                time.sleep(0.05)

    def killer(self):
        rnd = random.Random(os.getpid())
        weights = {"relay": 12, "queue": 3, "deliver": 1, "broker": 1,
                   "net": 1, "parent": 0.3, "keyholder": 0.3}
        due = ["relay", "queue"]
        rnd.shuffle(due)
        # a restart of the roles takes longer under ASan
        pause = (0.6, 1.5) if ASAN else (0.3, 0.9)
        while not self.stop.wait(rnd.uniform(*pause)):
            try:
                vs = [v for v in self.victims() if v[0] in weights]
                inodes = tcp_inodes(self.remote.smtp_port)
            except OSError:
                continue
            if not vs:
                continue
            busy = [v for v in vs if v[0] == "relay" and
                    connected(v[1], inodes)]
            firsts = [v for v in vs if due and v[0] == due[0]]
            if firsts:
                what, pid = firsts[0]
            else:
                what, pid = rnd.choices(vs, [weights[w] for w, _ in vs])[0]
                if what == "relay" and busy:
                    what, pid = rnd.choice(busy)
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                continue
            self.kills.append(what)
            self.killed[pid] = what
            if what == "relay":
                self.relay_kills += 1
                self.busy_relay_kills += (what, pid) in busy
            if due and what == due[0]:
                due.pop(0)
            if not due and self.relay_kills >= OUT_MIN_RELAY_KILLS:
                self.all_killed.set()
            if what in ("parent", "keyholder"):
                self.p.smtp.wait(30)
                self.p.smtp = None
                self.restart()


def crash_ids(text):
    head = text.split("\n\n", 1)[0]
    return [int(l.split(":", 1)[1]) for l in head.splitlines()
            if l.startswith("X-Crash-Id:")]


def sender_id(text):
    """The sender's queue id: its Received field (the last one, added by
    the sender at submission) says "with ESMTPSA id ID"."""
    ids = re.findall(r"with ESMTPSA id (\S+)", text)
    return ids[-1] if ids else None


def count_copies(p, user):
    """{crash id: [queue id of the sender, ...]} of user's messages;
    asserts that each is complete."""
    seen = {}
    for name, text in messages(p, user):
        ids = crash_ids(text)
        assert len(ids) == 1, (name, text[:500])
        i = ids[0]
        assert text.endswith("END-OF-MESSAGE %d\n" % i), \
            "partial message %s" % name
        seen.setdefault(i, []).append(sender_id(text))
    return seen


def attempts(log, qid, rcpt):
    """What the sender's log says of qid's attempts to rcpt: the PIDs of
    the relay processes that sent its end of data ("the message is with
    ..."); (relay PID, queue PID) of those that reported it sent, the
    queue being the one of the relay's group (the last queue process
    that logged before: a new group starts only once the old one is
    gone, and its queue logs first); the number of results the queue
    recorded (delivered, deferred or failed with the remote's answer,
    not "the relay process ended"), and of those sent."""
    data, sent, recorded, delivered = [], [], 0, 0
    is_data = "relay: %s to %s: the message is with " % (qid, REMOTE_DOMAIN)
    is_sent = "relay: %s to <%s>: sent: " % (qid, rcpt)
    is_delivered = "queue: message %s delivered to %s" % (qid, rcpt)
    is_other = re.compile(r"queue: message %s to %s (deferred|failed)" % (
        re.escape(qid), re.escape(rcpt)))
    queue_pid = None
    for line in log.splitlines():
        m = re.match(r"smtpd\[(\d+)\] ", line)
        if m is None:
            continue
        pid, rest = int(m.group(1)), line[m.end():]
        if rest.startswith("queue: "):
            queue_pid = pid
        if rest.startswith(is_data):
            data.append(pid)
        elif rest.startswith(is_sent):
            sent.append((pid, queue_pid))
        elif rest.startswith(is_delivered):
            recorded += 1
            delivered += 1
        elif is_other.match(rest) and \
                "the relay process ended during the delivery" not in rest:
            recorded += 1
    return data, sent, recorded, delivered


def spool_empty(p):
    return spool_files(p) == []


@pytest.fixture
def outbound(tmp_path):
    dns = dnstest.DnsServer(str(tmp_path))
    dns.zone(REMOTE_DOMAIN, signed=True)
    dns.add(REMOTE_DOMAIN, "@", "MX", "10 mx.%s." % REMOTE_DOMAIN)
    dns.add(REMOTE_DOMAIN, "mx", "A", "127.0.0.1")
    dns.start()
    remote = Postern("domain %s\nsmtp message rate 100000\n" % REMOTE_DOMAIN)
    remote.start()
    remote.add_user(CAROL)
    remote.start_smtpd()
    p = Postern("smtp message rate 100000\nsmtp send limit none\n"
                "relay port %d\n" %
                remote.smtp_port + dns.config_lines())
    p.start()
    p.pw = smtp_users(p)
    p.start_smtpd()
    try:
        yield p, remote
    finally:
        for x in (p, remote):
            x.stop_smtpd()
        dns.stop()
    for x in (p, remote):
        log = x.smtp_log()
        assert "AddressSanitizer" not in log and "runtime error" not in log, \
            log
    _finish(p)
    _finish(remote)


def test_kill9_relay_delivers_exactly_once(outbound):
    """The relay's processes (and at random the queue, the deliver role,
    the broker, a connection's process, the parent, the keyholder) are
    killed with SIGKILL while bob submits messages to carol@remote.test
    (every 4th also to alice, local) and the relay delivers them to a
    second postern, the MX of remote.test in a DNSSEC-signed test zone.
    Then the queue is flushed until it is empty, and every acknowledged
    message must be in carol's Maildir at the remote (and alice's when
    she was a recipient), complete, and none twice at alice's.

    A copy twice at the remote is allowed only where SMTP itself cannot
    help it and the sender's log proves the kill landed there.  The
    remote commits the message before it answers the end of data, and
    the sender can record the answer only once it has read it.  What
    narrows the rest: the relay writes each recipient's RESULT to the
    queue the moment the answer arrives (before its QUIT, before any log
    line); the queue writes a SENT result durably as it reads it; and
    when the roles are restarted (the parent stops them all with SIGTERM
    when one ends) a relay whose message is with the remote reads and
    writes the answer first, and the queue waits for it.  What remains:
    a SIGKILL of the relay between the remote's commit and its write of
    the RESULT (nearly all of it the remote's commit and the way of its
    250 back, which no client can close), or of the queue (or of the
    parent: every role dies with it) between that write and the queue's
    fsync.  Proof per extra copy: an attempt of that message whose end
    of data went out (the relay process PID logged "the message is with
    ...") and whose result the queue never recorded, and either that PID
    reported no answer and is one the test killed (or the parent or the
    keyholder was killed), or it reported the answer and the queue (or
    the parent, or the keyholder) was killed.  Anything else twice
    fails the test."""
    p, remote = outbound
    run = OutRun(p, remote)
    clients = [threading.Thread(target=run.client, args=(k,))
               for k in range(OUT_CLIENTS)]
    killer = threading.Thread(target=run.killer)
    t0 = time.time()
    for t in clients:
        t.start()
    killer.start()
    for t in clients:
        t.join(OUT_TIME_LIMIT + 30)
    run.stop.set()
    killer.join(60)
    t_sent = time.time() - t0
    assert {"relay", "queue"} <= set(run.kills), (run.kills, run.next)
    assert run.relay_kills >= OUT_MIN_RELAY_KILLS, (run.kills, run.next)
    kills = {w: run.kills.count(w) for w in set(run.kills)}
    assert len(run.acked) > OUT_TOTAL // 2, (len(run.acked), kills,
                                             run.errors[:40])

    # The kills deferred some recipients by minutes: flush until the
    # sender's queue is empty, then the remote's.
    deadline = time.time() + (120 if ASAN else 60)
    while time.time() < deadline and not spool_empty(p):
        p.authctl("queue", "flush", check=False)
        for _ in range(10):
            if spool_empty(p):
                break
            time.sleep(0.2)
    left = spool_files(p)
    assert left == [], (left, p.authctl("queue", "list",
                                        check=False).stdout[-3000:])
    while time.time() < deadline and not spool_empty(remote):
        time.sleep(0.2)
    assert spool_empty(remote), spool_files(remote)

    log = p.smtp_log()
    at_remote = count_copies(remote, CAROL)
    at_alice = count_copies(p, ALICE)
    lost = sorted(i for i in run.acked if i not in at_remote)
    assert lost == [], "acknowledged but not at the remote: %s (kills %s)" \
        % (lost[:20], run.kills)
    lost = sorted(i for i in run.acked
                  if i % OUT_LOCAL_EVERY == 0 and i not in at_alice)
    assert lost == [], "acknowledged but not at alice's: %s" % lost[:20]
    twice = sorted(i for i, q in at_alice.items() if len(q) > 1)
    assert twice == [], "delivered twice to alice: %s" % twice[:20]
    bounces = messages(p, BOB)
    assert bounces == [], "bounces to bob: %s" % bounces[0][1][:2000]

    # Twice at the remote: only where proven (the docstring).
    group_kills = sum(run.kills.count(w) for w in ("parent", "keyholder"))
    explained = []
    for i, qids in sorted(at_remote.items()):
        if len(qids) == 1:
            continue
        assert len(set(qids)) == 1 and qids[0] is not None, (i, qids)
        data, sent, recorded, delivered = attempts(log, qids[0], CAROL)
        # An attempt cut in the window: its relay was killed by us
        # before it reported the answer (or the whole daemon was), or it
        # reported it and the queue was killed before recording it.
        unreported = collections.Counter(data) - \
            collections.Counter(r for r, _ in sent)
        cut = sum(n for pid, n in unreported.items()
                  if run.killed.get(pid) == "relay" or group_kills > 0)
        lost = len(sent) - delivered
        cut += min(lost, len([q for _, q in sent
                              if run.killed.get(q) == "queue" or
                              group_kills > 0]))
        why = "%d copies of %d (%s): end of data sent by relays %s, " \
            "reported sent by (relay, its queue) %s, %d results recorded " \
            "(%d sent); processes among them we killed: %s" % (
                len(qids), i, qids[0], data, sent, recorded, delivered,
                sorted(set(pid for pid in data + [q for _, q in sent]
                           if pid in run.killed)))
        if delivered > 1 or len(qids) - 1 > min(len(data) - recorded, cut):
            with open(OUT_FAILURE_LOG, "w") as f:
                f.write(log)
        assert delivered <= 1, why
        assert len(qids) - 1 <= len(data) - recorded, "not explained: " + why
        assert len(qids) - 1 <= cut, "not proven: %s (the log: %s)" % (
            why, OUT_FAILURE_LOG)
        explained.append(why)
    tmp = os.path.join(remote.maildir(CAROL), "tmp")
    assert os.listdir(tmp) == [], os.listdir(tmp)
    print("outbound crash test: %d acknowledged of %d, %d at the remote, "
          "%.0f s of sending, %.0f s in all; %d relay kills (%d in a "
          "session), kills: %s; twice at the remote (proven): %s" % (
              len(run.acked), run.next, len(at_remote), t_sent,
              time.time() - t0, run.relay_kills, run.busy_relay_kills,
              {w: run.kills.count(w) for w in set(run.kills)},
              explained or "none"))
