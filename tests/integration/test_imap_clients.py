"""Integration tests: imapd with real, independent IMAP clients: mbsync
(isync) pulling a 2,000-message mailbox and syncing flag changes and
deletions both ways, curl listing and fetching, and mutt reading the
mailbox in batch mode.  The messages are dropped into the Maildir as a
delivery agent would."""
import os
import pwd
import re
import shutil
import subprocess
import time

import pytest

from conftest import ALICE, IS_ROOT, tls_context  # noqa: F401
from test_imap import imap, imap_user, login  # noqa: F401

NMSG = 2000


def bulk_deliver(p, user, n, start=0):
    """n messages into user's new/ at once (one ownership pass)."""
    md = p.maildir(user)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    for i in range(start, start + n):
        name = "%d.M%dP%d.bulk" % (1700000000 + i, i, os.getpid())
        with open(os.path.join(md, "new", name), "w") as f:
            f.write("From: sender%d@example.org\nTo: %s\n"
                    "Subject: bulk message %d\nMessage-ID: <bulk%d@example.org>"
                    "\n\nbody of message %d\n" % (i, user, i, i, i))
    if IS_ROOT:
        pw = pwd.getpwnam("_postern-mail")
        for root, dirs, files in os.walk(os.path.join(p.dir, "mail")):
            for x in dirs + files:
                os.chown(os.path.join(root, x), pw.pw_uid, pw.pw_gid)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chown(os.path.join(p.dir, "mail"), 0, 0)


def mbsync_config(p, pw, local):
    path = os.path.join(p.dir, "mbsyncrc")
    with open(path, "w") as f:
        f.write("""IMAPAccount postern
Host localhost
Port %d
User %s
Pass "%s"
SSLType IMAPS
CertificateFile %s
PipelineDepth 50

IMAPStore remote
Account postern

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
""" % (p.imap_port, ALICE, pw, os.path.join(p.dir, "cert.pem"), local,
            local))
    return path


def mbsync(cfg):
    r = subprocess.run(["mbsync", "-c", cfg, "-a"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def local_msgs(local):
    """{Message-ID: flags} of the local Maildir."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(local, "INBOX", sub)
        for name in os.listdir(d):
            with open(os.path.join(d, name), errors="replace") as f:
                mid = re.search(r"^Message-ID: (\S+)$", f.read(),
                                re.M).group(1)
            flags = name.split(":2,")[1] if ":2," in name else ""
            assert mid not in out, "duplicate %s" % mid
            out[mid] = "".join(sorted(flags.replace(",", "")))
    return out


def server_msgs(c):
    """{Message-ID: flags letters} of INBOX over IMAP."""
    c.select("INBOX")
    typ, data = c.uid("FETCH", "1:*",
                      "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert typ == "OK"
    letters = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R",
               "\\Draft": "D", "\\Deleted": "T"}
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        mid = re.search(rb"Message-ID: (\S+)", item[1], re.I).group(1)
        flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode()
        assert mid.decode() not in out
        out[mid.decode()] = "".join(sorted(
            letters[f] for f in flags.split() if f in letters))
    return out


@pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync missing")
def test_mbsync_pulls_and_syncs_both_ways(imap):
    p = imap
    pw = imap_user(p)
    bulk_deliver(p, ALICE, NMSG)
    local = os.path.join(p.dir, "local")
    os.makedirs(local)
    cfg = mbsync_config(p, pw, local)
    t0 = time.monotonic()
    mbsync(cfg)
    pulled = local_msgs(local)
    assert len(pulled) == NMSG, len(pulled)
    assert time.monotonic() - t0 < 300

    # Changes on both sides: local flags and deletions, remote flags and
    # expunges, on different messages.
    # mbsync keeps unseen messages in new/, with no flags in the name.
    inbox = os.path.join(local, "INBOX")
    d = os.path.join(inbox, "cur")
    paths = sorted(os.path.join(inbox, sub, n) for sub in ("new", "cur")
                   for n in os.listdir(os.path.join(inbox, sub)))
    local_flagged = []
    for path in paths[:10]:                          # flag locally
        with open(path) as f:
            local_flagged.append(re.search(r"^Message-ID: (\S+)$",
                                           f.read(), re.M).group(1))
        name = os.path.basename(path)
        base, _, flags = name.partition(":2,")
        os.rename(path, os.path.join(
            d, base + ":2," + "".join(sorted(flags + "F"))))
    local_gone = []
    for path in paths[10:15]:                        # delete locally
        with open(path) as f:
            local_gone.append(re.search(r"^Message-ID: (\S+)$", f.read(),
                                        re.M).group(1))
        os.unlink(path)
    c = login(p, pw)
    answered = list(server_msgs(c))[:10]            # UID order: 1:10
    c.select("INBOX")
    c.store("1:10", "+FLAGS", "\\Answered")          # remote flags
    c.store("1990:2000", "+FLAGS", "\\Deleted")      # remote expunges
    c.expunge()
    c.logout()

    mbsync(cfg)
    c = login(p, pw)
    remote = server_msgs(c)
    c.logout()
    near = local_msgs(local)
    assert len(remote) == NMSG - 11 - 5, len(remote)
    assert remote == near
    for mid in local_gone:
        assert mid not in remote
    assert sorted(m for m, f in remote.items() if "F" in f) == \
        sorted(m for m in local_flagged if m in remote), remote
    assert sorted(m for m, f in remote.items() if "R" in f) == \
        sorted(m for m in answered if m in remote), remote

    # A third run changes nothing on either side.
    def state():
        return [sorted(os.listdir(x)) for x in (
            os.path.join(p.maildir(ALICE), "cur"),
            os.path.join(p.maildir(ALICE), "new"),
            os.path.join(inbox, "cur"), os.path.join(inbox, "new"))]
    before = state()
    out = mbsync(cfg)
    assert state() == before, out


def test_curl_lists_and_fetches(imap):
    p = imap
    pw = imap_user(p)
    bulk_deliver(p, ALICE, 3)
    base = "imaps://127.0.0.1:%d/" % p.imap_port
    r = subprocess.run(["curl", "-sS", "-k", "-u", "%s:%s" % (ALICE, pw),
                        base], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(r'^\* LIST \([^)]*\) "/" "?INBOX"?\r?$', r.stdout,
                     re.M), r.stdout
    r = subprocess.run(["curl", "-sS", "-k", "-u", "%s:%s" % (ALICE, pw),
                        base + "INBOX;UID=2"], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"Subject: bulk message 1\r\n" in r.stdout
    assert r.stdout.endswith(b"body of message 1\r\n"), r.stdout
    r = subprocess.run(["curl", "-sS", "-k", "-u", "%s:%s" % (ALICE, pw),
                        base + "INBOX?SUBJECT%20%22message%202%22"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "* SEARCH 3" in r.stdout, r.stdout


@pytest.mark.skipif(shutil.which("mutt") is None, reason="mutt missing")
def test_mutt_reads_the_mailbox_in_batch_mode(imap):
    """mutt, in a pseudo-terminal driven by script(1), opens the IMAP
    INBOX, copies every message into a local mbox and quits."""
    p = imap
    pw = imap_user(p)
    bulk_deliver(p, ALICE, 5)
    out = os.path.join(p.dir, "saved.mbox")
    rc = os.path.join(p.dir, "muttrc")
    with open(rc, "w") as f:
        f.write('set ssl_verify_host=no\nset certificate_file=%s\n'
                'set imap_user="%s"\nset imap_pass="%s"\nset folder=""\n'
                'set confirmappend=no\nset confirmcreate=no\n'
                'set mbox_type=mbox\nset move=no\nset quit=yes\n'
                'set ssl_starttls=no\nset ssl_force_tls=yes\n'
                'set header_cache=""\nset message_cachedir=""\n'
                % (os.path.join(p.dir, "cert.pem"), ALICE, pw))
    # The self-signed certificate is mutt's accepted one: no prompt.
    keys = "<tag-pattern>~A<enter><tag-prefix><copy-message>%s<enter>" \
        "<quit>" % out
    cmd = ["mutt", "-n", "-F", rc, "-f",
           "imaps://%s@127.0.0.1:%d/INBOX" % (ALICE.replace("@", "%40"),
                                              p.imap_port),
           "-e", "push '%s'" % keys]
    env = dict(os.environ, TERM="xterm", HOME=p.dir)
    r = subprocess.run(["script", "-qec", " ".join(
        "'%s'" % a.replace("'", "'\\''") for a in cmd), "/dev/null"],
        capture_output=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert os.path.exists(out), r.stdout[-2000:]
    with open(out, errors="replace") as f:
        text = f.read()
    assert len(re.findall(r"^Subject: bulk message \d$", text, re.M)) == 5, \
        text[:2000]
