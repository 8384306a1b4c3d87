/*
 * mime_body.c: the IMAP BODY and BODYSTRUCTURE of a parsed message (RFC
 * 3501 section 7.4.2 and its grammar, RFC 9051 section 7.5.2).  Runs in
 * the mail process; the header fields it reads are untrusted.  The
 * recursion follows the part tree, whose depth the parser bounds
 * (MIME_DEPTH_MAX); each level keeps only a few words on the stack, the
 * parsed fields live in the non-recursive helpers.
 */
#include <string.h>
#include <strings.h>

#include "common/mime.h"
#include "common/mime_field.h"

/* The MIME fields of one part's header (first occurrence of each). */
struct mime_fields {
	struct mime_field ct, cte, id, desc, dsp, lang, loc, md5;
	int	has_ct, has_cte, has_id, has_desc, has_dsp, has_lang,
		has_loc, has_md5;
};

static void
mime_fields_get(const struct mime_msg *m, const struct mime_part *p,
    struct mime_fields *mf)
{
	/* Names after "content-", with their lengths: one length test
	 * rejects most fields. */
	static const struct {
		const char *name;
		size_t len, field, has;
	} tab[] = {
#define MF(n, f) { n, sizeof(n) - 1, offsetof(struct mime_fields, f), \
	    offsetof(struct mime_fields, has_ ## f) }
		MF("type", ct), MF("transfer-encoding", cte), MF("id", id),
		MF("description", desc), MF("disposition", dsp),
		MF("language", lang), MF("location", loc), MF("md5", md5),
#undef MF
	};
	struct mime_field_iter it;
	struct mime_field f;
	size_t i;
	int *has;

	memset(mf, 0, sizeof(*mf));
	mime_field_first(&it, m->buf + p->hdr.off, p->hdr.len);
	while (mime_field_next(&it, &f)) {
		if (f.name_len <= 8 || strncasecmp(f.name, "content-", 8) != 0)
			continue;
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
			if (f.name_len - 8 != tab[i].len ||
			    strncasecmp(f.name + 8, tab[i].name, tab[i].len) != 0)
				continue;
			has = (int *)((char *)mf + tab[i].has);
			if (!*has) {
				memcpy((char *)mf + tab[i].field, &f,
				    sizeof(f));
				*has = 1;
			}
			break;
		}
	}
}

/* An unfolded, trimmed value as an nstring (NIL when absent). */
static void
mime_value_nstring(struct strbuf *sb, const struct mime_field *f, int has,
    struct strbuf *tmp)
{
	if (!has) {
		strbuf_adds(sb, "NIL");
		return;
	}
	strbuf_reset(tmp);
	if (mime_add_unfolded(tmp, f->value, f->value_len) == -1)
		sb->error = 1;
	strbuf_add_imap_string(sb, strbuf_str(tmp), tmp->len);
}

static void
mime_lower_string(struct strbuf *sb, const char *p, size_t len,
    const char *suffix, struct strbuf *tmp)
{
	size_t i;

	strbuf_reset(tmp);
	strbuf_add(tmp, p, len);
	strbuf_adds(tmp, suffix);
	for (i = 0; i < tmp->len && !tmp->error; i++)
		if (tmp->buf[i] >= 'A' && tmp->buf[i] <= 'Z')
			tmp->buf[i] = (char)(tmp->buf[i] + 32);
	strbuf_add_imap_string(sb, strbuf_str(tmp), tmp->len);
}

/* A value piece of an extended (RFC 2231) parameter: a plain section
 * joined to extended ones is percent-encoded. */
static void
mime_param_piece(struct strbuf *tmp, const struct mime_param *pa,
    int extended, struct strbuf *scratch)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	if (!extended || pa->extended) {
		mime_param_value_add(tmp, pa);
		return;
	}
	strbuf_reset(scratch);
	mime_param_value_add(scratch, pa);
	for (i = 0; i < scratch->len; i++) {
		c = (unsigned char)scratch->buf[i];
		if (c > ' ' && c < 0x7f && strchr("*'%()<>@,;:\\\"/[]?=",
		    c) == NULL)
			strbuf_addc(tmp, (char)c);
		else {
			strbuf_addc(tmp, '%');
			strbuf_addc(tmp, hex[c >> 4]);
			strbuf_addc(tmp, hex[c & 15]);
		}
	}
}

/* The sections of a continued parameter, in order, into tmp. */
static int
mime_param_join(const struct mime_ctype *ct, size_t first,
    struct strbuf *tmp, struct strbuf *scratch)
{
	const struct mime_param *p0 = &ct->params[first], *pa;
	size_t i, k;
	int extended = 0, found;

	for (k = 0; k < ct->nparams; k++) {
		found = 0;
		for (i = 0; i < ct->nparams && !found; i++) {
			pa = &ct->params[i];
			if ((size_t)pa->section == k && pa->name_len ==
			    p0->name_len && strncasecmp(pa->name, p0->name,
			    p0->name_len) == 0) {
				if (k == 0)
					extended = pa->extended;
				mime_param_piece(tmp, pa, extended, scratch);
				found = 1;
			}
		}
		if (!found)
			break;
	}
	return extended;
}

/*
 * body-fld-param: every parameter; sectioned ones joined at their
 * section 0 (other sections without a section 0 are dropped); text parts
 * get ("charset" "us-ascii") when they name no charset.
 */
static void
mime_params_write(struct strbuf *sb, const struct mime_ctype *ct,
    int text, struct strbuf *tmp, struct strbuf *scratch)
{
	const struct mime_param *pa;
	struct strbuf val;
	size_t i, n = 0;
	int charset = 0, ext;

	strbuf_init(&val, tmp->max);
	for (i = 0; i < ct->nparams; i++) {
		pa = &ct->params[i];
		if (pa->section > 0)
			continue;
		strbuf_addc(sb, n++ == 0 ? '(' : ' ');
		strbuf_reset(&val);
		if (pa->section == 0)
			ext = mime_param_join(ct, i, &val, scratch);
		else {
			ext = pa->extended;
			mime_param_value_add(&val, pa);
		}
		if (mime_token_eq(pa->name, pa->name_len, "charset"))
			charset = 1;
		mime_lower_string(sb, pa->name, pa->name_len, ext ? "*" : "",
		    tmp);
		strbuf_addc(sb, ' ');
		strbuf_add_imap_string(sb, strbuf_str(&val), val.len);
		if (val.error)
			sb->error = 1;
	}
	strbuf_free(&val);
	if (text && !charset) {
		strbuf_adds(sb, n++ == 0 ? "(" : " ");
		strbuf_adds(sb, "\"charset\" \"us-ascii\"");
	}
	strbuf_adds(sb, n > 0 ? ")" : "NIL");
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc. */
static void
mime_ext_write(struct strbuf *sb, const struct mime_fields *mf,
    struct strbuf *tmp, struct strbuf *scratch)
{
	struct mime_ctype dsp;
	struct mime_lex lx;
	size_t i, n = 0;
	int tok;

	if (mf->has_dsp && mime_ctype_parse(mf->dsp.value, mf->dsp.value_len,
	    0, &dsp) == 0) {
		strbuf_addc(sb, '(');
		strbuf_add_imap_string(sb, dsp.type, dsp.type_len);
		strbuf_addc(sb, ' ');
		mime_params_write(sb, &dsp, 0, tmp, scratch);
		strbuf_addc(sb, ')');
	} else
		strbuf_adds(sb, "NIL");
	strbuf_addc(sb, ' ');
	if (mf->has_lang) {
		mime_lex_init(&lx, mf->lang.value, mf->lang.value_len);
		while ((tok = mime_lex_next(&lx)) != MIME_TOK_END)
			n += tok == MIME_TOK_ATOM;
		mime_lex_init(&lx, mf->lang.value, mf->lang.value_len);
	}
	if (n > 1)
		strbuf_addc(sb, '(');
	for (i = 0; i < n; ) {
		if (mime_lex_next(&lx) != MIME_TOK_ATOM)
			continue;
		if (i++ > 0)
			strbuf_addc(sb, ' ');
		strbuf_add_imap_string(sb, lx.tok, lx.tok_len);
	}
	if (n > 1)
		strbuf_addc(sb, ')');
	if (n == 0)
		strbuf_adds(sb, "NIL");
	strbuf_addc(sb, ' ');
	mime_value_nstring(sb, &mf->loc, mf->has_loc, tmp);
}

/* Everything of a non-multipart part up to and including its octets. */
static void
mime_leaf_fields(const struct mime_msg *m, const struct mime_part *p,
    const struct mime_fields *mf, struct strbuf *sb, struct strbuf *tmp,
    struct strbuf *scratch)
{
	struct mime_ctype ct;
	struct mime_lex lx;

	if (p->kind == MIME_OPAQUE)
		strbuf_adds(sb, "\"application\" \"octet-stream\" NIL");
	else if (mf->has_ct && mime_ctype_parse(mf->ct.value,
	    mf->ct.value_len, 1, &ct) == 0) {
		strbuf_add_imap_string(sb, ct.type, ct.type_len);
		strbuf_addc(sb, ' ');
		strbuf_add_imap_string(sb, ct.subtype, ct.subtype_len);
		strbuf_addc(sb, ' ');
		mime_params_write(sb, &ct, (p->flags & MIME_F_TEXT) != 0, tmp,
		    scratch);
	} else if (p->flags & MIME_F_DEFAULT_MSG)
		strbuf_adds(sb, "\"message\" \"rfc822\" NIL");
	else
		strbuf_adds(sb, "\"text\" \"plain\" (\"charset\" \"us-ascii\")");
	strbuf_addc(sb, ' ');
	mime_value_nstring(sb, &mf->id, mf->has_id, tmp);
	strbuf_addc(sb, ' ');
	mime_value_nstring(sb, &mf->desc, mf->has_desc, tmp);
	strbuf_addc(sb, ' ');
	if (mf->has_cte)
		mime_lex_init(&lx, mf->cte.value, mf->cte.value_len);
	if (mf->has_cte && mime_lex_next(&lx) == MIME_TOK_ATOM)
		strbuf_add_imap_string(sb, lx.tok, lx.tok_len);
	else
		strbuf_adds(sb, "\"7bit\"");
	strbuf_printf(sb, " %zu", p->body.wire_len);
}

static void
mime_multipart_tail(const struct mime_msg *m, const struct mime_part *p,
    int extended, struct strbuf *sb, struct strbuf *tmp,
    struct strbuf *scratch)
{
	struct mime_fields mf;
	struct mime_ctype ct;

	mime_fields_get(m, p, &mf);
	strbuf_addc(sb, ' ');
	if (!mf.has_ct ||
	    mime_ctype_parse(mf.ct.value, mf.ct.value_len, 1, &ct) == -1) {
		strbuf_adds(sb, "\"mixed\"");
		ct.nparams = 0;
	} else
		strbuf_add_imap_string(sb, ct.subtype, ct.subtype_len);
	if (!extended)
		return;
	strbuf_addc(sb, ' ');
	mime_params_write(sb, &ct, 0, tmp, scratch);
	strbuf_addc(sb, ' ');
	mime_ext_write(sb, &mf, tmp, scratch);
}

static void
mime_leaf_ext(const struct mime_msg *m, const struct mime_part *p,
    struct strbuf *sb, struct strbuf *tmp, struct strbuf *scratch)
{
	struct mime_fields mf;

	mime_fields_get(m, p, &mf);
	strbuf_addc(sb, ' ');
	mime_value_nstring(sb, &mf.md5, mf.has_md5, tmp);
	strbuf_addc(sb, ' ');
	mime_ext_write(sb, &mf, tmp, scratch);
}

static void
mime_leaf_head(const struct mime_msg *m, const struct mime_part *p,
    struct strbuf *sb, struct strbuf *tmp, struct strbuf *scratch)
{
	struct mime_fields mf;

	mime_fields_get(m, p, &mf);
	mime_leaf_fields(m, p, &mf, sb, tmp, scratch);
}

static void
mime_body_part(const struct mime_msg *m, uint32_t i, int extended,
    struct strbuf *sb, struct strbuf *tmp, struct strbuf *scratch)
{
	const struct mime_part *p = &m->parts[i];
	uint32_t c;

	strbuf_addc(sb, '(');
	if (p->kind == MIME_MULTIPART) {
		for (c = p->child; c != MIME_NONE && !sb->error;
		    c = m->parts[c].next)
			mime_body_part(m, c, extended, sb, tmp, scratch);
		if (p->child == MIME_NONE)
			strbuf_adds(sb, extended ? "(\"text\" \"plain\" "
			    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 "
			    "NIL NIL NIL NIL)" : "(\"text\" \"plain\" "
			    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
		mime_multipart_tail(m, p, extended, sb, tmp, scratch);
		strbuf_addc(sb, ')');
		return;
	}
	mime_leaf_head(m, p, sb, tmp, scratch);
	if (p->kind == MIME_MESSAGE && p->child != MIME_NONE) {
		strbuf_addc(sb, ' ');
		mime_envelope_write(m, p->child, sb);
		strbuf_addc(sb, ' ');
		mime_body_part(m, p->child, extended, sb, tmp, scratch);
		strbuf_printf(sb, " %zu", p->lines);
	} else if (p->kind != MIME_OPAQUE && (p->flags & MIME_F_TEXT))
		strbuf_printf(sb, " %zu", p->lines);
	if (extended)
		mime_leaf_ext(m, p, sb, tmp, scratch);
	strbuf_addc(sb, ')');
}

int
mime_body_write(const struct mime_msg *m, uint32_t i, int extended,
    struct strbuf *sb)
{
	struct strbuf tmp, scratch;
	size_t hmax = 0;
	uint32_t k;

	if (i >= m->nparts)
		return -1;
	for (k = i; k < m->nparts; k++)
		if (m->parts[k].hdr.len > hmax)
			hmax = m->parts[k].hdr.len;
	strbuf_init(&tmp, hmax * 3 + 64);
	strbuf_init(&scratch, hmax + 64);
	mime_body_part(m, i, extended, sb, &tmp, &scratch);
	strbuf_free(&tmp);
	strbuf_free(&scratch);
	return sb->error ? -1 : 0;
}
