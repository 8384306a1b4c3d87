/*
 * parse_fetch.c: the arguments of FETCH and UID FETCH (RFC 9051 6.4.5,
 * RFC 3516 BINARY, RFC 7162 CONDSTORE/QRESYNC modifiers) into
 * u.fetch.  Runs in imapd's mail process on client text it trusts for
 * nothing; every list is counted against its limit in parse.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imapd/parse_lex.h"

/* Plain fetch-att names; BODY, BINARY and their variants take sections. */
static const struct {
	const char	*name;
	uint8_t		 kind;
} imap_fetch_names[] = {
	{ "ENVELOPE", IMAP_FA_ENVELOPE }, { "FLAGS", IMAP_FA_FLAGS },
	{ "INTERNALDATE", IMAP_FA_INTERNALDATE }, { "RFC822", IMAP_FA_RFC822 },
	{ "RFC822.HEADER", IMAP_FA_RFC822_HEADER },
	{ "RFC822.SIZE", IMAP_FA_RFC822_SIZE },
	{ "RFC822.TEXT", IMAP_FA_RFC822_TEXT },
	{ "BODYSTRUCTURE", IMAP_FA_BODYSTRUCTURE }, { "UID", IMAP_FA_UID },
	{ "MODSEQ", IMAP_FA_MODSEQ },
};

static int
imap_fetch_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.';
}

/* imap_fetch_word: a run of letters, digits and dots (an item name or a
 * section keyword), consumed. */
static void
imap_fetch_word(struct imap_lex *p, const char **s, size_t *n)
{
	*s = p->buf + p->pos;
	while (imap_fetch_name_char(imap_lex_peek(p)))
		p->pos++;
	*n = (size_t)(p->buf + p->pos - *s);
}

static struct imap_fetch_att *
imap_fetch_new(struct imap_lex *p, struct imap_cmd *c, int kind)
{
	struct imap_fetch_att *a;

	if (c->u.fetch.natts == IMAP_FETCH_ATTS_MAX) {
		imap_lex_limit(p, "too many fetch items");
		return NULL;
	}
	a = &c->u.fetch.atts[c->u.fetch.natts++];
	memset(a, 0, sizeof(*a));
	a->kind = (uint8_t)kind;
	return a;
}

/* imap_fetch_hdr_ok: RFC 5322 field-name octets: 1*ftext (33-126 but
 * ':').  Quoted names are checked raw: an escape's backslash and the
 * octet it escapes are ftext too. */
static int
imap_fetch_hdr_ok(const struct imap_str *s)
{
	size_t i;

	if (s->len == 0 || s->len > 998)
		return 0;
	for (i = 0; i < s->len; i++)
		if (s->p[i] < 33 || s->p[i] > 126 || s->p[i] == ':')
			return 0;
	return 1;
}

/* imap_fetch_header_list: SP "(" header-fld-name *(SP ...) ")". */
static int
imap_fetch_header_list(struct imap_lex *p, struct imap_cmd *c,
    struct imap_fetch_att *a)
{
	struct imap_str *h;

	if (imap_lex_char(p, ' ', "expected SP before header list") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" before header list") == -1)
		return -1;
	a->hdr_first = c->u.fetch.nhdrs;
	do {
		if (c->u.fetch.nhdrs == IMAP_HDRS_MAX)
			return imap_lex_limit(p, "too many header names");
		h = &c->u.fetch.hdrs[c->u.fetch.nhdrs];
		if (imap_lex_astring(p, h) == -1)
			return -1;
		if (!imap_fetch_hdr_ok(h))
			return imap_lex_fail(p, "bad header field name");
		c->u.fetch.nhdrs++;
		a->nhdrs++;
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after header list");
}

/* imap_fetch_section_text: section-msgtext or "MIME" after a part. */
static int
imap_fetch_section_text(struct imap_lex *p, struct imap_cmd *c,
    struct imap_fetch_att *a)
{
	const char *s;
	size_t n;

	imap_fetch_word(p, &s, &n);
	if (imap_lex_is(s, n, "HEADER"))
		a->text = IMAP_SEC_HEADER;
	else if (imap_lex_is(s, n, "TEXT"))
		a->text = IMAP_SEC_TEXT;
	else if (imap_lex_is(s, n, "MIME") && a->nparts > 0)
		a->text = IMAP_SEC_MIME;
	else if (imap_lex_is(s, n, "HEADER.FIELDS"))
		a->text = IMAP_SEC_HEADER_FIELDS;
	else if (imap_lex_is(s, n, "HEADER.FIELDS.NOT"))
		a->text = IMAP_SEC_HEADER_FIELDS_NOT;
	else {
		p->pos -= n;
		return imap_lex_fail(p, "bad section");
	}
	if (a->text == IMAP_SEC_HEADER_FIELDS ||
	    a->text == IMAP_SEC_HEADER_FIELDS_NOT)
		return imap_fetch_header_list(p, c, a);
	return 0;
}

/* imap_fetch_section: "[" [section-spec] "]" [partial]; binary: only
 * part numbers (section-binary). */
static int
imap_fetch_section(struct imap_lex *p, struct imap_cmd *c,
    struct imap_fetch_att *a, int binary, int partial_ok)
{
	int ch;

	if (imap_lex_char(p, '[', "expected \"[\"") == -1)
		return -1;
	while ((ch = imap_lex_peek(p)) >= '0' && ch <= '9') {
		if (a->nparts == IMAP_PART_DEPTH_MAX)
			return imap_lex_limit(p, "section part too deep");
		if (imap_lex_number(p, &a->part[a->nparts++], 1) == -1)
			return -1;
		if (!imap_lex_accept(p, '.'))
			break;
		if ((ch = imap_lex_peek(p)) < '0' || ch > '9') {
			if (binary)
				return imap_lex_fail(p, "bad binary section");
			if (imap_fetch_section_text(p, c, a) == -1)
				return -1;
			break;
		}
	}
	if (a->nparts == 0 && imap_lex_peek(p) != ']') {
		if (binary)
			return imap_lex_fail(p, "bad binary section");
		if (imap_fetch_section_text(p, c, a) == -1)
			return -1;
	}
	if (imap_lex_char(p, ']', "expected \"]\" after section") == -1)
		return -1;
	if (imap_lex_peek(p) != '<')
		return 0;
	if (!partial_ok)
		return imap_lex_fail(p, "partial not allowed here");
	p->pos++;
	a->partial = 1;
	if (imap_lex_number(p, &a->origin, 0) == -1 ||
	    imap_lex_char(p, '.', "bad partial") == -1 ||
	    imap_lex_number(p, &a->count, 1) == -1)
		return -1;
	return imap_lex_char(p, '>', "bad partial");
}

/* imap_fetch_att: one fetch-att. */
static int
imap_fetch_att(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_fetch_att *a;
	const char *s;
	size_t n, i, at = p->pos;
	int kind = -1, peek = 0, binary = 0;

	imap_fetch_word(p, &s, &n);
	for (i = 0; i < sizeof(imap_fetch_names) / sizeof(imap_fetch_names[0]);
	    i++)
		if (imap_lex_is(s, n, imap_fetch_names[i].name))
			kind = imap_fetch_names[i].kind;
	if (imap_lex_is(s, n, "BODY"))
		kind = imap_lex_peek(p) == '[' ? IMAP_FA_SECTION : IMAP_FA_BODY;
	else if (imap_lex_is(s, n, "BODY.PEEK"))
		kind = IMAP_FA_SECTION, peek = 1;
	else if (imap_lex_is(s, n, "BINARY"))
		kind = IMAP_FA_BINARY, binary = 1;
	else if (imap_lex_is(s, n, "BINARY.PEEK"))
		kind = IMAP_FA_BINARY, binary = 1, peek = 1;
	else if (imap_lex_is(s, n, "BINARY.SIZE"))
		kind = IMAP_FA_BINARY_SIZE, binary = 1;
	if (kind == -1) {
		p->pos = at;
		return imap_lex_fail(p, "unknown fetch item");
	}
	if ((a = imap_fetch_new(p, c, kind)) == NULL)
		return -1;
	a->peek = (uint8_t)peek;
	if (kind == IMAP_FA_SECTION || binary)
		return imap_fetch_section(p, c, a, binary,
		    kind != IMAP_FA_BINARY_SIZE);
	return 0;
}

/* imap_fetch_macro: ALL, FAST or FULL (RFC 9051 6.4.5), expanded. */
static int
imap_fetch_macro(struct imap_lex *p, struct imap_cmd *c)
{
	static const uint8_t fast[] = { IMAP_FA_FLAGS, IMAP_FA_INTERNALDATE,
	    IMAP_FA_RFC822_SIZE, IMAP_FA_ENVELOPE, IMAP_FA_BODY };
	size_t n, i;

	if (imap_lex_keyword(p, "ALL"))
		c->u.fetch.macro = IMAP_FM_ALL, n = 4;
	else if (imap_lex_keyword(p, "FAST"))
		c->u.fetch.macro = IMAP_FM_FAST, n = 3;
	else if (imap_lex_keyword(p, "FULL"))
		c->u.fetch.macro = IMAP_FM_FULL, n = 5;
	else
		return 0;
	for (i = 0; i < n; i++)
		if (imap_fetch_new(p, c, fast[i]) == NULL)
			return -1;
	return 1;
}

/* imap_fetch_modifiers: SP "(" fetch-modifier *(SP fetch-modifier) ")"
 * (RFC 7162 3.1.4.1 CHANGEDSINCE, 3.2.6 VANISHED). */
static int
imap_fetch_modifiers(struct imap_lex *p, struct imap_cmd *c)
{
	if (imap_lex_char(p, '(', "expected \"(\" before fetch modifiers") ==
	    -1)
		return -1;
	do {
		if (imap_lex_keyword(p, "CHANGEDSINCE")) {
			if (c->u.fetch.has_changedsince)
				return imap_lex_fail(p,
				    "CHANGEDSINCE given twice");
			c->u.fetch.has_changedsince = 1;
			if (imap_lex_char(p, ' ', "expected SP") == -1 ||
			    imap_lex_number64(p, &c->u.fetch.changedsince,
			    0) == -1)
				return -1;
		} else if (imap_lex_keyword(p, "VANISHED")) {
			if (!c->uid)
				return imap_lex_fail(p,
				    "VANISHED needs UID FETCH");
			c->u.fetch.vanished = 1;
		} else
			return imap_lex_fail(p, "unknown fetch modifier");
	} while (imap_lex_accept(p, ' '));
	if (imap_lex_char(p, ')', "expected \")\" after fetch modifiers") ==
	    -1)
		return -1;
	if (c->u.fetch.vanished && !c->u.fetch.has_changedsince)
		return imap_lex_fail(p, "VANISHED needs CHANGEDSINCE");
	return 0;
}

int
imap_parse_fetch(struct imap_lex *p, struct imap_cmd *c)
{
	int rc;

	if (imap_lex_seqset(p, &c->u.fetch.set, 0, 0) == -1 ||
	    imap_lex_char(p, ' ', "expected SP after sequence set") == -1)
		return -1;
	if ((rc = imap_fetch_macro(p, c)) == -1)
		return -1;
	if (rc == 0 && imap_lex_accept(p, '(')) {
		do {
			if (imap_fetch_att(p, c) == -1)
				return -1;
		} while (imap_lex_accept(p, ' '));
		if (imap_lex_char(p, ')', "expected \")\" after fetch items")
		    == -1)
			return -1;
	} else if (rc == 0 && imap_fetch_att(p, c) == -1)
		return -1;
	if (imap_lex_accept(p, ' '))
		return imap_fetch_modifiers(p, c);
	return 0;
}
