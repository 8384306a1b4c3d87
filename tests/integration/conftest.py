"""Fixtures for the integration tests: a real authd on a temporary state
directory, authctl against the same database, and the authd protocol
client from tests/lib.

POSTERN_BUILD names the build root that holds authd/authd and
authd/authctl (the normal tree or the ASan one); it defaults to the
repository's build/ directory.  As root, authd runs with full privilege separation (it drops
to _postern-auth, which etc/mkusers.sh creates); otherwise in development
mode.  Time travel uses libfaketime with an offset given at (re)start, so
lockouts and bans expire without waiting; state survives in LMDB.
"""
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import signal
import subprocess
import sys
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from authclient import AuthClient  # noqa: E402

BUILD = os.environ.get("POSTERN_BUILD", os.path.join(REPO, "build"))
AUTHD = os.path.join(BUILD, "authd", "authd")
AUTHCTL = os.path.join(BUILD, "authd", "authctl")
POP3D = os.path.join(BUILD, "pop3d", "pop3d")
IMAPD = os.path.join(BUILD, "imapd", "imapd")
SMTPD = os.path.join(BUILD, "smtpd", "smtpd")
SENDMAIL = os.path.join(BUILD, "smtpd", "sendmail")
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
IS_ROOT = os.geteuid() == 0

ALICE = "alice@example.test"
BOB = "bob@example.test"

# The checks of inbound mail are on by default and need a DNS server:
# the tests that have one (test_smtp_checks.py) turn them on again.
BASE_CONFIG = """\
hostname localhost
domain example.test
domain example.org
state "{d}/state"
mail "{d}/mail"
spool "{d}/spool"
runtime "{d}/run"
empty "{d}/empty"
auth scrypt cost 10
auth failure delay 0s
tls certificate "{d}/cert.pem"
tls key "{d}/key.pem"
listen pop3s on 127.0.0.1 port {pop3_port}
listen imaps on 127.0.0.1 port {imap_port}
listen smtp on 127.0.0.1 port {smtp_port}
listen submissions on 127.0.0.1 port {subm_port}
smtp spf check no
smtp dkim check no
smtp dmarc check no
"""


def read_log(path):
    """The text of a log file, or "" when there is none."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def wait_log(read, text, timeout=30):
    """True once text is in what read() returns (a daemon's log), False
    after timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in read():
            return True
        time.sleep(0.05)
    return False


def wait_smtp_log(p, text, timeout=30):
    """True once text is in p's smtpd log, False after timeout seconds."""
    return wait_log(p.smtp_log, text, timeout)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: runs alone, not beside other tests (floods "
        "from many addresses, kill -9 storms, timing); tests/check.sh runs "
        "these first and the others in parallel")


def _port_range():
    """The test ports this pytest process hands out: a range of its own
    per xdist worker (gw0, gw1, ...), below the kernel's ephemeral range,
    so that two workers never pick the same port and no outgoing
    connection's port is taken."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    n = int(worker[2:]) if worker[2:].isdigit() else 0
    lo = 12000 + 5000 * n
    return lo, lo + 5000


_next_port = [None]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, and
    that this process has not handed out before (the ports go up through
    this worker's own range, so none repeats)."""
    lo, hi = _port_range()
    if _next_port[0] is None:
        _next_port[0] = lo
    while _next_port[0] < hi:
        port = _next_port[0]
        _next_port[0] += 1
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    raise RuntimeError("no test port left in %d..%d" % (lo, hi))


def make_cert(d, kind="ec", name="localhost"):
    """A self-signed certificate and key (PEM) in d: cert.pem, key.pem."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] \
        if kind == "ec" else ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "30"] +
                   key + ["-keyout", os.path.join(d, "key.pem"),
                          "-out", os.path.join(d, "cert.pem"),
                          "-subj", "/CN=" + name,
                          "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1"
                          % name],
                   check=True, capture_output=True)
    os.chmod(os.path.join(d, "key.pem"), 0o600)


def wait_port(port, proc, what, log):
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("%s exited: %s" % (what, log()))
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s did not come up: %s" % (what, log()))


def ensure_system_users():
    """As root, create the privsep users exactly as `make run` does."""
    if not IS_ROOT:
        return
    try:
        pwd.getpwnam("_postern-auth")
    except KeyError:
        subprocess.run(["sh", os.path.join(REPO, "etc", "mkusers.sh")],
                       check=True, stdout=subprocess.DEVNULL)


class Postern:
    """One authd instance and its files under a private directory."""

    def __init__(self, extra=""):
        ensure_system_users()
        self.dir = tempfile.mkdtemp(prefix="postern-it-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        for sub in ("state", "mail", "spool", "run", "empty"):
            os.makedirs(os.path.join(self.dir, sub))
        self.conf = os.path.join(self.dir, "postern.conf")
        self.pop3_port = free_port()
        self.imap_port = free_port()
        self.smtp_port = free_port()
        self.subm_port = free_port()
        make_cert(self.dir)
        self.write_config(extra)
        self.sock = os.path.join(self.dir, "run", "authd.sock")
        self.logfile = os.path.join(self.dir, "authd.log")
        self.proc = None
        self.pop3 = None
        self.pop3_logfile = os.path.join(self.dir, "pop3d.log")
        self.imap = None
        self.imap_logfile = os.path.join(self.dir, "imapd.log")
        self.smtp = None
        self.smtp_logfile = os.path.join(self.dir, "smtpd.log")
        self.offset = None

    def write_config(self, extra=""):
        with open(self.conf, "w") as f:
            f.write(BASE_CONFIG.format(d=self.dir, pop3_port=self.pop3_port,
                                       imap_port=self.imap_port,
                                       smtp_port=self.smtp_port,
                                       subm_port=self.subm_port) + extra)

    def env(self, offset=None):
        env = dict(os.environ)
        offset = offset if offset is not None else self.offset
        if offset:
            env["LD_PRELOAD"] = FAKETIME
            env["FAKETIME"] = offset
            env["DONT_FAKE_MONOTONIC"] = "1"
            env["FAKETIME_DONT_RESET"] = "1"
        return env

    def authctl(self, *args, input=None, check=True, offset=None):
        p = subprocess.run([AUTHCTL, "-f", self.conf] + list(args),
                           input=input, capture_output=True, text=True,
                           env=self.env(offset), timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("authctl %s failed (%d): %s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def add_user(self, user, password=None):
        """Adds user; returns its password (generated when None)."""
        if password is None:
            p = self.authctl("user", "add", user)
            return p.stdout.strip().splitlines()[-1]
        self.authctl("user", "add", user, "--password-stdin",
                     input=password + "\n")
        return password

    def start(self, offset=None, pass_fds=()):
        self.offset = offset
        log = open(self.logfile, "a")
        self.proc = subprocess.Popen([AUTHD, "-d", "-f", self.conf],
                                     stdout=log, stderr=log,
                                     env=self.env(), pass_fds=pass_fds)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("authd exited: " + self.log())
            try:
                # An answer, not just a connect: authd binds its socket
                # before it drops privileges and enters its loop.
                c = AuthClient(self.sock, timeout=5)
                c.bancheck("127.0.0.1")
                c.close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("authd did not come up: " + self.log())

    def _start_daemon(self, prog, port, logfile, pass_fds):
        """Starts a network daemon; returns once it says it listens: the
        port answers as soon as it is bound, before the daemon has asked
        authd what it needs and started its roles."""
        ready = "listening on 127.0.0.1 port %d\n" % port
        before = read_log(logfile).count(ready)
        log = open(logfile, "a")
        proc = subprocess.Popen([prog, "-d", "-f", self.conf],
                                stdout=log, stderr=log, env=self.env(),
                                pass_fds=pass_fds)
        log.close()
        what = os.path.basename(prog)
        wait_port(port, proc, what, lambda: read_log(logfile))
        deadline = time.time() + 15
        while read_log(logfile).count(ready) == before:
            if proc.poll() is not None or time.time() > deadline:
                raise AssertionError("%s did not start: %s"
                                     % (what, read_log(logfile)))
            time.sleep(0.02)
        return proc

    @staticmethod
    def _stop_daemon(proc):
        """Stops a daemon by its PID; returns its exit status."""
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def start_pop3d(self, pass_fds=()):
        """Starts pop3d (foreground, -d) on 127.0.0.1:pop3_port;
        pass_fds: descriptors it inherits besides stdio."""
        self.pop3 = self._start_daemon(POP3D, self.pop3_port,
                                       self.pop3_logfile, pass_fds)
        return self

    def stop_pop3d(self):
        """Stops pop3d by its PID; returns its exit status."""
        rc, self.pop3 = self._stop_daemon(self.pop3), None
        return rc

    def pop3_log(self):
        return read_log(self.pop3_logfile)

    def start_imapd(self, pass_fds=()):
        """Starts imapd (foreground, -d) on 127.0.0.1:imap_port."""
        self.imap = self._start_daemon(IMAPD, self.imap_port,
                                       self.imap_logfile, pass_fds)
        return self

    def stop_imapd(self):
        """Stops imapd by its PID; returns its exit status."""
        rc, self.imap = self._stop_daemon(self.imap), None
        return rc

    def imap_log(self):
        return read_log(self.imap_logfile)

    def start_smtpd(self, pass_fds=()):
        """Starts smtpd (foreground, -d) on 127.0.0.1:smtp_port (25's
        kind) and subm_port (465's); returns once both listen and the
        queue answers on its socket."""
        self.smtp = self._start_daemon(SMTPD, self.subm_port,
                                       self.smtp_logfile, pass_fds)
        wait_port(self.smtp_port, self.smtp, "smtpd",
                  lambda: read_log(self.smtp_logfile))
        sock = os.path.join(self.dir, "spool", "queue.sock")
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the queue did not come up: " +
                             self.smtp_log())

    def stop_smtpd(self):
        """Stops smtpd by its PID; returns its exit status."""
        rc, self.smtp = self._stop_daemon(self.smtp), None
        return rc

    def smtp_log(self):
        return read_log(self.smtp_logfile)

    def maildir(self, user):
        local, domain = user.split("@")
        return os.path.join(self.dir, "mail", domain, local)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc is not None else 0
        self.proc = None
        return rc

    def restart(self, offset=None):
        rc = self.stop()
        assert rc == 0, "authd exited with %s: %s" % (rc, self.log())
        return self.start(offset)

    def client(self):
        return AuthClient(self.sock)

    def log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop_smtpd()
        self.stop_pop3d()
        self.stop_imapd()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _finish(p):
    """Stops authd, removes its files, and checks it exited cleanly."""
    rc = p.stop()
    log = p.log()
    p.cleanup()
    assert rc == 0, "authd did not exit cleanly (%s): %s" % (rc, log)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


@pytest.fixture
def postern():
    """A running authd with an empty database."""
    p = Postern()
    p.start()
    yield p
    _finish(p)


@pytest.fixture
def stopped_postern():
    """An authd that the test starts itself (config changes, faketime)."""
    p = Postern()
    yield p
    _finish(p)


# --- helpers shared by the test files -----------------------------------------

def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def deliver(p, user, text, name=None):
    """Drop one message into user's Maildir new/ (LF line ends)."""
    md = p.maildir(user)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    deliver.n = getattr(deliver, "n", 0) + 1
    name = name or "%d.M%dP%d.test" % (time.time(), deliver.n, os.getpid())
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(md, "new", name))
    if IS_ROOT:
        pw = pwd.getpwnam("_postern-mail")
        for root, dirs, files in os.walk(os.path.join(p.dir, "mail")):
            for x in dirs + files:
                os.chown(os.path.join(root, x), pw.pw_uid, pw.pw_gid)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chown(os.path.join(p.dir, "mail"), 0, 0)


def message(i, body="hello"):
    return ("From: sender@example.org\nTo: alice@example.test\n"
            "Subject: message %d\n\n%s %d\n" % (i, body, i))


def audit(p, *args):
    """All audit records (authctl audit --json ARGS), oldest first."""
    out = p.authctl("audit", "--json", *args).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def last_login(p, user=None, address=None):
    """The newest login record (not an authctl one) matching the filters."""
    for r in reversed(audit(p)):
        if r["service"] == "authctl" or r["result"] in ("admin", "anchor"):
            continue
        if user is not None and r["user"] != user:
            continue
        if address is not None and r["address"] != address:
            continue
        return r
    raise AssertionError("no login record for %s %s" % (user, address))


def expect_login(p, c, secret, status, reason, address, service="imap",
                 user=ALICE):
    """Logs user in on c; asserts the answer, the audited reason and
    result, and (on success) the canonical user name."""
    st, u, _ = c.login(user, secret, address=address, service=service)
    rec = last_login(p)
    assert st == status, (st, rec)
    assert rec["reason"] == reason, rec
    assert rec["result"] == status, rec
    if status == "ok":
        assert u == user


def away_from_step_boundary(margin=4):
    """Sleep into the next 30 s TOTP step if fewer than margin s remain."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.2)


def totp_enable(p, user=ALICE):
    """Starts a TOTP enrolment (not confirmed) away from a step boundary;
    returns the base32 secret authctl printed."""
    away_from_step_boundary()
    out = p.authctl("totp", "enable", user).stdout
    return re.search(r"^secret: ([A-Z2-7]+)$", out, re.M).group(1)
