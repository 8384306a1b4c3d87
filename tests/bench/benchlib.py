"""benchlib: what the benchmarks that race our daemons against Dovecot
or Postfix share (tests/bench/pop3, tests/bench/imap, tests/bench/smtp).

Imported, never run (it is not executable, so tests/bench/run.sh skips
it).  Importing it makes the integration fixtures importable (conftest:
Postern, free_port, BUILD) with a stub for pytest when it is missing.

  processes   the process tree of a server (roots and every descendant),
              its CPU time (reaped children included) and PSS by role,
              the mappings with the most PSS, stop by PID, wait for a port;
  Dovecot     Debian's Dovecot, installed with apt-get when missing and
              this runs as root, run from its own config in a temporary
              directory in the foreground and stopped by its PID;
  Postfix     Debian's Postfix, installed the same way (debconf "No
              configuration": nothing of the system's is set up or
              started), its master run in the foreground from a
              configuration directory in a temporary directory, in a
              session of its own, stopped by its PID;
  clients     the pinned TLS context (TLS 1.2, ECDHE-ECDSA-AES128-GCM-
              SHA256, P-256: both servers do the same crypto), client
              processes with a deadline, machine-wide busy CPU time;
  profiles    perf record (cpu-clock) of a server's processes while a
              load runs, summed by DSO and by symbol; the system calls
              of chosen kinds (fsync...) they made, counted by role;
  reporting   medians, percentiles, ratios, CPU breakdowns.

Every loop has a count and a deadline; every process is stopped by its
PID.  Nothing here prints except say() and the install messages.
"""
import collections
import multiprocessing
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
try:
    import pytest  # noqa: F401  (conftest imports it for its fixtures)
except ImportError:                       # stdlib only: a stub is enough
    import types
    stub = types.ModuleType("pytest")
    stub.fixture = lambda f=None, **kw: f if f else (lambda g: g)
    sys.modules["pytest"] = stub
import conftest  # noqa: E402,F401  (re-exported for the benchmarks)
from conftest import Postern, free_port  # noqa: E402,F401

DOVECOT = "/usr/sbin/dovecot"
SUITE = "ECDHE-ECDSA-AES128-GCM-SHA256"
CLK = os.sysconf("SC_CLK_TCK")
MP = multiprocessing.get_context("fork")
# Our daemons: their keyholder runs as "<name> -K" (common/skel_parent.c),
# their other long-lived roles as "<name> -R <role>" (common/skel_roles.c).
DAEMONS = ("pop3d", "imapd", "smtpd")
POSTFIX = "/usr/sbin/postfix"
POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"


def say(*a):
    print(*a)
    sys.stdout.flush()


# --- processes ----------------------------------------------------------------

def proc_table():
    """{pid: (ppid, comm, uid)} of every process now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
            st = os.stat("/proc/" + d)
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        out[int(d)] = (int(rest[1]), comm, st.st_uid)
    return out


def tree(roots):
    """roots and all their descendants that are alive now."""
    table = proc_table()
    kids = collections.defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        kids[ppid].append(pid)
    seen, todo = [], [r for r in roots if r in table]
    while todo and len(seen) < 100000:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(kids.get(pid, []))
    return seen, table


def cpu_times(pid):
    """(own, reaped children's) CPU seconds of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return ((int(f[11]) + int(f[12])) / CLK, (int(f[13]) + int(f[14])) / CLK)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def user_of(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def label(pid, table, names):
    """A process's role, for the breakdowns: names[pid] when given, our
    daemons' keyholders and -R roles, else "comm (user)"."""
    if pid in names:
        return names[pid]
    ppid, comm, uid = table.get(pid, (0, "?", 0))
    if comm in DAEMONS:
        args = cmdline(pid).split()
        if "-K" in args:
            return "%s keyholder" % comm
        if "-R" in args[:-1]:
            return "%s %s" % (comm, args[args.index("-R") + 1][:20])
    return "%s (%s)" % (comm, user_of(uid))


def cpu_snapshot(roots, names):
    """{label: CPU seconds} over the process trees, reaped children
    counted in their reaper's line "+ reaped"."""
    pids, table = tree(roots)
    out = collections.Counter()
    for pid in pids:
        t = cpu_times(pid)
        if t is None:
            continue
        lab = label(pid, table, names)
        out[lab] += t[0]
        out[lab + " + reaped children"] += t[1]
    return out


def cpu_by_pid(roots, names):
    """{pid: (label, own CPU seconds)} of the processes under roots."""
    pids, table = tree(roots)
    out = {}
    for pid in pids:
        t = cpu_times(pid)
        if t is not None:
            out[pid] = (label(pid, table, names), t[0])
    return out


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_snapshot(roots, names, pids_of=None):
    """{label: [PSS kB of each process]} over the process trees; pids_of,
    if given, gets {label: [pid, ...]}."""
    pids, table = tree(roots)
    out = collections.defaultdict(list)
    for pid in pids:
        v = pss_kb(pid)
        if v is not None:
            lab = label(pid, table, names)
            out[lab].append(v)
            if pids_of is not None:
                pids_of.setdefault(lab, []).append(pid)
    return out


def smaps_top(pid, n=5):
    """The mappings of pid with the most PSS: [(name, kB)]."""
    acc, name = collections.Counter(), "?"
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                head = line.split()
                if not head:
                    continue
                if "-" in head[0] and len(head) >= 5 and \
                        not head[0].endswith(":"):
                    name = os.path.basename(head[5]) if len(head) > 5 \
                        else "[anon]"
                elif head[0] == "Pss:":
                    acc[name] += int(head[1])
    except OSError:
        return []
    return acc.most_common(n)


def stop_pid(proc, sig=signal.SIGTERM, wait=15):
    """Stops a Popen child by its PID; returns its exit status."""
    if proc is None:
        return 0
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    return proc.returncode


def wait_port(port, proc, what, logfile, limit=15):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited (%s): %s" % (what, proc.returncode,
                                                        tail(logfile)))
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not come up: %s" % (what, tail(logfile)))


def wait_unix(path, proc, what, logfile, limit=15):
    """Waits until a Unix socket at path accepts a connection."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited (%s): %s" % (what, proc.returncode,
                                                        tail(logfile)))
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    raise RuntimeError("%s did not come up: %s" % (what, tail(logfile)))


def tail(path, n=8):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().splitlines()[-n:])
    except OSError:
        return ""


# --- Dovecot --------------------------------------------------------------------

def dovecot_pids():
    return {pid for pid, (_, comm, _) in proc_table().items()
            if comm == "dovecot"}


def ensure_dovecot(who, protocol, our_daemon):
    """None when /usr/sbin/dovecot and /usr/lib/dovecot/<protocol> are
    there (installing dovecot-<protocol>d and dovecot-core if need be;
    protocol None: only dovecot-core, for its auth service), else why
    not.  who prefixes the messages ("pop3 bench")."""
    if os.geteuid() != 0:
        return "not root: Dovecot's privilege separation (dovenull, " \
               "chroot) and %s's need root" % our_daemon
    if os.path.exists(DOVECOT) and \
            os.path.exists("/usr/lib/dovecot/%s" % (protocol or "auth")):
        return None
    if shutil.which("apt-get") is None:
        return "%s missing and no apt-get" % DOVECOT
    pkgs = (["dovecot-%sd" % protocol] if protocol else []) + \
        ["dovecot-core"]
    say("%s: installing %s with apt-get" % (who, " ".join(pkgs)))
    before = dovecot_pids()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        r = subprocess.run(["apt-get", "install", "-y", "-q"] + pkgs,
                           env=env, capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "apt-get install failed: %s" % e
    stop_system_dovecot(who, before)
    if r.returncode != 0 or not os.path.exists(DOVECOT):
        lines = (r.stderr or r.stdout).strip().splitlines()[-3:]
        return "apt-get install failed (exit %d): %s" % (
            r.returncode, " | ".join(lines))
    return None


def stop_system_dovecot(who, before):
    """The package may start the system's dovecot: stop it (systemctl, or
    by the PIDs of the dovecot masters that the install started)."""
    if os.path.isdir("/run/systemd/system") and shutil.which("systemctl"):
        subprocess.run(["systemctl", "stop", "dovecot"], timeout=60,
                       capture_output=True)
    for pid in sorted(dovecot_pids() - before):
        say("%s: stopping the system dovecot the install started "
            "(pid %d)" % (who, pid))
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


class Dovecot:
    """A Dovecot master on 127.0.0.1:port from a config in d.

    conf is a template with the fields {d} (this directory), {port},
    {cert}, {key}, {uid} (first_valid_uid) and {dh} (an ssl_dh line, or
    nothing).  Each user's home is d/mail/<domain>/<local part>; its
    Maildir is that home, or home/maildir_sub when given."""

    def __init__(self, d, cert, key, uid, gid, users, conf, password,
                 maildir_sub=""):
        self.d = d
        self.port = free_port()
        self.proc = None
        self.sub = maildir_sub
        self.logfile = os.path.join(d, "dovecot.log")
        self.stdlog = os.path.join(d, "dovecot.stderr")
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(d, sub))
        os.chmod(d, 0o755)
        with open(os.path.join(d, "users"), "w") as f:
            for u in users:
                f.write("%s:{PLAIN}%s:%d:%d::%s::\n"
                        % (u, password, uid, gid, self.home(u)))
        # read by the auth process, which runs as the internal user
        os.chmod(os.path.join(d, "users"), 0o600)
        aw = pwd.getpwnam("dovecot")
        os.chown(os.path.join(d, "users"), aw.pw_uid, aw.pw_gid)
        dh = "/usr/share/dovecot/dh.pem"
        self.conf = os.path.join(d, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(conf.format(
                d=d, port=self.port, cert=cert, key=key, uid=min(uid, 500),
                dh="ssl_dh = <%s\n" % dh if os.path.exists(dh) else ""))

    def home(self, user):
        local, domain = user.split("@")
        return os.path.join(self.d, "mail", domain, local)

    def maildir(self, user):
        return os.path.join(self.home(user), self.sub) if self.sub \
            else self.home(user)

    def check(self):
        r = subprocess.run([DOVECOT, "-n", "-c", self.conf],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("dovecot -n: %s" % r.stderr.strip())

    def start(self, wait_path=None):
        """Starts the master; returns once it listens on port, or on the
        Unix socket wait_path when given (a Dovecot that only serves
        authentication to another program)."""
        log = open(self.stdlog, "a")
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        logfile = self.logfile if os.path.exists(self.logfile) \
            else self.stdlog
        if wait_path is not None:
            wait_unix(wait_path, self.proc, "dovecot", logfile)
        else:
            wait_port(self.port, self.proc, "dovecot", logfile)

    def stop(self):
        rc = stop_pid(self.proc)
        self.proc = None
        return rc

    def roots(self):
        return [self.proc.pid], {self.proc.pid: "dovecot master"}

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def version(self):
        try:
            return subprocess.run([DOVECOT, "--version"], capture_output=True,
                                  text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"


# --- Postfix --------------------------------------------------------------------

def postfix_masters():
    return {pid for pid, (_, comm, _) in proc_table().items()
            if comm == "master"}


def ensure_postfix(who):
    """None when Postfix is there (installing it with apt-get, debconf
    "No configuration", if need be), else why not."""
    if os.geteuid() != 0:
        return "not root: Postfix's master and smtpd's privilege " \
               "separation need root"
    if os.path.exists(POSTFIX) and os.path.exists(POSTFIX_MASTER):
        return None
    if shutil.which("apt-get") is None:
        return "%s missing and no apt-get" % POSTFIX
    say("%s: installing postfix with apt-get (debconf: No configuration)"
        % who)
    try:
        subprocess.run(["debconf-set-selections"], input="postfix postfix/"
                       "main_mailer_type select No configuration\n",
                       text=True, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "debconf-set-selections failed: %s" % e
    before = postfix_masters()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        r = subprocess.run(["apt-get", "install", "-y", "-q",
                            "--no-install-recommends", "postfix"],
                           env=env, capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "apt-get install failed: %s" % e
    if os.path.isdir("/run/systemd/system") and shutil.which("systemctl"):
        subprocess.run(["systemctl", "stop", "postfix"], timeout=60,
                       capture_output=True)
    for pid in sorted(postfix_masters() - before):
        if cmdline(pid).startswith(POSTFIX_MASTER):
            say("%s: stopping the system postfix the install started "
                "(pid %d)" % (who, pid))
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if r.returncode != 0 or not os.path.exists(POSTFIX_MASTER):
        lines = (r.stderr or r.stdout).strip().splitlines()[-3:]
        return "apt-get install failed (exit %d): %s" % (
            r.returncode, " | ".join(lines))
    return None


class Postfix:
    """A Postfix instance from the configuration directory d: main.cf
    and master.cf from the templates main and master (fields {d}, this
    directory, and those of fields); main.cf sets queue_directory to
    d/queue (made here: the postfix command starts there),
    data_directory under d, and maillog_file = d/maillog with
    maillog_file_prefixes = d (Postfix logs to syslog otherwise).  The master runs in the foreground (-d) in a
    session of its own (on SIGTERM it signals its process group), and
    is stopped by its PID; its log is d/maillog (maillog_file)."""

    def __init__(self, d, main, master, **fields):
        self.d = d
        self.proc = None
        self.logfile = os.path.join(d, "maillog")
        self.stdlog = os.path.join(d, "master.stderr")
        os.makedirs(os.path.join(d, "queue"))
        os.chmod(d, 0o755)
        for name, text in (("main.cf", main), ("master.cf", master)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text.format(d=d, **fields))

    def postfix(self, *args):
        r = subprocess.run([POSTFIX, "-c", self.d] + list(args),
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("postfix %s failed: %s" % (
                " ".join(args), (r.stderr or r.stdout).strip()[-300:] or
                tail(self.logfile, 3)))
        return r

    def start(self, port):
        """postfix check (which makes the queue directories), then the
        master; returns once it listens on 127.0.0.1:port."""
        self.postfix("check")
        log = open(self.stdlog, "a")
        self.proc = subprocess.Popen(
            [POSTFIX_MASTER, "-d", "-c", self.d], stdout=log, stderr=log,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env=dict(os.environ, MAIL_CONFIG=self.d))
        log.close()
        wait_port(port, self.proc, "postfix master",
                  self.logfile if os.path.exists(self.logfile)
                  else self.stdlog)

    def stop(self):
        rc = stop_pid(self.proc, wait=30)
        self.proc = None
        return rc

    def roots(self):
        return [self.proc.pid], {self.proc.pid: "postfix master"}

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def version(self):
        try:
            return subprocess.run(["postconf", "-d", "-h", "mail_version"],
                                  capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"


def chown_tree(top, uid, gid):
    """top and everything under it owned by uid:gid."""
    for root, dirs, files in os.walk(top):
        os.chown(root, uid, gid)
        for x in dirs + files:
            os.chown(os.path.join(root, x), uid, gid)


# --- clients --------------------------------------------------------------------

def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(SUITE)
    ctx.set_ecdh_curve("prime256v1")
    return ctx


def set_comm(name):
    """Name this process (ps, perf): the scripts are called pop3 and imap,
    as are Dovecot's mail processes."""
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name)
    except OSError:
        pass


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_procs(target, argsets, limit):
    """Runs one process per argument tuple (q appended); returns what
    each put on q, or raises after limit seconds."""
    q = MP.Queue()
    procs = [MP.Process(target=target, args=a + (q,), daemon=True)
             for a in argsets]
    for p in procs:
        p.start()
    out = []
    deadline = time.monotonic() + limit
    try:
        while len(out) < len(procs):
            rem = deadline - time.monotonic()
            if rem <= 0:
                raise RuntimeError("clients did not finish in %.0fs" % limit)
            try:
                out.append(q.get(timeout=min(rem, 1.0)))
            except Exception:  # noqa: BLE001  queue.Empty
                if all(not p.is_alive() for p in procs) and q.empty():
                    raise RuntimeError("a client process died")
    finally:
        for p in procs:
            p.join(5)
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
                p.join(5)
    return out


def run_ready_procs(target, argsets, limit, ready_limit=60):
    """One process per argument tuple, (ready, go, q) appended: each
    puts one item on ready once set up (connected, logged in), then
    waits for go; go is set when all are ready.  Returns (the monotonic
    time go was set, what each put on q); raises when they are not
    ready in ready_limit seconds or not done in limit after go."""
    ready, go, q = MP.Queue(), MP.Event(), MP.Queue()
    procs = [MP.Process(target=target, args=a + (ready, go, q), daemon=True)
             for a in argsets]
    for p in procs:
        p.start()
    out = []
    try:
        deadline = time.monotonic() + ready_limit
        for _ in procs:
            rem = deadline - time.monotonic()
            try:
                ready.get(timeout=max(0.1, rem))
            except Exception:  # noqa: BLE001  queue.Empty
                raise RuntimeError("clients not ready in %.0fs"
                                   % ready_limit)
        t0 = time.monotonic()
        go.set()
        deadline = t0 + limit
        while len(out) < len(procs):
            rem = deadline - time.monotonic()
            if rem <= 0:
                raise RuntimeError("clients did not finish in %.0fs" % limit)
            try:
                out.append(q.get(timeout=min(rem, 1.0)))
            except Exception:  # noqa: BLE001  queue.Empty
                if all(not p.is_alive() for p in procs) and q.empty():
                    raise RuntimeError("a client process died")
    finally:
        go.set()
        for p in procs:
            p.join(5)
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
                p.join(5)
    return t0, out


def cpu_busy():
    """CPU seconds the whole machine spent busy so far (all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK


def cpu_delta(before, after):
    d = collections.Counter()
    for k in set(before) | set(after):
        v = after.get(k, 0.0) - before.get(k, 0.0)
        if v > 0.0005:
            d[k] = v
    return d


# --- profiles of misses ---------------------------------------------------------

PERF_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(\S.*)$")


def perf_profile(load, what, roots, workdir, seconds, follow=False):
    """perf record (cpu-clock) of the processes under roots for seconds
    while load() runs (perf.<what>.data in workdir); the top DSOs and
    symbols, in % of their samples, or why not.  Unexported functions of
    one DSO are summed.  perf -p does not follow processes forked after
    it started: with follow, the whole machine is recorded while a
    thread notes every process under roots during load(), and only
    their samples are reported (the machine may run other copies of the
    same programs)."""
    if shutil.which("perf") is None:
        return ["(no perf)"]
    data = os.path.join(workdir, "perf.%s.data" % what)
    seen = set(tree(roots)[0])
    target = ["-a"] if follow else ["-p", ",".join(str(x) for x in seen)]
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock",
                            "-F", "999"] + target + ["-o", data, "--",
                                                     "sleep", str(seconds)],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    time.sleep(0.2)
    stop = threading.Event()

    def watch():
        while not stop.wait(0.1):
            seen.update(tree(roots)[0])
    watcher = threading.Thread(target=watch, daemon=True)
    if follow:
        watcher.start()
    try:
        load()
    finally:
        stop.set()
        if follow:
            watcher.join(5)
        try:
            _, err = rec.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            rec.kill()
            rec.communicate()
            return ["(perf record did not stop)"]
    if rec.returncode != 0 or not os.path.exists(data):
        return ["(perf record failed: %s)" % err.decode(errors="replace")
                .strip()[-200:]]
    if follow:
        # perf report --sort dso with --pid drops most samples (perf
        # 6.x): the DSOs are summed from the symbols instead.
        syms = perf_rows(data, "dso,sym", ["--pid", ",".join(
            str(x) for x in sorted(seen)), "--percentage", "relative"],
            "0.05")
        if isinstance(syms, str):
            return [syms]
        dsos = collections.Counter()
        for k, v in syms.items():
            dsos[k.split(" ", 1)[0]] += v
        return perf_table("dso", dsos, 6, len(seen)) + \
            perf_table("dso,sym", syms, 16, len(seen))
    lines = []
    for sort, n in (("dso", 6), ("dso,sym", 16)):
        rows = perf_rows(data, sort, [])
        if isinstance(rows, str):
            return lines + [rows]
        lines.extend(perf_table(sort, rows, n))
    return lines


def syscall_counts(load, roots, names, workdir, what, calls):
    """The system calls named in calls ("fsync", "fdatasync"...) that
    the processes under roots made while load() ran: Counter {(role,
    call): count}, or a string saying why not.  The whole machine is
    recorded (perf record of the syscalls tracepoints; new processes
    are not followed by -p) while a thread notes every process under
    roots, and only theirs are counted."""
    if shutil.which("perf") is None:
        return "(no perf)"
    data = os.path.join(workdir, "perf.%s.sys.data" % what)
    events = ",".join("syscalls:sys_enter_%s" % c for c in calls)
    rec = subprocess.Popen(["perf", "record", "-q", "-a", "-e", events,
                            "-o", data], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    time.sleep(0.3)
    seen, table = tree(roots)
    seen = set(seen)
    labels = {p: label(p, table, names) for p in seen}
    stop = threading.Event()

    def watch():
        # the last label seen wins: a child forked as root drops to its
        # own user a moment later
        while not stop.wait(0.05):
            pids, tab = tree(roots)
            for p in pids:
                labels[p] = label(p, tab, names)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        load()
    finally:
        stop.set()
        watcher.join(5)
        rec.send_signal(signal.SIGINT)
        try:
            _, err = rec.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            rec.kill()
            rec.communicate()
            return "(perf record did not stop)"
    if not os.path.exists(data):
        return "(perf record failed: %s)" % err.decode(
            errors="replace").strip()[-200:]
    try:
        r = subprocess.run(["perf", "script", "-i", data, "-F", "pid,event"],
                           capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        return "(perf script timed out)"
    out = collections.Counter()
    for l in r.stdout.splitlines():
        f = l.split()
        if len(f) < 2 or not f[0].isdigit():
            continue
        pid = int(f[0])
        if pid in labels:
            call = f[1].rstrip(":").rpartition("sys_enter_")[2]
            out[(labels[pid], call)] += 1
    return out


def perf_table(sort, rows, n, procs=None):
    """The n largest rows, under a title (procs: how many processes)."""
    return ["by %s (%% of their samples%s):" % (
        sort, ", %d processes" % procs if procs else "")] + \
        ["  %5.1f%%  %s" % (v, k) for k, v in rows.most_common(n)]


def perf_rows(data, sort, extra, limit="0.3"):
    """perf report of data sorted by sort ("dso" or "dso,sym"), rows of
    at least limit %: Counter {dso or "dso symbol": %}, or a string
    saying why not."""
    try:
        r = subprocess.run(["perf", "report", "-i", data, "--stdio",
                            "--sort", sort, "--percent-limit", limit] +
                           extra, capture_output=True, text=True,
                           timeout=90)
    except subprocess.TimeoutExpired:
        return "(perf report timed out)"
    rows = collections.Counter()
    for l in r.stdout.splitlines():
        if l.startswith("#") or not l.strip():
            continue
        if sort == "dso":
            pct, _, rest = l.strip().partition("%")
            rows[rest.strip()] += float(pct)
            continue
        m = PERF_LINE.match(l)
        if m is None:
            continue
        sym = m.group(4).strip()
        if sym.startswith("0x"):
            sym = "(unexported functions)"
        rows["%s %s" % (m.group(2), sym)] += float(m.group(1))
    return rows


# --- reporting --------------------------------------------------------------------

def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if s else float("nan")


def pctl(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def fmt_cpu(d, per, unit="ms", scale=1000.0, top=7):
    items = sorted(d.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join("%s %.3f" % (k, v * scale / per) for k, v in items) + \
        " (%s each)" % unit


def ratio(a, b):
    return a / b if b else float("inf")
