/*
 * mime_field.h: header fields for the MIME parser: walking the fields of
 * a header block, unfolding, and the structured values of Content-Type
 * and Content-Disposition (RFC 2045 parameters with RFC 822 comments and
 * quoted strings, RFC 2231 continuations).  Used by the mime_*.c files
 * only; runs in the mail process and trusts nothing in the bytes.  Every
 * result points into the message: nothing is copied or allocated.
 */
#ifndef POSTERN_MIME_FIELD_H
#define POSTERN_MIME_FIELD_H

#include <stddef.h>

#include "common/mime.h"
#include "common/strbuf.h"

/* One header field: all its lines, [start, end) of the header block.  A
 * line without a colon (or a continuation line at the very start) is a
 * field with name_len 0.  The value runs from after the colon to the end
 * of the field's last line, its line ends included (it is folded). */
struct mime_field {
	const char	*start, *end;
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

struct mime_field_iter {
	const char	*p, *end;
};

/* mime_field_first: start walking the header block [p, p + len); the
 * empty line that ends it, if there, ends the walk. */
void	mime_field_first(struct mime_field_iter *it, const char *p,
	    size_t len);

/* mime_field_next: the next field into *f; returns 1, or 0 at the end. */
int	mime_field_next(struct mime_field_iter *it, struct mime_field *f);

/* mime_field_find: the first field named name (case-insensitive) of the
 * header block; returns 1 and *f, or 0 when there is none. */
int	mime_field_find(const char *p, size_t len, const char *name,
	    struct mime_field *f);

/* mime_field_is: 1 when f is named name (case-insensitive). */
int	mime_field_is(const struct mime_field *f, const char *name);

/* mime_trim: the value [*p, *p + *len) without surrounding blanks
 * and line ends (narrowed in place). */
void	mime_trim(const char **p, size_t *len);

/* mime_add_unfolded: append the value to sb without its CR and LF bytes
 * (RFC 5322 unfolding) and without surrounding blanks.  0 or -1. */
int	mime_add_unfolded(struct strbuf *sb, const char *p, size_t len);

/* One parameter, as written: the value is a token or the inside of a
 * quoted string (then quoted is 1: backslashes and line ends still in).
 * section is the RFC 2231 section number or -1; extended is 1 when the
 * name ends in '*' (charset'language'%XX encoding). */
struct mime_param {
	const char	*name;
	size_t		 name_len;	/* without "*N" and "*" */
	const char	*value;
	size_t		 value_len;
	int		 quoted;
	int		 section;
	int		 extended;
};

/* A parsed Content-Type or Content-Disposition: the token(s) before the
 * parameters (subtype only for Content-Type) and up to MIME_PARAMS_MAX
 * parameters; later ones are dropped. */
struct mime_ctype {
	const char	*type, *subtype;
	size_t		 type_len, subtype_len;
	struct mime_param params[MIME_PARAMS_MAX];
	size_t		 nparams;
};

/*
 * mime_ctype_parse: parse a structured value with parameters (the len
 * bytes at p).  with_subtype: "type/subtype" is expected (Content-Type);
 * else one token (Content-Disposition).  Tolerant: comments anywhere,
 * blanks around '/', '=' and ';', a parameter without '=' is skipped, an
 * unquoted value with blanks runs to the next ';'.  Returns 0, or -1 when
 * the leading token (or "type/subtype") is missing or malformed; the
 * parameters are parsed in both cases.
 */
int	mime_ctype_parse(const char *p, size_t len, int with_subtype,
	    struct mime_ctype *ct);

/* mime_param_get: the value of the first plain (not RFC 2231 sectioned)
 * parameter named name, unquoted, into buf (size bytes, NUL-terminated).
 * Returns its length, or -1 when absent or longer than size - 1. */
int	mime_param_get(const struct mime_ctype *ct, const char *name,
	    char *buf, size_t size);

/* mime_param_value_add: append the parameter's value, unquoted and
 * unfolded, to sb.  0 or -1. */
int	mime_param_value_add(struct strbuf *sb, const struct mime_param *pa);

/* mime_token_eq: the len bytes at p equal s, ignoring ASCII case. */
int	mime_token_eq(const char *p, size_t len, const char *s);

/*
 * A tokenizer for RFC 5322 structured values (addresses, languages):
 * mime_lex_next skips blanks, line ends and comments (the text of the
 * last comment skipped is kept in comment, for an address's name) and
 * returns the next token: MIME_TOK_ATOM (a run of bytes that are neither
 * blanks, controls nor specials; 8-bit bytes and '.' included),
 * MIME_TOK_QUOTED (the inside of a quoted string), MIME_TOK_DOMLIT (a
 * [domain literal], brackets included), a special character itself
 * ('<', '>', '@', ',', ';', ':', and any other special), or MIME_TOK_END.
 */
enum {
	MIME_TOK_END = 256,
	MIME_TOK_ATOM,
	MIME_TOK_QUOTED,
	MIME_TOK_DOMLIT
};

struct mime_lex {
	const char	*p, *end;
	const char	*tok, *comment;
	size_t		 tok_len, comment_len;
};

void	mime_lex_init(struct mime_lex *lx, const char *p, size_t len);
int	mime_lex_next(struct mime_lex *lx);

/* mime_quoted_add: append the inside of a quoted string or comment
 * (backslash escapes and line ends removed) to sb.  0 or -1. */
int	mime_quoted_add(struct strbuf *sb, const char *p, size_t len);

#endif
