/*
 * dkim_canon.c: DKIM canonicalization (RFC 6376 §3.4): the body, fed in
 * chunks into SHA-256 with the l= limit, and one header field at a time.
 *
 * Runs in any process that signs or verifies (dkim.h); the bytes are a
 * message's, hostile, but nothing here does more than hash them: the
 * state is a few counters and a small output buffer.
 */
#include <string.h>

#include "common/dkim.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

static void
body_flush(struct dkim_body *b)
{
	br_sha256_update(&b->sha, b->out, b->outlen);
	b->outlen = 0;
}

/* body_emit: one canonical byte; counted always, hashed up to limit. */
static void
body_emit(struct dkim_body *b, unsigned char c)
{
	if (b->limit < 0 || b->total < (uint64_t)b->limit) {
		b->out[b->outlen++] = c;
		if (b->outlen == sizeof(b->out))
			body_flush(b);
	}
	b->total++;
}

/* body_content: a byte of a line's content: first what was held back. */
static void
body_content(struct dkim_body *b, unsigned char c)
{
	for (; b->crlfs > 0; b->crlfs--) {
		body_emit(b, '\r');
		body_emit(b, '\n');
	}
	if (b->wsp) {
		body_emit(b, ' ');
		b->wsp = 0;
	}
	body_emit(b, c);
	b->content = 1;
}

/* body_eol: a line ends: its whitespace goes (relaxed), its CRLF waits
 * until a later line has content (trailing empty lines are dropped). */
static void
body_eol(struct dkim_body *b)
{
	b->wsp = 0;
	b->crlfs++;
}

void
dkim_body_init(struct dkim_body *b, int relaxed, int64_t limit)
{
	memset(b, 0, sizeof(*b));
	br_sha256_init(&b->sha);
	b->relaxed = relaxed;
	b->limit = limit;
}

void
dkim_body_feed(struct dkim_body *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (b->cr) {
			b->cr = 0;
			if (c == '\n') {
				body_eol(b);
				continue;
			}
			body_content(b, '\r');
		}
		if (c == '\r')
			b->cr = 1;
		else if (c == '\n')
			body_eol(b);
		else if (b->relaxed && IS_WSP(c))
			b->wsp = 1;
		else
			body_content(b, c);
	}
}

void
dkim_body_final(struct dkim_body *b, unsigned char hash[32], uint64_t *total)
{
	if (b->cr) {
		b->cr = 0;
		body_content(b, '\r');
	}
	/* Simple: an empty body is one CRLF; a last line without CRLF gets
	 * one.  Relaxed: an empty body stays empty (RFC 6376 errata 1384). */
	if (b->content || !b->relaxed) {
		body_emit(b, '\r');
		body_emit(b, '\n');
	}
	body_flush(b);
	br_sha256_out(&b->sha, hash);
	*total = b->total;
}

/* A small buffer in front of SHA-256, for byte-at-a-time output. */
struct head_out {
	br_sha256_context *sha;
	size_t		 n;
	unsigned char	 b[256];
};

static void
head_put(struct head_out *o, unsigned char c)
{
	o->b[o->n++] = c;
	if (o->n == sizeof(o->b)) {
		br_sha256_update(o->sha, o->b, o->n);
		o->n = 0;
	}
}

/* head_relaxed: name lower case without whitespace before the colon,
 * the value unfolded, whitespace runs as one space, none at either end. */
static void
head_relaxed(br_sha256_context *sha, const char *f, size_t len)
{
	struct head_out o;
	size_t i, colon, name_end;
	int wsp = 0, any = 0;

	o.sha = sha;
	o.n = 0;
	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		;
	name_end = colon;
	while (name_end > 0 && IS_WSP(f[name_end - 1]))
		name_end--;
	for (i = 0; i < name_end; i++) {
		unsigned char c = (unsigned char)f[i];

		head_put(&o, (c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	head_put(&o, ':');
	for (i = colon + 1; i < len; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c == '\r' && i + 1 < len && f[i + 1] == '\n') {
			i++;
			continue;
		}
		if (IS_WSP(c)) {
			wsp = any;
			continue;
		}
		if (wsp)
			head_put(&o, ' ');
		wsp = 0;
		head_put(&o, c);
		any = 1;
	}
	br_sha256_update(sha, o.b, o.n);
}

void
dkim_head_canon(br_sha256_context *sha, int relaxed, const char *field,
    size_t len, int crlf)
{
	if (relaxed)
		head_relaxed(sha, field, len);
	else
		br_sha256_update(sha, field, len);
	if (crlf)
		br_sha256_update(sha, "\r\n", 2);
}
