/*
 * imap_grammar.h: a checker of the RFC 3501 (section 9) grammar of
 * ENVELOPE, BODY and BODYSTRUCTURE, for test_mime and fuzz_mime: it
 * reads a rendered string and says whether it is exactly one envelope or
 * body, nothing missing and nothing left over.  Header only; trusts
 * nothing in the string it checks.  Extension data is required in full
 * (md5, disposition, language, location) when ext is set, since the
 * renderer always writes all of it.
 */
#ifndef POSTERN_IMAP_GRAMMAR_H
#define POSTERN_IMAP_GRAMMAR_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct imap_gr {
	const char	*p, *end;
	const char	*str;		/* last string's content */
	size_t		 str_len;	/* (escapes left in for quoted) */
	int		 depth;
};

static int
imap_gr_lit(struct imap_gr *g, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(g->end - g->p) < n || memcmp(g->p, s, n) != 0)
		return 0;
	g->p += n;
	return 1;
}

static int
imap_gr_number(struct imap_gr *g)
{
	const char *s = g->p;

	while (g->p < g->end && *g->p >= '0' && *g->p <= '9')
		g->p++;
	return g->p > s;
}

static int
imap_gr_string(struct imap_gr *g)
{
	size_t n = 0;
	const char *s;

	if (g->p < g->end && *g->p == '"') {
		s = ++g->p;
		while (g->p < g->end && *g->p != '"') {
			if (*g->p == '\r' || *g->p == '\n' || *g->p == '\0' ||
			    (unsigned char)*g->p >= 0x80)
				return 0;
			if (*g->p == '\\') {
				if (g->p + 1 >= g->end || (g->p[1] != '"' &&
				    g->p[1] != '\\'))
					return 0;
				g->p++;
			}
			g->p++;
		}
		if (g->p >= g->end)
			return 0;
		g->str = s;
		g->str_len = (size_t)(g->p - s);
		g->p++;
		return 1;
	}
	if (g->p < g->end && *g->p == '{') {
		g->p++;
		while (g->p < g->end && *g->p >= '0' && *g->p <= '9') {
			if (n > 100000000)
				return 0;
			n = n * 10 + (size_t)(*g->p++ - '0');
		}
		if (!imap_gr_lit(g, "}\r\n") || (size_t)(g->end - g->p) < n ||
		    memchr(g->p, '\0', n) != NULL)
			return 0;
		g->str = g->p;
		g->str_len = n;
		g->p += n;
		return 1;
	}
	return 0;
}

static int
imap_gr_nstring(struct imap_gr *g)
{
	if (imap_gr_lit(g, "NIL")) {
		g->str = NULL;
		g->str_len = 0;
		return 1;
	}
	return imap_gr_string(g);
}

static int
imap_gr_addrs(struct imap_gr *g)
{
	int n = 0, i;

	if (imap_gr_lit(g, "NIL"))
		return 1;
	if (!imap_gr_lit(g, "("))
		return 0;
	while (imap_gr_lit(g, "(")) {
		for (i = 0; i < 4; i++)
			if ((i > 0 && !imap_gr_lit(g, " ")) ||
			    !imap_gr_nstring(g))
				return 0;
		if (!imap_gr_lit(g, ")"))
			return 0;
		n++;
	}
	return n > 0 && imap_gr_lit(g, ")");
}

static int
imap_gr_envelope(struct imap_gr *g)
{
	int i;

	if (!imap_gr_lit(g, "(") || !imap_gr_nstring(g) ||
	    !imap_gr_lit(g, " ") || !imap_gr_nstring(g))
		return 0;
	for (i = 0; i < 6; i++)
		if (!imap_gr_lit(g, " ") || !imap_gr_addrs(g))
			return 0;
	return imap_gr_lit(g, " ") && imap_gr_nstring(g) &&
	    imap_gr_lit(g, " ") && imap_gr_nstring(g) && imap_gr_lit(g, ")");
}

static int
imap_gr_params(struct imap_gr *g)
{
	int n = 0;

	if (imap_gr_lit(g, "NIL"))
		return 1;
	if (!imap_gr_lit(g, "("))
		return 0;
	do {
		if (!imap_gr_string(g) || !imap_gr_lit(g, " ") ||
		    !imap_gr_string(g))
			return 0;
		n++;
	} while (imap_gr_lit(g, " "));
	return imap_gr_lit(g, ")");
}

static int
imap_gr_ext(struct imap_gr *g)
{
	if (!imap_gr_lit(g, " "))
		return 0;
	if (!imap_gr_lit(g, "NIL") && !(imap_gr_lit(g, "(") &&
	    imap_gr_string(g) && imap_gr_lit(g, " ") && imap_gr_params(g) &&
	    imap_gr_lit(g, ")")))
		return 0;
	if (!imap_gr_lit(g, " "))
		return 0;
	if (imap_gr_lit(g, "(")) {
		do {
			if (!imap_gr_string(g))
				return 0;
		} while (imap_gr_lit(g, " "));
		if (!imap_gr_lit(g, ")"))
			return 0;
	} else if (!imap_gr_nstring(g))
		return 0;
	return imap_gr_lit(g, " ") && imap_gr_nstring(g);
}

static int
imap_gr_is(const struct imap_gr *g, const char *s)
{
	return g->str != NULL && g->str_len == strlen(s) &&
	    strncasecmp(g->str, s, g->str_len) == 0;
}

static int imap_gr_body(struct imap_gr *, int);

static int
imap_gr_onepart(struct imap_gr *g, int ext)
{
	int msg, text;

	if (!imap_gr_string(g))
		return 0;
	text = imap_gr_is(g, "text");
	msg = imap_gr_is(g, "message");
	if (!imap_gr_lit(g, " ") || !imap_gr_string(g))
		return 0;
	msg = msg && (imap_gr_is(g, "rfc822") || imap_gr_is(g, "global"));
	if (!imap_gr_lit(g, " ") || !imap_gr_params(g) ||
	    !imap_gr_lit(g, " ") || !imap_gr_nstring(g) ||
	    !imap_gr_lit(g, " ") || !imap_gr_nstring(g) ||
	    !imap_gr_lit(g, " ") || !imap_gr_string(g) ||
	    !imap_gr_lit(g, " ") || !imap_gr_number(g))
		return 0;
	if (msg && !(imap_gr_lit(g, " ") && imap_gr_envelope(g) &&
	    imap_gr_lit(g, " ") && imap_gr_body(g, ext) &&
	    imap_gr_lit(g, " ") && imap_gr_number(g)))
		return 0;
	if (text && !(imap_gr_lit(g, " ") && imap_gr_number(g)))
		return 0;
	if (ext && !(imap_gr_lit(g, " ") && imap_gr_nstring(g) &&
	    imap_gr_ext(g)))
		return 0;
	return 1;
}

static int
imap_gr_body(struct imap_gr *g, int ext)
{
	int n = 0, ok;

	if (++g->depth > 200 || !imap_gr_lit(g, "("))
		return 0;
	if (g->p < g->end && *g->p == '(') {
		while (g->p < g->end && *g->p == '(') {
			if (!imap_gr_body(g, ext))
				return 0;
			n++;
		}
		ok = n > 0 && imap_gr_lit(g, " ") && imap_gr_string(g) &&
		    (!ext || (imap_gr_lit(g, " ") && imap_gr_params(g) &&
		    imap_gr_ext(g)));
	} else
		ok = imap_gr_onepart(g, ext);
	g->depth--;
	return ok && imap_gr_lit(g, ")");
}

/* imap_grammar_body: 1 when the len bytes at s are exactly one body
 * (ext: BODYSTRUCTURE with all extension data; else BODY). */
static inline int
imap_grammar_body(const char *s, size_t len, int ext)
{
	struct imap_gr g = { s, s + len, NULL, 0, 0 };

	return imap_gr_body(&g, ext) && g.p == g.end;
}

/* imap_grammar_envelope: 1 when the len bytes at s are one envelope. */
static inline int
imap_grammar_envelope(const char *s, size_t len)
{
	struct imap_gr g = { s, s + len, NULL, 0, 0 };

	return imap_gr_envelope(&g) && g.p == g.end;
}

#endif
