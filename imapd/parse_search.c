/*
 * parse_search.c: the arguments of SEARCH and UID SEARCH (RFC 9051
 * 6.4.4, RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 7162
 * MODSEQ) into a tree of at most IMAP_SEARCH_NODES_MAX nodes.  Runs in
 * imapd's mail process on client text it trusts for nothing.  Keys nest
 * (parentheses, NOT, OR) and are read by recursion, bounded by
 * IMAP_SEARCH_DEPTH_MAX: "NOT NOT NOT ..." stops there with a BAD.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imapd/parse_lex.h"

/* What follows a search key's name. */
enum imap_sarg {
	SARG_NONE, SARG_ASTRING, SARG_DATE, SARG_NUMBER, SARG_HEADER,
	SARG_KEYWORD, SARG_SEQSET, SARG_NOT, SARG_OR, SARG_MODSEQ,
};

static const struct {
	const char	*name;
	uint8_t		 key;
	uint8_t		 arg;
} imap_skeys[] = {
	{ "ALL", IMAP_SK_ALL, SARG_NONE },
	{ "ANSWERED", IMAP_SK_ANSWERED, SARG_NONE },
	{ "BCC", IMAP_SK_BCC, SARG_ASTRING },
	{ "BEFORE", IMAP_SK_BEFORE, SARG_DATE },
	{ "BODY", IMAP_SK_BODY, SARG_ASTRING },
	{ "CC", IMAP_SK_CC, SARG_ASTRING },
	{ "DELETED", IMAP_SK_DELETED, SARG_NONE },
	{ "DRAFT", IMAP_SK_DRAFT, SARG_NONE },
	{ "FLAGGED", IMAP_SK_FLAGGED, SARG_NONE },
	{ "FROM", IMAP_SK_FROM, SARG_ASTRING },
	{ "HEADER", IMAP_SK_HEADER, SARG_HEADER },
	{ "KEYWORD", IMAP_SK_KEYWORD, SARG_KEYWORD },
	{ "LARGER", IMAP_SK_LARGER, SARG_NUMBER },
	{ "MODSEQ", IMAP_SK_MODSEQ, SARG_MODSEQ },
	{ "NEW", IMAP_SK_NEW, SARG_NONE },
	{ "NOT", IMAP_SK_NOT, SARG_NOT },
	{ "OLD", IMAP_SK_OLD, SARG_NONE },
	{ "ON", IMAP_SK_ON, SARG_DATE },
	{ "OR", IMAP_SK_OR, SARG_OR },
	{ "RECENT", IMAP_SK_RECENT, SARG_NONE },
	{ "SEEN", IMAP_SK_SEEN, SARG_NONE },
	{ "SENTBEFORE", IMAP_SK_SENTBEFORE, SARG_DATE },
	{ "SENTON", IMAP_SK_SENTON, SARG_DATE },
	{ "SENTSINCE", IMAP_SK_SENTSINCE, SARG_DATE },
	{ "SINCE", IMAP_SK_SINCE, SARG_DATE },
	{ "SMALLER", IMAP_SK_SMALLER, SARG_NUMBER },
	{ "SUBJECT", IMAP_SK_SUBJECT, SARG_ASTRING },
	{ "TEXT", IMAP_SK_TEXT, SARG_ASTRING },
	{ "TO", IMAP_SK_TO, SARG_ASTRING },
	{ "UID", IMAP_SK_UID, SARG_SEQSET },
	{ "UNANSWERED", IMAP_SK_UNANSWERED, SARG_NONE },
	{ "UNDELETED", IMAP_SK_UNDELETED, SARG_NONE },
	{ "UNDRAFT", IMAP_SK_UNDRAFT, SARG_NONE },
	{ "UNFLAGGED", IMAP_SK_UNFLAGGED, SARG_NONE },
	{ "UNKEYWORD", IMAP_SK_UNKEYWORD, SARG_KEYWORD },
	{ "UNSEEN", IMAP_SK_UNSEEN, SARG_NONE },
};

#define NSKEYS	(sizeof(imap_skeys) / sizeof(imap_skeys[0]))

static int imap_search_key(struct imap_lex *, struct imap_cmd *, int16_t *);

/* imap_search_node: a fresh node of kind key; its index in *idx. */
static int
imap_search_node(struct imap_lex *p, struct imap_cmd *c, int key,
    int16_t *idx)
{
	struct imap_snode *n;

	if (c->u.search.nnodes == IMAP_SEARCH_NODES_MAX)
		return imap_lex_limit(p, "too many search keys");
	*idx = (int16_t)c->u.search.nnodes++;
	n = &c->u.search.nodes[*idx];
	memset(n, 0, sizeof(*n));
	n->key = (uint8_t)key;
	n->child = -1;
	n->next = -1;
	return 0;
}

/* imap_search_list: key *(SP key) as the children of node parent, up to
 * the end of the command or a ")" (not consumed). */
static int
imap_search_list(struct imap_lex *p, struct imap_cmd *c, int16_t parent)
{
	int16_t idx, last = -1;

	do {
		if (imap_search_key(p, c, &idx) == -1)
			return -1;
		if (last == -1)
			c->u.search.nodes[parent].child = idx;
		else
			c->u.search.nodes[last].next = idx;
		last = idx;
	} while (imap_lex_accept(p, ' '));
	return 0;
}

/* imap_search_modseq: [SP entry-name SP entry-type-req] SP
 * mod-sequence-valzer (RFC 7162 3.1.5), after "MODSEQ". */
static int
imap_search_modseq(struct imap_lex *p, struct imap_snode *n)
{
	if (imap_lex_peek(p) == '"') {
		if (imap_lex_string(p, &n->s1, 0) == -1 ||
		    imap_lex_char(p, ' ', "expected SP after entry name") == -1)
			return -1;
		if (n->s1.len < 8 || memcmp(n->s1.p, "/flags/", 7) != 0)
			return imap_lex_fail(p, "bad MODSEQ entry name");
		if (imap_lex_keyword(p, "priv"))
			n->etype = IMAP_ET_PRIV;
		else if (imap_lex_keyword(p, "shared"))
			n->etype = IMAP_ET_SHARED;
		else if (imap_lex_keyword(p, "all"))
			n->etype = IMAP_ET_ALL;
		else
			return imap_lex_fail(p, "bad MODSEQ entry type");
		if (imap_lex_char(p, ' ', "expected SP after entry type") == -1)
			return -1;
	}
	return imap_lex_number64(p, &n->num, 0);
}

/* imap_search_args: the operands of node idx, whose name took arg. */
static int
imap_search_args(struct imap_lex *p, struct imap_cmd *c, int16_t idx,
    int arg)
{
	struct imap_snode *n = &c->u.search.nodes[idx];
	const char *s;
	size_t len;

	if (arg == SARG_NONE)
		return 0;
	if (imap_lex_char(p, ' ', "search key needs an argument") == -1)
		return -1;
	switch (arg) {
	case SARG_ASTRING:
		return imap_lex_astring(p, &n->s1);
	case SARG_DATE:
		return imap_lex_date(p, &n->date);
	case SARG_NUMBER:
		return imap_lex_number64(p, &n->num, 0);
	case SARG_HEADER:
		if (imap_lex_astring(p, &n->s1) == -1 ||
		    imap_lex_char(p, ' ', "HEADER needs a field name and a "
		    "string") == -1)
			return -1;
		return imap_lex_astring(p, &n->s2);
	case SARG_KEYWORD:
		if (imap_lex_atom(p, &s, &len, "expected a flag keyword") == -1)
			return -1;
		n->s1.kind = IMAP_STR_ATOM;
		n->s1.p = s;
		n->s1.len = n->s1.size = len;
		return 0;
	case SARG_SEQSET:
		return imap_lex_seqset(p, &n->set, 0, 0);
	case SARG_MODSEQ:
		return imap_search_modseq(p, n);
	case SARG_NOT:
		return imap_search_key(p, c, &n->child);
	case SARG_OR:
		if (imap_search_key(p, c, &n->child) == -1 ||
		    imap_lex_char(p, ' ', "OR needs two search keys") == -1)
			return -1;
		return imap_search_key(p, c, &c->u.search.nodes[n->child].next);
	}
	return imap_lex_fail(p, "bad search key");
}

/* imap_search_named: a search key given by name. */
static int
imap_search_named(struct imap_lex *p, struct imap_cmd *c, int16_t *idx)
{
	const char *s;
	size_t n, i, at = p->pos;

	if (imap_lex_atom(p, &s, &n, "expected a search key") == -1)
		return -1;
	for (i = 0; i < NSKEYS; i++)
		if (imap_lex_is(s, n, imap_skeys[i].name))
			break;
	if (i == NSKEYS) {
		p->pos = at;
		return imap_lex_fail(p, "unknown search key");
	}
	if (imap_search_node(p, c, imap_skeys[i].key, idx) == -1)
		return -1;
	return imap_search_args(p, c, *idx, imap_skeys[i].arg);
}

/* imap_search_key: one search-key into a new node (*idx). */
static int
imap_search_key(struct imap_lex *p, struct imap_cmd *c, int16_t *idx)
{
	int ch, rc;

	if (p->depth >= IMAP_SEARCH_DEPTH_MAX)
		return imap_lex_limit(p, "search keys nested too deeply");
	p->depth++;
	ch = imap_lex_peek(p);
	if (ch == '(') {
		p->pos++;
		rc = imap_search_node(p, c, IMAP_SK_AND, idx);
		if (rc == 0)
			rc = imap_search_list(p, c, *idx);
		if (rc == 0)
			rc = imap_lex_char(p, ')',
			    "expected \")\" after search keys");
	} else if ((ch >= '0' && ch <= '9') || ch == '*' || ch == '$') {
		rc = imap_search_node(p, c, IMAP_SK_SEQSET, idx);
		if (rc == 0)
			rc = imap_lex_seqset(p, &c->u.search.nodes[*idx].set,
			    0, 0);
	} else
		rc = imap_search_named(p, c, idx);
	p->depth--;
	return rc;
}

/* imap_search_return: "RETURN" SP "(" [opt *(SP opt)] ")" SP (RFC 4731
 * section 3; RFC 5182 SAVE). */
static int
imap_search_return(struct imap_lex *p, struct imap_cmd *c)
{
	static const struct {
		const char	*name;
		uint32_t	 bit;
	} opts[] = {
		{ "MIN", IMAP_SR_MIN }, { "MAX", IMAP_SR_MAX },
		{ "ALL", IMAP_SR_ALL }, { "COUNT", IMAP_SR_COUNT },
		{ "SAVE", IMAP_SR_SAVE },
	};
	size_t i;

	c->u.search.ret_given = 1;
	if (imap_lex_char(p, ' ', "expected SP after RETURN") == -1 ||
	    imap_lex_char(p, '(', "expected \"(\" after RETURN") == -1)
		return -1;
	if (!imap_lex_accept(p, ')')) {
		do {
			for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
				if (imap_lex_keyword(p, opts[i].name))
					break;
			if (i == sizeof(opts) / sizeof(opts[0]))
				return imap_lex_fail(p,
				    "unknown search return option");
			c->u.search.ret |= opts[i].bit;
		} while (imap_lex_accept(p, ' '));
		if (imap_lex_char(p, ')', "expected \")\" after return "
		    "options") == -1)
			return -1;
	}
	if (c->u.search.ret == 0)
		c->u.search.ret = IMAP_SR_ALL;
	return imap_lex_char(p, ' ', "expected SP after return options");
}

/* imap_search_charset: "CHARSET" SP charset SP; only UTF-8 and US-ASCII
 * (RFC 9051 6.4.4: NO [BADCHARSET] for the others). */
static int
imap_search_charset(struct imap_lex *p, struct imap_cmd *c)
{
	struct imap_str *cs = &c->u.search.charset;
	size_t at;

	if (imap_lex_char(p, ' ', "expected SP after CHARSET") == -1)
		return -1;
	at = p->pos;
	if (imap_lex_peek(p) == '"') {
		if (imap_lex_string(p, cs, 0) == -1)
			return -1;
	} else {
		if (imap_lex_atom(p, &cs->p, &cs->len,
		    "expected a charset") == -1)
			return -1;
		cs->kind = IMAP_STR_ATOM;
		cs->size = cs->len;
	}
	if (!imap_str_eq(cs, "UTF-8") && !imap_str_eq(cs, "US-ASCII")) {
		p->pos = at;
		p->no = 1;
		p->code = "BADCHARSET (UTF-8 US-ASCII)";
		return imap_lex_fail(p, "unsupported charset");
	}
	return imap_lex_char(p, ' ', "expected SP after charset");
}

int
imap_parse_search(struct imap_lex *p, struct imap_cmd *c)
{
	int16_t root = 0;

	if (imap_lex_keyword(p, "RETURN") && imap_search_return(p, c) == -1)
		return -1;
	if (imap_lex_keyword(p, "CHARSET") && imap_search_charset(p, c) == -1)
		return -1;
	if (imap_search_node(p, c, IMAP_SK_AND, &root) == -1)
		return -1;
	return imap_search_list(p, c, root);
}
