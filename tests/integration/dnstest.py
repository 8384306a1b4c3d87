"""dnstest.py: a test DNS for the integration tests.

Serves a small tree of test zones with Debian's unbound (auth-zone, no
recursion) on 127.0.0.x:port: zones the caller names, each signed
(dnssec-keygen -a ECDSAP256SHA256, dnssec-signzone from bind9-utils) or
not.  A validating resolver that forwards to it ("dns server ADDR port N")
with `anchor_file` as its trust anchor ("dns trust anchor FILE") gets
secure answers under the signed zones and insecure ones under the others.

    dns = DnsServer(tmpdir)
    dns.zone("sec.test", signed=True)
    dns.zone("plain.test")
    dns.add("sec.test", "@", "MX", "10 mx.sec.test.")
    dns.add("mx.sec.test", "@", "A", "127.0.0.1")   # or a full name
    dns.start()
    ... dns.addr, dns.port, dns.anchor_file, dns.config_lines() ...
    dns.set("sec.test", "@", "MX", ["0 ."])         # replace, then
    dns.reload()                                     # re-sign and restart
    dns.stop()

Records are (owner, type, rdata) in zone-file text; an owner is "@", a
name relative to the zone, or a full name ending in the zone.  Each zone
gets a SOA and an NS record of its own.  reload() rewrites and re-signs
the zones and restarts unbound (about a tenth of a second).  The default
TTL is 1 second so that a caching resolver sees a change at once.

SlowDns(dns, "slow.test", 0.25) stands in front of a DnsServer (UDP) and
answers the names under slow.test a quarter of a second late: a slow DNS
that still answers; its config_lines() point a resolver at it.

wrong_anchor_file() gives an anchor of a key that signed nothing: with it
every signed answer is bogus.  A name outside the zones is refused at
once (a resolver reports a temporary failure): nothing is ever asked of
the internet.

Runs as the invoking user: no chroot, no privilege drop, pid file and
everything else under the given directory.  stop() ends unbound by its
process id.
"""
import os
import socket
import subprocess
import threading
import time

UNBOUND = "/usr/sbin/unbound"
KEYGEN = "/usr/bin/dnssec-keygen"
SIGNZONE = "/usr/bin/dnssec-signzone"

_addr_next = [60]


def _free_udp_tcp_port(addr):
    """A port free for both UDP and TCP on addr."""
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((addr, 0))
            port = t.getsockname()[1]
            try:
                u.bind((addr, port))
            except OSError:
                continue
            return port
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port on %s" % addr)


class Zone:
    def __init__(self, name, signed):
        self.name = name.rstrip(".").lower()
        self.signed = signed
        self.records = []          # (owner, type, rdata)
        self.key = None            # base name of the key files


class DnsServer:
    def __init__(self, d, addr=None, ttl=1):
        self.dir = os.path.join(d, "dns")
        os.makedirs(self.dir, exist_ok=True)
        if addr is None:
            addr = "127.0.0.%d" % _addr_next[0]
            _addr_next[0] = 60 + (_addr_next[0] - 59) % 150
        self.addr = addr
        self.port = _free_udp_tcp_port(addr)
        self.ttl = ttl
        self.zones = {}
        self.denied = []
        self.proc = None
        self.serial = int(time.time())
        self.anchor_file = os.path.join(self.dir, "anchor.key")
        self.conf = os.path.join(self.dir, "unbound.conf")
        self.log = os.path.join(self.dir, "unbound.log")

    # ---- zones and records -------------------------------------------

    def zone(self, name, signed=False):
        z = Zone(name, signed)
        self.zones[z.name] = z
        return z

    def _zone_of(self, name):
        name = name.rstrip(".").lower()
        best = None
        for z in self.zones:
            if name == z or name.endswith("." + z):
                if best is None or len(z) > len(best):
                    best = z
        if best is None:
            raise KeyError("no test zone holds %s" % name)
        return self.zones[best]

    def _owner(self, zone, name, owner):
        """The absolute owner name of a record given as (name, owner)."""
        base = name.rstrip(".").lower()
        if owner == "@":
            full = base
        elif owner.endswith("."):
            full = owner.rstrip(".").lower()
        else:
            full = owner.lower() + "." + base
        if full != zone.name and not full.endswith("." + zone.name):
            raise ValueError("%s is outside zone %s" % (full, zone.name))
        return full + "."

    def deny(self, name):
        """Queries for name and every name under it are dropped: never
        answered (unbound's local-zone type deny), as by a server that is
        down.  Call before start() or reload()."""
        self.denied.append(name.rstrip(".").lower())

    def add(self, name, owner, rtype, rdata):
        """One record: owner ("@", relative to name, or absolute with a
        final dot) of type rtype with rdata in zone-file text."""
        z = self._zone_of(name if owner == "@" or not owner.endswith(".")
                          else owner)
        z.records.append((self._owner(z, name, owner), rtype.upper(),
                          rdata))

    def remove(self, name, owner, rtype=None):
        """Every record of owner (of rtype, or of any type)."""
        z = self._zone_of(name if owner == "@" or not owner.endswith(".")
                          else owner)
        full = self._owner(z, name, owner)
        z.records = [r for r in z.records if not (
            r[0] == full and (rtype is None or r[1] == rtype.upper()))]

    def set(self, name, owner, rtype, rdatas):
        """Replace the records of owner and rtype with rdatas."""
        self.remove(name, owner, rtype)
        for rd in rdatas:
            self.add(name, owner, rtype, rd)

    # ---- files ---------------------------------------------------------

    def _run(self, argv):
        r = subprocess.run(argv, cwd=self.dir, capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (argv[0], r.stdout,
                                                    r.stderr))
        return r.stdout

    def _keygen(self, zname):
        return self._run([KEYGEN, "-q", "-K", self.dir, "-a",
                          "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE",
                          zname]).strip()

    def _write_zone(self, z):
        path = os.path.join(self.dir, z.name + ".zone")
        lines = ["$TTL %d" % self.ttl,
                 "%s. IN SOA ns.%s. hostmaster.%s. %d 60 60 600 %d" % (
                     z.name, z.name, z.name, self.serial, self.ttl),
                 "%s. IN NS ns.%s." % (z.name, z.name),
                 "ns.%s. IN A %s" % (z.name, self.addr)]
        for owner, rtype, rdata in z.records:
            lines.append("%s %d IN %s %s" % (owner, self.ttl, rtype, rdata))
        if z.signed:
            if z.key is None:
                z.key = self._keygen(z.name)
            lines.append("$INCLUDE %s.key" % os.path.join(self.dir, z.key))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        if not z.signed:
            return path
        signed = path + ".signed"
        self._run([SIGNZONE, "-q", "-z", "-K", self.dir, "-d", self.dir,
                   "-o", z.name, "-f", signed, "-s", "now-3600",
                   "-e", "now+2592000", path, z.key])
        return signed

    def _ds_lines(self, zname):
        with open(os.path.join(self.dir, "dsset-%s." % zname)) as f:
            return [ln.strip() for ln in f if " DS " in ln]

    def _write_anchor(self):
        lines = ["; trust anchors of the signed test zones (dnstest.py)"]
        for z in self.zones.values():
            if z.signed:
                lines += self._ds_lines(z.name)
        with open(self.anchor_file, "w") as f:
            f.write("\n".join(lines) + "\n\n")

    def wrong_anchor_file(self):
        """An anchor file naming, for every signed zone, a key that
        signed nothing (a zone "signed with another key")."""
        path = os.path.join(self.dir, "wrong-anchor.key")
        lines = []
        for z in self.zones.values():
            if not z.signed:
                continue
            sub = os.path.join(self.dir, "wrong")
            os.makedirs(sub, exist_ok=True)
            key = subprocess.run(
                [KEYGEN, "-q", "-K", sub, "-a", "ECDSAP256SHA256", "-f",
                 "KSK", "-n", "ZONE", z.name], capture_output=True,
                text=True, check=True).stdout.strip()
            ds = subprocess.run(
                ["/usr/bin/dnssec-dsfromkey", "-2",
                 os.path.join(sub, key + ".key")], capture_output=True,
                text=True, check=True).stdout.strip()
            lines.append(ds)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def _write_conf(self, zonefiles):
        conf = ["server:",
                "    username: \"\"",
                "    chroot: \"\"",
                "    directory: \"%s\"" % self.dir,
                "    pidfile: \"%s\"" % os.path.join(self.dir, "unbound.pid"),
                "    logfile: \"%s\"" % self.log,
                "    use-syslog: no",
                "    do-daemonize: no",
                "    verbosity: 1",
                "    interface: %s@%d" % (self.addr, self.port),
                "    do-ip6: no",
                "    access-control: 127.0.0.0/8 allow",
                "    num-threads: 1",
                "    so-reuseport: no",
                "    module-config: \"iterator\"",
                "    auto-trust-anchor-file: \"\"",
                "    trust-anchor-signaling: no",
                "    root-key-sentinel: no",
                # The answers come from the auth zones; never recurse.
                "    do-not-query-localhost: yes",
                "    local-zone: \"test.\" nodefault",
                # Names outside the test zones: refused at once.
                "    local-zone: \".\" refuse",
                ""]
        for name, _ in zonefiles:
            conf.insert(-1, "    local-zone: \"%s.\" transparent" % name)
        for name in self.denied:
            conf.insert(-1, "    local-zone: \"%s.\" deny" % name)
        for name, path in zonefiles:
            conf += ["auth-zone:",
                     "    name: \"%s.\"" % name,
                     "    zonefile: \"%s\"" % path,
                     "    for-downstream: yes",
                     "    for-upstream: no",
                     "    fallback-enabled: no",
                     ""]
        with open(self.conf, "w") as f:
            f.write("\n".join(conf))

    # ---- the server ----------------------------------------------------

    def start(self):
        self.serial += 1
        files = [(z.name, self._write_zone(z)) for z in self.zones.values()]
        self._write_anchor()
        self._write_conf(files)
        open(self.log, "w").close()
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self._wait_up()

    def _soa_query(self, zname):
        qname = b"".join(bytes([len(p)]) + p.encode()
                         for p in zname.split(".")) + b"\0"
        return b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + \
            qname + b"\x00\x06\x00\x01"

    def _wait_up(self):
        deadline = time.time() + 10
        zname = next(iter(self.zones), "test")
        q = self._soa_query(zname)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("unbound exited: %s" % self._log())
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.1)
            try:
                s.sendto(q, (self.addr, self.port))
                a = s.recv(4096)
                if a[:2] == q[:2] and a[3] & 0x0F == 0:
                    return
            except OSError:
                pass
            finally:
                s.close()
            time.sleep(0.02)
        raise AssertionError("unbound did not answer: %s" % self._log())

    def _log(self):
        try:
            with open(self.log) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def reload(self):
        """Rewrite and re-sign the zones with the records as they are now,
        and restart unbound on the same address and port."""
        self.stop()
        self.start()

    def config_lines(self, anchor=None):
        """The postern.conf statements that point a resolver here."""
        return ("dns server %s port %d\ndns trust anchor %s\n" %
                (self.addr, self.port, anchor or self.anchor_file))


def _qname(q):
    """The question name of a DNS query, lowercase, "" if unreadable."""
    labels, i = [], 12
    while i < len(q) and q[i] != 0:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels).lower()


class SlowDns:
    """A DNS server in front of a DnsServer, over UDP: every query goes on
    to it at once, except those for suffix and the names under it, which
    wait delay seconds first (each in a thread of its own, so that a slow
    query holds up no other)."""

    def __init__(self, server, suffix, delay):
        self.server = server
        self.suffix = suffix.rstrip(".").lower()
        self.delay = delay
        self.addr = server.addr
        self.port = _free_udp_tcp_port(self.addr)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.addr, self.port))
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                q, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            name = _qname(q)
            slow = name == self.suffix or name.endswith("." + self.suffix)
            threading.Thread(target=self._answer, daemon=True,
                             args=(q, peer, self.delay if slow else 0)).start()

    def _answer(self, q, peer, wait):
        time.sleep(wait)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        try:
            u.sendto(q, (self.server.addr, self.server.port))
            self.sock.sendto(u.recv(65535), peer)
        except OSError:
            pass
        finally:
            u.close()

    def config_lines(self):
        """The postern.conf statements that point a resolver here."""
        return ("dns server %s port %d\ndns trust anchor %s\n" %
                (self.addr, self.port, self.server.anchor_file))

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()
