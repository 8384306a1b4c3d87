"""Several writers on one LMDB environment: authctl processes in parallel
with each other and with authd serving logins; and authd's start-up as
seen by a supervisor that stops it early."""
import subprocess
import threading

from conftest import ALICE, AUTHCTL, audit

N = 20


class LoginLoop(threading.Thread):
    """Logs in until told to stop (bounded by max_logins)."""

    def __init__(self, p, user, pw, max_logins=2000):
        super().__init__(daemon=True)
        self.p, self.user, self.pw = p, user, pw
        self.max = max_logins
        self.stop = threading.Event()
        self.sent, self.answers, self.error = 0, [], None

    def run(self):
        try:
            c = self.p.client()
            while not self.stop.is_set() and self.sent < self.max:
                self.sent += 1
                self.answers.append(c.login(self.user, self.pw)[0])
            c.close()
        except Exception as e:
            self.error = e


def test_parallel_user_adds_with_logins(postern):
    pw = postern.add_user(ALICE)
    loop = LoginLoop(postern, ALICE, pw)
    loop.start()
    names = ["user%02d@example.%s" % (i, "test" if i % 2 else "org")
             for i in range(N)]
    procs = [subprocess.Popen([AUTHCTL, "-f", postern.conf, "user", "add", u],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=postern.env())
             for u in names]
    outs = []
    for pr in procs:
        out, err = pr.communicate(timeout=120)
        outs.append((pr.returncode, out, err))
    loop.stop.set()
    loop.join(60)
    assert not loop.is_alive()
    assert loop.error is None, loop.error
    assert loop.sent > 0 and len(loop.answers) == loop.sent
    assert set(loop.answers) == {"ok"}, loop.answers

    for u, (rc, out, err) in zip(names, outs):
        assert rc == 0, (u, out, err)
        assert len(out.splitlines()) == 1
    listed = [l.split()[0] for l in
              postern.authctl("user", "list").stdout.splitlines()]
    assert sorted(listed) == sorted(names + [ALICE])

    # every generated password works
    c = postern.client()
    for u, (_, out, _) in zip(names, outs):
        assert c.login(u, out.strip())[0] == "ok", u

    v = postern.authctl("audit", "--verify", check=False)
    assert v.returncode == 0, v.stderr
    recs = audit(postern)
    assert "verified: %d records" % len(recs) in v.stdout
    adds = sorted(r["user"] for r in recs
                  if r["service"] == "authctl" and r["reason"] == "user add")
    assert adds == sorted(names + [ALICE])
    logins = [r for r in recs if r["service"] == "imap"
              and r["user"] == ALICE]
    assert len(logins) == loop.sent
    times = [r["time"] for r in recs]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_parallel_mixed_admin_commands(postern):
    """Different commands touching the same user at once: each either
    succeeds fully or fails cleanly, and the chain stays intact."""
    postern.add_user(ALICE)
    cmds = [["ban", "192.0.2.%d" % i, "1h"] for i in range(1, 9)]
    cmds += [["apppass", "add", ALICE, "dev%d" % i] for i in range(8)]
    cmds += [["alias", "add", "a%d@example.test" % i, ALICE]
             for i in range(4)]
    procs = [subprocess.Popen([AUTHCTL, "-f", postern.conf] + c,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=postern.env()) for c in cmds]
    for c, pr in zip(cmds, procs):
        out, err = pr.communicate(timeout=120)
        assert pr.returncode == 0, (c, out, err)
    assert len(postern.authctl("bans").stdout.splitlines()) == 8
    assert len(postern.authctl("apppass", "list",
                               ALICE).stdout.splitlines()) == 8
    assert len(postern.authctl("alias", "list").stdout.splitlines()) == 4
    v = postern.authctl("audit", "--verify", check=False)
    assert v.returncode == 0, v.stderr
    assert "verified: %d records" % (1 + len(cmds)) in v.stdout


def test_parallel_duplicate_adds_only_one_wins(postern):
    procs = [subprocess.Popen([AUTHCTL, "-f", postern.conf, "user", "add",
                               ALICE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=postern.env()) for _ in range(8)]
    res = [(pr.wait(timeout=120), pr.stdout.read(), pr.stderr.read())
           for pr in procs]
    for pr in procs:
        pr.stdout.close()
        pr.stderr.close()
    winners = [r for r in res if r[0] == 0]
    assert len(winners) == 1, res
    for rc, out, err in res:
        if rc != 0:
            assert rc == 1 and "exists already" in err and out == ""
    pw = winners[0][1].strip()
    assert postern.client().login(ALICE, pw)[0] == "ok"
    adds = [r for r in audit(postern) if r["reason"] == "user add"]
    assert len(adds) == 1


def test_sigterm_right_after_start(stopped_postern):
    """A supervisor may stop authd as soon as its socket accepts (which is
    when conftest's start() returns).  authd must then exit cleanly with
    status 0, not die of the signal.  A costlier scrypt setting widens the
    window between listen() and the installation of the SIGTERM handler
    (authd computes its dummy hash in between)."""
    p = stopped_postern
    with open(p.conf) as f:
        conf = f.read()
    with open(p.conf, "w") as f:
        f.write(conf.replace("auth scrypt cost 10", "auth scrypt cost 16"))
    p.start()
    rc = p.stop()
    assert rc == 0, "authd killed by signal %d during start-up: %s" % (
        -rc, p.log())
