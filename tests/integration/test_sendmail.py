"""sendmail(8) against a spool directory, no daemon: the intake file it
drops (format, mode, name, headers added, -t recipients and Bcc removed,
the lone dot, -f), its exit codes (sysexits.h), and that it needs no
privilege (as root, it is also run as nobody)."""
import os
import pwd
import re
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("POSTERN_BUILD", os.path.join(REPO, "build"))
SENDMAIL = os.path.join(BUILD, "smtpd", "sendmail")

EX_USAGE, EX_DATAERR, EX_NOUSER = 64, 65, 67
EX_CANTCREAT, EX_CONFIG = 73, 78


@pytest.fixture
def spool():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        sp = os.path.join(d, "spool")
        os.mkdir(sp, 0o755)
        os.mkdir(os.path.join(sp, "intake"))
        os.chmod(os.path.join(sp, "intake"), 0o1733)
        conf = os.path.join(d, "postern.conf")
        with open(conf, "w") as f:
            f.write('hostname mx.example.test\ndomain example.test\n'
                    'domain example.org\nspool "%s"\n'
                    'smtp max message size 2K\n' % sp)
        os.chmod(conf, 0o644)
        yield d, sp, conf


def run(conf, args, data, user=None, env_conf=False):
    env = dict(os.environ)
    argv = [SENDMAIL] + args
    if env_conf:
        env["POSTERN_CONF"] = conf
    else:
        argv[1:1] = ["-C", conf]
    kw = {}
    if user is not None:
        kw["user"] = user
    return subprocess.run(argv, input=data, capture_output=True, env=env,
                          timeout=30, **kw)


def intake_files(sp):
    d = os.path.join(sp, "intake")
    return sorted(os.path.join(d, n) for n in os.listdir(d))


def only_file(sp):
    files = intake_files(sp)
    assert len(files) == 1, files
    with open(files[0], "rb") as f:
        data = f.read()
    os.unlink(files[0])
    head, _, msg = data.partition(b"\n\n")
    return files[0], head.decode().split("\n"), msg


def me():
    return pwd.getpwuid(os.getuid()).pw_name


def test_plain_message(spool):
    _, sp, conf = spool
    r = run(conf, ["-F", "Ops Robot", "alice@example.test", "root"],
            b"Subject: hi\n\nhello\n")
    assert r.returncode == 0, r.stderr
    path, head, msg = only_file(sp)
    name = os.path.basename(path)
    assert re.fullmatch(r"\d+\.\d{6}\.\d+\.[0-9a-f]{16}", name)
    assert os.stat(os.path.dirname(path)).st_mode & 0o7777 == 0o1733
    assert head == ["postern-intake 1", "from <%s@example.test>" % me(),
                    "rcpt <alice@example.test>", "rcpt <root>"]
    text = msg.decode()
    assert text.startswith("From: Ops Robot <%s@example.test>\n" % me())
    assert re.search(r"^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d "
                     r"[+-]\d{4}$", text, re.M)
    assert re.search(r"^Message-ID: <\d+\.[0-9a-f]{16}@mx\.example\.test>$",
                     text, re.M)
    assert text.endswith("Subject: hi\n\nhello\n")


def test_file_mode(spool):
    _, sp, conf = spool
    r = run(conf, ["root"], b"Subject: x\n\ny\n")
    assert r.returncode == 0, r.stderr
    files = intake_files(sp)
    assert len(files) == 1
    assert os.stat(files[0]).st_mode & 0o7777 == 0o644
    assert not any(os.path.basename(f).startswith(".") for f in files)


def test_existing_headers_kept(spool):
    _, sp, conf = spool
    msg = (b"From: Someone <s@example.org>\nDate: Mon, 1 Jan 2024 00:00:00 "
           b"+0000\nMessage-ID: <x@y>\n\nbody\n")
    r = run(conf, ["bob@example.test"], msg)
    assert r.returncode == 0, r.stderr
    _, _, body = only_file(sp)
    assert body == msg


def test_body_only_gets_separator(spool):
    _, sp, conf = spool
    r = run(conf, ["root"], b"just a line of text\nand another\n")
    assert r.returncode == 0, r.stderr
    _, _, body = only_file(sp)
    assert b"\n\njust a line of text\nand another\n" in body
    assert body.startswith(b"From: ")


def test_t_recipients_and_bcc(spool):
    _, sp, conf = spool
    msg = (b'To: Alice <alice@example.test>, "Doe, J" <jd@x.test>\n'
           b"Cc: carol@example.org (Carol)\n"
           b"Bcc: secret@example.test,\n  hidden@x.test\n"
           b"Subject: t\n\nbody\nBcc: not a header@x\n")
    r = run(conf, ["-t", "extra@example.test"], msg)
    assert r.returncode == 0, r.stderr
    _, head, body = only_file(sp)
    assert head[2:] == ["rcpt <extra@example.test>",
                        "rcpt <alice@example.test>", "rcpt <jd@x.test>",
                        "rcpt <carol@example.org>",
                        "rcpt <secret@example.test>", "rcpt <hidden@x.test>"]
    assert b"secret@example.test" not in body.split(b"\n\n")[0]
    assert b"hidden@x.test" not in body
    assert b"To: Alice" in body
    assert body.endswith(b"\n\nbody\nBcc: not a header@x\n")


def test_lone_dot(spool):
    _, sp, conf = spool
    data = b"Subject: d\n\nbefore\n.\nafter\n"
    assert run(conf, ["root"], data).returncode == 0
    _, _, body = only_file(sp)
    assert body.endswith(b"before\n")
    for opt in ("-i", "-oi"):
        assert run(conf, [opt, "root"], data).returncode == 0
        _, _, body = only_file(sp)
        assert body.endswith(b"before\n.\nafter\n"), opt


def test_sender_option(spool):
    _, sp, conf = spool
    assert run(conf, ["-f", "<>", "root"], b"x\n").returncode == 0
    _, head, _ = only_file(sp)
    assert head[1] == "from <>"
    assert run(conf, ["-fbounce@example.org", "-odb", "root"],
               b"x\n").returncode == 0
    _, head, _ = only_file(sp)
    assert head[1] == "from <bounce@example.org>"


def test_conf_from_environment(spool):
    _, sp, conf = spool
    r = run(conf, ["root"], b"x\n", env_conf=True)
    assert r.returncode == 0, r.stderr
    assert len(intake_files(sp)) == 1


def test_exit_codes(spool):
    d, sp, conf = spool
    r = run(conf, [], b"Subject: x\n\ny\n")
    assert r.returncode == EX_USAGE and b"no recipients" in r.stderr
    r = run(conf, ["-bs", "root"], b"")
    assert r.returncode == EX_USAGE
    r = run(conf, ["a b@example.test"], b"x\n")
    assert r.returncode == EX_NOUSER and b"invalid recipient" in r.stderr
    r = run(conf, ["root"], b"x" * 3000 + b"\n")
    assert r.returncode == EX_DATAERR and b"bigger than" in r.stderr
    r = run(conf, ["root"], b"Subject: a\0b\n\nx\n")
    assert r.returncode == EX_DATAERR and b"NUL" in r.stderr
    r = run(conf, ["root"] * 101, b"x\n")
    assert r.returncode == EX_DATAERR
    r = run(os.path.join(d, "missing.conf"), ["root"], b"x\n")
    assert r.returncode == EX_CONFIG
    assert intake_files(sp) == []
    os.rmdir(os.path.join(sp, "intake"))
    r = run(conf, ["root"], b"x\n")
    assert r.returncode == EX_CANTCREAT
    assert b"message not sent" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_unprivileged_user(spool):
    _, sp, conf = spool
    r = run(conf, ["root"], b"Subject: from nobody\n\nx\n", user="nobody")
    assert r.returncode == 0, r.stderr
    files = intake_files(sp)
    assert len(files) == 1
    assert os.stat(files[0]).st_uid == pwd.getpwnam("nobody").pw_uid
    with open(files[0], "rb") as f:
        assert f.read().startswith(b"postern-intake 1\nfrom <nobody@")


# ---- with the queue running (tests/tools/queue_run plays smtpd and authd)

QUEUE_RUN = os.path.join(BUILD, "tests", "tools", "queue_run")
AUTHCTL = os.path.join(BUILD, "authd", "authctl")


@pytest.fixture
def queue():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        for sub in ("spool", "mail", "state", "run"):
            os.mkdir(os.path.join(d, sub), 0o755)
        conf = os.path.join(d, "postern.conf")
        with open(conf, "w") as f:
            f.write('hostname mx.example.test\ndomain example.test\n'
                    'spool "{0}/spool"\nmail "{0}/mail"\n'
                    'state "{0}/state"\nruntime "{0}/run"\n'.format(d))
        os.chmod(conf, 0o644)
        log = open(os.path.join(d, "queue.log"), "w+")
        proc = subprocess.Popen([QUEUE_RUN, conf], stdout=log,
                                stderr=subprocess.STDOUT)
        sock = os.path.join(d, "spool", "queue.sock")
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        try:
            yield d, conf, proc, log
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
            log.close()


def authctl(conf, *args):
    return subprocess.run([AUTHCTL, "-f", conf] + list(args),
                          capture_output=True, timeout=30)


def wait_for(pred, seconds=5.0):
    end = time.time() + seconds
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def queue_ids(conf):
    r = authctl(conf, "queue", "list")
    assert r.returncode == 0, r.stderr
    return re.findall(r"^([0-9a-f]{16})  ", r.stdout.decode(), re.M)


def test_local_delivery(queue):
    d, conf, _, _ = queue
    r = run(conf, ["Ivan@example.test"], b"Subject: local\n\nhello ivan\n")
    assert r.returncode == 0, r.stderr
    new = os.path.join(d, "mail", "example.test", "ivan", "new")
    files = wait_for(lambda: os.path.isdir(new) and os.listdir(new))
    assert files and len(files) == 1
    with open(os.path.join(new, files[0]), "rb") as f:
        text = f.read().decode()
    assert text.startswith("Return-Path: <%s@example.test>\n"
                           "Delivered-To: Ivan@example.test\n"
                           "Received: (from local uid %d)\n" % (me(), os.getuid()))
    assert text.endswith("\n\nhello ivan\n")
    assert wait_for(lambda: queue_ids(conf) == [] or None) is not None
    assert os.listdir(os.path.join(d, "spool", "intake")) == []


def test_authctl_queue(queue):
    d, conf, proc, log = queue
    r = run(conf, ["-f", "robot@example.test", "zed@remote.test"],
            b"Subject: away\n\nx\n")
    assert r.returncode == 0, r.stderr
    ids = wait_for(lambda: queue_ids(conf))
    assert ids and len(ids) == 1
    qid = ids[0]
    out = authctl(conf, "queue", "list").stdout.decode()
    assert "1 message in the queue" in out
    assert "from <robot@example.test>" in out
    assert ("remote zed@remote.test: waiting, 0 attempts, next now "
            "(no relay process runs)") in out
    r = authctl(conf, "queue", "show", qid)
    assert r.returncode == 0, r.stderr
    assert "origin local uid %d" % os.getuid() in r.stdout.decode()
    assert "retried until " in r.stdout.decode()
    r = authctl(conf, "queue", "show", "0000000000000000")
    assert r.returncode == 1
    assert b"no message 0000000000000000 in the queue" in r.stderr
    r = authctl(conf, "queue", "show", "../../x")
    assert r.returncode == 2 and b"not a queue id" in r.stderr
    r = authctl(conf, "queue", "flush")
    assert r.returncode == 0 and (b"1 recipient to try now (remote ones "
                                  b"wait: no relay process runs)") in r.stdout
    out = authctl(conf, "queue", "list").stdout.decode()
    assert "remote zed@remote.test: waiting, 0 attempts" in out
    r = authctl(conf, "queue", "remove", qid)
    assert r.returncode == 0, r.stderr
    assert ("message %s removed" % qid).encode() in r.stdout
    r = authctl(conf, "queue", "remove", qid)
    assert r.returncode == 1 and b"no message" in r.stderr
    assert queue_ids(conf) == []
    proc.terminate()
    assert proc.wait(timeout=10) == 0
    r = authctl(conf, "queue", "list")
    assert r.returncode == 1
    assert b"the queue is not running: cannot connect to " in r.stderr
    log.seek(0)
    assert "removed by the administrator" in log.read()


def test_bad_intake_file(queue):
    d, conf, _, log = queue
    path = os.path.join(d, "spool", "intake", "123.456")
    with open(path, "w") as f:
        f.write("postern-intake 1\nfrom <>\n\n")
    bad = os.path.join(d, "spool", "bad")
    moved = wait_for(lambda: [n for n in os.listdir(bad)
                              if n.startswith("intake-")])
    assert moved and len(moved) == 1
    assert not os.path.exists(path)
    log.seek(0)
    assert "intake file 123.456 (owner %d) is unusable: no recipient" % \
        os.getuid() in log.read()
