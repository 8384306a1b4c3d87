/*
 * mutf7.h: modified UTF-7 (RFC 3501 5.1.3), the encoding of IMAP mailbox
 * names on the wire and, as Dovecot and Courier write them, of Maildir++
 * folder directory names.  Runs in any process (the mail store in the
 * mail process and authctl, imapd for client names); trusts nothing it is
 * given: both directions are strict and refuse every input that has
 * another spelling or none.
 */
#ifndef POSTERN_MUTF7_H
#define POSTERN_MUTF7_H

#include <stddef.h>

/*
 * mutf7_encode: the NUL-terminated UTF-8 string src in modified UTF-7,
 * NUL-terminated, into dst (dstlen bytes).  Printable US-ASCII stands
 * for itself ('&' as "&-"); every other character, control characters
 * included, goes into a "&<modified BASE64 of UTF-16>-" run.  src MUST
 * be valid UTF-8: shortest form, no surrogates, at most U+10FFFF.
 * Returns 0, or -1 with errno EINVAL (src is not valid UTF-8) or
 * ENAMETOOLONG (dst too small; dst then holds a prefix).
 */
int	mutf7_encode(const char *src, char *dst, size_t dstlen);

/*
 * mutf7_decode: the NUL-terminated modified UTF-7 string src in UTF-8,
 * NUL-terminated, into dst (dstlen bytes).  Strict, so that encoding the
 * result gives src back byte for byte: refuses bytes outside printable
 * US-ASCII, a BASE64 run that is empty, unterminated, has leftover bits
 * that are not zero or six or more of them, holds a lone or reversed
 * surrogate, U+0000, or a printable US-ASCII character (which must stand
 * for itself), and a run that starts right after another ends (a null
 * shift).  Returns 0, or -1 with errno EINVAL or ENAMETOOLONG.
 */
int	mutf7_decode(const char *src, char *dst, size_t dstlen);

#endif
