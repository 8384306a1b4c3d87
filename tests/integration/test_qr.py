"""The TOTP enrolment QR code as a camera sees it on a terminal: authctl's
block characters are rendered to an image (a block in the text colour, a
blank in the background colour, the terminal's background around it) and
decoded with zbarimg (Debian's zbar-tools).  It must give back the
otpauth:// URI on a light terminal, on a dark one with --qr-invert, and on
both when authctl paints its own colours on a terminal."""
import os
import pty
import re
import select
import shutil
import subprocess
import time

import pytest

from conftest import ALICE, AUTHCTL

pytestmark = pytest.mark.skipif(shutil.which("zbarimg") is None,
                                reason="zbarimg missing (apt-get install "
                                "zbar-tools)")

BLACK, WHITE = 0, 255
SCALE = 4          # pixels per module
MARGIN = 6         # modules of terminal background around the text
HALVES = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def modules(lines, text, background):
    """Each text line is two rows of modules; a drawn half is text, the
    rest background.  Inside SGR 30;47 the colours are black on white,
    whatever the terminal's."""
    rows = []
    for line in lines:
        top, bottom = [], []
        fg, bg = text, background
        pos = 0
        for m in list(SGR.finditer(line)) + [None]:
            end = m.start() if m else len(line)
            for ch in line[pos:end]:
                t, b = HALVES[ch]
                top.append(fg if t else bg)
                bottom.append(fg if b else bg)
            if m is None:
                break
            codes = m.group(1).split(";")
            if codes == ["0"] or codes == [""]:
                fg, bg = text, background
            else:
                fg = BLACK if "30" in codes else fg
                bg = WHITE if "47" in codes else bg
            pos = m.end()
        rows += [top, bottom]
    return rows


def write_pgm(path, rows, background):
    w = max(len(r) for r in rows) + 2 * MARGIN
    full = [[background] * w for _ in range(MARGIN)]
    for r in rows:
        full.append([background] * MARGIN + r +
                    [background] * (w - MARGIN - len(r)))
    full += [[background] * w for _ in range(MARGIN)]
    with open(path, "wb") as f:
        f.write(b"P5 %d %d 255\n" % (w * SCALE, len(full) * SCALE))
        for r in full:
            line = bytes(v for v in r for _ in range(SCALE))
            f.write(line * SCALE)


def decode(p, lines, text, background, name):
    img = os.path.join(p.dir, name + ".pgm")
    write_pgm(img, modules(lines, text, background), background)
    r = subprocess.run(["zbarimg", "-q", "--raw", img], capture_output=True,
                       text=True, timeout=60)
    return r.stdout.strip()


def enable(p, *opts):
    out = p.authctl("totp", "enable", ALICE, *opts).stdout.splitlines()
    assert out[0].startswith("secret: ") and out[1].startswith("otpauth://")
    return out[1], out[2:]


def test_qr_decodes_on_a_light_terminal(postern):
    postern.add_user(ALICE)
    uri, qr = enable(postern)
    assert uri.startswith("otpauth://totp/")
    assert decode(postern, qr, BLACK, WHITE, "light") == uri
    # Four modules of quiet zone: the two first and last text rows blank.
    assert qr[0].strip() == "" and qr[1].strip() == ""
    assert qr[-1].strip() == "" and qr[-2].strip() == ""
    assert all(line.startswith("    ") for line in qr)


def test_qr_invert_decodes_on_a_dark_terminal(postern):
    postern.add_user(ALICE)
    uri, qr = enable(postern, "--qr-invert")
    assert decode(postern, qr, WHITE, BLACK, "dark") == uri


def pty_enable(p):
    """totp enable with stdout on a pseudo-terminal; its output lines."""
    master, slave = pty.openpty()
    env = dict(p.env(), TERM="xterm")
    proc = subprocess.Popen([AUTHCTL, "-f", p.conf, "totp", "enable",
                             ALICE], stdout=slave, stderr=subprocess.PIPE,
                            env=env)
    os.close(slave)
    out = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 1)
        if not r:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    return out.decode().replace("\r\n", "\n").splitlines()


@pytest.mark.parametrize("text,background", [(BLACK, WHITE),
                                             (WHITE, BLACK)])
def test_qr_on_a_terminal_decodes_on_light_and_dark(postern, text,
                                                    background):
    postern.add_user(ALICE)
    lines = pty_enable(postern)
    uri, qr = lines[1], lines[2:]
    assert all(line.startswith("\x1b[30;47m") for line in qr)
    got = decode(postern, qr, text, background,
                 "tty-%d" % background)
    assert got == uri
