"""Integration tests: pop3d's TLS (DESIGN 6) seen by Python's ssl module
(OpenSSL): TLS 1.2 only, ECDHE with AEAD suites only, and certificate
reload on SIGHUP that keeps the old pair when the new one is bad."""
import os
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import time
import warnings

import pytest

from conftest import ALICE, make_cert
from test_pop3 import connect, deliver, message, pop3, pop_user, \
    tls_context  # noqa: F401

AEAD = ("-GCM-", "CHACHA20-POLY1305")


def handshake(p, ctx):
    """Completes a TLS handshake with pop3d; returns (version, cipher
    name, DER of the server certificate).  Raises ssl.SSLError (or an
    OSError) when the server refuses."""
    raw = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    try:
        s = ctx.wrap_socket(raw)
    except BaseException:
        raw.close()
        raise
    try:
        return s.version(), s.cipher()[0], s.getpeercert(binary_form=True)
    finally:
        s.close()


def old_tls_context(maximum):
    """A client context that really offers TLS 1.0 (up to maximum):
    OpenSSL 3 needs security level 0 for that."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = tls_context()
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maximum
    return ctx


def local_server_accepts(p, client_ctx):
    """Control: a local OpenSSL server that allows everything completes a
    handshake with client_ctx (so a refusal by pop3d is pop3d's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.set_ciphers("ALL:@SECLEVEL=0")
        sctx.minimum_version = ssl.TLSVersion.TLSv1
        sctx.load_cert_chain(os.path.join(p.dir, "cert.pem"),
                             os.path.join(p.dir, "key.pem"))
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(30)
    result = {}

    def serve():
        try:
            conn, _ = ls.accept()
            conn.settimeout(30)
            with sctx.wrap_socket(conn, server_side=True) as s:
                result["version"] = s.version()
        except Exception as e:                     # noqa: BLE001
            result["error"] = repr(e)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    raw = socket.create_connection(ls.getsockname(), 30)
    try:
        with client_ctx.wrap_socket(raw) as s:
            version = s.version()
    finally:
        raw.close()
        t.join(30)
        ls.close()
    return version, result


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def wait_log(p, text, count=1, timeout=15):
    """Waits until text occurs count times in pop3d's log."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.pop3_log().count(text) >= count:
            return True
        time.sleep(0.05)
    return p.pop3_log().count(text) >= count


def install(p, src):
    """Copies cert.pem and key.pem (mode 0600) from src over p.dir's."""
    for name in ("cert.pem", "key.pem"):
        tmp = os.path.join(p.dir, name + ".new")
        shutil.copyfile(os.path.join(src, name), tmp)
        if name == "key.pem":
            os.chmod(tmp, 0o600)
        os.rename(tmp, os.path.join(p.dir, name))


def loaded(p):
    """conftest's start_pop3d returns once the port is bound, which is
    before the parent loaded the pair; one handshake (accepted only from
    the loop, after the load) proves the first pair is in place before a
    test overwrites the files."""
    return handshake(p, tls_context())[2]


def sighup(p, what):
    """SIGHUP to the parent; waits for the log line that says what
    happened (what: "reloaded" or "failed")."""
    text = {"reloaded": "certificate and key reloaded",
            "failed": "reload failed; keeping the old"}[what]
    before = p.pop3_log().count(text)
    p.pop3.send_signal(signal.SIGHUP)
    assert wait_log(p, text, before + 1), p.pop3_log()


# --- versions and suites -------------------------------------------------------

@pytest.mark.parametrize("maximum", ["TLSv1", "TLSv1_1"])
def test_tls_1_0_and_1_1_refused(pop3, maximum):
    p = pop3
    ctx = old_tls_context(getattr(ssl.TLSVersion, maximum))
    version, server = local_server_accepts(p, ctx)
    assert version in ("TLSv1", "TLSv1.1"), (version, server)
    with pytest.raises((ssl.SSLError, OSError)) as e:
        handshake(p, old_tls_context(getattr(ssl.TLSVersion, maximum)))
    assert "NO_PROTOCOLS_AVAILABLE" not in str(e.value), e.value
    # pop3d is fine afterwards.
    assert handshake(p, tls_context())[0] == "TLSv1.2"


def test_tls_1_2_with_ecdhe_ecdsa_aead(pop3):
    p = pop3
    version, cipher, cert = handshake(p, tls_context())
    assert version == "TLSv1.2"
    assert cipher.startswith("ECDHE-ECDSA-"), cipher
    assert any(a in cipher for a in AEAD), cipher
    assert cert == der(os.path.join(p.dir, "cert.pem"))


@pytest.mark.parametrize("suite", ["ECDHE-ECDSA-AES128-GCM-SHA256",
                                   "ECDHE-ECDSA-AES256-GCM-SHA384",
                                   "ECDHE-ECDSA-CHACHA20-POLY1305"])
def test_each_aead_suite_alone_works(pop3, suite):
    ctx = tls_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(suite)
    version, cipher, _ = handshake(pop3, ctx)
    assert (version, cipher) == ("TLSv1.2", suite)


def test_server_preference_is_enforced(pop3):
    """tls.c: AES-128-GCM first, whatever order the client prefers."""
    ctx = tls_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:"
                    "ECDHE-ECDSA-AES256-GCM-SHA384:"
                    "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert handshake(pop3, ctx)[1] == "ECDHE-ECDSA-AES128-GCM-SHA256"


@pytest.mark.parametrize("suites", ["ECDHE-ECDSA-AES128-SHA256",
                                    "ECDHE-ECDSA-AES256-SHA384:"
                                    "ECDHE-ECDSA-AES128-SHA",
                                    "AES128-GCM-SHA256:AES256-GCM-SHA384"])
def test_cbc_or_static_key_suites_refused(pop3, suites):
    """Only CBC (or only non-ECDHE) suites on offer: no handshake."""
    ctx = tls_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(suites)
    with pytest.raises((ssl.SSLError, OSError)):
        handshake(pop3, ctx)
    assert handshake(pop3, tls_context())[0] == "TLSv1.2"


def test_tls_1_3_only_client_refused(pop3):
    ctx = tls_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises((ssl.SSLError, OSError)):
        handshake(pop3, ctx)
    assert handshake(pop3, tls_context())[0] == "TLSv1.2"


def test_pop3_over_the_negotiated_session(pop3):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1, body="over tls"))
    c = connect(p)
    assert c.sock.version() == "TLSv1.2"
    c.user(ALICE)
    c.pass_(pw)
    assert b"over tls 1" in b"\n".join(c.retr(1)[1])
    c.quit()


# --- reload on SIGHUP ------------------------------------------------------------

@pytest.fixture
def second_cert():
    d = tempfile.mkdtemp(prefix="postern-cert-", dir="/tmp")
    make_cert(d, name="second.example.test")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_sighup_reload_new_cert_old_connection_lives(pop3, second_cert):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    first = der(os.path.join(p.dir, "cert.pem"))
    second = der(os.path.join(second_cert, "cert.pem"))
    assert first != second
    old = connect(p)                            # handshake with the first
    assert old.sock.getpeercert(binary_form=True) == first
    install(p, second_cert)
    sighup(p, "reloaded")
    version, cipher, cert = handshake(p, tls_context())
    assert cert == second
    assert cipher.startswith("ECDHE-ECDSA-")
    # The connection from before the reload goes on.
    old.user(ALICE)
    assert old.pass_(pw).startswith(b"+OK")
    assert old.stat()[0] == 1
    old.quit()
    # A full session on the new certificate works, too.
    c = connect(p)
    assert c.sock.getpeercert(binary_form=True) == second
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    c.quit()

    # A broken key: pop3d keeps the second pair and says why.
    key = os.path.join(p.dir, "key.pem")
    with open(key + ".new", "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
                "-----END PRIVATE KEY-----\n")
    os.chmod(key + ".new", 0o600)
    os.rename(key + ".new", key)
    sighup(p, "failed")
    log = p.pop3_log()
    assert "]: %s: malformed private key" % key in log, log
    assert handshake(p, tls_context())[2] == second
    c = connect(p)
    c.user(ALICE)
    assert c.pass_(pw).startswith(b"+OK")
    c.quit()


def test_handshake_straddling_the_reload(pop3, second_cert):
    """A connection the parent accepted before SIGHUP, whose client
    sends its ClientHello only after the reload: its net process was
    forked with the old chain, so it must also be signed for with the
    old key (or be given the new chain) -- a handshake either way."""
    p = pop3
    first = loaded(p)
    early = socket.create_connection(("127.0.0.1", p.pop3_port), 30)
    # The listen queue is FIFO: once a later connection has completed
    # its handshake, the parent has accepted (and forked for) early.
    assert loaded(p) == first
    install(p, second_cert)
    sighup(p, "reloaded")
    try:
        s = tls_context().wrap_socket(early)
    except ssl.SSLError as e:
        early.close()
        pytest.fail("handshake of a connection accepted before the "
                    "reload failed: %s" % e)
    try:
        assert s.getpeercert(binary_form=True) in (
            first, der(os.path.join(second_cert, "cert.pem")))
        assert s.recv(100).startswith(b"+OK")
    finally:
        s.close()
    assert handshake(p, tls_context())[2] == \
        der(os.path.join(second_cert, "cert.pem"))


def test_sighup_mismatched_pair_keeps_old(pop3, second_cert):
    """A new certificate with the old key (a half-finished renewal) is
    refused as a pair; the old certificate is still the one presented,
    and handshakes still verify (the keyholder kept the old key)."""
    p = pop3
    first = loaded(p)
    assert first == der(os.path.join(p.dir, "cert.pem"))
    shutil.copyfile(os.path.join(second_cert, "cert.pem"),
                    os.path.join(p.dir, "cert.pem"))
    sighup(p, "failed")
    version, cipher, cert = handshake(p, tls_context())
    assert cert == first
    # A correct pair later is taken.
    install(p, second_cert)
    sighup(p, "reloaded")
    assert handshake(p, tls_context())[2] == \
        der(os.path.join(second_cert, "cert.pem"))


def test_sighup_refuses_a_readable_key(pop3, second_cert):
    p = pop3
    first = loaded(p)
    install(p, second_cert)
    os.chmod(os.path.join(p.dir, "key.pem"), 0o644)
    sighup(p, "failed")
    assert "chmod 600" in p.pop3_log(), p.pop3_log()
    assert handshake(p, tls_context())[2] == first


def test_sighup_to_an_rsa_certificate(pop3):
    p = pop3
    pw = pop_user(p)
    loaded(p)
    d = tempfile.mkdtemp(prefix="postern-rsa-", dir="/tmp")
    try:
        make_cert(d, kind="rsa")
        install(p, d)
        sighup(p, "reloaded")
        version, cipher, cert = handshake(p, tls_context())
        assert cert == der(os.path.join(d, "cert.pem"))
        assert version == "TLSv1.2"
        assert cipher.startswith("ECDHE-RSA-"), cipher
        assert any(a in cipher for a in AEAD), cipher
        c = connect(p)
        c.user(ALICE)
        assert c.pass_(pw).startswith(b"+OK")
        c.quit()
    finally:
        shutil.rmtree(d, ignore_errors=True)
