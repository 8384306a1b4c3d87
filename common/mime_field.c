/*
 * mime_field.c: header fields, unfolding, structured values and
 * parameters (see mime_field.h).  Runs in the mail process; every byte
 * is untrusted, so each scan is bounded by the end of its block and
 * comments nest by counter, not by recursion.
 */
#include <string.h>

#include "common/mime_field.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')
#define IS_LWSP(c)	(IS_WSP(c) || (c) == '\r' || (c) == '\n')

/* Character classes, so that the scanners test a byte with one load:
 * bit 0 an RFC 2045 token character (8-bit bytes let in), bit 1 RFC 5322
 * atext with '.' (8-bit bytes let in). */
#define MIME_C_TOKEN	0x01	/* RFC 2045 token (8-bit let in) */
#define MIME_C_ATEXT	0x02	/* RFC 5322 atext, '.' and 8-bit in */

static const unsigned char mime_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 3, 0, 3, 3, 3, 3, 3, 0, 0, 3, 3, 0, 3, 3, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 2, 0, 2,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static int
mime_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
mime_token_eq(const char *p, size_t len, const char *s)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (mime_lower((unsigned char)p[i]) !=
		    mime_lower((unsigned char)s[i]))
			return 0;
	return 1;
}

void
mime_field_first(struct mime_field_iter *it, const char *p, size_t len)
{
	it->p = p;
	it->end = p + len;
}

static const char *
mime_line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

int
mime_field_next(struct mime_field_iter *it, struct mime_field *f)
{
	const char *p = it->p, *end = it->end, *le, *colon;

	if (p >= end || *p == '\n' || (*p == '\r' && (p + 1 == end ||
	    p[1] == '\n'))) {
		it->p = end;
		return 0;
	}
	f->start = p;
	le = mime_line_end(p, end);
	colon = IS_WSP(*p) ? NULL : memchr(p, ':', (size_t)(le - p));
	while (le < end && IS_WSP(*le))
		le = mime_line_end(le, end);
	f->end = le;
	it->p = le;
	if (colon == NULL) {
		f->name = p;
		f->name_len = 0;
		f->value = le;
		f->value_len = 0;
		return 1;
	}
	f->name = p;
	f->name_len = (size_t)(colon - p);
	while (f->name_len > 0 && IS_WSP(p[f->name_len - 1]))
		f->name_len--;
	f->value = colon + 1;
	f->value_len = (size_t)(le - f->value);
	return 1;
}

int
mime_field_is(const struct mime_field *f, const char *name)
{
	return f->name_len > 0 &&
	    mime_lower((unsigned char)f->name[0]) ==
	    mime_lower((unsigned char)name[0]) &&
	    mime_token_eq(f->name, f->name_len, name);
}

int
mime_field_find(const char *p, size_t len, const char *name,
    struct mime_field *f)
{
	struct mime_field_iter it;

	mime_field_first(&it, p, len);
	while (mime_field_next(&it, f))
		if (mime_field_is(f, name))
			return 1;
	return 0;
}

void
mime_trim(const char **p, size_t *len)
{
	while (*len > 0 && IS_LWSP(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && IS_LWSP((*p)[*len - 1]))
		(*len)--;
}

int
mime_add_unfolded(struct strbuf *sb, const char *p, size_t len)
{
	const char *q, *end;

	mime_trim(&p, &len);
	end = p + len;
	while (p < end) {
		for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
			;
		if (strbuf_add(sb, p, (size_t)(q - p)) == -1)
			return -1;
		p = q + 1;
	}
	return sb->error ? -1 : 0;
}

int
mime_quoted_add(struct strbuf *sb, const char *p, size_t len)
{
	const char *end = p + len, *q;

	while (p < end) {
		for (q = p; q < end && *q != '\\' && *q != '\r' && *q != '\n';
		    q++)
			;
		if (strbuf_add(sb, p, (size_t)(q - p)) == -1)
			return -1;
		if (q < end && *q == '\\' && q + 1 < end) {
			if (strbuf_addc(sb, q[1]) == -1)
				return -1;
			q++;
		}
		p = q + 1;
	}
	return sb->error ? -1 : 0;
}

/* Past a comment starting at p ('('); *in and *in_len get its inside. */
static const char *
mime_skip_comment(const char *p, const char *end, const char **in,
    size_t *in_len)
{
	size_t depth = 0;
	const char *start = p + 1;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0) {
			*in = start;
			*in_len = (size_t)(p - start);
			return p + 1;
		}
	}
	*in = start;
	*in_len = (size_t)(end - start);
	return end;
}

static const char *
mime_skip_cfws(const char *p, const char *end)
{
	const char *in;
	size_t in_len;

	while (p < end) {
		if (IS_LWSP(*p))
			p++;
		else if (*p == '(')
			p = mime_skip_comment(p, end, &in, &in_len);
		else
			break;
	}
	return p;
}

/* Past a quoted string starting at p ('"'). */
static const char *
mime_skip_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

/* RFC 2045 token characters; 8-bit bytes are let in. */
static int
mime_is_token(unsigned char c)
{
	return mime_class[c] & MIME_C_TOKEN;
}

static const char *
mime_token(const char *p, const char *end, const char **tok, size_t *len)
{
	const char *s = p;

	while (p < end && mime_is_token((unsigned char)*p))
		p++;
	*tok = s;
	*len = (size_t)(p - s);
	return p;
}

/* To the next ';' outside quoted strings and comments. */
static const char *
mime_skip_to_semi(const char *p, const char *end)
{
	const char *in;
	size_t in_len;

	while (p < end && *p != ';') {
		if (*p == '"')
			p = mime_skip_quoted(p, end);
		else if (*p == '(')
			p = mime_skip_comment(p, end, &in, &in_len);
		else
			p++;
	}
	return p;
}

static void
mime_param_name(struct mime_param *pa, const char *name, size_t len)
{
	const char *star = memchr(name, '*', len);
	const char *q, *end = name + len;
	int sec = 0, digits = 0;

	pa->name = name;
	pa->name_len = len;
	pa->section = -1;
	pa->extended = 0;
	if (star == NULL)
		return;
	for (q = star + 1; q < end && *q >= '0' && *q <= '9' && digits < 4;
	    q++, digits++)
		sec = sec * 10 + (*q - '0');
	if (digits > 0 && q == end) {
		pa->section = sec;
	} else if (digits > 0 && q + 1 == end && *q == '*') {
		pa->section = sec;
		pa->extended = 1;
	} else if (digits == 0 && star + 1 == end) {
		pa->extended = 1;
	} else
		return;
	pa->name_len = (size_t)(star - name);
}

/* One value after '='; returns where parsing goes on. */
static const char *
mime_param_value(struct mime_param *pa, const char *p, const char *end)
{
	const char *s, *q;
	size_t len;

	if (p < end && *p == '"') {
		s = p + 1;
		p = mime_skip_quoted(p, end);
		len = (size_t)(p - s);
		if (len > 0 && p[-1] == '"' && p <= end && p - 1 >= s)
			len--;
		pa->value = s;
		pa->value_len = len;
		pa->quoted = 1;
		return p;
	}
	s = p;
	while (p < end && *p != ';')
		p++;
	len = (size_t)(p - s);
	if ((q = memchr(s, '(', len)) != NULL)
		len = (size_t)(q - s);
	mime_trim(&s, &len);
	pa->value = s;
	pa->value_len = len;
	pa->quoted = 0;
	return p;
}

static void
mime_params_parse(const char *p, const char *end, struct mime_ctype *ct)
{
	struct mime_param pa;
	const char *name;
	size_t name_len;

	ct->nparams = 0;
	for (;;) {
		p = mime_skip_to_semi(p, end);
		if (p >= end)
			return;
		p = mime_skip_cfws(p + 1, end);
		p = mime_token(p, end, &name, &name_len);
		if (name_len == 0)
			continue;
		p = mime_skip_cfws(p, end);
		if (p >= end || *p != '=')
			continue;
		p = mime_skip_cfws(p + 1, end);
		mime_param_name(&pa, name, name_len);
		p = mime_param_value(&pa, p, end);
		if (pa.name_len > 0 && ct->nparams < MIME_PARAMS_MAX)
			ct->params[ct->nparams++] = pa;
	}
}

int
mime_ctype_parse(const char *p, size_t len, int with_subtype,
    struct mime_ctype *ct)
{
	const char *end = p + len;
	int rc = 0;

	ct->type = ct->subtype = NULL;
	ct->type_len = ct->subtype_len = 0;
	p = mime_skip_cfws(p, end);
	p = mime_token(p, end, &ct->type, &ct->type_len);
	if (ct->type_len == 0)
		rc = -1;
	if (with_subtype && rc == 0) {
		p = mime_skip_cfws(p, end);
		if (p < end && *p == '/') {
			p = mime_skip_cfws(p + 1, end);
			p = mime_token(p, end, &ct->subtype,
			    &ct->subtype_len);
		}
		if (ct->subtype_len == 0)
			rc = -1;
	}
	mime_params_parse(p, end, ct);
	return rc;
}

int
mime_param_get(const struct mime_ctype *ct, const char *name, char *buf,
    size_t size)
{
	const struct mime_param *pa;
	struct strbuf sb;
	size_t i;
	int n;

	for (i = 0; i < ct->nparams; i++) {
		pa = &ct->params[i];
		if (pa->section != -1 || pa->extended ||
		    !mime_token_eq(pa->name, pa->name_len, name))
			continue;
		if (size == 0)
			return -1;
		strbuf_init(&sb, size - 1);
		if (mime_param_value_add(&sb, pa) == -1) {
			strbuf_free(&sb);
			return -1;
		}
		memcpy(buf, strbuf_str(&sb), sb.len + 1);
		n = (int)sb.len;
		strbuf_free(&sb);
		return n;
	}
	return -1;
}

int
mime_param_value_add(struct strbuf *sb, const struct mime_param *pa)
{
	if (pa->quoted)
		return mime_quoted_add(sb, pa->value, pa->value_len);
	return mime_add_unfolded(sb, pa->value, pa->value_len);
}

/* ---- RFC 5322 lexer ---- */

void
mime_lex_init(struct mime_lex *lx, const char *p, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = p;
	lx->end = p + len;
}

static int
mime_is_atext(unsigned char c)
{
	return mime_class[c] & MIME_C_ATEXT;
}

int
mime_lex_next(struct mime_lex *lx)
{
	const char *p = lx->p, *end = lx->end, *s;

	while (p < end && (IS_LWSP(*p) || *p == '('))
		if (*p == '(')
			p = mime_skip_comment(p, end, &lx->comment,
			    &lx->comment_len);
		else
			p++;
	lx->tok = p;
	lx->tok_len = 0;
	if (p >= end) {
		lx->p = end;
		return MIME_TOK_END;
	}
	if (*p == '"') {
		s = p + 1;
		p = mime_skip_quoted(p, end);
		lx->tok = s;
		lx->tok_len = (size_t)(p - s) - (p[-1] == '"' && p - 1 >= s);
		lx->p = p;
		return MIME_TOK_QUOTED;
	}
	if (*p == '[') {
		s = memchr(p, ']', (size_t)(end - p));
		lx->p = s != NULL ? s + 1 : end;
		lx->tok_len = (size_t)(lx->p - p);
		return MIME_TOK_DOMLIT;
	}
	if (mime_is_atext((unsigned char)*p)) {
		while (p < end && mime_is_atext((unsigned char)*p))
			p++;
		lx->tok_len = (size_t)(p - lx->tok);
		lx->p = p;
		return MIME_TOK_ATOM;
	}
	lx->tok_len = 1;
	lx->p = p + 1;
	return (unsigned char)*p;
}
