"""The TLS client of common/tls.c (tls_conn_client and its certificate
check), end to end: tests/tools/tlsprobe against Debian's `openssl
s_server` as an independent peer.

Certificates are made here with the openssl CLI: a root CA, an
intermediate CA and a leaf for mx.example.test (the server sends leaf +
intermediate), a self-signed leaf, and a second, unrelated root.  TLSA
data is computed from the files with openssl too, never by our code.
Every server started here is stopped by its PID.
"""
import hashlib
import os
import socket
import subprocess
import time

import pytest

from conftest import BUILD, free_port

TLSPROBE = os.path.join(BUILD, "tests", "tools", "tlsprobe")

pytestmark = pytest.mark.skipif(not os.path.exists(TLSPROBE),
                                reason="tlsprobe not built (make unit)")


def openssl(d, *args, data=None):
    r = subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       capture_output=True, input=data)
    return r.stdout


def make_ca(d, name, cn, issuer=None):
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:TRUE\n"
                "keyUsage=critical,keyCertSign,cRLSign\n")
    if issuer is None:
        openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "30",
                "-subj", "/CN=" + cn, "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign")
        return
    openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + cn)
    openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem",
            "-CAkey", issuer + ".key", "-CAcreateserial", "-days", "30",
            "-extfile", ext, "-out", name + ".pem")


def make_leaf(d, name, issuer, dns, rsa=False):
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "subjectAltName=" + ",".join("DNS:" + n for n in dns) + "\n")
    newkey = (["-newkey", "rsa:2048"] if rsa else
              ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    if issuer is None:
        openssl(d, "req", "-x509", *newkey, "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "30",
                "-subj", "/CN=" + dns[0], "-addext",
                "subjectAltName=" + ",".join("DNS:" + n for n in dns))
        return
    openssl(d, "req", *newkey, "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + dns[0])
    openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem",
            "-CAkey", issuer + ".key", "-CAcreateserial", "-days", "30",
            "-extfile", ext, "-out", name + ".pem")


def der(d, name):
    return openssl(d, "x509", "-in", name + ".pem", "-outform", "DER")


def spki(d, name):
    pub = openssl(d, "x509", "-in", name + ".pem", "-pubkey", "-noout")
    return openssl(d, "pkey", "-pubin", "-outform", "DER", data=pub)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    make_ca(d, "root", "Test Root")
    make_ca(d, "inter", "Test Intermediate", issuer="root")
    make_leaf(d, "leaf", "inter", ["mx.example.test"])
    make_leaf(d, "rsaleaf", "inter", ["mx.example.test"], rsa=True)
    make_leaf(d, "self", None, ["mx.example.test"])
    make_ca(d, "other", "Other Root")
    return d


class Server:
    """openssl s_server on 127.0.0.1, stopped by its PID."""

    def __init__(self, d, cert, chain=None, extra=()):
        self.port = free_port()
        args = ["openssl", "s_server", "-accept", str(self.port),
                "-cert", cert + ".pem", "-key", cert + ".key", "-www",
                "-tls1_2"]
        if chain:
            args += ["-cert_chain", chain + ".pem"]
        self.proc = subprocess.Popen(args + list(extra), cwd=d,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("openssl s_server did not start")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(5)


@pytest.fixture
def server(pki):
    started = []

    def start(cert, chain=None, extra=()):
        s = Server(pki, cert, chain, extra)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def probe(srv, *args):
    r = subprocess.run([TLSPROBE] + list(args) +
                       ["127.0.0.1", str(srv.port)],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.strip()


def test_ca_verified(pki, server):
    s = server("leaf", "inter")
    rc, out = probe(s, "-m", "ca", "-c", os.path.join(pki, "root.pem"),
                    "-s", "mx.example.test", "-n", "mx.example.test")
    assert rc == 0, out
    assert out.startswith("handshake ok: verified CA"), out
    assert "ECDHE-ECDSA-" in out


def test_ca_mtasts_pattern(pki, server):
    s = server("leaf", "inter")
    rc, out = probe(s, "-m", "ca", "-c", os.path.join(pki, "root.pem"),
                    "-n", "other.test", "-n", "*.example.test")
    assert rc == 0 and "verified CA" in out, out


def test_ca_wrong_name_refused(pki, server):
    s = server("leaf", "inter")
    rc, out = probe(s, "-m", "ca", "-c", os.path.join(pki, "root.pem"),
                    "-n", "mx.other.test")
    assert rc == 1, out
    assert out == ("handshake failed: the server's certificate was "
                   "refused: name mismatch"), out


def test_ca_untrusted_refused(pki, server):
    s = server("leaf", "inter")
    rc, out = probe(s, "-m", "ca", "-c", os.path.join(pki, "other.pem"),
                    "-n", "mx.example.test")
    assert rc == 1, out
    assert "not issued by a trusted authority" in out, out


def test_opportunistic_self_signed(pki, server):
    s = server("self")
    rc, out = probe(s, "-m", "none", "-c", os.path.join(pki, "root.pem"),
                    "-n", "mx.example.test")
    assert rc == 0, out
    assert out.startswith("handshake ok: unverified self-signed"), out


def test_opportunistic_verified_and_name_mismatch(pki, server):
    s = server("leaf", "inter")
    rc, out = probe(s, "-m", "none", "-c", os.path.join(pki, "root.pem"),
                    "-n", "mx.example.test")
    assert rc == 0 and out.startswith("handshake ok: verified CA"), out
    rc, out = probe(s, "-m", "none", "-c", os.path.join(pki, "root.pem"),
                    "-n", "elsewhere.test")
    assert rc == 0 and out.startswith("handshake ok: unverified name "
                                      "mismatch"), out


def test_opportunistic_old_mta(pki, server):
    """A server that only has the RSA key exchange: opportunistic takes
    it, a verified policy refuses it (no suite in common)."""
    s = server("rsaleaf", "inter", ["-cipher", "AES128-SHA"])
    rc, out = probe(s, "-m", "none", "-n", "mx.example.test")
    assert rc == 0 and out.startswith("handshake ok: unverified"), out
    rc, out = probe(s, "-m", "ca", "-c", os.path.join(pki, "root.pem"),
                    "-n", "mx.example.test")
    assert rc == 1 and "handshake failed" in out, out


def test_dane_ee_match(pki, server):
    """DANE-EE 3 1 1: a self-signed certificate with another name is
    accepted, names and issuer do not count."""
    s = server("self")
    h = hashlib.sha256(spki(pki, "self")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "wrong.example.org",
                    "-t", "3 1 1 " + h)
    assert rc == 0, out
    assert out.startswith("handshake ok: verified DANE-EE"), out


def test_dane_ee_full_cert_sha512(pki, server):
    s = server("leaf", "inter")
    h = hashlib.sha512(der(pki, "leaf")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.example.test",
                    "-t", "3 0 2 " + h)
    assert rc == 0 and "verified DANE-EE" in out, out


def test_dane_ee_mismatch_refused(pki, server):
    s = server("self")
    h = hashlib.sha256(spki(pki, "leaf")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.example.test",
                    "-t", "3 1 1 " + h)
    assert rc == 1, out
    assert out == ("handshake failed: the server's certificate was "
                   "refused: no TLSA record matches"), out


def test_dane_unusable_records_refused(pki, server):
    """PKIX-EE (usage 1) is unusable for SMTP: even a matching one."""
    s = server("self")
    h = hashlib.sha256(spki(pki, "self")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.example.test",
                    "-t", "1 1 1 " + h)
    assert rc == 1 and "no usable TLSA record" in out, out


def test_dane_ta(pki, server):
    s = server("leaf", "inter")
    h = hashlib.sha256(der(pki, "inter")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.example.test",
                    "-t", "2 0 1 " + h)
    assert rc == 0, out
    assert out.startswith("handshake ok: verified DANE-TA"), out


def test_dane_ta_name_mismatch_refused(pki, server):
    s = server("leaf", "inter")
    h = hashlib.sha256(der(pki, "inter")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.other.test",
                    "-t", "2 0 1 " + h)
    assert rc == 1 and "name mismatch" in out, out


def test_dane_ta_not_signing_refused(pki, server):
    """A TLSA record for a CA certificate the server did send, but that
    did not sign the chain: the self-signed leaf with the root's hash."""
    s = server("self", "root")
    h = hashlib.sha256(der(pki, "root")).hexdigest()
    rc, out = probe(s, "-m", "dane", "-n", "mx.example.test",
                    "-t", "2 0 1 " + h)
    assert rc == 1 and "does not verify up to" in out, out


# ---- the MTA-STS policy fetch (common/https.c) against Python's ssl ----

POLICY = ("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\n"
          "mx: *.backup.example.test\r\nmax_age: 86400\r\n")


class PolicyServer:
    """A one-connection-at-a-time HTTPS server (stdlib ssl) that answers
    every request with self.answer (bytes) and records the request."""

    def __init__(self, d, cert):
        import ssl
        import threading
        with open(os.path.join(d, cert + "-chain.pem"), "w") as f:
            f.write(open(os.path.join(d, cert + ".pem")).read())
            f.write(open(os.path.join(d, "inter.pem")).read())
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(d, cert + "-chain.pem"),
                                 os.path.join(d, cert + ".key"))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.answer = b""
        self.requests = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                s = self.ctx.wrap_socket(c, server_side=True)
                s.settimeout(10)
                req = b""
                while b"\r\n\r\n" not in req:
                    data = s.recv(4096)
                    if not data:
                        break
                    req += data
                self.requests.append(req.decode("latin-1"))
                for part in self.answer if isinstance(self.answer, list) \
                        else [self.answer]:
                    s.sendall(part)
                    time.sleep(0.02)
                s.unwrap().close()
            except OSError:
                c.close()

    def stop(self):
        self.running = False
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def policy_server(pki):
    make_leaf(pki, "sts", "inter", ["mta-sts.example.test"])
    make_leaf(pki, "stswrong", "inter", ["mta-sts.elsewhere.test"])
    servers = []

    def start(cert="sts"):
        s = PolicyServer(pki, cert)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()


def fetch(pki, srv, domain="example.test", wait=None):
    r = subprocess.run([TLSPROBE, "-F", domain] +
                       (["-T", str(wait)] if wait else []) + ["-c",
                        os.path.join(pki, "root.pem"), "127.0.0.1",
                        str(srv.port)], capture_output=True, text=True,
                       timeout=30)
    return r.returncode, r.stdout.strip()


def answer(status, body, ctype="text/plain", extra=""):
    return ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s"
            "\r\n%s" % (status, ctype, len(body), extra, body)).encode()


def test_fetch_policy(pki, policy_server):
    s = policy_server()
    s.answer = answer("200 OK", POLICY, "text/plain; charset=utf-8")
    rc, out = fetch(pki, s)
    assert rc == 0, out
    assert out == ("policy mode=enforce max_age=86400 "
                   "mx=mx1.example.test,*.backup.example.test"), out
    req = s.requests[0]
    assert req.startswith("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"), req
    assert "\r\nHost: mta-sts.example.test\r\n" in req, req
    assert "\r\nConnection: close\r\n" in req, req


def test_fetch_chunked(pki, policy_server):
    s = policy_server()
    body = POLICY.encode()
    parts = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n"]
    for i in range(0, len(body), 20):
        chunk = body[i:i + 20]
        parts.append(b"%x;ext=1\r\n" % len(chunk) + chunk + b"\r\n")
    parts.append(b"0\r\nX-Trailer: yes\r\n\r\n")
    s.answer = parts
    rc, out = fetch(pki, s)
    assert rc == 0, out
    assert out.startswith("policy mode=enforce max_age=86400 "), out


def test_fetch_until_close(pki, policy_server):
    s = policy_server()
    s.answer = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" +
                POLICY.replace("\r\n", "\n")).encode()
    rc, out = fetch(pki, s)
    assert rc == 0 and out.startswith("policy mode=enforce"), out


def test_fetch_404(pki, policy_server):
    s = policy_server()
    s.answer = answer("404 Not Found", "no policy here")
    rc, out = fetch(pki, s)
    assert rc == 1 and out == "fetch failed: the server answered 404", out


def test_fetch_redirect_refused(pki, policy_server):
    s = policy_server()
    s.answer = answer("301 Moved Permanently", "",
                      extra="Location: https://elsewhere.test/x\r\n")
    rc, out = fetch(pki, s)
    assert rc == 1 and "a redirect (301)" in out, out
    assert len(s.requests) == 1


def test_fetch_wrong_type_refused(pki, policy_server):
    s = policy_server()
    s.answer = answer("200 OK", POLICY, "text/html")
    rc, out = fetch(pki, s)
    assert rc == 1 and "text/plain" in out, out


def test_fetch_bad_policy_refused(pki, policy_server):
    s = policy_server()
    s.answer = answer("200 OK", "version: STSv1\nmode: enforce\n"
                      "max_age: 600\n")
    rc, out = fetch(pki, s)
    assert rc == 1 and "no mx" in out, out


def test_fetch_too_large_refused(pki, policy_server):
    s = policy_server()
    body = POLICY + "x-pad: " + "a" * 70000 + "\r\n"
    s.answer = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" +
                body).encode()
    rc, out = fetch(pki, s)
    assert rc == 1 and "a body larger than 65536 bytes" in out, out


def test_fetch_timeout(pki):
    """A server that accepts and never answers: the fetch gives up at its
    deadline, not later."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    try:
        start = time.time()
        rc, out = fetch(pki, type("S", (), {"port": ls.getsockname()[1]}),
                        wait=1500)
        took = time.time() - start
    finally:
        ls.close()
    assert rc == 1 and "within the time allowed" in out, out
    assert 1.0 < took < 8, took


def test_fetch_wrong_certificate_refused(pki, policy_server):
    s = policy_server("stswrong")
    s.answer = answer("200 OK", POLICY)
    rc, out = fetch(pki, s)
    assert rc == 1 and "name mismatch" in out, out
    assert s.requests == [] or s.requests == [""]


# ---- STARTTLS on the client side (tls_conn_client_plain) ----

def smtp_server(pki, inject):
    """A one-shot SMTP-ish server: greeting, "220" to STARTTLS (with an
    injected plaintext reply right behind it when inject), then TLS with
    the leaf + intermediate, and "221" to QUIT.  Returns (port, thread,
    result dict)."""
    import ssl
    import threading
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with open(os.path.join(pki, "smtp-chain.pem"), "w") as f:
        f.write(open(os.path.join(pki, "leaf.pem")).read())
        f.write(open(os.path.join(pki, "inter.pem")).read())
    ctx.load_cert_chain(os.path.join(pki, "smtp-chain.pem"),
                        os.path.join(pki, "leaf.key"))
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(20)
    result = {}

    def serve():
        c, _ = ls.accept()
        c.settimeout(10)
        c.sendall(b"220 mx.example.test ESMTP\r\n")
        f = c.makefile("rb")
        result["cmd"] = f.readline().strip()
        c.sendall(b"220 2.0.0 go ahead\r\n" +
                  (b"250 injected\r\n" if inject else b""))
        s = ctx.wrap_socket(c, server_side=True)
        data = b""
        while b"\r\n" not in data:
            d = s.recv(100)
            if not d:
                break
            data += d
        result["tls_cmd"] = data.strip()
        s.sendall(b"221 2.0.0 bye\r\n")
        s.close()
        ls.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return ls.getsockname()[1], t, result


@pytest.mark.parametrize("inject", [False, True])
def test_starttls_client(pki, inject):
    port, thread, result = smtp_server(pki, inject)
    r = subprocess.run([TLSPROBE, "-S", "-m", "ca", "-c",
                        os.path.join(pki, "root.pem"), "-s",
                        "mx.example.test", "-n", "mx.example.test",
                        "127.0.0.1", str(port)],
                       capture_output=True, text=True, timeout=30)
    thread.join(20)
    lines = r.stdout.splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines[0].startswith("handshake ok: verified CA"), lines
    assert lines[1] == "reply: 221 2.0.0 bye", lines
    assert result["cmd"] == b"STARTTLS"
    assert result["tls_cmd"] == b"QUIT"
