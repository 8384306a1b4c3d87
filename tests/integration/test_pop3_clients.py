"""Integration tests: real POP3 retrieval agents against pop3d over
pop3s: fetchmail (into an mbox through an MDA) and getmail6 (into a
Maildir).  Every subprocess has a timeout.

fetchmail warns but works as root; getmail6 refuses to deliver as root,
so it runs as nobody (setpriv) when the tests run as root."""
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from conftest import ALICE, IS_ROOT
from test_pop3 import connect, deliver, login, message, pop3, pop_user  # noqa: F401


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="postern-client-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def server_count(p, pw):
    c = login(p, pw)
    n = c.stat()[0]
    c.quit()
    return n


# --- fetchmail ---------------------------------------------------------------

def fetchmail(p, home, pw, mbox, keep=False):
    rc = os.path.join(home, "fetchmailrc")
    with open(rc, "w") as f:
        f.write("set no bouncemail\n"
                "poll 127.0.0.1 service %d protocol pop3 uidl timeout 60\n"
                "  user '%s' there with password '%s' is root here\n"
                "  ssl no sslcertck %s\n"
                "  mda \"cat >> %s\"\n"
                % (p.pop3_port, ALICE, pw, "keep" if keep else "nokeep",
                   mbox))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
    r = subprocess.run(["fetchmail", "-f", rc, "-v", "--nodetach",
                        "--nosyslog"], capture_output=True, text=True,
                       timeout=180, env=env, cwd=home,
                       stdin=subprocess.DEVNULL)
    return r


def test_fetchmail_retrieves_and_deletes(pop3, home):
    p = pop3
    pw = pop_user(p)
    for i in range(3):
        deliver(p, ALICE, message(i, body="fetchmail body"))
    mbox = os.path.join(home, "mbox")
    r = fetchmail(p, home, pw, mbox)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TLSv1.2" in r.stdout + r.stderr, r.stdout + r.stderr
    with open(mbox) as f:
        got = f.read()
    for i in range(3):
        assert "Subject: message %d\n" % i in got, got
        assert "fetchmail body %d\n" % i in got, got
    # Without keep, fetchmail deleted them; pop3d applied it at QUIT.
    assert server_count(p, pw) == 0
    md = p.maildir(ALICE)
    assert os.listdir(os.path.join(md, "new")) == []
    assert os.listdir(os.path.join(md, "cur")) == []
    # A second run finds nothing (fetchmail exit code 1: no mail).
    r = fetchmail(p, home, pw, mbox)
    assert r.returncode == 1, r.stdout + r.stderr


def test_fetchmail_keep_and_uidl(pop3, home):
    """With keep, messages stay on the server, and fetchmail's UIDL
    bookkeeping (.fetchids) fetches only the new one next time: the
    UIDs pop3d hands out are stable across sessions."""
    p = pop3
    pw = pop_user(p)
    for i in range(2):
        deliver(p, ALICE, message(i, body="kept"))
    mbox = os.path.join(home, "mbox")
    r = fetchmail(p, home, pw, mbox, keep=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert server_count(p, pw) == 2
    deliver(p, ALICE, message(7, body="fresh"))
    r = fetchmail(p, home, pw, mbox, keep=True)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(mbox) as f:
        got = f.read()
    assert got.count("kept 0\n") == 1 and got.count("kept 1\n") == 1, got
    assert got.count("fresh 7\n") == 1, got
    assert server_count(p, pw) == 3


def test_fetchmail_wrong_password(pop3, home):
    p = pop3
    pw = pop_user(p)
    deliver(p, ALICE, message(1))
    r = fetchmail(p, home, pw + "x", os.path.join(home, "mbox"))
    assert r.returncode == 3, r.stdout + r.stderr     # authentication
    assert not os.path.exists(os.path.join(home, "mbox"))
    assert server_count(p, pw) == 1


# --- getmail6 ---------------------------------------------------------------------

def getmail(p, home, pw, delete=True):
    gd = os.path.join(home, "getmail")
    md = os.path.join(home, "Maildir")
    os.makedirs(gd, exist_ok=True)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    rc = os.path.join(gd, "getmailrc")
    with open(rc, "w") as f:
        f.write("[retriever]\n"
                "type = SimplePOP3SSLRetriever\n"
                "server = 127.0.0.1\n"
                "port = %d\n"
                "username = %s\n"
                "password = %s\n"
                "\n[destination]\n"
                "type = Maildir\n"
                "path = %s/\n"
                "\n[options]\n"
                "delete = %s\n"
                "read_all = false\n"
                "verbose = 2\n"
                % (p.pop3_port, ALICE, pw, md, "true" if delete else "false"))
    os.chmod(rc, 0o600)
    cmd = ["getmail", "--rcfile", rc, "--getmaildir", gd]
    if IS_ROOT:
        nobody = pwd.getpwnam("nobody")
        for root, dirs, files in os.walk(home):
            for x in dirs + files:
                os.chown(os.path.join(root, x), nobody.pw_uid,
                         nobody.pw_gid)
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        cmd = ["setpriv", "--reuid=%d" % nobody.pw_uid,
               "--regid=%d" % nobody.pw_gid, "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, HOME=home), cwd=home,
                       stdin=subprocess.DEVNULL)
    return r, md


def maildir_texts(md):
    out = []
    for sub in ("new", "cur"):
        for name in sorted(os.listdir(os.path.join(md, sub))):
            with open(os.path.join(md, sub, name)) as f:
                out.append(f.read())
    return out


def test_getmail_retrieves_into_maildir_and_deletes(pop3, home):
    p = pop3
    pw = pop_user(p)
    for i in range(4):
        deliver(p, ALICE, message(i, body="getmail body"))
    r, md = getmail(p, home, pw)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 messages" in r.stdout, r.stdout
    texts = maildir_texts(md)
    assert len(texts) == 4, texts
    for i in range(4):
        assert sum("getmail body %d\n" % i in t for t in texts) == 1, texts
    assert server_count(p, pw) == 0


def test_getmail_without_delete_remembers_what_it_saw(pop3, home):
    p = pop3
    pw = pop_user(p)
    for i in range(2):
        deliver(p, ALICE, message(i, body="seen"))
    r, md = getmail(p, home, pw, delete=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(maildir_texts(md)) == 2
    assert server_count(p, pw) == 2
    deliver(p, ALICE, message(5, body="later"))
    r, md = getmail(p, home, pw, delete=False)
    assert r.returncode == 0, r.stdout + r.stderr
    texts = maildir_texts(md)
    assert len(texts) == 3, texts                    # read_all = false
    assert sum("later 5\n" in t for t in texts) == 1
    assert server_count(p, pw) == 3
