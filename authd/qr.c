/*
 * qr.c: QR codes as Unicode half blocks on a terminal (see qr.h).  Runs in
 * authctl; the text is the enrolment URI, which holds a TOTP secret, so
 * nothing here logs it.
 */
#include <stdio.h>

#include <qrencode.h>

#include "authd/qr.h"

#define QR_QUIET	4	/* modules of quiet zone (ISO/IEC 18004) */

#define QR_UPPER	"\xe2\x96\x80"	/* U+2580 upper half block */
#define QR_LOWER	"\xe2\x96\x84"	/* U+2584 lower half block */
#define QR_FULL		"\xe2\x96\x88"	/* U+2588 full block */

#define QR_SGR_ON	"\033[30;47m"	/* black text, white background */
#define QR_SGR_OFF	"\033[0m"

/*
 * qr_drawn: is module (x, y) drawn as a block?  Coordinates include the
 * quiet zone, which is light.  The row below the last one (the picture
 * has an odd number of rows) is never drawn: it is the background.
 */
static int
qr_drawn(const QRcode *qr, int x, int y, int flags)
{
	int w = qr->width, dark;

	if (y >= w + 2 * QR_QUIET)
		return 0;
	x -= QR_QUIET;
	y -= QR_QUIET;
	dark = x >= 0 && y >= 0 && x < w && y < w &&
	    (qr->data[y * w + x] & 1) != 0;
	return (flags & QR_INVERT) ? !dark : dark;
}

static const char *
qr_cell(int top, int bottom)
{
	if (top && bottom)
		return QR_FULL;
	if (top)
		return QR_UPPER;
	if (bottom)
		return QR_LOWER;
	return " ";
}

int
qr_print(FILE *out, const char *text, int flags)
{
	QRcode *qr;
	int x, y, size;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return -1;
	size = qr->width + 2 * QR_QUIET;
	for (y = 0; y < size; y += 2) {
		if (flags & QR_ANSI)
			fputs(QR_SGR_ON, out);
		for (x = 0; x < size; x++)
			fputs(qr_cell(qr_drawn(qr, x, y, flags),
			    qr_drawn(qr, x, y + 1, flags)), out);
		fputs((flags & QR_ANSI) ? QR_SGR_OFF "\n" : "\n", out);
	}
	QRcode_free(qr);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
