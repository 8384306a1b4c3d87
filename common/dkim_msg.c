/*
 * dkim_msg.c: a message's header section, kept whole for DKIM: collected
 * from the chunks the message comes in, split into fields, and the
 * fields an h= list names selected and hashed (RFC 6376 §5.4.2).
 *
 * Runs wherever a message is signed or verified; the message is hostile:
 * the section is bounded by DKIM_HEAD_MAX bytes and DKIM_FIELDS_MAX
 * fields, and a NUL in it breaks it (nothing is signed or verified).
 */
#include <string.h>
#include <strings.h>

#include "common/dkim.h"

enum { DKIM_MSG_HEAD = 0, DKIM_MSG_BODY = 1, DKIM_MSG_BAD = -1 };

void
dkim_msg_init(struct dkim_msg *m)
{
	m->state = DKIM_MSG_HEAD;
	m->len = 0;
	m->nfields = 0;
	m->cr = 0;
}

/* dmsg_split: the fields of head[0..end), which ends in CRLF. */
static int
dmsg_split(struct dkim_msg *m, size_t end)
{
	size_t i = 0, line, colon;
	struct dkim_field *f = NULL;

	while (i < end) {
		line = i;
		while (i + 1 < end && !(m->head[i] == '\r' &&
		    m->head[i + 1] == '\n'))
			i++;
		i += 2;		/* i: the next line */
		if (m->head[line] == ' ' || m->head[line] == '\t') {
			if (f != NULL)
				f->len = (uint32_t)(i - 2 - f->off);
			continue;
		}
		for (colon = line; colon < i - 2 && m->head[colon] != ':';
		    colon++)
			;
		if (colon == i - 2) {
			f = NULL;	/* no colon: not a field */
			continue;
		}
		if (m->nfields == DKIM_FIELDS_MAX)
			return -1;
		f = &m->field[m->nfields++];
		f->off = (uint32_t)line;
		f->len = (uint32_t)(i - 2 - line);
		while (colon > line && (m->head[colon - 1] == ' ' ||
		    m->head[colon - 1] == '\t'))
			colon--;
		f->namelen = (uint32_t)(colon - line);
	}
	return 0;
}

/* dmsg_put: one byte of the header section, a bare LF stored as CRLF;
 * 1 when the section ended with it. */
static int
dmsg_put(struct dkim_msg *m, unsigned char c)
{
	if (m->len + 2 > sizeof(m->head) || c == '\0') {
		m->state = DKIM_MSG_BAD;
		return 0;
	}
	if (c == '\n' && !m->cr)
		m->head[m->len++] = '\r';
	m->head[m->len++] = (char)c;
	m->cr = c == '\r';
	if (c != '\n')
		return 0;
	if (m->len == 2 || (m->len >= 4 &&
	    memcmp(m->head + m->len - 4, "\r\n\r\n", 4) == 0)) {
		m->state = dmsg_split(m, m->len - 2) == 0 ? DKIM_MSG_BODY :
		    DKIM_MSG_BAD;
		return 1;
	}
	return 0;
}

size_t
dkim_msg_feed(struct dkim_msg *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len && m->state == DKIM_MSG_HEAD; i++)
		if (dmsg_put(m, p[i]))
			return i + 1;
	return len;
}

int
dkim_msg_done(const struct dkim_msg *m)
{
	return m->state == DKIM_MSG_BODY ? 1 : m->state == DKIM_MSG_BAD ?
	    -1 : 0;
}

int
dkim_msg_end(struct dkim_msg *m)
{
	if (m->state != DKIM_MSG_HEAD)
		return dkim_msg_done(m);
	if (m->len > 0 && m->head[m->len - 1] != '\n') {
		if (m->len + 2 > sizeof(m->head)) {
			m->state = DKIM_MSG_BAD;
			return -1;
		}
		if (!m->cr)
			m->head[m->len++] = '\r';
		m->head[m->len++] = '\n';
	}
	m->state = dmsg_split(m, m->len) == 0 ? DKIM_MSG_BODY : DKIM_MSG_BAD;
	return dkim_msg_done(m);
}

int
dkim_msg_field_is(const struct dkim_msg *m, size_t i, const char *name)
{
	size_t len = strlen(name);

	return m->field[i].namelen == len &&
	    strncasecmp(m->head + m->field[i].off, name, len) == 0;
}

static int
dmsg_name_eq(const struct dkim_hname *a, const char *b, size_t blen)
{
	return a->len == blen && strncasecmp(a->name, b, blen) == 0;
}

void
dkim_msg_hash_fields(const struct dkim_msg *m, br_sha256_context *sha,
    int relaxed, const struct dkim_hname *names, size_t n, long skip)
{
	size_t j, k, used;
	long i;

	for (j = 0; j < n; j++) {
		used = 0;
		for (k = 0; k < j; k++)
			if (dmsg_name_eq(&names[k], names[j].name,
			    names[j].len))
				used++;
		for (i = (long)m->nfields - 1; i >= 0; i--) {
			const struct dkim_field *f = &m->field[i];

			if (i == skip || !dmsg_name_eq(&names[j],
			    m->head + f->off, f->namelen))
				continue;
			if (used-- == 0) {
				dkim_head_canon(sha, relaxed, m->head + f->off,
				    f->len, 1);
				break;
			}
		}
	}
}
