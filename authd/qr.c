/*
 * qr.c: QR codes as Unicode half blocks on a terminal (see qr.h).  Runs in
 * authctl; the text is the enrolment URI, which holds a TOTP secret, so
 * nothing here logs it.
 */
#include <stdio.h>

#include <qrencode.h>

#include "authd/qr.h"

#define QR_QUIET	2	/* modules of quiet zone around the symbol */

#define QR_UPPER	"\xe2\x96\x80"	/* U+2580 upper half block */
#define QR_LOWER	"\xe2\x96\x84"	/* U+2584 lower half block */
#define QR_FULL		"\xe2\x96\x88"	/* U+2588 full block */

/*
 * Is module (x, y) light?  Coordinates include the quiet zone, which is
 * light; rows past the bottom edge are not drawn and count as dark (the
 * terminal background).
 */
static int
qr_light(const QRcode *qr, int x, int y)
{
	int w = qr->width;

	if (y >= w + 2 * QR_QUIET)
		return 0;
	x -= QR_QUIET;
	y -= QR_QUIET;
	if (x < 0 || y < 0 || x >= w || y >= w)
		return 1;
	return (qr->data[y * w + x] & 1) == 0;
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
qr_print(FILE *out, const char *text)
{
	QRcode *qr;
	int x, y, size;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return -1;
	size = qr->width + 2 * QR_QUIET;
	for (y = 0; y < size; y += 2) {
		for (x = 0; x < size; x++)
			fputs(qr_cell(qr_light(qr, x, y),
			    qr_light(qr, x, y + 1)), out);
		fputc('\n', out);
	}
	QRcode_free(qr);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
