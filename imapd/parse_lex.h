/*
 * parse_lex.h: the IMAP parser's cursor and token readers (atoms,
 * strings, literals, numbers, sequence sets, dates, flags), shared by
 * parse.c, parse_fetch.c and parse_search.c; not for other callers.
 *
 * Runs wherever parse.h runs, on client bytes it trusts for nothing.  The
 * cursor never passes the end of the text before the next literal: text
 * scanners stop there, so a literal's octets are only ever taken whole,
 * by imap_lex_string, and never read as syntax.
 *
 * Every reader returns 0 and advances, or returns -1, leaving the cursor
 * where the error is and its reason in p->err (the first reason wins).
 */
#ifndef IMAPD_PARSE_LEX_H
#define IMAPD_PARSE_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "imapd/parse.h"

struct imap_lex {
	const char			*buf;
	size_t				 len;
	size_t				 pos;
	size_t				 end;	/* end of text: the next
						 * literal's octets, or len */
	const struct imap_literal	*lits;
	size_t				 nlits;
	size_t				 nextlit;
	int				 flags;	/* IMAP_PF_* */
	int				 depth;	/* search nesting */
	const char			*err;
	size_t				 errat;
	const char			*code;
	int				 no;	/* answer NO, not BAD */
};

/* imap_lex_init: a cursor at the start of buf. */
void	imap_lex_init(struct imap_lex *p, const char *buf, size_t len,
	    const struct imap_literal *lits, size_t nlits, int flags);

/* imap_lex_fail: record why (if none yet) at the cursor; returns -1.
 * imap_lex_limit: the same with response code LIMIT. */
int	imap_lex_fail(struct imap_lex *p, const char *why);
int	imap_lex_limit(struct imap_lex *p, const char *why);

/* imap_lex_peek: the next text octet, or -1 at the end of the text
 * (end of the command, or the start of a literal's octets). */
int	imap_lex_peek(const struct imap_lex *p);

/* imap_lex_at_end: 1 when the whole command has been read. */
int	imap_lex_at_end(const struct imap_lex *p);

/* imap_lex_char: expect the octet c (SP, "(", ")", ...); what names it
 * in the error ("expected SP"). */
int	imap_lex_char(struct imap_lex *p, int c, const char *what);

/* imap_lex_accept: consume c if it is next; 1 if it was, else 0. */
int	imap_lex_accept(struct imap_lex *p, int c);

/* imap_lex_atom: 1*ATOM-CHAR (RFC 9051 atom) as s/n; what is the error
 * when there is none ("expected a flag"). */
int	imap_lex_atom(struct imap_lex *p, const char **s, size_t *n,
	    const char *what);

/* imap_lex_keyword: an atom equal (case-insensitively) to word: 1, and
 * consumed; else 0 and nothing consumed. */
int	imap_lex_keyword(struct imap_lex *p, const char *word);

/* imap_lex_is: 1 when the atom s/n equals word case-insensitively. */
int	imap_lex_is(const char *s, size_t n, const char *word);

/*
 * String readers into an imap_str.  string: quoted or literal; astring:
 * 1*ASTRING-CHAR or string; nstring: NIL or string; list-mailbox:
 * 1*list-char or string.  Literal8 "~{n}" only where binary_ok (APPEND
 * message).  External literals only where external_ok; elsewhere, and
 * for NUL in a literal, an error.
 */
#define IMAP_LEX_BINARY		0x01
#define IMAP_LEX_EXTERNAL	0x02
int	imap_lex_string(struct imap_lex *p, struct imap_str *s, int ok);
int	imap_lex_astring(struct imap_lex *p, struct imap_str *s);
int	imap_lex_nstring(struct imap_lex *p, struct imap_str *s);
int	imap_lex_list_mailbox(struct imap_lex *p, struct imap_str *s);

/* imap_lex_number: number (32-bit, RFC 9051 "number"); nz: non-zero. */
int	imap_lex_number(struct imap_lex *p, uint32_t *v, int nz);

/* imap_lex_number64: number64 (0 .. 2^63 - 1); nz: non-zero
 * (mod-sequence-value). */
int	imap_lex_number64(struct imap_lex *p, uint64_t *v, int nz);

/* imap_lex_seqset: sequence-set or "$"; nostar: "*" not allowed
 * (QRESYNC known-uids); nosaved: "$" not allowed. */
int	imap_lex_seqset(struct imap_lex *p, struct imap_seqset *set,
	    int nostar, int nosaved);

/* imap_lex_date: date (date-text, or quoted date-text), 00:00 UTC. */
int	imap_lex_date(struct imap_lex *p, int64_t *t);

/* imap_lex_datetime: the quoted date-time of APPEND, in UTC. */
int	imap_lex_datetime(struct imap_lex *p, int64_t *t);

/*
 * imap_lex_flag_list: "(" [flag *(SP flag)] ")" into f; with paren 0,
 * also a bare list of flags separated by SP, up to the end (STORE's
 * flag list form without parentheses).
 */
int	imap_lex_flag_list(struct imap_lex *p, struct imap_flags *f,
	    int paren);

/* imap_lex_status_atts: "(" status-att *(SP status-att) ")" as a mask. */
int	imap_lex_status_atts(struct imap_lex *p, uint32_t *items);

/* The command sub-parsers (parse_fetch.c, parse_search.c). */
int	imap_parse_fetch(struct imap_lex *p, struct imap_cmd *c);
int	imap_parse_search(struct imap_lex *p, struct imap_cmd *c);

#endif
