/*
 * spf_record.c: the SPF record parser (RFC 7208 sections 4.5, 4.6 and
 * 12): one TXT string into a list of mechanisms and the redirect and exp
 * modifiers.  Runs in the check role; the record comes from DNS and is
 * hostile: its length and term count are bounded, every term is checked
 * against the grammar before anything is evaluated, and the parsed form
 * points only into the record's own copy.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/spf.h"

static const struct {
	const char	*name;
	enum spf_kind	 kind;
} spf_mechs[] = {
	{ "a", SPF_A }, { "all", SPF_ALL }, { "exists", SPF_EXISTS },
	{ "include", SPF_INCLUDE }, { "ip4", SPF_IP4 }, { "ip6", SPF_IP6 },
	{ "mx", SPF_MX }, { "ptr", SPF_PTR },
};

static void
spf_record_err(char *err, size_t errlen, const char *what, const char *term)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s: \"%.60s\"", what, term);
}

int
spf_record_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (len == 6 || txt[6] == ' ');
}

static int
spf_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int
spf_record_toplabel(const char *s, size_t len)
{
	size_t i;
	int alpha = 0, dash = 0;

	if (len == 0 || !spf_alnum(s[0]) || !spf_alnum(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = 1;
		else if (!spf_alnum(s[i]))
			return 0;
		else if (!(s[i] >= '0' && s[i] <= '9'))
			alpha = 1;
	}
	return alpha || dash;
}

/* domain-spec = macro-string domain-end;
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static int
spf_record_domain_spec(const char *spec)
{
	size_t tail, len = strlen(spec), end;
	const char *dot;

	if (len == 0 || spf_macro_check(spec, 0, &tail) == -1)
		return -1;
	if (tail == len)
		return 0;
	end = len;
	if (spec[end - 1] == '.')
		end--;
	dot = NULL;
	for (size_t i = end; i > tail; i--)
		if (spec[i - 1] == '.') {
			dot = spec + i - 1;
			break;
		}
	if (dot == NULL ||
	    !spf_record_toplabel(dot + 1, (size_t)(spec + end - dot - 1)))
		return -1;
	return 0;
}

/* A CIDR length at s ("0" or no leading zero), at most max. */
static int
spf_record_cidr(const char *s, unsigned max, uint8_t *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* Strip a trailing "/N" from the NUL-terminated string s (cut at the
 * slash) when N is all digits; 1 when stripped (N in *num), 0 when there
 * is none, -1 when malformed or out of range. */
static int
spf_record_strip_cidr(char *s, unsigned max, uint8_t *num)
{
	char *slash = strrchr(s, '/');
	size_t i;

	if (slash == NULL || slash[1] == '\0')
		return 0;
	for (i = 1; slash[i] != '\0'; i++)
		if (slash[i] < '0' || slash[i] > '9')
			return 0;
	if (spf_record_cidr(slash + 1, max, num) == -1)
		return -1;
	*slash = '\0';
	return 1;
}

/* The dual-cidr-length of a and mx: "/N", "//M" or "/N//M" at the end. */
static int
spf_record_dual_cidr(char *arg, struct spf_term *t)
{
	size_t len = strlen(arg);
	int rc;

	if ((rc = spf_record_strip_cidr(arg, 128, &t->cidr6)) == -1)
		return -1;
	if (rc == 1) {
		len = strlen(arg);
		if (len == 0 || arg[len - 1] != '/') {
			/* one slash only: it was the IPv4 length */
			if (t->cidr6 > 32)
				return -1;
			t->cidr4 = t->cidr6;
			t->cidr6 = 128;
			return 0;
		}
		arg[len - 1] = '\0';
	}
	return spf_record_strip_cidr(arg, 32, &t->cidr4) == -1 ? -1 : 0;
}

static int
spf_record_ip(char *arg, struct spf_term *t)
{
	int v6 = t->kind == SPF_IP6;
	uint8_t cidr;

	switch (spf_record_strip_cidr(arg, v6 ? 128 : 32, &cidr)) {
	case -1:
		return -1;
	case 1:
		if (v6)
			t->cidr6 = cidr;
		else
			t->cidr4 = cidr;
		break;
	}
	memset(t->addr, 0, sizeof(t->addr));
	return inet_pton(v6 ? AF_INET6 : AF_INET, arg, t->addr) == 1 ? 0 : -1;
}

/* A directive: [qualifier] mechanism [":" arg] [cidr]. */
static int
spf_record_directive(char *tok, struct spf_term *t)
{
	char *arg = NULL, *end;
	size_t i, nlen;

	t->qual = SPF_PASS;
	switch (*tok) {
	case '+': tok++; break;
	case '-': t->qual = SPF_FAIL; tok++; break;
	case '~': t->qual = SPF_SOFTFAIL; tok++; break;
	case '?': t->qual = SPF_NEUTRAL; tok++; break;
	}
	nlen = strcspn(tok, ":/");
	for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++)
		if (strlen(spf_mechs[i].name) == nlen &&
		    strncasecmp(tok, spf_mechs[i].name, nlen) == 0)
			break;
	if (i == sizeof(spf_mechs) / sizeof(spf_mechs[0]))
		return -1;
	t->kind = spf_mechs[i].kind;
	t->spec = NULL;
	t->cidr4 = 32;
	t->cidr6 = 128;
	end = tok + nlen;
	if (*end == ':')
		arg = end + 1;
	else if (*end == '/' && (t->kind == SPF_A || t->kind == SPF_MX)) {
		if (spf_record_dual_cidr(end, t) == -1 || *end != '\0')
			return -1;
		return 0;
	} else if (*end != '\0')
		return -1;
	switch (t->kind) {
	case SPF_ALL:
		return arg == NULL ? 0 : -1;
	case SPF_IP4:
	case SPF_IP6:
		return arg == NULL ? -1 : spf_record_ip(arg, t);
	case SPF_A:
	case SPF_MX:
		if (arg != NULL && spf_record_dual_cidr(arg, t) == -1)
			return -1;
		break;
	case SPF_INCLUDE:
	case SPF_EXISTS:
		if (arg == NULL)
			return -1;
		break;
	case SPF_PTR:
		break;
	}
	if (arg != NULL && spf_record_domain_spec(arg) == -1)
		return -1;
	t->spec = arg;
	return 0;
}

/* A modifier "name=value"; 1 when tok is one, 0 when not, -1 on error. */
static int
spf_record_modifier(char *tok, struct spf_record *r)
{
	size_t i = 0;
	char *val;

	if (!((tok[0] >= 'a' && tok[0] <= 'z') || (tok[0] >= 'A' &&
	    tok[0] <= 'Z')))
		return 0;
	while (spf_alnum(tok[i]) || tok[i] == '-' || tok[i] == '_' ||
	    tok[i] == '.')
		i++;
	if (tok[i] != '=')
		return 0;
	val = tok + i + 1;
	if (i == 8 && strncasecmp(tok, "redirect", 8) == 0) {
		if (r->redirect != NULL || spf_record_domain_spec(val) == -1)
			return -1;
		r->redirect = val;
	} else if (i == 3 && strncasecmp(tok, "exp", 3) == 0) {
		if (r->exp != NULL || spf_record_domain_spec(val) == -1)
			return -1;
		r->exp = val;
	} else if (spf_macro_check(val, 0, NULL) == -1)
		return -1;
	return 1;
}

int
spf_record_parse(const char *txt, size_t len, struct spf_record *r,
    char *err, size_t errlen)
{
	char *p, *tok, shown[64];
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	r->n = 0;
	r->redirect = r->exp = NULL;
	if (!spf_record_is_spf(txt, len) || memchr(txt, '\0', len) != NULL) {
		spf_record_err(err, errlen, "not an SPF record", "");
		return -1;
	}
	if (len >= sizeof(r->text)) {
		spf_record_err(err, errlen, "record too long", "");
		return -1;
	}
	memcpy(r->text, txt, len);
	r->text[len] = '\0';
	p = r->text + 6;
	while (*p != '\0') {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		tok = p;
		p += strcspn(p, " ");
		if (*p != '\0')
			*p++ = '\0';
		/* the term as written: parsing cuts it */
		snprintf(shown, sizeof(shown), "%s", tok);
		if ((rc = spf_record_modifier(tok, r)) == 1)
			continue;
		if (rc == 0 && r->n == SPF_TERMS_MAX) {
			spf_record_err(err, errlen, "too many terms", shown);
			return -1;
		}
		if (rc == -1 || spf_record_directive(tok, &r->term[r->n]) == -1) {
			spf_record_err(err, errlen, "syntax error", shown);
			return -1;
		}
		r->n++;
	}
	return 0;
}
