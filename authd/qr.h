/*
 * qr.h: draw a QR code on a terminal, for TOTP enrolment (the otpauth://
 * URI from totp_uri()).  Runs in authctl; trusts the text it is given only
 * to be a C string, which libqrencode encodes as 8-bit data.
 */
#ifndef POSTERN_QR_H
#define POSTERN_QR_H

#include <stdio.h>

/*
 * qr_print: encode text (NUL-terminated, not NULL) as a QR code at error
 * correction level M and write it to out (caller owned, left open) as UTF-8
 * with Unicode half blocks, two modules per character cell, with a quiet
 * zone of two modules.  The picture is inverted: light modules are drawn as
 * blocks and dark modules as blanks, so that on the usual dark terminal the
 * code appears dark-on-light, as cameras expect.  On a light terminal it
 * shows inverted; most phone readers cope, but say so to the user.
 * Returns 0, or -1 when encoding fails (text too long for a QR code, no
 * memory; errno from libqrencode) or writing to out fails.
 */
int	qr_print(FILE *out, const char *text);

#endif
