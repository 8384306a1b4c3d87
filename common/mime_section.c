/*
 * mime_section.c: FETCH BODY[section]<partial> on a parsed message (RFC
 * 3501 section 6.4.5): parsing the section text, finding its range, and
 * copying ranges out in wire form (every bare LF as CRLF).  Runs in the
 * mail process; the section text comes from the client and the message
 * from the store, both untrusted.
 */
#include <string.h>
#include <strings.h>

#include "common/mime.h"
#include "common/mime_field.h"

#define MIME_WIRE_CHUNK	4096

static int
mime_kw(const char **p, const char *end, const char *kw)
{
	size_t n = strlen(kw);

	if ((size_t)(end - *p) < n || !mime_token_eq(*p, n, kw))
		return 0;
	*p += n;
	return 1;
}

/* " (" list ")" at the end of the text. */
static int
mime_section_fields(const char *p, const char *end, struct mime_section *sec)
{
	if (end - p < 4 || p[0] != ' ' || p[1] != '(' || end[-1] != ')')
		return -1;
	sec->fields = p + 2;
	sec->fields_len = (size_t)(end - 1 - sec->fields);
	if (sec->fields_len == 0 || memchr(sec->fields, ')',
	    sec->fields_len) != NULL || memchr(sec->fields, '(',
	    sec->fields_len) != NULL)
		return -1;
	return 0;
}

int
mime_section_parse(const char *s, size_t len, struct mime_section *sec)
{
	const char *p = s, *end = s + len;
	uint64_t n;

	memset(sec, 0, sizeof(*sec));
	sec->what = MIME_SEC_ALL;
	while (p < end && *p >= '0' && *p <= '9') {
		for (n = 0; p < end && *p >= '0' && *p <= '9'; p++)
			if ((n = n * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
				return -1;
		if (n == 0)
			return -1;
		if (sec->nparts < MIME_SECTION_PARTS_MAX)
			sec->part[sec->nparts++] = (uint32_t)n;
		else
			sec->too_deep = 1;
		if (p == end)
			return 0;
		if (*p++ != '.' || p == end)
			return -1;
	}
	if (p == end)
		return 0;
	if (mime_kw(&p, end, "HEADER.FIELDS.NOT")) {
		sec->what = MIME_SEC_FIELDS_NOT;
		return mime_section_fields(p, end, sec);
	}
	if (mime_kw(&p, end, "HEADER.FIELDS")) {
		sec->what = MIME_SEC_FIELDS;
		return mime_section_fields(p, end, sec);
	}
	if (mime_kw(&p, end, "HEADER"))
		sec->what = MIME_SEC_HEADER;
	else if (mime_kw(&p, end, "TEXT"))
		sec->what = MIME_SEC_TEXT;
	else if (mime_kw(&p, end, "MIME") && sec->nparts > 0)
		sec->what = MIME_SEC_MIME;
	else
		return -1;
	return p == end ? 0 : -1;
}

/* The part a list of numbers names, or MIME_NONE. */
static uint32_t
mime_section_resolve(const struct mime_msg *m, const struct mime_section *sec)
{
	const struct mime_part *p;
	uint32_t cur = 0, c, k;
	size_t i;

	if (sec->too_deep || m->nparts == 0)
		return MIME_NONE;
	for (i = 0; i < sec->nparts; i++) {
		p = &m->parts[cur];
		/* A number after an encapsulated message's number goes
		 * into that message (RFC 3501 6.4.5: 4.2.2.1). */
		if (i > 0 && p->kind == MIME_MESSAGE) {
			if ((cur = p->child) == MIME_NONE)
				return MIME_NONE;
			p = &m->parts[cur];
		}
		if (p->kind == MIME_MULTIPART) {
			for (c = p->child, k = 1; c != MIME_NONE &&
			    k < sec->part[i]; k++)
				c = m->parts[c].next;
			if (c == MIME_NONE)
				return MIME_NONE;
			cur = c;
		} else if (sec->part[i] != 1)
			return MIME_NONE;
	}
	return cur;
}

int
mime_section_locate(const struct mime_msg *m, const struct mime_section *sec,
    struct mime_range *r)
{
	const struct mime_part *p;
	uint32_t i;
	int plain = sec->what != MIME_SEC_FIELDS &&
	    sec->what != MIME_SEC_FIELDS_NOT;

	memset(r, 0, sizeof(*r));
	if (sec->nparts == 0 && sec->what == MIME_SEC_ALL) {
		r->len = m->len;
		r->wire_len = m->wire_len;
		return 1;
	}
	if ((i = mime_section_resolve(m, sec)) == MIME_NONE)
		return plain;
	p = &m->parts[i];
	switch (sec->what) {
	case MIME_SEC_ALL:
		*r = p->body;
		return 1;
	case MIME_SEC_MIME:
		*r = p->hdr;
		return 1;
	default:
		break;
	}
	if (sec->nparts > 0) {
		if (p->kind != MIME_MESSAGE || p->child == MIME_NONE)
			return plain;
		p = &m->parts[p->child];
	}
	*r = sec->what == MIME_SEC_TEXT ? p->body : p->hdr;
	return plain;
}

/* Is the field named in the list? */
static int
mime_section_listed(const struct mime_section *sec, const struct mime_field *f)
{
	const char *p = sec->fields, *end = p + sec->fields_len, *s;
	size_t n;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '"') {
			s = ++p;
			while (p < end && *p != '"')
				p += (*p == '\\' && p + 1 < end) ? 2 : 1;
			n = (size_t)(p - s);
			if (p < end)
				p++;
		} else {
			for (s = p; p < end && *p != ' '; p++)
				;
			n = (size_t)(p - s);
		}
		if (n > 0 && n == f->name_len &&
		    strncasecmp(s, f->name, n) == 0)
			return 1;
	}
	return 0;
}

static int
mime_section_filter(const struct mime_msg *m, const struct mime_section *sec,
    const struct mime_range *r, struct strbuf *out)
{
	struct mime_field_iter it;
	struct mime_field f;
	struct mime_range fr;
	int want_listed = sec->what == MIME_SEC_FIELDS;

	mime_field_first(&it, m->buf + r->off, r->len);
	while (mime_field_next(&it, &f)) {
		if (f.name_len == 0 ||
		    mime_section_listed(sec, &f) != want_listed)
			continue;
		memset(&fr, 0, sizeof(fr));
		fr.off = (size_t)(f.start - m->buf);
		fr.len = (size_t)(f.end - f.start);
		mime_wire_append(out, m->buf, &fr, 0, SIZE_MAX);
		if (f.end[-1] != '\n')
			strbuf_add(out, "\r\n", 2);
	}
	strbuf_add(out, "\r\n", 2);
	return out->error ? -1 : 0;
}

int
mime_section_write(const struct mime_msg *m, const struct mime_section *sec,
    size_t start, size_t count, struct strbuf *sb)
{
	struct mime_range r;
	struct strbuf tmp;
	size_t n;
	int rc;

	if (mime_section_locate(m, sec, &r))
		return mime_wire_append(sb, m->buf, &r, start, count);
	/* Twice the header: every byte could be a bare LF. */
	strbuf_init(&tmp, r.len * 2 + 2);
	rc = mime_section_filter(m, sec, &r, &tmp);
	if (rc == 0 && start < tmp.len) {
		n = tmp.len - start;
		if (count < n)
			n = count;
		rc = strbuf_add(sb, tmp.buf + start, n);
	}
	strbuf_free(&tmp);
	if (rc == -1)
		sb->error = 1;
	return rc;
}

/* ---- wire-form cursor ---- */

static int
mime_wire_bare(const char *buf, size_t nl)
{
	return nl == 0 || buf[nl - 1] != '\r';
}

void
mime_wire_open(struct mime_wire *w, const char *buf,
    const struct mime_range *r, size_t skip)
{
	const char *nl;
	size_t seg;

	w->buf = buf;
	w->pos = r->off;
	w->end = r->off + r->len;
	w->lf_pending = 0;
	while (skip > 0 && w->pos < w->end) {
		nl = memchr(buf + w->pos, '\n', w->end - w->pos);
		seg = (nl != NULL ? (size_t)(nl - buf) : w->end) - w->pos;
		if (skip < seg) {
			w->pos += skip;
			return;
		}
		skip -= seg;
		w->pos += seg;
		if (nl == NULL || skip == 0)
			return;
		if (!mime_wire_bare(buf, w->pos)) {
			skip--;
			w->pos++;
		} else if (skip == 1) {
			w->lf_pending = 1;
			return;
		} else {
			skip -= 2;
			w->pos++;
		}
	}
}

size_t
mime_wire_read(struct mime_wire *w, char *out, size_t outlen)
{
	const char *nl;
	size_t n = 0, seg;

	if (w->lf_pending && outlen > 0) {
		out[n++] = '\n';
		w->pos++;
		w->lf_pending = 0;
	}
	while (n < outlen && w->pos < w->end) {
		nl = memchr(w->buf + w->pos, '\n', w->end - w->pos);
		seg = (nl != NULL ? (size_t)(nl - w->buf) : w->end) - w->pos;
		if (seg > outlen - n)
			seg = outlen - n;
		memcpy(out + n, w->buf + w->pos, seg);
		n += seg;
		w->pos += seg;
		if (nl == NULL || w->buf + w->pos != nl || n == outlen)
			continue;
		if (mime_wire_bare(w->buf, w->pos)) {
			out[n++] = '\r';
			if (n == outlen) {
				w->lf_pending = 1;
				break;
			}
		}
		out[n++] = '\n';
		w->pos++;
	}
	return n;
}

int
mime_wire_append(struct strbuf *sb, const char *buf,
    const struct mime_range *r, size_t start, size_t count)
{
	struct mime_wire w;
	char chunk[MIME_WIRE_CHUNK];
	size_t n, want;

	mime_wire_open(&w, buf, r, start);
	while (count > 0) {
		want = count < sizeof(chunk) ? count : sizeof(chunk);
		if ((n = mime_wire_read(&w, chunk, want)) == 0)
			break;
		if (strbuf_add(sb, chunk, n) == -1)
			return -1;
		count -= n;
	}
	return sb->error ? -1 : 0;
}
