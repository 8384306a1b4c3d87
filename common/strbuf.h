/*
 * strbuf.h: a growable output buffer with a hard cap, for protocol
 * responses (imapd renders every response into one) and for the MIME
 * renderers (ENVELOPE, BODYSTRUCTURE, sections).  Runs in any process; it
 * trusts its caller for the pointers and sizes it is given and nothing
 * about the bytes.
 *
 * Once an append would take the buffer past its cap, or memory runs out,
 * the buffer sets its error flag, keeps what it had and ignores every
 * later append until strbuf_reset: a caller may append a whole response
 * and look at the flag once.  The content is always NUL-terminated (the
 * NUL is not counted in len and not charged to the cap), so it may be
 * printed, but it may hold NULs of its own.  The memory is freed without
 * being wiped: never put a secret in a strbuf.
 */
#ifndef POSTERN_STRBUF_H
#define POSTERN_STRBUF_H

#include <stddef.h>

/* Strings up to this long without 8-bit bytes, CR, LF or NUL are sent
 * quoted; every other string is sent as a literal. */
#define STRBUF_QUOTED_MAX	1024

struct strbuf {
	char	*buf;		/* NULL until the first append */
	size_t	 len;		/* bytes held, without the NUL */
	size_t	 size;		/* bytes allocated */
	size_t	 max;		/* cap on len */
	int	 error;		/* the cap was hit or malloc failed */
};

/* strbuf_init: an empty buffer that will hold at most max bytes.  No
 * allocation happens until the first append. */
void	strbuf_init(struct strbuf *sb, size_t max);

/* strbuf_free: release the memory; sb is then empty (as after init with
 * the same cap) and may be used again. */
void	strbuf_free(struct strbuf *sb);

/* strbuf_reset: forget the content and the error flag, keep the memory. */
void	strbuf_reset(struct strbuf *sb);

/* strbuf_truncate: shorten the content to len bytes (no-op when len is
 * not shorter).  The error flag is unchanged. */
void	strbuf_truncate(struct strbuf *sb, size_t len);

/* strbuf_str: the content as a C string: "" for an empty buffer, never
 * NULL.  Valid until the next call that changes sb. */
const char *strbuf_str(const struct strbuf *sb);

/*
 * The append functions return 0, or -1 when the buffer is (now) in error:
 * the cap would be exceeded or memory ran out.  On -1 nothing of that
 * append is kept.  p may be NULL only when n is 0.
 */
int	strbuf_add(struct strbuf *sb, const void *p, size_t n);
int	strbuf_addc(struct strbuf *sb, char c);
int	strbuf_adds(struct strbuf *sb, const char *s);
int	strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * strbuf_add_imap_string: the n bytes at p as an IMAP string (RFC 3501
 * and RFC 9051 section 4.3): quoted ("..." with '"' and '\' escaped by a
 * backslash) when n <= STRBUF_QUOTED_MAX and every byte is 7-bit and
 * neither CR, LF nor NUL, else a literal "{n}\r\n" followed by the bytes.
 * A literal cannot carry NUL (CHAR8 is %x01-ff): each NUL byte is sent as
 * 0x80 instead, so the length is kept.
 */
int	strbuf_add_imap_string(struct strbuf *sb, const char *p, size_t n);

/* strbuf_add_imap_nstring: NIL when p is NULL, else as
 * strbuf_add_imap_string. */
int	strbuf_add_imap_nstring(struct strbuf *sb, const char *p, size_t n);

#endif
