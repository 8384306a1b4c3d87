/*
 * mime_filename.c: the file name of a MIME part, decoded to UTF-8 (RFC
 * 2183 filename, RFC 2045 name, RFC 2231 sections and charsets, and the
 * RFC 2047 encoded words some mailers put in a plain value).  Runs in the
 * mail process; the header is untrusted.
 */
#include <string.h>

#include "common/mime.h"
#include "common/mime_field.h"

static int
mime_fn_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append the %XX-decoded value to raw; a broken escape stays as it is. */
static void
mime_fn_unpercent(struct strbuf *raw, const char *p, size_t len)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (p[i] == '%' && i + 2 < len &&
		    (hi = mime_fn_hex((unsigned char)p[i + 1])) >= 0 &&
		    (lo = mime_fn_hex((unsigned char)p[i + 2])) >= 0) {
			strbuf_addc(raw, (char)(hi << 4 | lo));
			i += 2;
		} else
			strbuf_addc(raw, p[i]);
	}
}

/* An extended value: charset'language'text; the charset into *id. */
static void
mime_fn_extended(struct strbuf *raw, const struct mime_param *pa, int *id)
{
	const char *p = pa->value, *end = p + pa->value_len, *q1, *q2;

	q1 = memchr(p, '\'', pa->value_len);
	q2 = q1 != NULL ? memchr(q1 + 1, '\'', (size_t)(end - q1 - 1)) : NULL;
	if (q2 == NULL) {
		mime_fn_unpercent(raw, p, pa->value_len);
		return;
	}
	*id = charset_find(p, (size_t)(q1 - p));
	mime_fn_unpercent(raw, q2 + 1, (size_t)(end - q2 - 1));
}

static void
mime_fn_utf8_put(void *ctx, uint32_t cp)
{
	char u[4];

	strbuf_add(ctx, u, charset_utf8_encode(cp, u));
}

/*
 * The parameter name of ct, decoded into sb: sections or an extended
 * value first (RFC 2231 says they win), then a plain one.  Returns 1, or
 * 0 when there is none.
 */
static int
mime_fn_param(const struct mime_ctype *ct, const char *name,
    struct strbuf *sb, struct strbuf *raw)
{
	const struct mime_param *pa, *plain = NULL;
	struct charset_sink sink = { mime_fn_utf8_put, sb };
	struct charset_dec d;
	size_t i, k;
	int id = CHARSET_UNKNOWN, found = 0, more = 1;

	for (k = 0; more; k++) {
		more = 0;
		for (i = 0; i < ct->nparams; i++) {
			pa = &ct->params[i];
			if (!mime_token_eq(pa->name, pa->name_len, name))
				continue;
			if (pa->section == -1 && !pa->extended) {
				plain = pa;
				continue;
			}
			if ((k == 0 && pa->section == -1) ||
			    (pa->section >= 0 && (size_t)pa->section == k)) {
				if (pa->extended && k == 0)
					mime_fn_extended(raw, pa, &id);
				else if (pa->extended)
					mime_fn_unpercent(raw, pa->value,
					    pa->value_len);
				else
					mime_param_value_add(raw, pa);
				found = 1;
				more = pa->section >= 0;
				break;
			}
		}
	}
	if (found) {
		charset_dec_init(&d, id);
		charset_dec_feed(&d, (const unsigned char *)strbuf_str(raw),
		    raw->len, &sink);
		charset_dec_flush(&d, &sink);
		return 1;
	}
	if (plain == NULL)
		return 0;
	mime_param_value_add(raw, plain);
	mime_header_decode(strbuf_str(raw), raw->len, sb);
	return 1;
}

int
mime_part_filename(const struct mime_msg *m, uint32_t i, struct strbuf *sb)
{
	const struct mime_part *p;
	struct mime_field f;
	struct mime_ctype ct;
	struct strbuf raw;
	int found = 0;

	if (i >= m->nparts)
		return 0;
	p = &m->parts[i];
	strbuf_init(&raw, p->hdr.len + 16);
	if (mime_field_find(m->buf + p->hdr.off, p->hdr.len,
	    "content-disposition", &f)) {
		mime_ctype_parse(f.value, f.value_len, 0, &ct);
		found = mime_fn_param(&ct, "filename", sb, &raw);
	}
	if (!found && mime_field_find(m->buf + p->hdr.off, p->hdr.len,
	    "content-type", &f)) {
		mime_ctype_parse(f.value, f.value_len, 1, &ct);
		strbuf_reset(&raw);
		found = mime_fn_param(&ct, "name", sb, &raw);
	}
	strbuf_free(&raw);
	if (sb->error)
		return -1;
	return found;
}
