"""Integration tests: authd as a daemon: detaching, the pid file, refusing
to take over a running instance's socket, replacing a stale one, and
start-up errors that still reach the terminal."""
import os
import signal
import socket
import subprocess
import time

from conftest import AUTHD, IS_ROOT, AuthClient, tls_context

import pytest


def start_detached(p):
    return subprocess.run([AUTHD, "-f", p.conf], capture_output=True,
                          text=True, timeout=60)


def pid_of(p):
    with open(os.path.join(p.dir, "run", "authd.pid")) as f:
        return int(f.read())


def stop_pid(pid):
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("authd %d did not stop" % pid)


@pytest.mark.skipif(not IS_ROOT, reason="without -d authd must run as root")
def test_detaches_writes_pid_file_and_serves(stopped_postern):
    p = stopped_postern
    r = start_detached(p)
    assert r.returncode == 0, r.stderr
    pid = pid_of(p)
    try:
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        assert "authd" in status
        c = AuthClient(p.sock)
        assert c.bancheck("192.0.2.1") == "ok"
        c.close()
        # A second authd refuses, leaves the pid file alone, and the
        # first one keeps serving.
        r2 = start_detached(p)
        assert r2.returncode == 1
        assert "another authd is already running (pid %d" % pid \
            in r2.stderr, r2.stderr
        assert pid_of(p) == pid, "the second authd rewrote the pid file"
        c = AuthClient(p.sock)
        assert c.bancheck("192.0.2.1") == "ok"
        c.close()
    finally:
        stop_pid(pid)
    # A clean exit removes the pid file and the socket.
    assert not os.path.exists(os.path.join(p.dir, "run", "authd.pid"))
    assert not os.path.exists(p.sock)


@pytest.mark.skipif(not IS_ROOT, reason="without -d authd must run as root")
def test_start_up_error_reaches_the_terminal(stopped_postern):
    p = stopped_postern
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace('state "%s/state"' % p.dir,
                             'state "/nonexistent/postern-state"'))
    r = start_detached(p)
    assert r.returncode == 1
    assert "state /nonexistent/postern-state: No such file or directory" \
        in r.stderr, r.stderr
    assert not os.path.exists(p.sock), "a failed start left a socket"
    assert not os.path.exists(os.path.join(p.dir, "run", "authd.pid"))


@pytest.mark.skipif(not IS_ROOT, reason="without -d authd must run as root")
def test_failed_server_start_removes_what_it_created(stopped_postern):
    """The server process fails after the socket and the pid file exist
    (the database directory is a file): both are removed, the error
    reaches the terminal."""
    p = stopped_postern
    with open(os.path.join(p.dir, "state", "auth"), "w") as f:
        f.write("not a directory\n")
    r = start_detached(p)
    assert r.returncode == 1
    assert "%s/state/auth" % p.dir in r.stderr, r.stderr
    assert not os.path.exists(p.sock), "a failed start left a socket"
    assert not os.path.exists(os.path.join(p.dir, "run", "authd.pid"))


def test_stale_socket_is_replaced(stopped_postern):
    p = stopped_postern
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p.sock)
    s.close()                     # a socket file nobody listens on
    p.start()
    c = p.client()
    assert c.bancheck("192.0.2.1") == "ok"
    c.close()


def test_second_foreground_authd_refuses(postern):
    p = postern
    r = subprocess.run([AUTHD, "-d", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "another authd is already serving" in r.stderr, r.stderr
    c = p.client()
    assert c.bancheck("192.0.2.1") == "ok"
    c.close()


@pytest.mark.skipif(not IS_ROOT, reason="without -d pop3d must run as root")
def test_pop3d_detaches_and_survives_a_bad_reload(stopped_postern):
    """pop3d without -d returns once it serves (what Type=forking needs),
    and its keyholder, logging to syslog now, survives a reload with a
    key that does not match (the old pair stays)."""
    import ssl
    from conftest import POP3D, make_cert
    p = stopped_postern
    p.start()
    r = subprocess.run([POP3D, "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(p.dir, "run", "pop3d.pid")) as f:
        pid = int(f.read())
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def cert():
            with socket.create_connection(("127.0.0.1", p.pop3_port),
                                          30) as raw:
                with ctx.wrap_socket(raw) as s:
                    return s.getpeercert(binary_form=True)
        before = cert()
        other = os.path.join(p.dir, "other")
        os.mkdir(other)
        make_cert(other)
        os.replace(os.path.join(other, "key.pem"),
                   os.path.join(p.dir, "key.pem"))
        os.kill(pid, signal.SIGHUP)
        time.sleep(1)
        os.kill(pid, 0)                 # still running
        assert cert() == before
    finally:
        stop_pid(pid)


def descendants(pid):
    """pid and every process below it, from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return sorted(out)


def test_every_process_survives_stop_and_continue(postern):
    """SIGSTOP then SIGCONT (a debugger, a job-control stop, a cgroup
    freeze) must not kill any sandboxed process: the kernel resumes an
    interrupted wait with restart_syscall, which the keyholder's seccomp
    list lacked, and imapd, pop3d and smtpd went down with it."""
    from test_smtp import smtp_users
    p = postern
    smtp_users(p)
    p.start_pop3d()
    p.start_imapd()
    p.start_smtpd()
    procs = {"authd": p.proc, "pop3d": p.pop3, "imapd": p.imap,
             "smtpd": p.smtp}
    before = {k: descendants(v.pid) for k, v in procs.items()}
    for pids in before.values():
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
    time.sleep(0.3)
    for pids in before.values():
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    time.sleep(1)
    for k, v in procs.items():
        assert v.poll() is None, "%s exited after SIGCONT" % k
        assert descendants(v.pid) == before[k], k
    assert "SIGSYS" not in p.imap_log() + p.pop3_log() + p.smtp_log()
    assert p.client().bancheck("192.0.2.1") == "ok"
    for port in (p.pop3_port, p.imap_port, p.subm_port):
        s = tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", port), 10))
        assert s.recv(100)[:1] in (b"+", b"*", b"2"), port
        s.close()
    p.stop_smtpd()
    p.stop_imapd()
    p.stop_pop3d()
