/*
 * spf_macro.c: SPF macro-strings (RFC 7208 section 7): the syntax check
 * the record parser uses and the expansion the evaluator uses.  Runs in
 * the check role; the macro-string comes from a DNS record and the values
 * from the SMTP client, so both are hostile: the output is bounded by the
 * caller's buffer and every transformer number is clamped.
 */
#include <string.h>

#include "common/spf.h"

/* A letter's value split into parts: at most one part per byte. */
struct spf_parts {
	size_t		 n;
	uint16_t	 off[SPF_EXPAND_MAX + 1];
	uint16_t	 len[SPF_EXPAND_MAX + 1];
};

/* A parsed "%{...}": letter, the keep count (0: all), reverse, and the
 * delimiter set. */
struct spf_macro {
	char		 letter;	/* lowercase */
	int		 upper;		/* URL-escape the result */
	unsigned	 keep;
	int		 reverse;
	char		 delims[8];
};

static int
spf_macro_is_delim(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

static int
spf_macro_is_letter(char c, int exp)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	if (c != '\0' && strchr("slodiphv", c) != NULL)
		return 1;
	return exp && c != '\0' && strchr("crt", c) != NULL;
}

/*
 * Parse "%{" letter *DIGIT ["r"] *delimiter "}" at s (s[0] == '%',
 * s[1] == '{'); *used gets its length.  A zero keep count is an error
 * (RFC 7208 7.3: the value MUST be nonzero); large ones are clamped, as
 * no value has more parts than SPF_EXPAND_MAX.
 */
static int
spf_macro_parse(const char *s, int exp, struct spf_macro *m, size_t *used)
{
	size_t i = 2, nd = 0;
	int digits = 0;

	if (!spf_macro_is_letter(s[i], exp))
		return -1;
	m->upper = s[i] >= 'A' && s[i] <= 'Z';
	m->letter = (char)(m->upper ? s[i] - 'A' + 'a' : s[i]);
	i++;
	m->keep = 0;
	while (s[i] >= '0' && s[i] <= '9') {
		digits = 1;
		if (m->keep <= SPF_EXPAND_MAX)
			m->keep = m->keep * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (digits && m->keep == 0)
		return -1;
	m->reverse = s[i] == 'r' || s[i] == 'R';
	if (m->reverse)
		i++;
	memset(m->delims, 0, sizeof(m->delims));
	while (spf_macro_is_delim(s[i])) {
		if (strchr(m->delims, s[i]) == NULL && nd < sizeof(m->delims) - 1)
			m->delims[nd++] = s[i];
		i++;
	}
	if (s[i] != '}')
		return -1;
	if (nd == 0)
		m->delims[0] = '.';
	*used = i + 1;
	return 0;
}

int
spf_macro_check(const char *spec, int exp, size_t *tail)
{
	struct spf_macro m;
	size_t i = 0, used, lit = 0;
	unsigned char c;

	while ((c = (unsigned char)spec[i]) != '\0') {
		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return -1;
			i++;
			continue;
		}
		c = (unsigned char)spec[i + 1];
		if (c == '%' || c == '_' || c == '-')
			used = 2;
		else if (c != '{' ||
		    spf_macro_parse(spec + i, exp, &m, &used) == -1)
			return -1;
		i += used;
		lit = i;
	}
	if (tail != NULL)
		*tail = lit;
	return 0;
}

static const char *
spf_macro_value(const struct spf_macro_vars *v, char letter)
{
	switch (letter) {
	case 's': return v->sender;
	case 'l': return v->local;
	case 'o': return v->sender_domain;
	case 'd': return v->domain;
	case 'i': return v->ip;
	case 'c': return v->ip_text;
	case 'p': return "unknown";
	case 'v': return v->version;
	case 'h': return v->helo;
	case 'r': return v->receiver;
	case 't': return v->timestamp;
	}
	return NULL;
}

/* Append len bytes to out; -1 when they do not fit (with the NUL). */
static int
spf_macro_put(char *out, size_t cap, size_t *o, const char *p, size_t len)
{
	if (len >= cap - *o)
		return -1;
	memcpy(out + *o, p, len);
	*o += len;
	out[*o] = '\0';
	return 0;
}

/* Append one part, URL-escaped (RFC 3986 unreserved kept) if asked. */
static int
spf_macro_put_part(char *out, size_t cap, size_t *o, const char *p,
    size_t len, int upper)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];
	size_t i;

	if (!upper)
		return spf_macro_put(out, cap, o, p, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (spf_macro_put(out, cap, o, p + i, 1) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (spf_macro_put(out, cap, o, esc, 3) == -1)
			return -1;
	}
	return 0;
}

/* Expand one "%{...}": split the value on the delimiters, reverse, keep
 * the rightmost parts, join them with dots (RFC 7208 7.3). */
static int
spf_macro_apply(const struct spf_macro *m, const char *val, char *out,
    size_t cap, size_t *o)
{
	struct spf_parts parts, *pt = &parts;
	size_t len = strlen(val), i, start = 0, first, k, idx;

	if (len > SPF_EXPAND_MAX)
		return -1;
	pt->n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && strchr(m->delims, val[i]) == NULL)
			continue;
		pt->off[pt->n] = (uint16_t)start;
		pt->len[pt->n] = (uint16_t)(i - start);
		pt->n++;
		start = i + 1;
	}
	first = (m->keep != 0 && m->keep < pt->n) ? pt->n - m->keep : 0;
	for (k = first; k < pt->n; k++) {
		idx = m->reverse ? pt->n - 1 - k : k;
		if (k > first && spf_macro_put(out, cap, o, ".", 1) == -1)
			return -1;
		if (spf_macro_put_part(out, cap, o, val + pt->off[idx],
		    pt->len[idx], m->upper) == -1)
			return -1;
	}
	return 0;
}

/* A domain name past 253 bytes loses labels on the left (RFC 7208 7.3). */
static int
spf_macro_fit_domain(char *out, size_t *o)
{
	char *dot;

	if (*o > 0 && out[*o - 1] == '.')
		out[--*o] = '\0';
	while (*o > DNS_NAME_MAX) {
		if ((dot = strchr(out, '.')) == NULL)
			return -1;
		*o -= (size_t)(dot + 1 - out);
		memmove(out, dot + 1, *o + 1);
	}
	return 0;
}

int
spf_macro_expand(const char *spec, const struct spf_macro_vars *v, int exp,
    int domain, char *out, size_t cap)
{
	struct spf_macro m;
	const char *val;
	size_t i = 0, o = 0, used;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	while (spec[i] != '\0') {
		if (spec[i] != '%') {
			if (spf_macro_put(out, cap, &o, spec + i, 1) == -1)
				return -1;
			i++;
			continue;
		}
		switch (spec[i + 1]) {
		case '%':
			val = "%";
			break;
		case '_':
			val = " ";
			break;
		case '-':
			val = "%20";
			break;
		case '{':
			if (spf_macro_parse(spec + i, exp, &m, &used) == -1 ||
			    (val = spf_macro_value(v, m.letter)) == NULL ||
			    spf_macro_apply(&m, val, out, cap, &o) == -1)
				return -1;
			i += used;
			continue;
		default:
			return -1;
		}
		if (spf_macro_put(out, cap, &o, val, strlen(val)) == -1)
			return -1;
		i += 2;
	}
	return domain ? spf_macro_fit_domain(out, &o) : 0;
}
