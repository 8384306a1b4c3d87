/*
 * mime.c: the MIME structure parser (see mime.h): one pass over the lines
 * of a message in memory, building the part table with each part's file
 * and wire ranges.  Runs in the mail process; the message is untrusted.
 *
 * The parser keeps the chain of open parts (the current part and its
 * ancestors, at most MIME_DEPTH_MAX + 1 of them); a multipart on the
 * chain whose close delimiter has not been seen has an active boundary.
 * A line starting with "--" is compared with the active boundaries from
 * the innermost out; a match closes every open part below that multipart
 * and, for a delimiter, opens its next part.  Counting the line ends as
 * it goes gives the wire offset (file offset + bare LFs before it) and
 * the line count of every position the parser stops at.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mime.h"
#include "common/mime_field.h"

enum { MIME_IN_HEADER, MIME_IN_BODY };

/* A position: file offset, wire offset, line ends before it. */
struct mime_pos {
	size_t	off, wire, lines;
};

struct mime_open {
	uint32_t	part;
	int		state;
	int		active;		/* boundary open */
	uint32_t	last_child;
	size_t		hdr_lines;	/* lines at the header's start */
	size_t		body_lines;	/* lines at the body's start */
	size_t		blen;
	char		bnd[MIME_BOUNDARY_MAX + 1];
};

struct mime_parser {
	struct mime_msg	*m;
	struct mime_open open[MIME_DEPTH_MAX + 1];
	int		 top;		/* index in open[]; -1: none */
	int		 nactive;
	int		 nomem;
};

static uint32_t
mime_part_new(struct mime_parser *pr, uint32_t parent, struct mime_pos at)
{
	struct mime_msg *m = pr->m;
	struct mime_part *p;
	struct mime_open *o;
	uint32_t i, n;

	if (m->nparts >= MIME_PARTS_MAX) {
		m->limited = 1;
		return MIME_NONE;
	}
	if ((m->nparts & (m->nparts - 1)) == 0 && m->nparts >= 16) {
		n = m->nparts * 2 > MIME_PARTS_MAX ? MIME_PARTS_MAX :
		    m->nparts * 2;
		if ((p = reallocarray(m->parts, n, sizeof(*p))) == NULL) {
			pr->nomem = 1;
			return MIME_NONE;
		}
		m->parts = p;
	}
	i = m->nparts++;
	p = &m->parts[i];
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->child = p->next = MIME_NONE;
	p->kind = MIME_LEAF;
	p->hdr.off = p->body.off = at.off;
	p->hdr.wire_off = p->body.wire_off = at.wire;
	if (parent != MIME_NONE) {
		o = &pr->open[pr->top];
		p->depth = (uint8_t)(m->parts[parent].depth + 1);
		if (o->last_child == MIME_NONE)
			m->parts[parent].child = i;
		else
			m->parts[o->last_child].next = i;
		o->last_child = i;
		m->parts[parent].nchildren++;
	}
	o = &pr->open[++pr->top];
	memset(o, 0, offsetof(struct mime_open, bnd));
	o->part = i;
	o->state = MIME_IN_HEADER;
	o->last_child = MIME_NONE;
	o->hdr_lines = o->body_lines = at.lines;
	return i;
}

/* The boundary parameter into o; 0, or -1 when unusable. */
static int
mime_boundary_set(struct mime_parser *pr, struct mime_open *o,
    const struct mime_ctype *ct)
{
	int n, i;

	n = mime_param_get(ct, "boundary", o->bnd, sizeof(o->bnd));
	if (n <= 0)
		return -1;
	for (i = 0; i < pr->top; i++)
		if (pr->open[i].active && (size_t)n == pr->open[i].blen &&
		    memcmp(pr->open[i].bnd, o->bnd, (size_t)n) == 0)
			return -1;
	o->blen = (size_t)n;
	o->active = 1;
	pr->nactive++;
	return 0;
}

/* The top part is message/rfc822 (or global): open its child. */
static void
mime_open_message(struct mime_parser *pr, struct mime_pos at)
{
	uint32_t self = pr->open[pr->top].part;

	if (pr->m->parts[self].depth >= MIME_DEPTH_MAX ||
	    mime_part_new(pr, self, at) == MIME_NONE) {
		pr->m->parts[self].kind = MIME_OPAQUE;
		pr->m->limited = 1;
		return;
	}
	pr->m->parts[self].kind = MIME_MESSAGE;
}

/* The top part is a multipart: make its boundary active. */
static void
mime_open_multipart(struct mime_parser *pr, const struct mime_ctype *ct)
{
	struct mime_open *o = &pr->open[pr->top];
	struct mime_part *p = &pr->m->parts[o->part];

	if (p->depth >= MIME_DEPTH_MAX) {
		p->kind = MIME_OPAQUE;
		pr->m->limited = 1;
	} else if (mime_boundary_set(pr, o, ct) == -1)
		p->kind = MIME_OPAQUE;
	else {
		p->kind = MIME_MULTIPART;
		if (mime_token_eq(ct->subtype, ct->subtype_len, "digest"))
			p->flags |= MIME_F_DIGEST;
	}
}

/* Decide what the top part is from its header; may open its child. */
static void
mime_classify(struct mime_parser *pr, struct mime_pos at)
{
	struct mime_part *p = &pr->m->parts[pr->open[pr->top].part], *parent;
	const char *hdr = pr->m->buf + p->hdr.off;
	struct mime_field f;
	struct mime_ctype ct;

	parent = p->parent != MIME_NONE ? &pr->m->parts[p->parent] : NULL;
	if (!mime_field_find(hdr, p->hdr.len, "content-type", &f)) {
		if (parent != NULL && parent->kind == MIME_MULTIPART &&
		    (parent->flags & MIME_F_DIGEST)) {
			p->flags |= MIME_F_DEFAULT_MSG;
			mime_open_message(pr, at);
		} else
			p->flags |= MIME_F_TEXT;
		return;
	}
	if (mime_ctype_parse(f.value, f.value_len, 1, &ct) == -1 ||
	    mime_token_eq(ct.type, ct.type_len, "text")) {
		p->flags |= MIME_F_TEXT;
		return;
	}
	if (mime_token_eq(ct.type, ct.type_len, "multipart")) {
		mime_open_multipart(pr, &ct);
		return;
	}
	if (!mime_token_eq(ct.type, ct.type_len, "message") ||
	    (!mime_token_eq(ct.subtype, ct.subtype_len, "rfc822") &&
	    !mime_token_eq(ct.subtype, ct.subtype_len, "global")))
		return;
	/* An encoded message cannot be parsed in place. */
	if (mime_field_find(hdr, p->hdr.len, "content-transfer-encoding", &f)
	    && mime_cte_parse(f.value, f.value_len) != MIME_CTE_IDENTITY)
		p->kind = MIME_OPAQUE;
	else
		mime_open_message(pr, at);
}

/* The top part's header ends at at (after its empty line, if any). */
static void
mime_header_end(struct mime_parser *pr, struct mime_pos at)
{
	struct mime_open *o = &pr->open[pr->top];
	struct mime_part *p = &pr->m->parts[o->part];

	p->hdr.len = at.off - p->hdr.off;
	p->hdr.wire_len = at.wire - p->hdr.wire_off;
	p->body.off = at.off;
	p->body.wire_off = at.wire;
	o->body_lines = at.lines;
	o->state = MIME_IN_BODY;
	mime_classify(pr, at);
}

/*
 * Close every open part deeper than level at e.  When e lies before the
 * start of the innermost part's header or body (the line end before a
 * boundary that is also the empty line ending a header, or the line end
 * of the boundary line just before), every part closes at that start
 * instead, so that children stay inside their parents.
 */
static void
mime_close_to(struct mime_parser *pr, int level, struct mime_pos e)
{
	struct mime_open *o;
	struct mime_part *p;

	if (pr->top <= level)
		return;
	o = &pr->open[pr->top];
	p = &pr->m->parts[o->part];
	if (o->state == MIME_IN_HEADER && e.off < p->hdr.off) {
		e.off = p->hdr.off;
		e.wire = p->hdr.wire_off;
		e.lines = o->hdr_lines;
	} else if (o->state == MIME_IN_BODY && e.off < p->body.off) {
		e.off = p->body.off;
		e.wire = p->body.wire_off;
		e.lines = o->body_lines;
	}
	while (pr->top > level) {
		o = &pr->open[pr->top];
		p = &pr->m->parts[o->part];
		if (o->state == MIME_IN_HEADER) {
			mime_header_end(pr, e);
			continue;
		}
		p->body.len = e.off - p->body.off;
		p->body.wire_len = e.wire - p->body.wire_off;
		p->lines = e.lines - o->body_lines;
		if (o->active)
			pr->nactive--;
		pr->top--;
	}
}

static int
mime_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t')
			return 0;
	return 1;
}

/*
 * Is the line [s, end) (line end excluded) a boundary line?  Returns the
 * open[] level of its multipart and sets *close, or -1.
 */
static int
mime_boundary_match(const struct mime_parser *pr, const char *s,
    const char *end, int *close)
{
	const struct mime_open *o;
	const char *rest;
	size_t len = (size_t)(end - s);
	int i;

	for (i = pr->top; i >= 0; i--) {
		o = &pr->open[i];
		/* First and last bytes before memcmp: most lines that
		 * start with "--" fail there. */
		if (!o->active || len < 2 + o->blen ||
		    s[2] != o->bnd[0] || s[1 + o->blen] != o->bnd[o->blen - 1] ||
		    memcmp(s + 2, o->bnd, o->blen) != 0)
			continue;
		rest = s + 2 + o->blen;
		if (end - rest >= 2 && rest[0] == '-' && rest[1] == '-') {
			*close = 1;
			return i;
		}
		if (mime_blank(rest, end)) {
			*close = 0;
			return i;
		}
	}
	return -1;
}

/* A boundary line at at (its start) of the multipart at level. */
static void
mime_boundary(struct mime_parser *pr, int level, int close,
    struct mime_pos at, struct mime_pos next)
{
	const char *buf = pr->m->buf;
	struct mime_pos e = at;

	/* RFC 2046: the line end before a boundary belongs to it. */
	if (at.off > 0 && buf[at.off - 1] == '\n') {
		e.off -= at.off > 1 && buf[at.off - 2] == '\r' ? 2 : 1;
		e.wire -= 2;
		e.lines--;
	}
	mime_close_to(pr, level, e);
	if (close) {
		pr->open[level].active = 0;
		pr->nactive--;
		return;
	}
	mime_part_new(pr, pr->open[level].part, next);
}

static void
mime_scan(struct mime_parser *pr)
{
	const char *buf = pr->m->buf, *nl, *cend;
	size_t len = pr->m->len;
	struct mime_pos at = { 0, 0, 0 }, next;
	int level, close;

	while (at.off < len && !pr->nomem) {
		nl = memchr(buf + at.off, '\n', len - at.off);
		next = at;
		if (nl != NULL) {
			next.off = (size_t)(nl - buf) + 1;
			next.lines++;
			next.wire = next.off + (at.wire - at.off) +
			    (nl == buf + at.off || nl[-1] != '\r');
			cend = nl;
		} else {
			next.off = len;
			next.wire = len + (at.wire - at.off);
			cend = buf + len;
		}
		if (cend > buf + at.off && cend[-1] == '\r')
			cend--;
		if (pr->nactive > 0 && cend - (buf + at.off) >= 2 &&
		    buf[at.off] == '-' && buf[at.off + 1] == '-' &&
		    (level = mime_boundary_match(pr, buf + at.off, cend,
		    &close)) >= 0)
			mime_boundary(pr, level, close, at, next);
		else if (pr->open[pr->top].state == MIME_IN_HEADER &&
		    cend == buf + at.off)
			mime_header_end(pr, next);
		at = next;
	}
	mime_close_to(pr, -1, at);
	pr->m->wire_len = at.wire;
}

int
mime_parse(struct mime_msg *m, const char *buf, size_t len)
{
	struct mime_parser *pr;
	struct mime_pos zero = { 0, 0, 0 };

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	if ((m->parts = calloc(16, sizeof(*m->parts))) == NULL)
		return -1;
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		mime_free(m);
		return -1;
	}
	pr->m = m;
	pr->top = -1;
	mime_part_new(pr, MIME_NONE, zero);
	mime_scan(pr);
	if (pr->nomem) {
		free(pr);
		mime_free(m);
		return -1;
	}
	free(pr);
	return 0;
}

void
mime_free(struct mime_msg *m)
{
	free(m->parts);
	memset(m, 0, sizeof(*m));
}

size_t
mime_header_size(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		if (*p == '\n')
			return (size_t)(p + 1 - buf);
		if (*p == '\r' && (p + 1 == end || p[1] == '\n'))
			return p + 1 == end ? len : (size_t)(p + 2 - buf);
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p = nl + 1;
	}
	return len;
}

uint32_t
mime_message_root(const struct mime_msg *m, uint32_t i)
{
	if (i == 0 && m->nparts > 0)
		return 0;
	if (i < m->nparts && m->parts[i].kind == MIME_MESSAGE)
		return m->parts[i].child;
	return MIME_NONE;
}

enum mime_cte
mime_cte_parse(const char *p, size_t len)
{
	struct mime_lex lx;

	mime_lex_init(&lx, p, len);
	if (mime_lex_next(&lx) != MIME_TOK_ATOM)
		return MIME_CTE_IDENTITY;
	if (mime_token_eq(lx.tok, lx.tok_len, "base64"))
		return MIME_CTE_BASE64;
	if (mime_token_eq(lx.tok, lx.tok_len, "quoted-printable"))
		return MIME_CTE_QP;
	return MIME_CTE_IDENTITY;
}
