/*
 * charset.c: charset names, conversion to code points, the case fold and
 * the KMP matcher (see charset.h).  Runs in the mail process; every byte
 * converted is untrusted, names included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/charset.h"
#include "common/charset_tables.h"

#define CHARSET_NAME_MAX	40

/* latinN (RFC 1345 aliases) to ISO-8859 numbers. */
static const int charset_latin[] = { 0, 1, 2, 3, 4, 9, 10, 13, 14, 15, 16 };

static int
charset_table_find(const char *canon)
{
	unsigned i;

	for (i = 0; i < charset_ntables; i++)
		if (strcmp(charset_tables[i].name, canon) == 0)
			return CHARSET_TABLE + (int)i;
	return CHARSET_UNKNOWN;
}

/* The table named prefix followed by the number n. */
static int
charset_table_nfind(const char *prefix, int n)
{
	char buf[CHARSET_NAME_MAX];
	int len;

	len = snprintf(buf, sizeof(buf), "%s%d", prefix, n);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return CHARSET_UNKNOWN;
	return charset_table_find(buf);
}

/* The number at s (1-2 digits, nothing else but an optional ":year"),
 * or -1. */
static int
charset_number(const char *s)
{
	int n = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 5) {
		n = n * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || (*s != '\0' && *s != ':'))
		return -1;
	return n;
}

static const char *
charset_skip_sep(const char *s)
{
	return (*s == '-' || *s == '_' || *s == ' ') ? s + 1 : s;
}

/* canon: lower case, no quotes or blanks, no RFC 2231 "*language". */
static int
charset_find_canon(const char *s)
{
	int n;

	if (strcmp(s, "utf-8") == 0 || strcmp(s, "utf8") == 0)
		return CHARSET_UTF8;
	if (strcmp(s, "us-ascii") == 0 || strcmp(s, "ascii") == 0 ||
	    strcmp(s, "ansi_x3.4-1968") == 0 || strcmp(s, "iso646-us") == 0 ||
	    strcmp(s, "us") == 0)
		return CHARSET_ASCII;
	if (strncmp(s, "iso", 3) == 0) {
		s = charset_skip_sep(s + 3);
		if (strncmp(s, "8859", 4) != 0)
			return CHARSET_UNKNOWN;
		n = charset_number(charset_skip_sep(s + 4));
		if (n < 1 || n > 16)
			return CHARSET_UNKNOWN;
		return charset_table_nfind("iso-8859-", n);
	}
	if (strncmp(s, "latin", 5) == 0 || (s[0] == 'l' && s[1] >= '0' &&
	    s[1] <= '9')) {
		n = charset_number(charset_skip_sep(s + (s[1] == 'a' ? 5 : 1)));
		if (n < 1 || n > 10)
			return CHARSET_UNKNOWN;
		return charset_table_nfind("iso-8859-", charset_latin[n]);
	}
	if (strcmp(s, "cp819") == 0 || strcmp(s, "ibm819") == 0)
		return charset_table_find("iso-8859-1");
	if (strncmp(s, "x-", 2) == 0)
		s += 2;
	if (strncmp(s, "windows", 7) == 0 || strncmp(s, "win", 3) == 0 ||
	    strncmp(s, "cp", 2) == 0) {
		s += s[0] == 'c' ? 2 : s[3] == 'd' ? 7 : 3;
		n = charset_number(charset_skip_sep(s));
		if (n < 1250 || n > 1258)
			return CHARSET_UNKNOWN;
		return charset_table_nfind("windows-", n);
	}
	if (strcmp(s, "koi8-r") == 0 || strcmp(s, "koi8r") == 0)
		return charset_table_find("koi8-r");
	if (strcmp(s, "koi8-u") == 0 || strcmp(s, "koi8u") == 0)
		return charset_table_find("koi8-u");
	return CHARSET_UNKNOWN;
}

int
charset_find(const char *name, size_t len)
{
	char buf[CHARSET_NAME_MAX];
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = name[i];
		if (c == '"' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\n')
			continue;
		if (c == '*')
			break;
		if (n + 1 >= sizeof(buf) || c == '\0')
			return CHARSET_UNKNOWN;
		buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	buf[n] = '\0';
	return charset_find_canon(buf);
}

void
charset_dec_init(struct charset_dec *d, int id)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
}

/* A byte that is not UTF-8, read as Windows-1252 (its five holes as the
 * Latin-1 C1 controls). */
static uint32_t
charset_fallback(unsigned char b)
{
	uint32_t cp;

	if (b < 0x80)
		return b;
	cp = charset_tables[charset_cp1252].hi[b - 0x80];
	return cp == CHARSET_REPLACEMENT ? b : cp;
}

/* An unfinished or broken UTF-8 sequence in d->pend. */
static void
charset_utf8_bad(struct charset_dec *d, struct charset_sink *sink)
{
	int i;

	if (d->id == CHARSET_UTF8)
		sink->put(sink->ctx, CHARSET_REPLACEMENT);
	else
		for (i = 0; i < d->npend; i++)
			sink->put(sink->ctx, charset_fallback(d->pend[i]));
	d->npend = 0;
}

static int
charset_utf8_cont_ok(const struct charset_dec *d, unsigned char b)
{
	if (d->npend == 1) {
		switch (d->pend[0]) {
		case 0xe0:
			return b >= 0xa0 && b <= 0xbf;
		case 0xed:
			return b >= 0x80 && b <= 0x9f;
		case 0xf0:
			return b >= 0x90 && b <= 0xbf;
		case 0xf4:
			return b >= 0x80 && b <= 0x8f;
		}
	}
	return b >= 0x80 && b <= 0xbf;
}

static void
charset_utf8_byte(struct charset_dec *d, unsigned char b,
    struct charset_sink *sink)
{
	uint32_t cp;
	int i;

	if (d->npend > 0) {
		if (charset_utf8_cont_ok(d, b)) {
			d->pend[d->npend++] = b;
			if (d->npend < d->need)
				return;
			cp = d->pend[0] & (0x7f >> d->need);
			for (i = 1; i < d->need; i++)
				cp = cp << 6 | (d->pend[i] & 0x3f);
			d->npend = 0;
			sink->put(sink->ctx, cp);
			return;
		}
		charset_utf8_bad(d, sink);
	}
	if (b < 0x80) {
		sink->put(sink->ctx, b);
		return;
	}
	d->need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 :
	    b >= 0xf0 && b <= 0xf4 ? 4 : 0;
	d->pend[0] = b;
	d->npend = 1;
	if (d->need == 0)
		charset_utf8_bad(d, sink);
}

void
charset_dec_feed(struct charset_dec *d, const unsigned char *p, size_t n,
    struct charset_sink *sink)
{
	const uint16_t *hi;
	size_t i;

	switch (d->id) {
	case CHARSET_UTF8:
	case CHARSET_UNKNOWN:
		for (i = 0; i < n; i++)
			charset_utf8_byte(d, p[i], sink);
		return;
	case CHARSET_ASCII:
		for (i = 0; i < n; i++)
			sink->put(sink->ctx, charset_fallback(p[i]));
		return;
	}
	hi = charset_tables[d->id - CHARSET_TABLE].hi;
	for (i = 0; i < n; i++)
		sink->put(sink->ctx, p[i] < 0x80 ? p[i] : hi[p[i] - 0x80]);
}

void
charset_dec_flush(struct charset_dec *d, struct charset_sink *sink)
{
	if (d->npend > 0)
		charset_utf8_bad(d, sink);
}

size_t
charset_utf8_encode(uint32_t cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = CHARSET_REPLACEMENT;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

uint32_t
charset_fold(uint32_t cp)
{
	unsigned lo = 0, hi = charset_nfold_pairs, mid;

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp > 0xffff)
		return cp;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (charset_fold_pairs[mid].from == cp)
			return charset_fold_pairs[mid].to;
		if (charset_fold_pairs[mid].from < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

/* ---- matcher ---- */

static void
charset_match_put(void *ctx, uint32_t cp)
{
	struct charset_match *m = ctx;

	if (m->found || m->n == 0) {
		m->found = 1;
		return;
	}
	cp = charset_fold(cp);
	while (m->state > 0 && m->needle[m->state] != cp)
		m->state = m->fail[m->state - 1];
	if (m->needle[m->state] == cp)
		m->state++;
	if (m->state == m->n)
		m->found = 1;
}

/* Collects the needle's code points during init. */
struct charset_collect {
	uint32_t	*cp;
	size_t		 n, max;
};

static void
charset_collect_put(void *ctx, uint32_t cp)
{
	struct charset_collect *c = ctx;

	if (c->n < c->max)
		c->cp[c->n] = charset_fold(cp);
	c->n++;
}

int
charset_match_init(struct charset_match *m, const char *needle, size_t len)
{
	struct charset_collect col;
	struct charset_sink sink = { charset_collect_put, &col };
	struct charset_dec d;
	size_t i, k;

	memset(m, 0, sizeof(*m));
	/* A code point takes at least one byte: len bounds the count. */
	col.max = len < CHARSET_NEEDLE_MAX ? len : CHARSET_NEEDLE_MAX;
	col.n = 0;
	m->needle = calloc(col.max + 1, sizeof(uint32_t));
	m->fail = calloc(col.max + 1, sizeof(uint32_t));
	if (m->needle == NULL || m->fail == NULL)
		goto fail;
	col.cp = m->needle;
	charset_dec_init(&d, CHARSET_UNKNOWN);
	charset_dec_feed(&d, (const unsigned char *)needle, len, &sink);
	charset_dec_flush(&d, &sink);
	if (col.n > col.max)
		goto fail;
	m->n = col.n;
	for (i = 1, k = 0; i < m->n; i++) {
		while (k > 0 && m->needle[i] != m->needle[k])
			k = m->fail[k - 1];
		if (m->needle[i] == m->needle[k])
			k++;
		m->fail[i] = (uint32_t)k;
	}
	m->sink.put = charset_match_put;
	m->sink.ctx = m;
	return 0;
fail:
	charset_match_free(m);
	return -1;
}

void
charset_match_reset(struct charset_match *m)
{
	m->state = 0;
	m->found = 0;
}

void
charset_match_break(struct charset_match *m)
{
	m->state = 0;
}

void
charset_match_free(struct charset_match *m)
{
	free(m->needle);
	free(m->fail);
	memset(m, 0, sizeof(*m));
}
