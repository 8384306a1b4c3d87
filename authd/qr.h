/*
 * qr.h: draw a QR code on a terminal, for TOTP enrolment (the otpauth://
 * URI from totp_uri()).  Runs in authctl; trusts the text it is given only
 * to be a C string, which libqrencode encodes as 8-bit data.
 */
#ifndef POSTERN_QR_H
#define POSTERN_QR_H

#include <stdio.h>

/* Flags of qr_print. */
#define QR_INVERT	0x01	/* light modules drawn, for a dark terminal */
#define QR_ANSI		0x02	/* paint black on white with SGR codes */

/*
 * qr_print: encode text (NUL-terminated, not NULL) as a QR code at error
 * correction level M and write it to out (caller owned, left open) as UTF-8
 * with Unicode half blocks, two modules per character cell, inside the
 * quiet zone of four light modules that ISO/IEC 18004 asks for (readers
 * find the code by that margin; a narrower one fails on some).
 *
 * A block is drawn in the terminal's text colour and a blank shows its
 * background, so which modules are drawn decides whether the code reads
 * dark-on-light, as cameras expect.  By default the dark modules are
 * drawn: right on a light background (dark text).  QR_INVERT draws the
 * light modules instead: right on a dark background (light text).
 * QR_ANSI (MUST NOT be combined with QR_INVERT) draws the dark modules
 * and wraps each line in SGR codes for black text on a white background,
 * so the code reads the same on light and dark terminals; use it only
 * when out is a terminal.
 *
 * Returns 0, or -1 when encoding fails (text too long for a QR code, no
 * memory; errno from libqrencode) or writing to out fails.
 */
int	qr_print(FILE *out, const char *text, int flags);

#endif
