"""authclient: a small client for authd's protocol (common/authproto.h).

Used by the integration tests and benchmarks to drive authd directly,
before and besides the network daemons.  Frames: a 4-byte big-endian
payload length, one type byte, then fields (u32 and u64 big-endian;
strings and bytes as a 2-byte big-endian length and the bytes).  A
login answer ends in the user's quota and a recipient answer gives one
after each user (u64 bytes, 0 for no limit).
"""
import socket
import struct

MSG_LOGIN, MSG_BANCHECK, MSG_RCPT = 1, 2, 3
MSG_SEND = 10
OK, FAIL_TEMP, FAIL_PERM = 0, 1, 2
STATUS = {OK: "ok", FAIL_TEMP: "tempfail", FAIL_PERM: "fail"}


def _field(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">H", len(b)) + b


def frame(mtype, *fields):
    body = bytes([mtype])
    for f in fields:
        body += struct.pack(">I", f) if isinstance(f, int) else _field(f)
    return struct.pack(">I", len(body)) + body


class Reader:
    def __init__(self, payload):
        self.p, self.i = payload, 1

    def u32(self):
        v = struct.unpack_from(">I", self.p, self.i)[0]
        self.i += 4
        return v

    def u64(self):
        v = struct.unpack_from(">Q", self.p, self.i)[0]
        self.i += 8
        return v

    def end(self):
        """Asserts that every byte of the frame was read."""
        assert self.i == len(self.p), "trailing bytes in the answer"

    def str(self):
        n = struct.unpack_from(">H", self.p, self.i)[0]
        v = self.p[self.i + 2:self.i + 2 + n].decode()
        self.i += 2 + n
        return v


class AuthClient:
    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.next_id = 1
        self.buf = b""

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.sendall(data)

    def read_frame(self):
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack_from(">I", self.buf)[0]
                if len(self.buf) >= 4 + n:
                    payload = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return payload
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("authd closed the connection")
            self.buf += chunk

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def send_login(self, user, secret, service="imap", address="127.0.0.1",
                   mech="plain", port=993, session="test"):
        i = self._id()
        self.s.sendall(frame(MSG_LOGIN, i, service, mech, user, secret,
                             address, port, session))
        return i

    def read_login(self):
        """Returns (id, status, canonical user, mail dir, quota)."""
        r = Reader(self.read_frame())
        a = r.u32(), r.u32(), r.str(), r.str(), r.u64()
        r.end()
        return a

    def login_answer(self, user, secret, **kw):
        """Returns (status name, canonical user, mail dir, quota)."""
        i = self.send_login(user, secret, **kw)
        rid, status, u, maildir, quota = self.read_login()
        assert rid == i
        return STATUS[status], u, maildir, quota

    def login(self, user, secret, **kw):
        """Returns (status name, canonical user, mail dir)."""
        return self.login_answer(user, secret, **kw)[:3]

    def bancheck(self, address):
        i = self._id()
        self.s.sendall(frame(MSG_BANCHECK, i, address))
        r = Reader(self.read_frame())
        assert r.u32() == i
        return STATUS[r.u32()]

    def rcpt_quotas(self, address):
        """Returns (status name, [(user, quota), ...])."""
        i = self._id()
        self.s.sendall(frame(MSG_RCPT, i, address))
        r = Reader(self.read_frame())
        assert r.u32() == i
        status = r.u32()
        users = [(r.str(), r.u64()) for _ in range(r.u32())]
        r.end()
        return STATUS[status], users

    def send(self, user, count=1, address="127.0.0.1", session="test"):
        """MSG_AUTH_SEND: count recipients more for user; returns the
        status name ("ok", "tempfail": over the limit, "fail")."""
        i = self._id()
        self.s.sendall(frame(MSG_SEND, i, user, count, address, session))
        r = Reader(self.read_frame())
        assert r.u32() == i
        status = r.u32()
        r.end()
        return STATUS[status]

    def rcpt(self, address):
        """Returns (status name, [user, ...])."""
        status, users = self.rcpt_quotas(address)
        return status, [u for u, _ in users]
