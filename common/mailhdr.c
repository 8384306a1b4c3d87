/*
 * mailhdr.c: the header field walk (mailhdr.h).  Runs in any process;
 * the buffer is hostile and only ever read within [0, len).
 */
#include <string.h>
#include <strings.h>

#include "common/mailhdr.h"

/* The end of the line at p (past its LF, or len). */
static size_t
mailhdr_line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl != NULL ? (size_t)(nl - buf) + 1 : len;
}

/* The length of the line end before e ("\r\n", "\n" or none). */
static size_t
mailhdr_eol_len(const char *buf, size_t start, size_t e)
{
	if (e > start && buf[e - 1] == '\n')
		return e - 1 > start && buf[e - 2] == '\r' ? 2 : 1;
	return 0;
}

int
mailhdr_next(const char *buf, size_t len, size_t *pos, struct mailhdr_field *f)
{
	size_t p = *pos, e, colon, n;

	if (p >= len || buf[p] == '\n' || (buf[p] == '\r' && p + 1 < len &&
	    buf[p + 1] == '\n') || (buf[p] == '\r' && p + 1 == len))
		return 0;
	e = mailhdr_line_end(buf, len, p);
	while (e < len && (buf[e] == ' ' || buf[e] == '\t'))
		e = mailhdr_line_end(buf, len, e);
	f->off = p;
	f->len = e - p;
	f->name = buf + p;
	f->namelen = 0;
	f->value = buf + p;
	f->valuelen = e - p - mailhdr_eol_len(buf, p, e);
	for (colon = p; colon < e && buf[colon] != ':' && buf[colon] != '\n';
	    colon++)
		;
	if (colon < e && buf[colon] == ':' && buf[p] != ' ' && buf[p] != '\t') {
		n = colon - p;
		while (n > 0 && (buf[p + n - 1] == ' ' || buf[p + n - 1] == '\t'))
			n--;
		f->namelen = n;
		f->value = buf + colon + 1;
		f->valuelen = e - (colon + 1) - mailhdr_eol_len(buf, colon + 1,
		    e);
	}
	*pos = e;
	return 1;
}

int
mailhdr_name_is(const struct mailhdr_field *f, const char *name)
{
	return f->namelen == strlen(name) &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}
