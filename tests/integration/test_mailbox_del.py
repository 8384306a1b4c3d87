"""What authctl does with a user's Maildir: "user del" sets it aside
under a dated name no user can get (or removes it with --purge), and a
later "user add" of the same address starts with an empty mailbox and
says so when an old one was in the way.  Checked through pop3d, as the
user sees it, and in the audit log."""
import glob
import os
import poplib

from conftest import ALICE, IS_ROOT, audit
from test_pop3 import deliver, login, message, pop_user, pop3  # noqa: F401


def count(p, pw):
    c = login(p, pw)
    n = c.stat()[0]
    c.quit()
    return n


def messages(maildir):
    return sum(len(os.listdir(os.path.join(maildir, sub)))
               for sub in ("cur", "new"))


def asides(p, user=ALICE):
    local, domain = user.split("@")
    return glob.glob(os.path.join(p.dir, "mail", domain,
                                  ".%s.deleted-*" % local))


def test_del_sets_aside_and_add_starts_empty(pop3):
    pw = pop_user(pop3)
    deliver(pop3, ALICE, message(1))
    assert count(pop3, pw) == 1
    r = pop3.authctl("user", "del", ALICE)
    moved = asides(pop3)
    assert len(moved) == 1, os.listdir(os.path.dirname(pop3.maildir(ALICE)))
    assert "set aside as %s" % moved[0] in r.stdout
    assert not os.path.exists(pop3.maildir(ALICE))
    assert messages(moved[0]) == 1, "the old mail must be kept whole"
    if IS_ROOT:
        assert os.stat(moved[0]).st_uid == os.stat(
            os.path.join(moved[0], "new")).st_uid, "ownership kept"
    rec = [x for x in audit(pop3, "--user", ALICE)
           if x["reason"].startswith("user del")][-1]
    assert rec["reason"] == "user del; mailbox set aside as " + moved[0]
    assert os.path.isabs(moved[0])

    pw2 = pop_user(pop3)
    assert count(pop3, pw2) == 0, "the new user must not see the old mail"
    assert len(asides(pop3)) == 1


def test_add_sets_aside_a_leftover_mailbox(pop3):
    # A Maildir left by a user deleted before authctl handled mailboxes.
    deliver(pop3, ALICE, message(1))
    p = pop3.authctl("user", "add", ALICE)
    pw = p.stdout.strip()
    assert len(p.stdout.splitlines()) == 1, "stdout holds the password alone"
    moved = asides(pop3)
    assert len(moved) == 1
    assert "set aside as %s" % moved[0] in p.stderr
    assert "empty" in p.stderr
    pop3.authctl("user", "services", ALICE, "imap,pop3,smtp")
    assert count(pop3, pw) == 0
    rec = [x for x in audit(pop3, "--user", ALICE)
           if x["reason"].startswith("user add")][-1]
    assert rec["reason"] == "user add; old mailbox set aside as " + moved[0]


def test_add_without_old_mailbox_says_nothing(postern):
    p = postern.authctl("user", "add", ALICE)
    assert "mailbox" not in p.stderr
    assert asides(postern) == []


def test_del_without_mailbox(postern):
    postern.add_user(ALICE)
    r = postern.authctl("user", "del", ALICE)
    assert "no mailbox" in r.stdout
    assert audit(postern, "--user", ALICE)[-1]["reason"] == \
        "user del; no mailbox"


def test_del_purge_removes_the_mail(pop3):
    pw = pop_user(pop3)
    deliver(pop3, ALICE, message(1))
    os.makedirs(os.path.join(pop3.maildir(ALICE), ".Sent", "cur"))
    assert count(pop3, pw) == 1
    r = pop3.authctl("user", "del", ALICE, "--purge")
    assert "mailbox removed" in r.stdout
    assert asides(pop3) == [] and not os.path.exists(pop3.maildir(ALICE))
    assert audit(pop3, "--user", ALICE)[-1]["reason"].startswith(
        "user del; mailbox removed, was /")


def test_del_twice_in_one_second_keeps_both(postern):
    for _ in range(2):
        postern.add_user(ALICE)
        deliver(postern, ALICE, message(1))
        postern.authctl("user", "del", ALICE)
    # The second one in the same second gets "-2"; nothing is replaced.
    assert len(asides(postern)) == 2


def test_del_refuses_a_mailbox_that_is_a_symlink(postern):
    postern.add_user(ALICE)
    target = os.path.join(postern.dir, "elsewhere")
    os.makedirs(target)
    os.makedirs(os.path.dirname(postern.maildir(ALICE)), exist_ok=True)
    os.symlink(target, postern.maildir(ALICE))
    n = len(audit(postern))
    r = postern.authctl("user", "del", ALICE, check=False)
    assert r.returncode == 1
    assert postern.maildir(ALICE) in r.stderr
    assert "not a directory" in r.stderr and "nothing was changed" in r.stderr
    assert ALICE in postern.authctl("user", "list").stdout
    assert len(audit(postern)) == n
    assert os.path.islink(postern.maildir(ALICE)) and os.path.isdir(target)


def test_del_missing_user_moves_nothing(postern):
    deliver(postern, ALICE, message(1))
    r = postern.authctl("user", "del", ALICE, check=False)
    assert r.returncode == 1 and "no such user" in r.stderr
    assert os.path.isdir(pop3_new(postern))
    assert asides(postern) == []


def pop3_new(p):
    return os.path.join(p.maildir(ALICE), "new")
