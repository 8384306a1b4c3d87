"""authctl backup: a consistent copy of authd's LMDB environment (in auth/) taken
while authd serves logins, usable as a state directory of its own."""
import json
import os
import pwd
import shutil
import subprocess
import threading

import pytest

from conftest import ALICE, AUTHCTL, IS_ROOT, audit

SUBDBS = ["users", "apppass", "aliases", "fail_pair", "fail_user",
          "fail_addr", "bans", "known", "trust", "audit"]


class Hammer(threading.Thread):
    """A bounded stream of logins, good and bad, on one connection, from
    25 addresses that each log in successfully first (so that no lockout
    or ban policy kicks in: every answer is predictable)."""

    def __init__(self, p, user, pw, n=200):
        super().__init__(daemon=True)
        self.p, self.user, self.pw, self.n = p, user, pw, n
        self.results, self.error = [], None

    def run(self):
        try:
            c = self.p.client()
            for i in range(self.n):
                good = i < 25 or i % 4 != 3
                st = c.login(self.user, self.pw if good else "wrong",
                             address="10.9.0.%d" % (i % 25 + 1),
                             session="h%d" % i)[0]
                self.results.append((good, st))
            c.close()
        except Exception as e:          # reported by the test
            self.error = e


def second_config(p, state):
    conf = os.path.join(p.dir, "restore.conf")
    with open(p.conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace('state "%s/state"' % p.dir,
                             'state "%s"' % state))
    return conf


def ctl(conf, *args, check=True):
    r = subprocess.run([AUTHCTL, "-f", conf] + list(args),
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def test_backup_under_load(postern):
    pw = postern.add_user(ALICE)
    for u in ("bob", "carol", "dave"):
        postern.add_user(u + "@example.org")
    postern.authctl("alias", "add", "info@example.test", ALICE)
    postern.authctl("ban", "198.51.100.7", "1d")
    users = postern.authctl("user", "list").stdout

    h = Hammer(postern, ALICE, pw)
    h.start()
    bk = os.path.join(postern.dir, "bk")
    r = postern.authctl("backup", bk)
    assert "backup written to " + bk in r.stdout
    h.join(120)
    assert not h.is_alive()
    assert h.error is None, h.error
    assert len(h.results) == 200
    for good, st in h.results:
        assert st == ("ok" if good else "fail")

    assert os.path.exists(os.path.join(bk, "auth", "data.mdb"))
    r = subprocess.run(["mdb_stat", bk + "/auth"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["mdb_stat", "-a", bk + "/auth"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in SUBDBS:
        assert "Status of %s\n" % name in r.stdout, name

    # the copy is a working state directory
    state2 = os.path.join(postern.dir, "state2")
    os.mkdir(state2)
    os.rename(os.path.join(bk, "auth"), os.path.join(state2, "auth"))
    conf2 = second_config(postern, state2)
    assert ctl(conf2, "user", "list").stdout == users
    assert ctl(conf2, "alias", "list").stdout.strip() == \
        "info@example.test " + ALICE
    assert "198.51.100.7" in ctl(conf2, "bans").stdout
    v = ctl(conf2, "audit", "--verify")
    assert "audit chain verified" in v.stdout
    recs = [json.loads(l) for l in
            ctl(conf2, "audit", "--json").stdout.splitlines()]
    assert recs[0]["reason"] == "user add"
    # the copy holds a prefix of the live log: same records, same hashes
    live = audit(postern)
    assert live[:len(recs)] == recs
    assert ["backup to " + bk] == [r["reason"] for r in live[len(recs):]
                                   if r["service"] == "authctl"]
    assert postern.authctl("audit", "--verify").returncode == 0


def test_backup_into_existing_database_refused(postern):
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "bk")
    postern.authctl("backup", bk)
    with open(os.path.join(bk, "auth", "data.mdb"), "rb") as f:
        before = f.read()
    n = len(postern.authctl("audit").stdout.splitlines())
    postern.add_user("bob@example.test")
    r = postern.authctl("backup", bk, check=False)
    assert r.returncode == 1
    assert bk in r.stderr and "not empty" in r.stderr
    assert "already holds a backup" in r.stderr
    assert "backup written" not in r.stdout
    with open(os.path.join(bk, "auth", "data.mdb"), "rb") as f:
        assert f.read() == before, "the old backup was overwritten"
    # the refused backup is not audited as done
    reasons = [r["reason"] for r in audit(postern)]
    assert reasons.count("backup to " + bk) == 1
    assert len(reasons) == n + 1


def test_backup_into_empty_existing_dir(postern):
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "empty-bk")
    os.mkdir(bk, 0o700)
    postern.authctl("backup", bk)
    r = subprocess.run(["mdb_stat", "-a", bk + "/auth"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "Status of users" in r.stdout


def test_backup_usage(postern):
    r = postern.authctl("backup", check=False)
    assert r.returncode == 2 and "usage: authctl backup" in r.stderr
    r = postern.authctl("backup", "a", "b", check=False)
    assert r.returncode == 2


def test_backup_unwritable_place(postern):
    r = postern.authctl("backup", "/nonexistent/dir/bk", check=False)
    assert r.returncode == 1
    assert "/nonexistent/dir/bk" in r.stderr


def _owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, st.st_mode


def _authctl_records(p):
    return [r for r in audit(p) if r["service"] == "authctl"]


def test_backup_existing_dir_with_a_file_refused(postern):
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "full")
    os.mkdir(bk, 0o755)
    with open(os.path.join(bk, "notes.txt"), "w") as f:
        f.write("mine\n")
    before = _owner(bk)
    n = len(_authctl_records(postern))
    r = postern.authctl("backup", bk, check=False)
    assert r.returncode == 1
    assert r.stderr == "authctl: %s: not empty; choose a new or empty " \
        "directory\n" % bk
    assert _owner(bk) == before, "an existing directory was chowned"
    assert os.listdir(bk) == ["notes.txt"]
    assert len(_authctl_records(postern)) == n


def test_backup_new_dir_belongs_to_root(postern):
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "new")
    postern.authctl("backup", bk)
    uid, gid, mode = _owner(bk)
    assert mode & 0o777 == 0o700 and uid == os.getuid()
    assert sorted(os.listdir(bk)) == ["auth", "mail"]
    assert os.listdir(bk + "/auth") == ["data.mdb"]
    if IS_ROOT:
        assert _owner(bk + "/auth")[0] == \
            pwd.getpwnam("_postern-auth").pw_uid
        assert _owner(bk + "/mail")[0] == \
            pwd.getpwnam("_postern-mail").pw_uid
    r = subprocess.run(["mdb_stat", bk + "/auth"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_backup_existing_open_dir_is_made_private(postern):
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "rootdir")
    os.mkdir(bk, 0o755)
    r = postern.authctl("backup", bk)
    assert r.stderr == "authctl: %s: mode 0755 changed to 0700: a backup " \
        "holds password hashes and mail\n" % bk
    assert _owner(bk)[2] & 0o777 == 0o700


def test_backup_existing_dir_of_another_user_refused(postern):
    if not IS_ROOT:
        pytest.skip("needs root: another user's directory")
    postern.add_user(ALICE)
    bk = os.path.join(postern.dir, "authdir")
    os.mkdir(bk, 0o700)
    pw = pwd.getpwnam("_postern-auth")
    os.chown(bk, pw.pw_uid, pw.pw_gid)
    r = postern.authctl("backup", bk, check=False)
    assert r.returncode == 1
    assert "%s: owned by uid %d; a backup directory must be root's" % (
        bk, pw.pw_uid) in r.stderr
    assert os.listdir(bk) == []


def test_backup_without_database_creates_nothing(stopped_postern):
    p = stopped_postern
    bk = os.path.join(p.dir, "bk")
    r = p.authctl("backup", bk, check=False)
    assert r.returncode == 1 and "no credential database" in r.stderr
    assert not os.path.exists(bk)
    assert not os.path.exists(os.path.join(p.dir, "state", "auth"))


def test_backup_path_with_control_character(postern):
    bk = os.path.join(postern.dir, "a\x1bb", "c")
    r = postern.authctl("backup", bk, check=False)
    assert r.returncode == 1
    assert "\x1b" not in r.stderr and "a?b/c" in r.stderr


def test_backup_failing_after_the_directory_was_made_leaves_nothing(
        stopped_postern):
    p = stopped_postern
    auth = os.path.join(p.dir, "state", "auth")
    os.mkdir(auth, 0o700)
    with open(os.path.join(auth, "data.mdb"), "w") as f:
        f.write("not an LMDB file\n")
    if IS_ROOT:
        pw = pwd.getpwnam("_postern-auth")
        for path in (auth, os.path.join(auth, "data.mdb")):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    bk = os.path.join(p.dir, "bk")
    r = p.authctl("backup", bk, check=False)
    assert r.returncode == 1 and "cannot open the database" in r.stderr
    assert not os.path.exists(bk), "a failed backup left its directory"
