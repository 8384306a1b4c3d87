"""Integration tests: pop3d over TLS with real clients (Python's poplib,
a raw TLS socket for SASL, curl), against a real authd, on 127.0.0.1.

Messages are put into the Maildir's new/ as any Maildir delivery agent
does (smtpd does not exist yet); pop3d picks them up."""
import os
import poplib
import shutil
import socket
import subprocess
import time

import pytest

import conftest
from conftest import ALICE, IS_ROOT, audit, deliver, last_login, message, \
    tls_context  # noqa: F401 (other test files import them from here)

BOB = "bob@example.test"


def pop_user(p, user=ALICE):
    """A pop3s user: pop3 granted (new users get imap,smtp only)."""
    pw = p.add_user(user)
    p.authctl("user", "services", user, "imap,pop3,smtp")
    return pw


def connect(p):
    return poplib.POP3_SSL("127.0.0.1", p.pop3_port, context=tls_context(),
                           timeout=30)


def login(p, pw, user=ALICE):
    """A logged-in poplib session over TLS."""
    c = connect(p)
    c.user(user)
    c.pass_(pw)
    return c


@pytest.fixture
def pop3(postern):
    postern.start_pop3d()
    yield postern
    rc = postern.stop_pop3d()
    log = postern.pop3_log()
    assert rc == 0, "pop3d exited with %s: %s" % (rc, log)
    assert "AddressSanitizer" not in log and "runtime error" not in log, log


def test_greeting_capa_and_login(pop3):
    p = pop3
    pw = pop_user(p)
    c = connect(p)
    assert c.getwelcome().startswith(b"+OK")
    caps = c.capa()
    for cap in ("TOP", "UIDL", "RESP-CODES", "USER", "SASL"):
        assert cap in caps, caps
    assert "PLAIN" in caps["SASL"]
    assert "STLS" not in caps
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    assert c.stat() == (0, 0)
    c.quit()
    assert last_login(p)["reason"] == "password"
    assert last_login(p)["service"] == "pop3"


def test_stat_list_uidl_retr_top(pop3):
    p = pop3
    pw = pop_user(p)
    texts = [message(1), message(2, body=".leading dot\n.\nend"),
             "Subject: crlf\r\n\r\nline one\r\nline two\r\n"]
    for t in texts:
        deliver(p, ALICE, t)
    c = login(p, pw)
    n, size = c.stat()
    assert n == 3
    wire = [t.replace("\r\n", "\n").replace("\n", "\r\n") for t in texts]
    assert size == sum(len(w) for w in wire)
    resp, listing, _ = c.list()
    assert [int(l.split()[1]) for l in listing] == [len(w) for w in wire]
    resp, uidls, _ = c.uidl()
    uids = [l.split()[1].decode() for l in uidls]
    assert len(set(uids)) == 3 and all("." in u for u in uids), uids
    for i, w in enumerate(wire, 1):
        resp, lines, octets = c.retr(i)
        # poplib undoes the dot-stuffing; lines come without CRLF.
        assert b"\r\n".join(lines) + b"\r\n" == w.encode(), (i, lines)
    resp, lines, _ = c.top(1, 0)
    assert lines[-1] == b"" and b"Subject: message 1" in lines
    assert b"hello 1" not in lines
    c.quit()


def test_unusable_file_names_are_renamed_not_skipped(pop3):
    """A file another program dropped in with a name the store cannot use
    is logged and renamed inside the sandboxed mail process, and served."""
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    deliver(p, ALICE, message(2, body="odd name"), name="odd\x01name two")
    c = login(p, pw)
    assert c.stat()[0] == 2
    assert b"odd name 2" in b"\n".join(c.retr(2)[1])
    c.quit()
    assert ": folder INBOX: new/odd\\001name two: a name the store " \
        "cannot use; renamed to new/" in p.pop3_log()
    assert not os.path.exists(os.path.join(p.maildir(ALICE), "new",
                                           "odd\x01name two"))


def test_dele_applies_at_quit_only(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i))
    c = login(p, pw)
    uids = [l.split()[1] for l in c.uidl()[1]]
    c.dele(2)
    with pytest.raises(poplib.error_proto):
        c.retr(2)
    c.rset()
    c.dele(1)
    c.quit()
    c = login(p, pw)
    assert c.stat()[0] == 2
    assert [l.split()[1] for l in c.uidl()[1]] == uids[1:]
    c.quit()


def test_dropped_connection_deletes_nothing(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(2):
        deliver(p, ALICE, message(i))
    c = login(p, pw)
    c.dele(1)
    c.dele(2)
    # No QUIT: the TCP connection just ends (poplib's file object would
    # keep the socket open after a bare close).
    c.sock.shutdown(socket.SHUT_RDWR)
    c.sock.close()
    c = login_when_free(p, pw)
    assert c.stat()[0] == 2
    c.quit()
    # The admin can tell from pop3d's log what became of each session.
    log = p.pop3_log()
    assert ALICE + " disconnected without QUIT: retrieved 0 messages " \
        "(0 bytes), deleted 0 (marked deletions not applied)" in log, log
    assert ALICE + " logged in" in log


def login_when_free(p, pw, user=ALICE):
    """Logs in once the previous session of user has ended: its mail
    process holds the maildrop lock until it has seen the disconnect."""
    deadline = time.time() + 20
    while True:
        c = connect(p)
        c.user(user)
        try:
            c.pass_(pw)
            return c
        except poplib.error_proto as e:
            c.close()
            if b"[IN-USE]" not in e.args[0] or time.time() > deadline:
                raise
            time.sleep(0.1)


def test_second_session_gets_in_use(pop3):
    p = pop3
    pw = pop_user(p)
    c1 = connect(p)
    c1.user(ALICE)
    c1.pass_(pw)
    c2 = connect(p)
    c2.user(ALICE)
    with pytest.raises(poplib.error_proto) as e:
        c2.pass_(pw)
    assert b"[IN-USE]" in e.value.args[0]
    c1.quit()
    c3 = connect(p)
    c3.user(ALICE)
    assert c3.pass_(pw).startswith(b"+OK")
    c3.quit()


def test_uidl_stable_across_sessions_and_reindex(pop3):
    p = pop3
    pw = pop_user(p)
    for i in range(5):
        deliver(p, ALICE, message(i))

    def uidls():
        c = login(p, pw)
        u = [l.split()[1] for l in c.uidl()[1]]
        c.quit()
        return u
    first = uidls()
    assert uidls() == first
    # The last session's mail process may still be closing the index
    # (its open marker goes last) when QUIT has been answered.
    index = os.path.join(p.maildir(ALICE), "index.lmdb")
    for _ in range(50):
        try:
            shutil.rmtree(index)
            break
        except FileNotFoundError:
            time.sleep(0.1)
    assert not os.path.exists(index)
    assert uidls() == first
    deliver(p, ALICE, message(9))
    after = uidls()
    assert after[:5] == first and after[5] not in first


def test_two_thousand_messages(pop3):
    p = pop3
    pw = pop_user(p)
    md = p.maildir(ALICE)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    for i in range(2000):
        with open(os.path.join(md, "new", "1700000000.M%dP1.test" % i),
                  "w") as f:
            f.write(message(i))
    deliver(p, ALICE, message(2000))     # fixes ownership as root
    c = login(p, pw)
    assert c.stat()[0] == 2001
    assert len(c.uidl()[1]) == 2001
    resp, lines, _ = c.retr(1500)
    assert any(l.startswith(b"Subject: message ") for l in lines)
    c.quit()


def sasl_plain(p, authcid, pw, continuation=False):
    """AUTH PLAIN over a raw TLS socket; returns the server's answer."""
    import base64
    raw = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    s = tls_context().wrap_socket(raw)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    token = base64.b64encode(b"\0" + authcid.encode() + b"\0" +
                             pw.encode()).decode()
    if continuation:
        s.sendall(b"AUTH PLAIN\r\n")
        assert f.readline().startswith(b"+ ")
        s.sendall(token.encode() + b"\r\n")
    else:
        s.sendall(("AUTH PLAIN %s\r\n" % token).encode())
    answer = f.readline()
    s.sendall(b"QUIT\r\n")
    f.readline()
    s.close()
    return answer


def test_auth_plain(pop3):
    p = pop3
    pw = pop_user(p)
    assert sasl_plain(p, ALICE, pw).startswith(b"+OK")
    assert sasl_plain(p, ALICE, pw, continuation=True).startswith(b"+OK")
    assert sasl_plain(p, ALICE, "wrong").startswith(b"-ERR [AUTH]")
    assert last_login(p)["mech"] == "plain"


def test_refusals_look_alike_and_audit_tells(pop3):
    p = pop3
    pw = pop_user(p)
    imap_only = p.add_user(BOB)            # default services: no pop3
    answers = []
    for user, secret in ((ALICE, "wrong"), (BOB, imap_only),
                         ("ghost@example.test", "x")):
        c = connect(p)
        c.user(user)
        with pytest.raises(poplib.error_proto) as e:
            c.pass_(secret)
        answers.append(e.value.args[0])
        c.close()
    assert len(set(answers)) == 1, answers
    assert answers[0].startswith(b"-ERR [AUTH]")
    reasons = [r["reason"] for r in audit(p) if r["service"] == "pop3"]
    assert reasons == ["wrong password", "service pop3 not allowed",
                       "unknown user"], reasons
    assert pw


def test_app_password_scoped_to_imap_is_refused(pop3):
    p = pop3
    pop_user(p)
    ap = p.authctl("apppass", "add", ALICE, "phone", "--services",
                   "imap").stdout.strip().splitlines()[-1]
    c = connect(p)
    c.user(ALICE)
    with pytest.raises(poplib.error_proto):
        c.pass_(ap)
    c.close()
    assert last_login(p)["reason"] == \
        "app password phone: service pop3 not allowed"


def test_lockout_through_pop3(pop3):
    p = pop3
    pw = pop_user(p)
    for _ in range(5):
        c = connect(p)
        c.user(ALICE)
        with pytest.raises(poplib.error_proto):
            c.pass_("wrong")
        c.close()
    c = connect(p)
    c.user(ALICE)
    with pytest.raises(poplib.error_proto) as e:
        c.pass_(pw)
    # A lock answers as a wrong password does: it must not tell that the
    # account exists (the audit log has the reason).
    assert e.value.args[0] == b"-ERR [AUTH] Authentication failed"
    c.close()
    assert last_login(p)["reason"] == "pair locked"


def test_curl_reads_the_mailbox(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1, body="curl body"))
    url = "pop3s://127.0.0.1:%d/" % p.pop3_port
    out = subprocess.run(["curl", "-sS", "-k", "-u", "%s:%s" % (ALICE, pw),
                          url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "1", out.stdout
    out = subprocess.run(["curl", "-sS", "-k", "-u", "%s:%s" % (ALICE, pw),
                          url + "1"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "curl body 1" in out.stdout


def test_idle_timeout_closes_the_session(stopped_postern):
    """RFC 1939's inactivity timer (pop3 idle timeout; the shortest the
    configuration takes is 1m, RFC 1939 asks for 10m), on a logged-in
    session: the net process's one poll loop serves both states."""
    p = stopped_postern
    p.write_config(extra="pop3 idle timeout 1m\n")
    p.start()
    p.start_pop3d()
    pw = pop_user(p)
    c = login(p, pw)
    c.sock.settimeout(120)
    # The server closes: the next read sees the end of the stream.
    assert c.sock.recv(1) == b""
    c.close()
    assert "idle timeout" in p.pop3_log()
    assert p.stop_pop3d() == 0


def test_missing_privsep_user_is_named(stopped_postern):
    """As root, pop3d refuses to start when a role's user is missing, and
    says which."""
    if not IS_ROOT:
        pytest.skip("privilege separation runs only as root")
    p = stopped_postern
    p.write_config(extra="user net _postern-nosuchuser\n")
    r = subprocess.run([conftest.POP3D, "-d", "-f", p.conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "_postern-nosuchuser" in r.stderr, r.stderr
    assert "useradd" in r.stderr, r.stderr


def test_pipelining_before_and_after_login(pop3):
    """PIPELINING is advertised: a batch of commands sent at once, before
    the login too, gets every answer in order (RFC 2449 section 6.6)."""
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    raw = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    s = tls_context().wrap_socket(raw)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    s.sendall(("CAPA\r\nNOOP\r\nUSER %s\r\nPASS wrong\r\nUSER %s\r\n"
               "PASS %s\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n"
               % (ALICE, ALICE, pw)).encode())
    lines = f.read().split(b"\r\n")
    s.close()
    status = [l.split()[0] for l in lines if l[:1] in (b"+", b"-")]
    # CAPA, NOOP (not before login), USER, PASS, USER, PASS, STAT, UIDL,
    # QUIT
    assert status == [b"+OK", b"-ERR", b"+OK", b"-ERR", b"+OK", b"+OK",
                      b"+OK", b"+OK", b"+OK"], lines
    assert any(l.startswith(b"+OK 1 ") for l in lines), lines


def test_check_mode_looks_at_the_tls_files(stopped_postern):
    """pop3d -n (the unit's ExecStartPre) checks the certificate chain and
    the key file's mode, not only the syntax."""
    p = stopped_postern

    def check():
        return subprocess.run([conftest.POP3D, "-n", "-f", p.conf],
                              capture_output=True, text=True, timeout=60)
    r = check()
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stderr
    key = os.path.join(p.dir, "key.pem")
    os.chmod(key, 0o644)
    r = check()
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    os.chmod(key, 0o600)
    os.rename(os.path.join(p.dir, "cert.pem"), os.path.join(p.dir, "x.pem"))
    r = check()
    assert r.returncode == 1 and "cert.pem" in r.stderr, r.stderr


def test_size_of_a_message_without_a_final_newline(pop3):
    """LIST announces what RETR sends, also for a file whose last line
    has no line end (the wire adds one before the final dot)."""
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, "Subject: short\n\nno newline at the end")
    raw = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    s = tls_context().wrap_socket(raw)
    f = s.makefile("rb")
    f.readline()
    s.sendall(("USER %s\r\nPASS %s\r\nLIST 1\r\nRETR 1\r\nQUIT\r\n"
               % (ALICE, pw)).encode())
    f.readline()
    f.readline()
    announced = int(f.readline().split()[2])
    assert f.readline().startswith(b"+OK")
    body = b""
    while True:
        line = f.readline()
        if line == b".\r\n":
            break
        body += line
    s.close()
    assert body == b"Subject: short\r\n\r\nno newline at the end\r\n"
    assert announced == len(body)
