"""TLS on BearSSL, end to end: tests/tools/tls_echo (a keyholder process
plus common/tls.c in one forked child per connection) against Python's
ssl module as the client.

Certificates are made with the openssl CLI in a temporary directory: a
root CA, an intermediate CA, and leaves with ECDSA P-256, ECDSA P-384 and
RSA 2048 keys (in PKCS#8, SEC1 and PKCS#1 form); the server's file holds
leaf + intermediate and the client trusts the root only, so every
handshake also proves that the whole chain was sent.  Every process
started here is stopped by its PID.
"""
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, free_port

TLS_ECHO = os.path.join(BUILD, "tests", "tools", "tls_echo")
AEAD_SUITES = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
}
NEWKEY = {
    "ec256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "rsa": ["-newkey", "rsa:2048"],
}

pytestmark = pytest.mark.skipif(not os.path.exists(TLS_ECHO),
                                reason="tls_echo not built (make unit)")


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


class PKI:
    """A root and an intermediate CA in a directory; leaves on demand."""

    def __init__(self, d):
        self.d = d
        self.n = 0
        write(os.path.join(d, "ca.ext"),
              "basicConstraints=critical,CA:TRUE\n"
              "keyUsage=critical,keyCertSign,cRLSign\n")
        write(os.path.join(d, "leaf.ext"),
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=serverAuth\n"
              "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("req", "-x509", "-nodes", "-days", "2", *NEWKEY["ec256"],
                "-keyout", "root.key", "-out", "root.pem",
                "-subj", "/CN=postern test root",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        self.sign("int", "ec256", "root", "ca.ext", "postern test CA")
        self.root = os.path.join(d, "root.pem")

    def sign(self, name, kind, issuer, ext, cn):
        self.n += 1
        openssl("req", "-new", "-nodes", *NEWKEY[kind], "-keyout",
                name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn,
                cwd=self.d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem",
                "-CAkey", issuer + ".key", "-set_serial", str(self.n),
                "-days", "2", "-extfile", ext, "-out", name + ".pem",
                cwd=self.d)

    def leaf(self, name, kind):
        """name.key and name.chain (leaf + intermediate); returns both
        paths and the leaf's DER."""
        self.sign(name, kind, "int", "leaf.ext", "localhost")
        key = os.path.join(self.d, name + ".key")
        # One key of each other form: SEC1 for P-384, PKCS#1 for RSA.
        if kind == "ec384":
            openssl("ec", "-in", key, "-out", key, cwd=self.d)
        elif kind == "rsa":
            openssl("rsa", "-traditional", "-in", key, "-out", key,
                    cwd=self.d)
        leaf = read(os.path.join(self.d, name + ".pem"))
        chain = os.path.join(self.d, name + ".chain")
        write(chain, leaf + read(os.path.join(self.d, "int.pem")))
        return chain, key, ssl.PEM_cert_to_DER_cert(leaf)


class Echo:
    """One tls_echo process, stopped by its PID."""

    def __init__(self, d, cert, key):
        self.port = free_port()
        self.logfile = os.path.join(d, "tls_echo.%d.log" % self.port)
        self.log_f = open(self.logfile, "w")
        self.proc = subprocess.Popen(
            [TLS_ECHO, "-c", cert, "-k", key, "-p", str(self.port), "-v"],
            stdout=subprocess.PIPE, stderr=self.log_f)
        r, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline() if r else b""
        if line != b"ready\n":
            self.stop()
            raise AssertionError("tls_echo did not start: " + self.log())

    def log(self):
        return read(self.logfile)

    def wait_log(self, text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return
            time.sleep(0.05)
        raise AssertionError("no %r in the log: %s" % (text, self.log()))

    def hup(self):
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()
        self.log_f.close()


def client_ctx(pki, minv=ssl.TLSVersion.TLSv1_2,
               maxv=ssl.TLSVersion.TLSv1_2, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.root)
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    ctx.minimum_version = minv
    ctx.maximum_version = maxv
    return ctx


def connect(echo, ctx):
    sock = socket.create_connection(("127.0.0.1", echo.port), 10)
    try:
        return ctx.wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


def roundtrip(s, data):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def refused(echo, ctx):
    """The handshake fails; returns the client's error text."""
    with pytest.raises((ssl.SSLError, ConnectionError)) as e:
        connect(echo, ctx).close()
    return str(e.value)


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="postern-tls-", dir="/tmp")
    yield PKI(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def servers(pki):
    started = []

    def start(kind="ec256", name=None):
        name = name or "%s-%d" % (kind, len(started))
        cert, key, der = pki.leaf(name, kind)
        e = Echo(pki.d, cert, key)
        e.cert, e.key, e.der = cert, key, der
        started.append(e)
        return e
    yield start
    for e in started:
        e.stop()
    for e in started:
        assert "Sanitizer" not in e.log() and "runtime error" not in e.log(), \
            e.log()


@pytest.mark.parametrize("kind", ["ec256", "ec384", "rsa"])
def test_tls12_echo(pki, servers, kind):
    e = servers(kind)
    with connect(e, client_ctx(pki)) as s:
        assert s.version() == "TLSv1.2"
        assert s.cipher()[0] in AEAD_SUITES
        assert s.cipher()[0].startswith(
            "ECDHE-RSA-" if kind == "rsa" else "ECDHE-ECDSA-")
        assert s.getpeercert(binary_form=True) == e.der
        assert roundtrip(s, b"hello\n") == b"hello\n"
        assert roundtrip(s, b"two\nlines\n") == b"two\nlines\n"
        big = b"x" * 100000 + b"\n"
        assert roundtrip(s, big) == big
        s.unwrap()
    e.wait_log("closed cleanly")


def test_default_client_gets_tls12(pki, servers):
    e = servers("ec256")
    ctx = ssl.create_default_context(cafile=pki.root)
    with connect(e, ctx) as s:
        assert s.version() == "TLSv1.2"
        assert roundtrip(s, b"default\n") == b"default\n"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1,
                                     ssl.TLSVersion.TLSv1_1],
                         ids=["TLSv1.0", "TLSv1.1"])
def test_old_versions_refused(pki, servers, version):
    e = servers("rsa")
    # SECLEVEL=0 so that OpenSSL really offers the old version.
    ctx = client_ctx(pki, version, version, "DEFAULT:@SECLEVEL=0")
    err = refused(e, ctx)
    # The server answers the old ClientHello with a TLS 1.2 record.
    assert "WRONG_VERSION_NUMBER" in err or "PROTOCOL_VERSION" in err, err


def test_tls13_only_refused(pki, servers):
    e = servers("ec256")
    err = refused(e, client_ctx(pki, ssl.TLSVersion.TLSv1_3,
                                ssl.TLSVersion.TLSv1_3))
    assert "HANDSHAKE_FAILURE" in err or "PROTOCOL_VERSION" in err, err


@pytest.mark.parametrize("kind,ciphers", [
    ("ec256", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:"
              "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"),
    ("rsa", "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:"
            "ECDHE-RSA-AES128-SHA:AES128-SHA256"),
    ("rsa", "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA"),
    ("rsa", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"),
])
def test_only_ecdhe_aead(pki, servers, kind, ciphers):
    e = servers(kind)
    err = refused(e, client_ctx(pki, ciphers=ciphers))
    assert "HANDSHAKE_FAILURE" in err, err
    # The same server still serves a client that offers an AEAD suite.
    with connect(e, client_ctx(pki)) as s:
        assert s.cipher()[0] in AEAD_SUITES


def test_chacha20_when_client_prefers_it(pki, servers):
    e = servers("ec256")
    ctx = client_ctx(pki, ciphers="ECDHE-ECDSA-CHACHA20-POLY1305")
    with connect(e, ctx) as s:
        assert s.cipher()[0] == "ECDHE-ECDSA-CHACHA20-POLY1305"
        assert roundtrip(s, b"chacha\n") == b"chacha\n"


def test_full_chain_is_needed_and_sent(pki, servers):
    e = servers("ec256")
    # The client only knows the root: the intermediate came from us.
    with connect(e, client_ctx(pki)) as s:
        assert roundtrip(s, b"chain\n") == b"chain\n"
    # Control: without the intermediate in the file, verification fails.
    leaf_only = e.cert + ".leaf"
    write(leaf_only, ssl.DER_cert_to_PEM_cert(e.der))
    short = Echo(pki.d, leaf_only, e.key)
    try:
        err = refused(short, client_ctx(pki))
        assert "CERTIFICATE_VERIFY_FAILED" in err, err
    finally:
        short.stop()
    assert "Sanitizer" not in short.log(), short.log()


def test_sighup_reload(pki, servers):
    e = servers("ec256", "reload")
    old = connect(e, client_ctx(pki))
    try:
        assert roundtrip(old, b"before\n") == b"before\n"
        cert, key, der = pki.leaf("reload-new", "rsa")
        shutil.copy(cert, e.cert)
        shutil.copy(key, e.key)
        e.hup()
        e.wait_log("reloaded")
        with connect(e, client_ctx(pki)) as s:
            assert s.getpeercert(binary_form=True) == der
            assert s.cipher()[0].startswith("ECDHE-RSA-")
            assert roundtrip(s, b"new\n") == b"new\n"
        assert roundtrip(old, b"still here\n") == b"still here\n"
    finally:
        old.close()


@pytest.mark.parametrize("bad", ["garbage", "other key", "no file"])
def test_reload_failure_keeps_old_pair(pki, servers, bad):
    e = servers("ec256", "keep-" + bad.replace(" ", "-"))
    cert, key, der = pki.leaf("keep-new-" + bad.replace(" ", "-"), "ec384")
    shutil.copy(cert, e.cert)
    if bad == "garbage":
        write(e.key, "-----BEGIN PRIVATE KEY-----\nnot base64 !\n"
              "-----END PRIVATE KEY-----\n")
        why = "malformed PEM"
    elif bad == "other key":
        _, other, _ = pki.leaf("other-" + str(time.time()), "ec384")
        shutil.copy(other, e.key)
        why = "does not match"
    else:
        os.unlink(e.key)
        why = "No such file"
    e.hup()
    e.wait_log("keeping the old certificate and key")
    assert why in e.log()
    with connect(e, client_ctx(pki)) as s:
        assert s.getpeercert(binary_form=True) == e.der
        assert roundtrip(s, b"old pair\n") == b"old pair\n"


def test_mismatched_key_refused_at_start(pki):
    cert, _, _ = pki.leaf("mismatch-a", "ec256")
    _, key, _ = pki.leaf("mismatch-b", "ec256")
    port = free_port()
    p = subprocess.run([TLS_ECHO, "-c", cert, "-k", key, "-p", str(port)],
                       capture_output=True, timeout=20)
    assert p.returncode != 0
    assert b"ready" not in p.stdout
    assert b"does not match" in p.stderr, p.stderr


def test_key_in_certificate_file_refused(pki):
    cert, key, _ = pki.leaf("combined", "ec256")
    combined = cert + ".combined"
    write(combined, read(cert) + read(key))
    p = subprocess.run([TLS_ECHO, "-c", combined, "-k", key, "-p",
                        str(free_port())], capture_output=True, timeout=20)
    assert p.returncode != 0
    assert b"private key in the certificate file" in p.stderr, p.stderr
