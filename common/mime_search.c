/*
 * mime_search.c: IMAP SEARCH HEADER, BODY and TEXT over a parsed message
 * (see mime.h): header values decoded from RFC 2047, text bodies decoded
 * from their transfer encoding and charset, everything case-folded and
 * fed through charset.h's matcher.  Runs in the mail process; the
 * message is untrusted.  Memory is one 4 KB buffer on the stack.
 */
#include <string.h>

#include "common/mime.h"
#include "common/mime_field.h"

#define MIME_SEARCH_CHUNK	4096

static void
mime_search_ascii(struct charset_match *cm, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		cm->sink.put(cm->sink.ctx, (unsigned char)p[i]);
}

/* Search the fields of the header of part i; the matcher is not reset. */
static int
mime_search_fields(const struct mime_msg *m, uint32_t i, const char *name,
    struct charset_match *cm)
{
	const struct mime_part *p = &m->parts[i];
	struct mime_field_iter it;
	struct mime_field f;

	mime_field_first(&it, m->buf + p->hdr.off, p->hdr.len);
	while (mime_field_next(&it, &f) && !cm->found) {
		if (f.name_len == 0 || (name != NULL &&
		    !mime_field_is(&f, name)))
			continue;
		if (cm->n == 0)
			return 1;
		charset_match_break(cm);
		if (name == NULL) {
			mime_search_ascii(cm, f.name, f.name_len);
			mime_search_ascii(cm, ": ", 2);
		}
		mime_header_decode_sink(f.value, f.value_len, &cm->sink);
	}
	return cm->found;
}

int
mime_search_header(const struct mime_msg *m, uint32_t msg_part,
    const char *name, struct charset_match *cm)
{
	charset_match_reset(cm);
	if (msg_part >= m->nparts)
		return 0;
	return mime_search_fields(m, msg_part, name, cm);
}

/* The charset and transfer encoding of a text part. */
static void
mime_search_leaf(const struct mime_msg *m, const struct mime_part *p,
    struct charset_match *cm)
{
	struct mime_decoder d;
	struct charset_dec cd;
	struct mime_field f;
	struct mime_ctype ct;
	unsigned char buf[MIME_SEARCH_CHUNK];
	char cs[64];
	enum mime_cte cte = MIME_CTE_IDENTITY;
	int id = CHARSET_UNKNOWN, n;
	size_t got;

	if (mime_field_find(m->buf + p->hdr.off, p->hdr.len, "content-type",
	    &f) && mime_ctype_parse(f.value, f.value_len, 1, &ct) == 0 &&
	    (n = mime_param_get(&ct, "charset", cs, sizeof(cs))) > 0)
		id = charset_find(cs, (size_t)n);
	if (mime_field_find(m->buf + p->hdr.off, p->hdr.len,
	    "content-transfer-encoding", &f))
		cte = mime_cte_parse(f.value, f.value_len);
	charset_match_break(cm);
	charset_dec_init(&cd, id);
	mime_decoder_init(&d, cte, m->buf + p->body.off, p->body.len);
	while (!cm->found && (got = mime_decoder_read(&d, buf,
	    sizeof(buf))) > 0)
		charset_dec_feed(&cd, buf, got, &cm->sink);
	charset_dec_flush(&cd, &cm->sink);
}

int
mime_search_body(const struct mime_msg *m, struct charset_match *cm)
{
	const struct mime_part *p;
	uint32_t i;

	charset_match_reset(cm);
	if (cm->n == 0)
		return 1;
	for (i = 0; i < m->nparts && !cm->found; i++) {
		p = &m->parts[i];
		if (p->parent != MIME_NONE &&
		    m->parts[p->parent].kind == MIME_MESSAGE)
			mime_search_fields(m, i, NULL, cm);
		if (p->kind == MIME_LEAF && (p->flags & MIME_F_TEXT) &&
		    !cm->found)
			mime_search_leaf(m, p, cm);
	}
	return cm->found;
}

int
mime_search_text(const struct mime_msg *m, struct charset_match *cm)
{
	if (mime_search_header(m, 0, NULL, cm))
		return 1;
	return mime_search_body(m, cm);
}
