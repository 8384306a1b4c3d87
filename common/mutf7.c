/*
 * mutf7.c: modified UTF-7 <-> UTF-8 (mutf7.h).  Runs wherever a mailbox
 * name is turned into a directory name or back (mail process, authctl,
 * imapd); every input is treated as hostile and every output is bounded
 * by the caller's buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/mutf7.h"

static const char mutf7_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

struct mutf7_out {
	char	*p;
	size_t	 len, n;
};

static int
mutf7_put(struct mutf7_out *o, char c)
{
	if (o->n + 1 >= o->len)
		return -1;
	o->p[o->n++] = c;
	o->p[o->n] = '\0';
	return 0;
}

/* mutf7_utf8_next: one code point of s at *i, shortest form only. */
static int
mutf7_utf8_next(const unsigned char *s, size_t *i, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[*i];
	size_t k, n;

	if (c < 0x80)
		n = 0;
	else if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
	} else
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*i += n + 1;
	*cp = c;
	return 0;
}

/* A BASE64 run being written: the bits not yet out. */
struct mutf7_run {
	uint32_t	bits;
	int		nb;
	int		open;
};

/* mutf7_run_unit: one UTF-16 unit into the run ('&' first). */
static int
mutf7_run_unit(struct mutf7_out *o, struct mutf7_run *r, uint16_t u)
{
	if (!r->open && mutf7_put(o, '&') == -1)
		return -1;
	r->open = 1;
	r->bits = (r->bits << 16 | u) & 0xffffff;
	r->nb += 16;
	while (r->nb >= 6) {
		r->nb -= 6;
		if (mutf7_put(o, mutf7_b64[(r->bits >> r->nb) & 0x3f]) == -1)
			return -1;
	}
	return 0;
}

/* mutf7_run_close: the last bits, zero-padded, and '-'. */
static int
mutf7_run_close(struct mutf7_out *o, struct mutf7_run *r)
{
	if (!r->open)
		return 0;
	if (r->nb > 0 && mutf7_put(o, mutf7_b64[(r->bits << (6 - r->nb)) &
	    0x3f]) == -1)
		return -1;
	r->open = 0;
	r->bits = 0;
	r->nb = 0;
	return mutf7_put(o, '-');
}

int
mutf7_encode(const char *src, char *dst, size_t dstlen)
{
	const unsigned char *s = (const unsigned char *)src;
	struct mutf7_out o = { dst, dstlen, 0 };
	struct mutf7_run r = { 0, 0, 0 };
	size_t i = 0;
	uint32_t cp;

	if (dstlen == 0)
		goto toolong;
	dst[0] = '\0';
	while (s[i] != '\0') {
		if (mutf7_utf8_next(s, &i, &cp) == -1) {
			errno = EINVAL;
			return -1;
		}
		if (cp >= 0x20 && cp <= 0x7e) {
			if (mutf7_run_close(&o, &r) == -1 ||
			    mutf7_put(&o, (char)cp) == -1 ||
			    (cp == '&' && mutf7_put(&o, '-') == -1))
				goto toolong;
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			if (mutf7_run_unit(&o, &r, (uint16_t)(0xd800 |
			    cp >> 10)) == -1 || mutf7_run_unit(&o, &r,
			    (uint16_t)(0xdc00 | (cp & 0x3ff))) == -1)
				goto toolong;
		} else if (mutf7_run_unit(&o, &r, (uint16_t)cp) == -1)
			goto toolong;
	}
	if (mutf7_run_close(&o, &r) == -1)
		goto toolong;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

static int
mutf7_put_utf8(struct mutf7_out *o, uint32_t c)
{
	char b[4];
	size_t i, n;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	for (i = 0; i < n; i++)
		if (mutf7_put(o, b[i]) == -1)
			return -1;
	return 0;
}

/* mutf7_unit: one UTF-16 unit of a run; *hi holds a pending high
 * surrogate.  -1 EINVAL, -2 ENAMETOOLONG. */
static int
mutf7_unit(struct mutf7_out *o, uint32_t u, uint32_t *hi)
{
	if (*hi != 0) {
		if (u < 0xdc00 || u > 0xdfff)
			return -1;
		u = 0x10000 + ((*hi - 0xd800) << 10) + (u - 0xdc00);
		*hi = 0;
	} else if (u >= 0xd800 && u <= 0xdbff) {
		*hi = u;
		return 0;
	} else if (u >= 0xdc00 && u <= 0xdfff)
		return -1;
	else if ((u >= 0x20 && u <= 0x7e) || u == 0)
		return -1;	/* printable: itself; NUL: ends a C string */
	return mutf7_put_utf8(o, u) == -1 ? -2 : 0;
}

/* mutf7_run: the BASE64 run at s (after '&'); *used is its length with
 * the closing '-'.  0, -1 EINVAL, -2 ENAMETOOLONG. */
static int
mutf7_run(struct mutf7_out *o, const char *s, size_t *used)
{
	const char *p;
	uint32_t bits = 0, hi = 0;
	size_t i, units = 0;
	int nb = 0, rc;

	for (i = 0; s[i] != '-'; i++) {
		if (s[i] == '\0' || (p = strchr(mutf7_b64, s[i])) == NULL)
			return -1;
		bits = (bits << 6 | (uint32_t)(p - mutf7_b64)) & 0xffffff;
		nb += 6;
		if (nb >= 16) {
			nb -= 16;
			if ((rc = mutf7_unit(o, (bits >> nb) & 0xffff, &hi)) !=
			    0)
				return rc;
			units++;
		}
	}
	if (units == 0 || hi != 0 || nb >= 6 ||
	    (bits & ((1U << nb) - 1)) != 0)
		return -1;
	*used = i + 1;
	return 0;
}

int
mutf7_decode(const char *src, char *dst, size_t dstlen)
{
	struct mutf7_out o = { dst, dstlen, 0 };
	size_t i = 0, used;
	int rc, after_run = 0;

	if (dstlen == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dst[0] = '\0';
	while (src[i] != '\0') {
		if ((unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] > 0x7e)
			goto inval;
		if (src[i] != '&') {
			if (mutf7_put(&o, src[i++]) == -1)
				goto toolong;
			after_run = 0;
			continue;
		}
		if (src[i + 1] == '-') {
			if (mutf7_put(&o, '&') == -1)
				goto toolong;
			i += 2;
			after_run = 0;
			continue;
		}
		if (after_run)
			goto inval;	/* "-&": a null shift */
		if ((rc = mutf7_run(&o, src + i + 1, &used)) == -1)
			goto inval;
		if (rc == -2)
			goto toolong;
		i += 1 + used;
		after_run = 1;
	}
	return 0;
inval:
	errno = EINVAL;
	return -1;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}
