/*
 * parse.c: the POP3 command table, the command line parser and the line
 * splitter (see parse.h).  Runs in pop3d's net process (AUTHORIZATION)
 * and mail process (TRANSACTION) on bytes straight from the client, which
 * it trusts for nothing: lengths are checked before anything is looked at,
 * and no argument reaches an engine unchecked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3d/parse.h"

#define A	POP3_AUTHORIZATION
#define T	POP3_TRANSACTION

/* Argument shapes. */
enum pop3_shape {
	SHAPE_NONE,		/* no arguments */
	SHAPE_OPTNUM,		/* [msg] */
	SHAPE_NUM,		/* msg */
	SHAPE_NUM2,		/* msg lines */
	SHAPE_NAME,		/* one token */
	SHAPE_REST,		/* the rest of the line, verbatim */
	SHAPE_AUTH,		/* [mechanism [initial-response]] */
};

struct pop3_verbdef {
	const char	*name;
	int		 verb;
	int		 states;
	int		 shape;
	const char	*e_missing;	/* too few arguments */
	const char	*e_extra;	/* too many */
};

/* Sorted by name: searched with bsearch. */
static const struct pop3_verbdef pop3_verbs[] = {
	{ "AUTH", POP3_AUTH, A, SHAPE_AUTH, NULL,
	    "AUTH takes at most two arguments" },
	{ "CAPA", POP3_CAPA, A | T, SHAPE_NONE, NULL,
	    "CAPA takes no arguments" },
	{ "DELE", POP3_DELE, T, SHAPE_NUM, "DELE needs a message number",
	    "DELE takes exactly one argument" },
	{ "LIST", POP3_LIST, T, SHAPE_OPTNUM, NULL,
	    "LIST takes at most one argument" },
	{ "NOOP", POP3_NOOP, T, SHAPE_NONE, NULL,
	    "NOOP takes no arguments" },
	{ "PASS", POP3_PASS, A, SHAPE_REST, "PASS needs a password", NULL },
	{ "QUIT", POP3_QUIT, A | T, SHAPE_NONE, NULL,
	    "QUIT takes no arguments" },
	{ "RETR", POP3_RETR, T, SHAPE_NUM, "RETR needs a message number",
	    "RETR takes exactly one argument" },
	{ "RSET", POP3_RSET, T, SHAPE_NONE, NULL,
	    "RSET takes no arguments" },
	{ "STAT", POP3_STAT, T, SHAPE_NONE, NULL,
	    "STAT takes no arguments" },
	{ "TOP", POP3_TOP, T, SHAPE_NUM2,
	    "TOP needs a message number and a line count",
	    "TOP takes exactly two arguments" },
	{ "UIDL", POP3_UIDL, T, SHAPE_OPTNUM, NULL,
	    "UIDL takes at most one argument" },
	{ "USER", POP3_USER, A, SHAPE_NAME, "USER needs a user name",
	    "USER takes exactly one argument" },
};

#define NVERBDEFS	(sizeof(pop3_verbs) / sizeof(pop3_verbs[0]))

/* RFC 2449 section 6; IMPLEMENTATION, EXPIRE and LOGIN-DELAY as sections
 * 6.9, 6.7, 6.5 have them. */
#define CAPA_COMMON \
	"TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n" \
	"EXPIRE NEVER\r\nLOGIN-DELAY 0\r\nIMPLEMENTATION postern\r\n"

static const char pop3_capa_auth[] = "+OK capability list follows\r\n"
    CAPA_COMMON "USER\r\nSASL PLAIN\r\n.\r\n";
static const char pop3_capa_trans[] = "+OK capability list follows\r\n"
    CAPA_COMMON ".\r\n";

const char *
pop3_capa(int state)
{
	return state == POP3_AUTHORIZATION ? pop3_capa_auth : pop3_capa_trans;
}

const char *
pop3_verb_name(int verb)
{
	size_t i;

	for (i = 0; i < NVERBDEFS; i++)
		if (pop3_verbs[i].verb == verb)
			return pop3_verbs[i].name;
	return "?";
}

static int
pop3_verb_cmp(const void *key, const void *elem)
{
	const struct pop3_verbdef *v = elem;

	return strcasecmp(key, v->name);
}

/* pop3_lookup: the table entry for the verb of n octets at s, or NULL. */
static const struct pop3_verbdef *
pop3_lookup(const char *s, size_t n)
{
	char key[5];

	if (n < 3 || n > 4)
		return NULL;
	memcpy(key, s, n);
	key[n] = '\0';
	return bsearch(key, pop3_verbs, NVERBDEFS, sizeof(pop3_verbs[0]),
	    pop3_verb_cmp);
}

/* pop3_number: strict decimal in [min, POP3_NUM_MAX]: no sign, no
 * blanks, no junk.  Leading zeros are harmless and allowed. */
static int
pop3_number(const char *s, size_t n, uint32_t min, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > POP3_NUM_MAX)
			return -2;
	}
	if (v < min)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
pop3_num_arg(const char *s, size_t n, int which, uint32_t *out,
    const char **err)
{
	int rc;

	if ((rc = pop3_number(s, n, which == 0 ? 1 : 0, out)) == 0)
		return 0;
	if (which == 0)
		*err = rc == -2 ? "message number too large" :
		    "message number must be a positive decimal number";
	else
		*err = rc == -2 ? "line count too large" :
		    "line count must be a non-negative decimal number";
	return -1;
}

/* pop3_tokens: split s (n octets) on runs of spaces into at most max
 * tokens; returns the count, or max + 1 when there are more. */
static int
pop3_tokens(const char *s, size_t n, const char **tok, size_t *toklen,
    int max)
{
	size_t i = 0, start;
	int count = 0;

	for (;;) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			return count;
		if (count == max)
			return max + 1;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		tok[count] = s + start;
		toklen[count++] = i - start;
	}
}

static int
pop3_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* pop3_args: check the arguments in s (n octets, after the verb) against
 * the shape of v and fill out. */
static int
pop3_args(const struct pop3_verbdef *v, const char *s, size_t n,
    struct pop3_cmd *out, const char **err)
{
	static const int maxargs[] = { 0, 1, 1, 2, 1, 1, 2 };
	static const int minargs[] = { 0, 0, 1, 2, 1, 1, 0 };
	const char *tok[2];
	size_t toklen[2];
	int i, nt;

	if (v->shape == SHAPE_REST) {
		if (n <= 1) {
			*err = v->e_missing;
			return -1;
		}
		out->nargs = 1;
		out->arg = s + 1;
		out->arglen = n - 1;
		return 0;
	}
	if (pop3_has_ctl(s, n)) {
		*err = "control character in argument";
		return -1;
	}
	nt = pop3_tokens(s, n, tok, toklen, maxargs[v->shape]);
	if (nt > maxargs[v->shape] || nt < minargs[v->shape]) {
		*err = nt > maxargs[v->shape] ? v->e_extra : v->e_missing;
		return -1;
	}
	out->nargs = nt;
	if (v->shape == SHAPE_NAME || v->shape == SHAPE_AUTH) {
		if (nt > 0) {
			out->arg = tok[0];
			out->arglen = toklen[0];
		}
		if (nt > 1) {
			out->arg2 = tok[1];
			out->arg2len = toklen[1];
		}
		return 0;
	}
	for (i = 0; i < nt; i++)
		if (pop3_num_arg(tok[i], toklen[i], i, &out->num[i],
		    err) == -1)
			return -1;
	return 0;
}

int
pop3_parse(const char *line, size_t len, int state, struct pop3_cmd *out,
    const char **err)
{
	const struct pop3_verbdef *v;
	size_t vlen;

	memset(out, 0, sizeof(*out));
	if (len > POP3_AUTH_LINE_MAX) {
		*err = "line too long";
		return -1;
	}
	if (len > 0 && memchr(line, '\0', len) != NULL) {
		*err = "NUL byte in command";
		return -1;
	}
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	if (vlen == 0) {
		*err = "empty command";
		return -1;
	}
	if ((v = pop3_lookup(line, vlen)) == NULL) {
		*err = "unknown command";
		return -1;
	}
	/* RFC 5034 section 4: only AUTH may exceed the RFC 2449 limit. */
	if (len > POP3_LINE_MAX && v->verb != POP3_AUTH) {
		*err = "line too long";
		return -1;
	}
	if ((v->states & state) == 0) {
		*err = "command not valid in this state";
		return -1;
	}
	out->verb = v->verb;
	return pop3_args(v, line + vlen, len - vlen, out, err);
}

void
pop3_line_init(struct pop3_line *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max < POP3_AUTH_LINE_MAX ? max : POP3_AUTH_LINE_MAX;
}

void
pop3_line_wipe(struct pop3_line *lb)
{
	explicit_bzero(lb->buf, sizeof(lb->buf));
	lb->len = 0;
}

int
pop3_line_feed(struct pop3_line *lb, const char *in, size_t len,
    size_t *used)
{
	const char *nl;
	size_t n, room;

	if (lb->done) {
		explicit_bzero(lb->buf, lb->len);
		lb->len = 0;
		lb->done = 0;
	}
	nl = memchr(in, '\n', len);
	n = nl != NULL ? (size_t)(nl - in) : len;
	*used = nl != NULL ? n + 1 : len;
	/* Keep one octet beyond max for a CR that may precede the LF. */
	room = lb->max + 1 - lb->len;
	if (lb->toolong || n > room) {
		lb->toolong = 1;
		explicit_bzero(lb->buf, lb->len);
		lb->len = 0;
	} else {
		memcpy(lb->buf + lb->len, in, n);
		lb->len += n;
	}
	if (nl == NULL)
		return POP3_LINE_MORE;
	lb->done = 1;
	if (lb->toolong) {
		lb->toolong = 0;
		return POP3_LINE_LONG;
	}
	if (lb->len > 0 && lb->buf[lb->len - 1] == '\r')
		lb->len--;
	if (lb->len > lb->max) {
		explicit_bzero(lb->buf, lb->len);
		lb->len = 0;
		return POP3_LINE_LONG;
	}
	lb->buf[lb->len] = '\0';
	return POP3_LINE_OK;
}
