/*
 * mime_corpus.h: a generator of malformed and hostile messages for the
 * MIME parser's tests (test_mime runs every function of mime.h on each
 * and times it).  Header only; each generator appends one message to a
 * strbuf.  The messages are built, not read from files, so that the
 * large ones (a 1 MB header line, 10,000 nested parts) cost nothing in
 * the repository.
 */
#ifndef POSTERN_MIME_CORPUS_H
#define POSTERN_MIME_CORPUS_H

#include <stdio.h>

#include "common/strbuf.h"

/* A multipart whose inner parts never close and whose last part is cut
 * in the middle of a header line. */
static inline void
mime_corpus_truncated(struct strbuf *sb)
{
	strbuf_adds(sb, "From: t@example.com\nContent-Type: multipart/mixed; "
	    "boundary=a\n\n--a\nContent-Type: multipart/alternative; "
	    "boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n--b\n"
	    "Content-Type: text/html\n\n<p>cut");
	strbuf_adds(sb, "\n--a\nContent-Type: text/pl");
}

/* Every part declares the boundary its parent uses, a few levels deep,
 * and a message/rfc822 part holds a copy of the outer message. */
static inline void
mime_corpus_boundary_loop(struct strbuf *sb)
{
	int i;

	strbuf_adds(sb, "Content-Type: multipart/mixed; boundary=\"loop\"\n\n");
	for (i = 0; i < 5; i++)
		strbuf_adds(sb, "--loop\nContent-Type: multipart/mixed; "
		    "boundary=\"loop\"\n\n");
	strbuf_adds(sb, "--loop\nContent-Type: message/rfc822\n\n"
	    "Content-Type: multipart/mixed; boundary=\"loop\"\n\n--loop\n"
	    "\nx\n--loop--\n--loop--\n--loop--\n");
}

/* n multiparts, each the only part of the one before, then all closed
 * (if close) or none. */
static inline void
mime_corpus_nested(struct strbuf *sb, int n, int close)
{
	int i;

	for (i = 0; i < n; i++)
		strbuf_printf(sb, "Content-Type: multipart/mixed; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i);
	strbuf_adds(sb, "Content-Type: text/plain\n\ndeepest\n");
	for (i = n - 1; close && i >= 0; i--)
		strbuf_printf(sb, "--b%d--\n", i);
}

/* n message/rfc822 parts, each inside the one before. */
static inline void
mime_corpus_nested_messages(struct strbuf *sb, int n)
{
	int i;

	for (i = 0; i < n; i++)
		strbuf_printf(sb, "Subject: level %d\nContent-Type: "
		    "message/rfc822\n\n", i);
	strbuf_adds(sb, "Subject: bottom\n\nbody\n");
}

/* n sibling parts of one multipart. */
static inline void
mime_corpus_siblings(struct strbuf *sb, int n)
{
	int i;

	strbuf_adds(sb, "Content-Type: multipart/mixed; boundary=s\n\n");
	for (i = 0; i < n; i++)
		strbuf_printf(sb, "--s\nContent-Type: text/plain\n\npart %d\n",
		    i);
	strbuf_adds(sb, "--s--\n");
}

/* A header line of n bytes, folded and unfolded variants. */
static inline void
mime_corpus_long_header(struct strbuf *sb, size_t n)
{
	size_t i;

	strbuf_adds(sb, "Subject: ");
	for (i = 0; i < n; i++)
		strbuf_addc(sb, (char)('a' + i % 26));
	strbuf_adds(sb, "\nTo: ");
	for (i = 0; i < n / 8; i++)
		strbuf_adds(sb, i % 2 ? "x@y.z, " : "\"q\" <r@s>\n ,");
	strbuf_adds(sb, "\nContent-Type: text/plain; name=");
	for (i = 0; i < n; i++)
		strbuf_addc(sb, 'n');
	strbuf_adds(sb, "\n\nbody\n");
}

/* NUL bytes in header names, values and bodies, and in a boundary. */
static inline void
mime_corpus_nul(struct strbuf *sb)
{
	static const char m[] = "Sub\0ject: a\0b\nFrom: \"x\0y\" <a\0@b>\n"
	    "Content-Type: multipart/mixed; boundary=\"n\0n\"\n\n--n\0n\n"
	    "\0\n\nbody\0\n--n\0n--\n";

	strbuf_add(sb, m, sizeof(m) - 1);
}

/* Broken encodings everywhere. */
static inline void
mime_corpus_invalid_encodings(struct strbuf *sb)
{
	strbuf_adds(sb, "Subject: =?utf-8?b?!!!?= =?x?q?=ZZ?= =?utf-8?q?"
	    "\xff\xfe?= =?=?=?" "?= =?utf-8?B?w6?=\n"
	    "From: =?utf-8?q?\xc3?= <a@b>\n"
	    "Content-Type: multipart/mixed; boundary=e\n\n--e\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n@@@@====w6=k\xff\n--e\n"
	    "Content-Type: text/plain; charset=koi8-r\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=\n=Z=4=\n"
	    "=4g=\r\n=\n--e\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\nRnJvbTogeAoKeA==\n--e\n"
	    "Content-Type: text/plain; charset*=utf-8''%FF%; "
	    "name*0*=x'y'%; name*2=z\n\n\xc0\xaf\xed\xa0\x80\n--e--\n");
}

/* Headers without a colon, a continuation line first, 8-bit bytes. */
static inline void
mime_corpus_no_colon(struct strbuf *sb)
{
	strbuf_adds(sb, " continued first\nno colon here\nFrom \xe4\xf6"
	    " <\xfc@\xdf.example>\nTo:\n\tfolded@example.com\n"
	    "Subject: \xe4\xf6\xfc\nContent-Type\n\nbody\n");
}

/* Boundary lines that are prefixes of each other, and many lines that
 * start with "--" under a deep stack of boundaries. */
static inline void
mime_corpus_prefix(struct strbuf *sb)
{
	int i;

	strbuf_adds(sb, "Content-Type: multipart/mixed; boundary=abc\n\n"
	    "--abc\nContent-Type: multipart/mixed; boundary=abcd\n\n"
	    "--abcd\n\none\n--abc\n\ntwo\n--abcd--\n--abcde\n--abc--\n");
	for (i = 0; i < 30; i++)
		strbuf_printf(sb, "--abc%d\n--ab\n--\n---\n", i);
}

/* Deep boundaries, then many dash lines the parser must compare. */
static inline void
mime_corpus_dashes(struct strbuf *sb, int lines)
{
	int i;

	for (i = 0; i < 31; i++)
		strbuf_printf(sb, "Content-Type: multipart/mixed; "
		    "boundary=\"boundary-%03d-xxxxxxxxxxxxxxxxxxxxxxxx\"\n\n"
		    "--boundary-%03d-xxxxxxxxxxxxxxxxxxxxxxxx\n", i, i);
	strbuf_adds(sb, "\n");
	for (i = 0; i < lines; i++)
		strbuf_adds(sb, "--boundary-000-xxxxxxxxxxxxxxxxxxxxxxxy\n");
}

/* Structured fields built to make scanners back up: encoded words that
 * never end, 100,000 parameters, 1,000 RFC 2231 sections, unclosed
 * comments and quotes, a field list of nested groups. */
static inline void
mime_corpus_fields(struct strbuf *sb)
{
	int i;

	strbuf_adds(sb, "Subject: ");
	for (i = 0; i < 150000; i++)
		strbuf_adds(sb, "=?a?q?x");
	strbuf_adds(sb, "\nContent-Type: text/plain");
	for (i = 0; i < 100000; i++)
		strbuf_printf(sb, "; p%d=v", i);
	strbuf_adds(sb, "\nContent-Disposition: attachment");
	for (i = 999; i >= 0; i--)
		strbuf_printf(sb, "; filename*%d*=%%41", i);
	strbuf_adds(sb, "\nTo: ");
	for (i = 0; i < 100000; i++)
		strbuf_adds(sb, "g:(");
	strbuf_adds(sb, "\nCc: ");
	for (i = 0; i < 100000; i++)
		strbuf_adds(sb, "\"a\\");
	strbuf_adds(sb, "\nContent-Language: ");
	for (i = 0; i < 100000; i++)
		strbuf_adds(sb, "en, ");
	strbuf_adds(sb, "\n\nbody\n");
}

/* Header only (no empty line, no body); and nothing at all. */
static inline void
mime_corpus_header_only(struct strbuf *sb)
{
	strbuf_adds(sb, "From: a@b\r\nContent-Type: message/rfc822");
}

struct mime_corpus_case {
	const char	*name;
	void		(*make)(struct strbuf *);
};

static inline void mime_corpus_nested_10k(struct strbuf *sb)
{ mime_corpus_nested(sb, 10000, 1); }
static inline void mime_corpus_nested_open(struct strbuf *sb)
{ mime_corpus_nested(sb, 10000, 0); }
static inline void mime_corpus_messages_10k(struct strbuf *sb)
{ mime_corpus_nested_messages(sb, 10000); }
static inline void mime_corpus_siblings_5k(struct strbuf *sb)
{ mime_corpus_siblings(sb, 5000); }
static inline void mime_corpus_long_1m(struct strbuf *sb)
{ mime_corpus_long_header(sb, 1 << 20); }
static inline void mime_corpus_dashes_100k(struct strbuf *sb)
{ mime_corpus_dashes(sb, 100000); }
static inline void mime_corpus_empty(struct strbuf *sb)
{ (void)sb; }

static const struct mime_corpus_case mime_corpus[] = {
	{ "truncated multipart", mime_corpus_truncated },
	{ "boundary loop", mime_corpus_boundary_loop },
	{ "10,000 nested multiparts", mime_corpus_nested_10k },
	{ "10,000 nested multiparts, never closed", mime_corpus_nested_open },
	{ "10,000 nested messages", mime_corpus_messages_10k },
	{ "5,000 sibling parts", mime_corpus_siblings_5k },
	{ "1 MB header lines", mime_corpus_long_1m },
	{ "NUL bytes", mime_corpus_nul },
	{ "invalid encodings", mime_corpus_invalid_encodings },
	{ "no colon, 8-bit headers", mime_corpus_no_colon },
	{ "prefix boundaries", mime_corpus_prefix },
	{ "100,000 dash lines under 31 boundaries", mime_corpus_dashes_100k },
	{ "structured field abuse", mime_corpus_fields },
	{ "header only", mime_corpus_header_only },
	{ "empty message", mime_corpus_empty },
};
#define MIME_CORPUS_N	(sizeof(mime_corpus) / sizeof(mime_corpus[0]))

#endif
