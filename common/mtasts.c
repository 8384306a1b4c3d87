/*
 * mtasts.c: MTA-STS policy and TXT record parsers and the MX pattern
 * match (mtasts.h, RFC 8461 sections 3.1, 3.2 and 4.1).  Runs in the
 * relay processes (and the fuzz target); the input is a remote domain's
 * and hostile: each line is walked with explicit bounds, numbers are
 * checked before they can overflow, names against DNS limits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/mtasts.h"

#define F_VERSION	0x1
#define F_MODE		0x2
#define F_MAXAGE	0x4

static void mtasts_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
mtasts_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* word_is: the n bytes at s are the keyword w, case ignored. */
static int
word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* mx_copy: a "[*.]host" value (RFC 8461 3.2, sub-domains of letters,
 * digits, '-' and '_') lowercased into out.  0 or -1. */
static int
mx_copy(const char *v, size_t n, char out[DNS_NAME_MAX + 1])
{
	size_t i, label = 0;
	char c;

	if (n >= 2 && v[0] == '*' && v[1] == '.') {
		out[0] = '*';
		out[1] = '.';
		i = 2;
	} else
		i = 0;
	if (n == i || n > DNS_NAME_MAX)
		return -1;
	for (; i < n; i++) {
		c = v[i];
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (is_alnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -1;
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
		} else
			return -1;
		out[i] = c;
	}
	if (label == 0)
		return -1;	/* empty last label, or a trailing dot */
	out[n] = '\0';
	return 0;
}

/* max_age_parse: 1*10DIGIT, cut to MTASTS_MAX_AGE.  0 or -1. */
static int
max_age_parse(const char *v, size_t n, uint32_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x > MTASTS_MAX_AGE ? MTASTS_MAX_AGE : (uint32_t)x;
	return 0;
}

/* policy_field: one "name: value" line (n bytes, no line end). */
static int
policy_field(struct mtasts_policy *p, unsigned *seen, const char *s,
    size_t n, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t nl, vl;

	if (colon == NULL || colon == s) {
		mtasts_err(err, errlen, "a line without a field name");
		return -1;
	}
	nl = (size_t)(colon - s);
	v = colon + 1;
	vl = n - nl - 1;
	while (vl > 0 && is_wsp(*v)) {
		v++;
		vl--;
	}
	while (vl > 0 && is_wsp(v[vl - 1]))
		vl--;
	if (word_is(s, nl, "version")) {
		if (*seen & F_VERSION)
			return 0;
		if (!word_is(v, vl, "STSv1")) {
			mtasts_err(err, errlen, "an unknown policy version");
			return -1;
		}
		*seen |= F_VERSION;
	} else if (word_is(s, nl, "mode")) {
		if (*seen & F_MODE)
			return 0;
		if (word_is(v, vl, "enforce"))
			p->mode = MTASTS_MODE_ENFORCE;
		else if (word_is(v, vl, "testing"))
			p->mode = MTASTS_MODE_TESTING;
		else if (word_is(v, vl, "none"))
			p->mode = MTASTS_MODE_NONE;
		else {
			mtasts_err(err, errlen, "an unknown mode");
			return -1;
		}
		*seen |= F_MODE;
	} else if (word_is(s, nl, "max_age")) {
		if (*seen & F_MAXAGE)
			return 0;
		if (max_age_parse(v, vl, &p->max_age) == -1) {
			mtasts_err(err, errlen, "a malformed max_age");
			return -1;
		}
		*seen |= F_MAXAGE;
	} else if (word_is(s, nl, "mx")) {
		if (p->nmx == MTASTS_MX_MAX) {
			mtasts_err(err, errlen, "more than %d mx lines",
			    MTASTS_MX_MAX);
			return -1;
		}
		if (mx_copy(v, vl, p->mx[p->nmx]) == -1) {
			mtasts_err(err, errlen, "a malformed mx pattern");
			return -1;
		}
		p->nmx++;
	}
	return 0;
}

/* policy_lines: every line of text through policy_field. */
static int
policy_lines(struct mtasts_policy *p, unsigned *seen, const char *text,
    size_t len, char *err, size_t errlen)
{
	size_t i, start = 0, end;

	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n') {
			if ((unsigned char)text[i] < 0x20 && text[i] != '\t' &&
			    text[i] != '\r') {
				mtasts_err(err, errlen, "a control character");
				return -1;
			}
			continue;
		}
		end = i;
		if (end > start && text[end - 1] == '\r')
			end--;
		if (memchr(text + start, '\r', end - start) != NULL) {
			mtasts_err(err, errlen, "a stray carriage return");
			return -1;
		}
		if (end > start && policy_field(p, seen, text + start,
		    end - start, err, errlen) == -1)
			return -1;
		start = i + 1;
	}
	return 0;
}

int
mtasts_policy_parse(const char *text, size_t len, struct mtasts_policy *p,
    char *err, size_t errlen)
{
	unsigned seen = 0;

	memset(p, 0, sizeof(*p));
	if (policy_lines(p, &seen, text, len, err, errlen) == -1)
		goto fail;
	if (!(seen & F_VERSION)) {
		mtasts_err(err, errlen, "no version");
		goto fail;
	}
	if (!(seen & F_MODE)) {
		mtasts_err(err, errlen, "no mode");
		goto fail;
	}
	if (!(seen & F_MAXAGE)) {
		mtasts_err(err, errlen, "no max_age");
		goto fail;
	}
	if (p->mode != MTASTS_MODE_NONE && p->nmx == 0) {
		mtasts_err(err, errlen, "no mx in an enforce or testing "
		    "policy");
		goto fail;
	}
	return 0;
fail:
	memset(p, 0, sizeof(*p));
	return -1;
}

/* txt_field: the field at txt[*i..len) up to ';' or the end: its name
 * and value spans with the whitespace around them trimmed.  0 or -1. */
static int
txt_field(const char *txt, size_t len, size_t *i, const char **name,
    size_t *nl, const char **val, size_t *vl)
{
	size_t j = *i, eq, end;

	while (j < len && is_wsp(txt[j]))
		j++;
	end = j;
	while (end < len && txt[end] != ';')
		end++;
	*i = end < len ? end + 1 : end;
	for (eq = j; eq < end && txt[eq] != '='; eq++)
		;
	if (eq == end || eq == j)
		return -1;
	*name = txt + j;
	*nl = eq - j;
	*val = txt + eq + 1;
	*vl = end - eq - 1;
	while (*vl > 0 && is_wsp((*val)[*vl - 1]))
		(*vl)--;
	return *vl > 0 ? 0 : -1;
}

/* txt_rest_blank: only whitespace from i on. */
static int
txt_rest_blank(const char *txt, size_t len, size_t i)
{
	for (; i < len; i++)
		if (!is_wsp(txt[i]))
			return 0;
	return 1;
}

int
mtasts_txt_parse(const char *txt, size_t len, char id[MTASTS_ID_MAX + 1])
{
	const char *name, *val;
	size_t i = 0, nl, vl, k;
	int got = 0;

	if (len < 7 || memcmp(txt, "v=STSv1", 7) != 0 ||
	    (len > 7 && txt[7] != ';' && !is_wsp(txt[7])))
		return -1;
	if (memchr(txt, '\0', len) != NULL)
		return -1;
	if (txt_field(txt, len, &i, &name, &nl, &val, &vl) == -1)
		return -1;
	while (!txt_rest_blank(txt, len, i)) {
		if (txt_field(txt, len, &i, &name, &nl, &val, &vl) == -1 ||
		    nl > 32)
			return -1;
		for (k = 0; k < vl; k++)
			if (val[k] < 0x21 || val[k] > 0x7e || val[k] == '=')
				return -1;
		if (got || nl != 2 || memcmp(name, "id", 2) != 0)
			continue;
		if (vl > MTASTS_ID_MAX)
			return -1;
		for (k = 0; k < vl; k++)
			if (!is_alnum(val[k]))
				return -1;
		memcpy(id, val, vl);
		id[vl] = '\0';
		got = 1;
	}
	return got ? 0 : -1;
}

int
mtasts_pattern_match(const char *pattern, const char *host)
{
	size_t pl = strnlen(pattern, DNS_NAME_MAX + 1);
	size_t hl = strnlen(host, DNS_NAME_MAX + 2);
	const char *dot;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pl == 0 || hl == 0 || pl > DNS_NAME_MAX || hl > DNS_NAME_MAX ||
	    memchr(host, '*', hl) != NULL)
		return 0;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		if ((dot = memchr(host, '.', hl)) == NULL || dot == host)
			return 0;
		return hl - (size_t)(dot - host) == pl - 1 &&
		    strncasecmp(dot, pattern + 1, pl - 1) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, hl) == 0;
}

int
mtasts_mx_match(const struct mtasts_policy *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx && i < MTASTS_MX_MAX; i++)
		if (mtasts_pattern_match(p->mx[i], host))
			return 1;
	return 0;
}
