/*
 * strbuf.c: the capped output buffer (see strbuf.h).  Runs in any
 * process; the bytes appended are not interpreted except by the IMAP
 * string writer, which only chooses their form.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

void
strbuf_init(struct strbuf *sb, size_t max)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->size = 0;
	sb->max = max;
	sb->error = 0;
}

void
strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb, sb->max);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->error = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

void
strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

const char *
strbuf_str(const struct strbuf *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

/* Make room for n more bytes plus the NUL; -1 sets the error flag. */
static int
strbuf_reserve(struct strbuf *sb, size_t n)
{
	size_t want, size;
	char *p;

	if (sb->error)
		return -1;
	if (n > sb->max || sb->len > sb->max - n) {
		sb->error = 1;
		return -1;
	}
	want = sb->len + n + 1;
	if (want <= sb->size)
		return 0;
	size = sb->size > 0 ? sb->size : 256;
	while (size < want)
		size = size > SIZE_MAX / 2 ? want : size * 2;
	if ((p = realloc(sb->buf, size)) == NULL) {
		sb->error = 1;
		return -1;
	}
	sb->buf = p;
	sb->size = size;
	return 0;
}

int
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	if (strbuf_reserve(sb, n) == -1)
		return -1;
	if (n > 0)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_addc(struct strbuf *sb, char c)
{
	return strbuf_add(sb, &c, 1);
}

int
strbuf_adds(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	if (sb->error)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->error = 1;
		return -1;
	}
	if ((size_t)n < sizeof(small))
		return strbuf_add(sb, small, (size_t)n);
	if (strbuf_reserve(sb, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->error = 1;
		return -1;
	}
	sb->len += (size_t)n;
	return 0;
}

static int
strbuf_quotable(const char *p, size_t n)
{
	size_t i;
	unsigned char c;

	if (n > STRBUF_QUOTED_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
			return 0;
	}
	return 1;
}

int
strbuf_add_imap_string(struct strbuf *sb, const char *p, size_t n)
{
	size_t i, run, start, esc = 0;
	char *q;

	if (strbuf_quotable(p, n)) {
		for (i = 0; i < n; i++)
			if (p[i] == '"' || p[i] == '\\')
				esc++;
		if (strbuf_reserve(sb, n + esc + 2) == -1)
			return -1;
		q = sb->buf + sb->len;
		*q++ = '"';
		for (i = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\')
				*q++ = '\\';
			*q++ = p[i];
		}
		*q++ = '"';
		*q = '\0';
		sb->len = (size_t)(q - sb->buf);
		return 0;
	}
	start = sb->len;
	if (strbuf_printf(sb, "{%zu}\r\n", n) == -1 ||
	    strbuf_reserve(sb, n) == -1) {
		strbuf_truncate(sb, start);
		return -1;
	}
	for (i = 0; i < n; i += run) {
		q = memchr(p + i, '\0', n - i);
		run = q != NULL ? (size_t)(q - (p + i)) : n - i;
		memcpy(sb->buf + sb->len, p + i, run);
		sb->len += run;
		if (q != NULL) {
			sb->buf[sb->len++] = (char)0x80;
			run++;
		}
	}
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_add_imap_nstring(struct strbuf *sb, const char *p, size_t n)
{
	if (p == NULL)
		return strbuf_add(sb, "NIL", 3);
	return strbuf_add_imap_string(sb, p, n);
}
