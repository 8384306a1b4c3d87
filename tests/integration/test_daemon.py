"""Integration tests: authd as a daemon: detaching, the pid file, refusing
to take over a running instance's socket, replacing a stale one, and
start-up errors that still reach the terminal."""
import os
import signal
import socket
import subprocess
import time

from conftest import AUTHD, IS_ROOT, AuthClient

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
        # A second authd on the same socket refuses, and the first one
        # keeps serving.
        r2 = start_detached(p)
        assert r2.returncode == 1
        assert "another authd is already serving" in r2.stderr, r2.stderr
        c = AuthClient(p.sock)
        assert c.bancheck("192.0.2.1") == "ok"
        c.close()
    finally:
        stop_pid(pid)


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
    assert "/nonexistent/postern-state/auth" in r.stderr, r.stderr
    assert not os.path.exists(p.sock), "a failed start left a socket"


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
