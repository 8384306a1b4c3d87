/*
 * mime_envelope.c: the IMAP ENVELOPE of a message header (RFC 3501
 * section 7.4.2, RFC 9051 section 7.5.2) and the RFC 5322 address-list
 * parser behind it.  Runs in the mail process; the header is untrusted
 * and the parser never fails: whatever a field holds becomes some list
 * of addresses (or NIL), garbage included.
 */
#include <string.h>

#include "common/mime.h"
#include "common/mime_field.h"

/* Scratch space for one address; its pieces are assembled here. */
struct mime_addr {
	struct strbuf	name, route, local, domain, words;
	int		angle;		/* '<' seen */
	int		in_angle;
	int		in_route;
	int		at;		/* '@' seen (in the addr-spec) */
	int		any;		/* a token seen */
	const char	*comment;	/* the last comment seen */
	size_t		 comment_len;
};

static void
mime_addr_init(struct mime_addr *a, size_t max)
{
	memset(a, 0, sizeof(*a));
	strbuf_init(&a->name, max);
	strbuf_init(&a->route, max);
	strbuf_init(&a->local, max);
	strbuf_init(&a->domain, max);
	strbuf_init(&a->words, max);
}

static void
mime_addr_clear(struct mime_addr *a)
{
	strbuf_reset(&a->name);
	strbuf_reset(&a->route);
	strbuf_reset(&a->local);
	strbuf_reset(&a->domain);
	strbuf_reset(&a->words);
	a->angle = a->in_angle = a->in_route = a->at = a->any = 0;
	a->comment = NULL;
	a->comment_len = 0;
}

static void
mime_addr_free(struct mime_addr *a)
{
	strbuf_free(&a->name);
	strbuf_free(&a->route);
	strbuf_free(&a->local);
	strbuf_free(&a->domain);
	strbuf_free(&a->words);
}

/* Append a word to a phrase: one blank between words. */
static void
mime_word_add(struct strbuf *sb, const struct mime_lex *lx, int tok)
{
	if (sb->len > 0)
		strbuf_addc(sb, ' ');
	if (tok == MIME_TOK_QUOTED)
		mime_quoted_add(sb, lx->tok, lx->tok_len);
	else
		strbuf_add(sb, lx->tok, lx->tok_len);
}

/* Append a piece of an addr-spec or route as it is (no blanks). */
static void
mime_piece_add(struct strbuf *sb, const struct mime_lex *lx, int tok)
{
	if (tok == MIME_TOK_QUOTED)
		mime_quoted_add(sb, lx->tok, lx->tok_len);
	else
		strbuf_add(sb, lx->tok, lx->tok_len);
}

static void
mime_addr_token(struct mime_addr *a, const struct mime_lex *lx, int tok)
{
	if (tok == MIME_TOK_ATOM || tok == MIME_TOK_QUOTED ||
	    tok == MIME_TOK_DOMLIT || tok == '<' || tok == '@')
		a->any = 1;
	if (a->in_route) {
		if (tok == ':')
			a->in_route = 0;
		else
			mime_piece_add(&a->route, lx, tok);
		return;
	}
	if (a->in_angle) {
		if (tok == '>')
			a->in_angle = 0;
		else if (tok == '@' && !a->at && a->local.len == 0 &&
		    a->route.len == 0) {
			a->in_route = 1;
			strbuf_addc(&a->route, '@');
		} else if (tok == '@')
			a->at = 1;
		else if (tok == MIME_TOK_ATOM || tok == MIME_TOK_QUOTED ||
		    tok == MIME_TOK_DOMLIT)
			mime_piece_add(a->at ? &a->domain : &a->local, lx, tok);
		return;
	}
	if (a->angle)
		return;		/* after '>': junk */
	if (tok == '<') {
		a->angle = a->in_angle = 1;
		strbuf_add(&a->name, a->words.buf, a->words.len);
		strbuf_reset(&a->local);
		strbuf_reset(&a->domain);
		a->at = 0;
		return;
	}
	if (tok == '@') {
		a->at = 1;
		return;
	}
	if (tok != MIME_TOK_ATOM && tok != MIME_TOK_QUOTED &&
	    tok != MIME_TOK_DOMLIT)
		return;
	if (!a->at) {
		mime_word_add(&a->words, lx, tok);
		mime_piece_add(&a->local, lx, tok);
	} else
		mime_piece_add(&a->domain, lx, tok);
}

static int
mime_nstring_sb(struct strbuf *out, const struct strbuf *s)
{
	if (s->len == 0)
		return strbuf_add(out, "NIL", 3);
	return strbuf_add_imap_string(out, s->buf, s->len);
}

/* Write the address collected in a, if any; returns 1 when written. */
static int
mime_addr_emit(struct strbuf *out, struct mime_addr *a)
{
	struct strbuf *mbox;

	if (!a->any)
		return 0;
	if (a->angle == 0)
		strbuf_reset(&a->name);
	if (a->name.len == 0 && a->comment != NULL)
		mime_quoted_add(&a->name, a->comment, a->comment_len);
	/* "foo bar" alone: the words are the mailbox, with blanks. */
	mbox = !a->angle && !a->at ? &a->words : &a->local;
	strbuf_addc(out, '(');
	mime_nstring_sb(out, &a->name);
	strbuf_addc(out, ' ');
	mime_nstring_sb(out, &a->route);
	strbuf_addc(out, ' ');
	if (mbox->len > 0)
		strbuf_add_imap_string(out, mbox->buf, mbox->len);
	else
		strbuf_adds(out, "\"MISSING_MAILBOX\"");
	strbuf_addc(out, ' ');
	if (a->domain.len > 0)
		strbuf_add_imap_string(out, a->domain.buf, a->domain.len);
	else
		strbuf_adds(out, "\"MISSING_DOMAIN\"");
	strbuf_addc(out, ')');
	return 1;
}

static void
mime_group_start(struct strbuf *out, const struct strbuf *name)
{
	strbuf_adds(out, "(NIL NIL ");
	strbuf_add_imap_string(out, strbuf_str(name), name->len);
	strbuf_adds(out, " NIL)");
}

/* What the address-list walker calls: for each address, and at the
 * start and end of a group; a non-zero return from addr stops the walk. */
struct mime_addr_sink {
	int	(*addr)(void *ctx, struct mime_addr *a);
	void	(*group_start)(void *ctx, const struct strbuf *name);
	void	(*group_end)(void *ctx);
	void	*ctx;
};

/*
 * mime_addr_walk: the RFC 5322 address list in the len bytes at p, to
 * sink.  A group that is not closed is closed at the end.  Returns 0, or
 * the first non-zero return of sink->addr.
 */
static int
mime_addr_walk(const char *p, size_t len, const struct mime_addr_sink *sink)
{
	struct mime_lex lx;
	struct mime_addr a;
	int tok, group = 0, rc = 0;

	mime_addr_init(&a, len + 16);
	mime_lex_init(&lx, p, len);
	while (rc == 0) {
		lx.comment = NULL;
		tok = mime_lex_next(&lx);
		if (lx.comment != NULL) {
			a.comment = lx.comment;
			a.comment_len = lx.comment_len;
		}
		if (tok == ':' && !group && !a.in_angle && !a.at) {
			sink->group_start(sink->ctx, &a.words);
			group = 1;
			mime_addr_clear(&a);
			continue;
		}
		if (tok == MIME_TOK_END || tok == ';' ||
		    (tok == ',' && !a.in_angle)) {
			if (a.any)
				rc = sink->addr(sink->ctx, &a);
			mime_addr_clear(&a);
			if ((tok == ';' || tok == MIME_TOK_END) && group) {
				sink->group_end(sink->ctx);
				group = 0;
			}
			if (tok == MIME_TOK_END)
				break;
			continue;
		}
		mime_addr_token(&a, &lx, tok);
	}
	mime_addr_free(&a);
	return rc;
}

/* The IMAP form of an address list: the sink's context and its
 * callbacks. */
struct mime_addr_imap {
	struct strbuf	*out;
	int		 n;
};

static int
mime_imap_addr(void *ctx, struct mime_addr *a)
{
	struct mime_addr_imap *im = ctx;

	im->n += mime_addr_emit(im->out, a);
	return 0;
}

static void
mime_imap_group_start(void *ctx, const struct strbuf *name)
{
	struct mime_addr_imap *im = ctx;

	mime_group_start(im->out, name);
	im->n++;
}

static void
mime_imap_group_end(void *ctx)
{
	struct mime_addr_imap *im = ctx;

	strbuf_adds(im->out, "(NIL NIL NIL NIL)");
}

/*
 * Write the address list in the len bytes at p as "(" 1*address ")";
 * returns the number of addresses written (0: nothing was written).
 * A group is (NIL NIL "name" NIL) ... (NIL NIL NIL NIL).
 */
static int
mime_addr_list(struct strbuf *out, const char *p, size_t len)
{
	struct mime_addr_imap im = { out, 0 };
	const struct mime_addr_sink sink = { mime_imap_addr,
	    mime_imap_group_start, mime_imap_group_end, &im };
	size_t mark = out->len;

	strbuf_addc(out, '(');
	(void)mime_addr_walk(p, len, &sink);
	strbuf_addc(out, ')');
	if (im.n == 0)
		strbuf_truncate(out, mark);
	return im.n;
}

/* mime_addr_each's sink: the caller's function and its context. */
struct mime_addr_fn {
	int	(*fn)(void *, const char *, size_t, const char *, size_t);
	void	*ctx;
	int	 n;
};

static int
mime_fn_addr(void *ctx, struct mime_addr *a)
{
	struct mime_addr_fn *af = ctx;
	const struct strbuf *mbox = !a->angle && !a->at ? &a->words :
	    &a->local;

	af->n++;
	return af->fn(af->ctx, mbox->buf != NULL ? mbox->buf : "", mbox->len,
	    a->domain.buf != NULL ? a->domain.buf : "", a->domain.len) != 0;
}

static void
mime_fn_group(void *ctx, const struct strbuf *name)
{
}

static void
mime_fn_group_end(void *ctx)
{
}

int
mime_addr_each(const char *p, size_t len, int (*fn)(void *, const char *,
    size_t, const char *, size_t), void *ctx)
{
	struct mime_addr_fn af = { fn, ctx, 0 };
	const struct mime_addr_sink sink = { mime_fn_addr, mime_fn_group,
	    mime_fn_group_end, &af };

	return mime_addr_walk(p, len, &sink) != 0 ? -1 : af.n;
}

/* The fields of an envelope, in order. */
static const char *const mime_env_fields[] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id"
};
#define MIME_ENV_N	(sizeof(mime_env_fields) / sizeof(mime_env_fields[0]))

static void
mime_env_text(struct strbuf *out, const struct mime_field *f,
    struct strbuf *tmp)
{
	if (f == NULL) {
		strbuf_adds(out, "NIL");
		return;
	}
	strbuf_reset(tmp);
	mime_add_unfolded(tmp, f->value, f->value_len);
	if (tmp->error)
		out->error = 1;
	strbuf_add_imap_string(out, strbuf_str(tmp), tmp->len);
}

int
mime_envelope_write(const struct mime_msg *m, uint32_t msg_part,
    struct strbuf *sb)
{
	struct mime_field fields[MIME_ENV_N], f;
	const struct mime_field *fp[MIME_ENV_N];
	struct mime_field_iter it;
	const struct mime_part *p;
	struct strbuf tmp;
	size_t i;

	if (msg_part >= m->nparts)
		return -1;
	p = &m->parts[msg_part];
	memset(fp, 0, sizeof(fp));
	mime_field_first(&it, m->buf + p->hdr.off, p->hdr.len);
	while (mime_field_next(&it, &f))
		for (i = 0; i < MIME_ENV_N; i++)
			if (fp[i] == NULL && mime_field_is(&f,
			    mime_env_fields[i])) {
				fields[i] = f;
				fp[i] = &fields[i];
			}
	strbuf_init(&tmp, p->hdr.len + 16);
	strbuf_addc(sb, '(');
	mime_env_text(sb, fp[0], &tmp);
	strbuf_addc(sb, ' ');
	mime_env_text(sb, fp[1], &tmp);
	for (i = 2; i < 8; i++) {
		strbuf_addc(sb, ' ');
		if (fp[i] != NULL && mime_addr_list(sb, fp[i]->value,
		    fp[i]->value_len) > 0)
			continue;
		/* RFC 3501: sender and reply-to default to from. */
		if ((i == 3 || i == 4) && fp[2] != NULL &&
		    mime_addr_list(sb, fp[2]->value, fp[2]->value_len) > 0)
			continue;
		strbuf_adds(sb, "NIL");
	}
	strbuf_addc(sb, ' ');
	mime_env_text(sb, fp[8], &tmp);
	strbuf_addc(sb, ' ');
	mime_env_text(sb, fp[9], &tmp);
	strbuf_addc(sb, ')');
	strbuf_free(&tmp);
	return sb->error ? -1 : 0;
}
