/*
 * parse_lex.c: the IMAP parser's token readers (see parse_lex.h): atoms,
 * strings and literals, numbers, sequence sets, dates, flag lists.  Runs
 * in imapd's net and mail processes on client bytes it trusts for
 * nothing; every reader is bounded by the cursor's end of text, and every
 * number is checked for overflow before it is multiplied.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imapd/parse_lex.h"

void
imap_lex_init(struct imap_lex *p, const char *buf, size_t len,
    const struct imap_literal *lits, size_t nlits, int flags)
{
	size_t i, prev = 0;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->len = len;
	p->lits = lits;
	p->nlits = nlits;
	p->flags = flags;
	for (i = 0; i < nlits; i++) {
		if (lits[i].off < prev || lits[i].off > len ||
		    lits[i].len > len - lits[i].off) {
			/* Not the reader's records: parse nothing. */
			p->nlits = 0;
			p->end = 0;
			p->err = "internal error: bad literal records";
			return;
		}
		prev = lits[i].off + lits[i].len;
	}
	p->end = p->nlits > 0 ? lits[0].off : len;
}

int
imap_lex_fail(struct imap_lex *p, const char *why)
{
	if (p->err == NULL) {
		p->err = why;
		p->errat = p->pos;
	}
	return -1;
}

int
imap_lex_limit(struct imap_lex *p, const char *why)
{
	if (p->err == NULL)
		p->code = "LIMIT";
	return imap_lex_fail(p, why);
}

int
imap_lex_peek(const struct imap_lex *p)
{
	return p->pos < p->end ? (unsigned char)p->buf[p->pos] : -1;
}

int
imap_lex_at_end(const struct imap_lex *p)
{
	return p->pos == p->len;
}

int
imap_lex_accept(struct imap_lex *p, int c)
{
	if (imap_lex_peek(p) != c)
		return 0;
	p->pos++;
	return 1;
}

int
imap_lex_char(struct imap_lex *p, int c, const char *what)
{
	if (imap_lex_accept(p, c))
		return 0;
	return imap_lex_fail(p, what);
}

/* RFC 9051 ATOM-CHAR: any CHAR except atom-specials. */
static int
imap_lex_atom_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

static int
imap_lex_astring_char(int c)
{
	return imap_lex_atom_char(c) || c == ']';
}

static int
imap_lex_list_char(int c)
{
	return imap_lex_atom_char(c) || c == '%' || c == '*' || c == ']';
}

/* imap_lex_run: the run of octets of class ok at the cursor, consumed. */
static size_t
imap_lex_run(struct imap_lex *p, int (*ok)(int))
{
	size_t start = p->pos;

	while (p->pos < p->end && ok((unsigned char)p->buf[p->pos]))
		p->pos++;
	return p->pos - start;
}

int
imap_lex_atom(struct imap_lex *p, const char **s, size_t *n,
    const char *what)
{
	*s = p->buf + p->pos;
	if ((*n = imap_lex_run(p, imap_lex_atom_char)) == 0)
		return imap_lex_fail(p, what);
	return 0;
}

int
imap_lex_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

int
imap_lex_keyword(struct imap_lex *p, const char *word)
{
	size_t start = p->pos, n;

	n = imap_lex_run(p, imap_lex_atom_char);
	if (imap_lex_is(p->buf + start, n, word))
		return 1;
	p->pos = start;
	return 0;
}

/* imap_lex_utf8: the length of the well-formed UTF-8 sequence (RFC 3629)
 * of two or more octets at s (n available), or 0. */
static size_t
imap_lex_utf8(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* imap_lex_quoted: a quoted string (RFC 9051 quoted: TEXT-CHAR except
 * the quoted-specials, which come escaped; with UTF8=ACCEPT also UTF-8). */
static int
imap_lex_quoted(struct imap_lex *p, struct imap_str *s)
{
	size_t start, n;
	int c;

	p->pos++;
	start = p->pos;
	memset(s, 0, sizeof(*s));
	for (;;) {
		if ((c = imap_lex_peek(p)) == -1)
			return imap_lex_fail(p, "unterminated quoted string");
		if (c == '"')
			break;
		if (c == '\\') {
			p->pos++;
			c = imap_lex_peek(p);
			if (c != '"' && c != '\\')
				return imap_lex_fail(p,
				    "bad escape in quoted string");
			s->escaped = 1;
		} else if (c == '\0' || c == '\r' || c == '\n') {
			return imap_lex_fail(p,
			    "bad character in quoted string");
		} else if (c >= 0x80) {
			if (!(p->flags & IMAP_PF_UTF8))
				return imap_lex_fail(p,
				    "8-bit character in quoted string");
			n = imap_lex_utf8((const unsigned char *)p->buf +
			    p->pos, p->end - p->pos);
			if (n == 0)
				return imap_lex_fail(p,
				    "bad UTF-8 in quoted string");
			p->pos += n;
			s->size += n;
			continue;
		}
		p->pos++;
		s->size++;
	}
	s->kind = IMAP_STR_QUOTED;
	s->p = p->buf + start;
	s->len = p->pos - start;
	p->pos++;
	return 0;
}

/* imap_lex_literal: "{n}", "{n+}" or (binary) "~{n}" at the end of the
 * text, then the literal the reader recorded right there. */
static int
imap_lex_literal(struct imap_lex *p, struct imap_str *s, int ok)
{
	const struct imap_literal *l;
	uint64_t n;
	int binary;

	binary = imap_lex_accept(p, '~');
	if (binary && !(ok & IMAP_LEX_BINARY))
		return imap_lex_fail(p, "literal8 not allowed here");
	if (imap_lex_char(p, '{', "expected a literal") == -1 ||
	    imap_lex_number64(p, &n, 0) == -1)
		return -1;
	imap_lex_accept(p, '+');
	if (imap_lex_char(p, '}', "bad literal announcement") == -1)
		return -1;
	if (p->pos != p->end || p->nextlit >= p->nlits)
		return imap_lex_fail(p, "literal announcement not at end of "
		    "line");
	l = &p->lits[p->nextlit];
	if (l->size != n)
		return imap_lex_fail(p, "literal size mismatch");
	if (l->external && !(ok & IMAP_LEX_EXTERNAL))
		return imap_lex_fail(p, "literal too large here");
	if (!binary && memchr(p->buf + l->off, '\0', l->len) != NULL)
		return imap_lex_fail(p, "NUL octet in literal");
	memset(s, 0, sizeof(*s));
	s->kind = l->external ? IMAP_STR_EXTERNAL : IMAP_STR_LITERAL;
	s->p = l->external ? NULL : p->buf + l->off;
	s->len = l->len;
	s->size = l->size;
	s->binary = (uint8_t)binary;
	s->lit = (uint8_t)p->nextlit;
	p->pos = l->off + l->len;
	p->nextlit++;
	p->end = p->nextlit < p->nlits ? p->lits[p->nextlit].off : p->len;
	return 0;
}

int
imap_lex_string(struct imap_lex *p, struct imap_str *s, int ok)
{
	int c = imap_lex_peek(p);

	if (c == '"')
		return imap_lex_quoted(p, s);
	if (c == '{' || c == '~')
		return imap_lex_literal(p, s, ok);
	return imap_lex_fail(p, "expected a string");
}

/* imap_lex_word_or_string: 1*class, or a string. */
static int
imap_lex_word_or_string(struct imap_lex *p, struct imap_str *s,
    int (*ok)(int))
{
	const char *start = p->buf + p->pos;
	size_t n;
	int c = imap_lex_peek(p);

	if (c == '"' || c == '{')
		return imap_lex_string(p, s, 0);
	if ((n = imap_lex_run(p, ok)) == 0)
		return imap_lex_fail(p, "expected an atom or a string");
	memset(s, 0, sizeof(*s));
	s->kind = IMAP_STR_ATOM;
	s->p = start;
	s->len = n;
	s->size = n;
	return 0;
}

int
imap_lex_astring(struct imap_lex *p, struct imap_str *s)
{
	return imap_lex_word_or_string(p, s, imap_lex_astring_char);
}

int
imap_lex_list_mailbox(struct imap_lex *p, struct imap_str *s)
{
	if (imap_lex_word_or_string(p, s, imap_lex_list_char) == -1)
		return -1;
	if (s->size > IMAP_PATTERN_MAX)
		return imap_lex_limit(p, "mailbox pattern too long");
	return 0;
}

int
imap_lex_nstring(struct imap_lex *p, struct imap_str *s)
{
	if (imap_lex_keyword(p, "NIL")) {
		memset(s, 0, sizeof(*s));
		s->kind = IMAP_STR_NIL;
		return 0;
	}
	return imap_lex_string(p, s, 0);
}

int
imap_lex_number64(struct imap_lex *p, uint64_t *v, int nz)
{
	uint64_t n = 0;
	int c, digits = 0;

	while ((c = imap_lex_peek(p)) >= '0' && c <= '9') {
		if (n > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(c - '0')) /
		    10)
			return imap_lex_fail(p, "number too large");
		n = n * 10 + (uint64_t)(c - '0');
		p->pos++;
		digits++;
	}
	if (digits == 0)
		return imap_lex_fail(p, "expected a number");
	if (nz && n == 0) {
		p->pos -= (size_t)digits;
		return imap_lex_fail(p, "number must not be zero");
	}
	*v = n;
	return 0;
}

int
imap_lex_number(struct imap_lex *p, uint32_t *v, int nz)
{
	uint64_t n;
	size_t start = p->pos;

	if (imap_lex_number64(p, &n, nz) == -1)
		return -1;
	if (n > UINT32_MAX) {
		p->pos = start;
		return imap_lex_fail(p, "number too large");
	}
	*v = (uint32_t)n;
	return 0;
}

/* imap_lex_seqnum: seq-number: nz-number (no leading zero) or "*". */
static int
imap_lex_seqnum(struct imap_lex *p, int nostar, int *star)
{
	uint32_t v;

	if (imap_lex_peek(p) == '*') {
		if (nostar)
			return imap_lex_fail(p, "\"*\" not allowed here");
		p->pos++;
		*star = 1;
		return 0;
	}
	if (imap_lex_peek(p) == '0')
		return imap_lex_fail(p, "message number must be non-zero, "
		    "without leading zeros");
	return imap_lex_number(p, &v, 1);
}

int
imap_lex_seqset(struct imap_lex *p, struct imap_seqset *set, int nostar,
    int nosaved)
{
	size_t start = p->pos;
	int star = 0;

	memset(set, 0, sizeof(*set));
	set->p = p->buf + start;
	if (imap_lex_peek(p) == '$') {
		if (nosaved)
			return imap_lex_fail(p, "\"$\" not allowed here");
		p->pos++;
		set->saved = 1;
		set->len = 1;
		return 0;
	}
	do {
		if (imap_lex_seqnum(p, nostar, &star) == -1 ||
		    (imap_lex_accept(p, ':') &&
		    imap_lex_seqnum(p, nostar, &star) == -1))
			return -1;
		set->nranges++;
	} while (imap_lex_accept(p, ','));
	set->star = (uint8_t)star;
	set->len = p->pos - start;
	return 0;
}

static const char imap_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* imap_days: days from 1970-01-01 to y-m-d (proleptic Gregorian; the
 * civil-from-days inverse of H. Hinnant's chrono algorithms). */
static int64_t
imap_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
imap_mday_max(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* imap_digits: n digits at s as a number, or -1. */
static int
imap_digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* imap_dmy: "d-Mon-yyyy" with a day of 1 or 2 digits at the start of s
 * (len octets); *used is the length consumed. */
static int
imap_dmy(const char *s, size_t len, int64_t *t, size_t *used)
{
	int d, m, y;
	size_t dl;

	for (dl = 0; dl < len && dl < 3 && s[dl] != '-'; dl++)
		;
	if (dl == 0 || dl > 2 || len < dl + 9 || s[dl] != '-' ||
	    s[dl + 4] != '-')
		return -1;
	if ((d = imap_digits(s, dl)) < 1)
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(s + dl + 1, imap_months[m], 3) == 0)
			break;
	if (m == 12 || (y = imap_digits(s + dl + 5, 4)) < 1)
		return -1;
	if (d > imap_mday_max(y, m + 1))
		return -1;
	*t = imap_days(y, m + 1, d) * 86400;
	*used = dl + 9;
	return 0;
}

int
imap_date_parse(const char *s, size_t len, int64_t *t)
{
	size_t used;

	if (imap_dmy(s, len, t, &used) == -1 || used != len)
		return -1;
	return 0;
}

int
imap_datetime_parse(const char *s, size_t len, int64_t *t)
{
	char day[2];
	int h, mi, se, zh, zm;
	int64_t date;
	size_t used;

	if (len != 26 || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
	    s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
		return -1;
	/* date-day-fixed: SP DIGIT or 2DIGIT. */
	day[0] = s[0] == ' ' ? '0' : s[0];
	day[1] = s[1];
	if (day[0] < '0' || day[0] > '9' || day[1] < '0' || day[1] > '9')
		return -1;
	if (imap_digits(day, 2) < 1 || s[2] != '-')
		return -1;
	if (imap_dmy(s + (s[0] == ' ' ? 1 : 0), s[0] == ' ' ? 10 : 11,
	    &date, &used) == -1)
		return -1;
	h = imap_digits(s + 12, 2);
	mi = imap_digits(s + 15, 2);
	se = imap_digits(s + 18, 2);
	zh = imap_digits(s + 22, 2);
	zm = imap_digits(s + 24, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 ||
	    zh < 0 || zh > 23 || zm < 0 || zm > 59)
		return -1;
	*t = date + h * 3600 + mi * 60 + se -
	    (s[21] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
	return 0;
}

int
imap_lex_date(struct imap_lex *p, int64_t *t)
{
	size_t start;
	int quoted;

	quoted = imap_lex_accept(p, '"');
	start = p->pos;
	while (p->pos < p->end && p->pos - start < 12 &&
	    imap_lex_atom_char((unsigned char)p->buf[p->pos]))
		p->pos++;
	if (imap_date_parse(p->buf + start, p->pos - start, t) == -1) {
		p->pos = start;
		return imap_lex_fail(p, "bad date (d-Mon-yyyy)");
	}
	if (quoted)
		return imap_lex_char(p, '"', "bad date (d-Mon-yyyy)");
	return 0;
}

int
imap_lex_datetime(struct imap_lex *p, int64_t *t)
{
	size_t start;

	if (imap_lex_char(p, '"', "expected a date-time") == -1)
		return -1;
	start = p->pos;
	if (p->end - start < 27 || p->buf[start + 26] != '"' ||
	    imap_datetime_parse(p->buf + start, 26, t) == -1)
		return imap_lex_fail(p,
		    "bad date-time (dd-Mon-yyyy hh:mm:ss +zzzz)");
	p->pos = start + 27;
	return 0;
}

/* imap_lex_flag: one flag (RFC 9051 flag) into f. */
static int
imap_lex_flag(struct imap_lex *p, struct imap_flags *f)
{
	static const struct {
		const char	*name;
		uint32_t	 bit;
	} sys[] = {
		{ "Answered", IMAP_F_ANSWERED }, { "Flagged", IMAP_F_FLAGGED },
		{ "Deleted", IMAP_F_DELETED }, { "Seen", IMAP_F_SEEN },
		{ "Draft", IMAP_F_DRAFT },
	};
	struct imap_str *kw;
	const char *s;
	size_t n, i;

	if (imap_lex_accept(p, '\\')) {
		if (imap_lex_atom(p, &s, &n, "expected a flag") == -1)
			return -1;
		for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
			if (imap_lex_is(s, n, sys[i].name)) {
				f->sys |= sys[i].bit;
				return 0;
			}
		p->pos -= n + 1;
		return imap_lex_fail(p, imap_lex_is(s, n, "Recent") ?
		    "\\Recent cannot be set" : "unknown system flag");
	}
	if (f->nkw == IMAP_FLAGS_MAX)
		return imap_lex_limit(p, "too many flags");
	if (imap_lex_atom(p, &s, &n, "expected a flag") == -1)
		return -1;
	kw = &f->kw[f->nkw++];
	memset(kw, 0, sizeof(*kw));
	kw->kind = IMAP_STR_ATOM;
	kw->p = s;
	kw->len = kw->size = n;
	return 0;
}

int
imap_lex_flag_list(struct imap_lex *p, struct imap_flags *f, int paren)
{
	memset(f, 0, sizeof(*f));
	if (paren || imap_lex_peek(p) == '(') {
		if (imap_lex_char(p, '(', "expected a flag list") == -1)
			return -1;
		if (imap_lex_accept(p, ')'))
			return 0;
		do {
			if (imap_lex_flag(p, f) == -1)
				return -1;
		} while (imap_lex_accept(p, ' '));
		return imap_lex_char(p, ')', "expected \")\" after flags");
	}
	do {
		if (imap_lex_flag(p, f) == -1)
			return -1;
	} while (imap_lex_accept(p, ' '));
	return 0;
}

int
imap_lex_status_atts(struct imap_lex *p, uint32_t *items)
{
	static const struct {
		const char	*name;
		uint32_t	 bit;
	} atts[] = {
		{ "MESSAGES", IMAP_ST_MESSAGES }, { "RECENT", IMAP_ST_RECENT },
		{ "UIDNEXT", IMAP_ST_UIDNEXT },
		{ "UIDVALIDITY", IMAP_ST_UIDVALIDITY },
		{ "UNSEEN", IMAP_ST_UNSEEN }, { "DELETED", IMAP_ST_DELETED },
		{ "SIZE", IMAP_ST_SIZE },
		{ "HIGHESTMODSEQ", IMAP_ST_HIGHESTMODSEQ },
		{ "APPENDLIMIT", IMAP_ST_APPENDLIMIT },
		{ "MAILBOXID", IMAP_ST_MAILBOXID },
	};
	const char *s;
	size_t n, i;

	*items = 0;
	if (imap_lex_char(p, '(', "expected \"(\" before status items") == -1)
		return -1;
	do {
		if (imap_lex_atom(p, &s, &n, "expected a status item") == -1)
			return -1;
		for (i = 0; i < sizeof(atts) / sizeof(atts[0]); i++)
			if (imap_lex_is(s, n, atts[i].name))
				break;
		if (i == sizeof(atts) / sizeof(atts[0])) {
			p->pos -= n;
			return imap_lex_fail(p, "unknown status item");
		}
		*items |= atts[i].bit;
	} while (imap_lex_accept(p, ' '));
	return imap_lex_char(p, ')', "expected \")\" after status items");
}
