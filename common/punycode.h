/*
 * punycode.h: one domain label from UTF-8 to its A-label ("xn--" and
 * RFC 3492's Punycode), for names written in UTF-8 (the Public Suffix
 * List's rules).  No IDNA mapping or normalization: the label is taken as
 * given (the list's are lowercase already).  Runs in any process; the
 * input is checked as hostile UTF-8, the output bounded.
 */
#ifndef POSTERN_PUNYCODE_H
#define POSTERN_PUNYCODE_H

#include <stddef.h>

/*
 * punycode_label: encode the label in[0..len) into out (cap bytes, NUL
 * terminated): an all-ASCII label is copied as it is, any other becomes
 * "xn--" and its Punycode.  Returns the length written, or -1 on invalid
 * UTF-8 (overlong forms, surrogates, past U+10FFFF), an empty label, or
 * a result longer than 63 bytes or than cap - 1.
 */
int	punycode_label(const char *in, size_t len, char *out, size_t cap);

#endif
