"""Integration tests: a daemon's life as an administrator sees it:
listening only where a listen statement says, SIGHUP reloading authd's
policy while it keeps serving, and -n catching what start-up would
reject (an expired or expiring certificate, a missing privsep user)."""
import os
import signal
import socket
import subprocess
import time

from conftest import ALICE, AUTHD, FAKETIME, IS_ROOT, POP3D, last_login

import pytest


def wait_log(p, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in p.log():
            return
        time.sleep(0.05)
    raise AssertionError("no %r in the log: %s" % (text, p.log()))


def fail_n(c, n, address):
    return [c.login(ALICE, "wrong-password", address=address)[0]
            for _ in range(n)]


def set_config(p, old, new):
    with open(p.conf) as f:
        text = f.read()
    assert old in text, text
    with open(p.conf, "w") as f:
        f.write(text.replace(old, new))


def test_sighup_reloads_the_lockout_limit_and_keeps_serving(stopped_postern):
    p = stopped_postern
    p.write_config("lockout pair 5 within 15m for 15m\n")
    p.start()
    pw = p.add_user(ALICE)
    c = p.client()
    a = "192.0.2.60"
    assert fail_n(c, 2, a) == ["fail"] * 2
    assert last_login(p)["reason"] == "wrong password"
    set_config(p, "lockout pair 5 within", "lockout pair 3 within")
    p.proc.send_signal(signal.SIGHUP)
    wait_log(p, "reloaded auth failure delay, lockout")
    assert p.proc.poll() is None, "authd died on SIGHUP"
    # The same client connection still works, and the third failure now
    # locks the pair: the limit changed without a restart.
    assert fail_n(c, 1, a) == ["fail"]
    st, _, _ = c.login(ALICE, pw, address=a)
    assert st == "fail" and last_login(p)["reason"] == "pair locked", \
        last_login(p)
    st, _, _ = c.login(ALICE, pw, address="192.0.2.61")
    assert st == "ok"
    c.close()


def test_sighup_with_a_broken_file_keeps_the_old_settings(postern):
    p = postern
    pw = p.add_user(ALICE)
    with open(p.conf, "a") as f:
        f.write("lockout pair 0 within 1m for 1m\n")
    p.proc.send_signal(signal.SIGHUP)
    wait_log(p, "reload failed, keeping the old settings: %s:" % p.conf)
    assert "lockout pair" in p.log()
    c = p.client()
    assert c.login(ALICE, pw, address="192.0.2.62")[0] == "ok"
    c.close()


def test_sighup_names_what_needs_a_restart(postern):
    p = postern
    set_config(p, "auth scrypt cost 10", "auth scrypt cost 11\nauth workers 2")
    p.proc.send_signal(signal.SIGHUP)
    wait_log(p, "changed auth workers, auth scrypt cost; these take effect "
             "only when authd restarts")
    assert p.client().bancheck("192.0.2.1") == "ok"


def test_foreground_authd_removes_its_socket_on_exit(stopped_postern):
    p = stopped_postern
    p.start()
    assert os.path.exists(p.sock)
    assert p.stop() == 0
    assert not os.path.exists(p.sock), "the socket outlived authd"


# --- listeners ------------------------------------------------------------

def listening_ports(pid):
    """The TCP ports the processes of pid's tree listen on."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True,
                         check=True).stdout
    return [l for l in out.splitlines() if "pid=%d," % pid in l]


def test_only_an_imaps_listener_opens_nothing_for_pop3d(stopped_postern):
    p = stopped_postern
    set_config(p, "listen pop3s on 127.0.0.1 port %d" % p.pop3_port,
               "listen imaps on 127.0.0.1 port %d" % p.pop3_port)
    r = subprocess.run([POP3D, "-n", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert 'no "listen pop3s" statement' in r.stderr, r.stderr
    proc = subprocess.Popen([POP3D, "-d", "-f", p.conf],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        ports = listening_ports(proc.pid)
        proc.kill()
        proc.communicate()
        raise AssertionError("pop3d started; it listens on %s" % ports)
    assert proc.returncode == 1
    assert 'add one, such as "listen pop3s on 127.0.0.1"' in err, err
    for port in (995, p.pop3_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), 1).close()


def test_check_prints_where_pop3d_will_listen(stopped_postern):
    p = stopped_postern
    with open(p.conf, "a") as f:
        f.write("listen pop3s on ::1 port %d\n" % p.pop3_port)
    r = subprocess.run([POP3D, "-n", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == [
        "pop3d will listen on 127.0.0.1 port %d" % p.pop3_port,
        "pop3d will listen on ::1 port %d" % p.pop3_port], r.stdout


# --- -n: what start-up would reject ----------------------------------------

def make_cert_at(d, offset_days, days):
    """A certificate made offset_days from now (libfaketime), valid for
    days."""
    env = dict(os.environ, LD_PRELOAD=FAKETIME,
               FAKETIME="%+dd" % offset_days)
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", str(days),
                    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem"),
                    "-subj", "/CN=localhost"],
                   check=True, capture_output=True, env=env)
    os.chmod(os.path.join(d, "key.pem"), 0o600)


def test_check_refuses_an_expired_certificate(stopped_postern):
    p = stopped_postern
    make_cert_at(p.dir, -40, 30)
    r = subprocess.run([POP3D, "-n", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "%s/cert.pem: the certificate expired on " % p.dir in r.stderr, \
        r.stderr
    # Start-up refuses it too, with the same words.
    p.start()
    r = subprocess.run([POP3D, "-d", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "the certificate expired on " in r.stderr, r.stderr


def test_check_warns_of_a_certificate_expiring_soon(stopped_postern):
    p = stopped_postern
    make_cert_at(p.dir, 0, 5)
    r = subprocess.run([POP3D, "-n", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "the certificate expires on " in r.stderr, r.stderr
    assert "in 4 days" in r.stderr or "in 5 days" in r.stderr, r.stderr


@pytest.mark.skipif(not IS_ROOT, reason="privsep users matter as root only")
@pytest.mark.parametrize("prog,role", [(AUTHD, "auth"), (POP3D, "net"),
                                       (POP3D, "keyholder")])
def test_check_names_a_missing_privsep_user(stopped_postern, prog, role):
    p = stopped_postern
    with open(p.conf, "a") as f:
        f.write("user %s _postern-nosuch\n" % role)
    r = subprocess.run([prog, "-n", "-f", p.conf], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "user %s _postern-nosuch: no such system user" % role \
        in r.stderr, r.stderr


def test_check_names_a_missing_runtime_directory(stopped_postern):
    p = stopped_postern
    os.rmdir(os.path.join(p.dir, "run"))
    for prog in (AUTHD, POP3D):
        r = subprocess.run([prog, "-n", "-f", p.conf], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 1
        assert "runtime %s/run: No such file or directory" % p.dir \
            in r.stderr, r.stderr
