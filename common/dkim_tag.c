/*
 * dkim_tag.c: the tag-list syntax shared by DKIM-Signature fields and
 * key records (RFC 6376 §3.2), base64 values with folding, and the DNS
 * name syntax of d= and s=.
 *
 * Runs in any process that signs or verifies; its input is a message's
 * field or a DNS answer, both hostile: every byte is checked against the
 * grammar, the tag count is bounded, and results point into the input.
 */
#include <string.h>

#include "common/base64.h"
#include "common/dkim.h"

#define IS_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || \
			    (c) == '\n')
#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || \
			    ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define DKIM_B64_MAX	2048	/* base64 text of the largest value taken */

static size_t
tag_skip_fws(const char *s, size_t len, size_t i)
{
	while (i < len && IS_FWS((unsigned char)s[i]))
		i++;
	return i;
}

/* tag_one: one tag-spec from s[*i]; 0, or -1 on a syntax error. */
static int
tag_one(const char *s, size_t len, size_t *i, struct dkim_tag *t)
{
	size_t p = *i, end;
	unsigned char c;

	if (p >= len || !IS_ALPHA((unsigned char)s[p]))
		return -1;
	t->name = s + p;
	while (p < len && (IS_ALPHA((unsigned char)s[p]) ||
	    IS_DIGIT((unsigned char)s[p]) || s[p] == '_'))
		p++;
	t->namelen = (size_t)(s + p - t->name);
	p = tag_skip_fws(s, len, p);
	if (p >= len || s[p] != '=')
		return -1;
	p = tag_skip_fws(s, len, p + 1);
	t->val = s + p;
	for (; p < len && s[p] != ';'; p++) {
		c = (unsigned char)s[p];
		if (!IS_FWS(c) && (c < 0x21 || c > 0x7e))
			return -1;
	}
	for (end = p; end > (size_t)(t->val - s) &&
	    IS_FWS((unsigned char)s[end - 1]); end--)
		;
	t->vallen = (size_t)(s + end - t->val);
	*i = p;
	return 0;
}

int
dkim_tags_parse(const char *s, size_t len, struct dkim_tags *out)
{
	struct dkim_tag t;
	size_t i = 0, k;

	out->n = 0;
	for (;;) {
		i = tag_skip_fws(s, len, i);
		if (i == len)
			return 0;
		if (tag_one(s, len, &i, &t) == -1)
			return -1;
		for (k = 0; k < out->n; k++)
			if (out->t[k].namelen == t.namelen &&
			    memcmp(out->t[k].name, t.name, t.namelen) == 0)
				return -1;
		if (out->n == DKIM_TAGS_MAX)
			return -1;
		out->t[out->n++] = t;
		if (i == len)
			return 0;
		i++;		/* the ';' */
	}
}

const struct dkim_tag *
dkim_tags_get(const struct dkim_tags *t, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < t->n; i++)
		if (t->t[i].namelen == len &&
		    memcmp(t->t[i].name, name, len) == 0)
			return &t->t[i];
	return NULL;
}

int
dkim_tag_base64(const struct dkim_tag *t, unsigned char *out, size_t cap,
    size_t *outlen)
{
	char text[DKIM_B64_MAX];
	size_t i, n = 0;

	for (i = 0; i < t->vallen; i++) {
		if (IS_FWS((unsigned char)t->val[i]))
			continue;
		if (n == sizeof(text))
			return -1;
		text[n++] = t->val[i];
	}
	if (n == 0)
		return -1;
	return base64_decode(text, n, out, cap, outlen);
}

int
dkim_name_ok(const char *s)
{
	size_t i, label = 0, len = strlen(s);

	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!IS_ALPHA(c) && !IS_DIGIT(c) && c != '-' && c != '_')
			return 0;
		if ((label == 0 && c == '-') || ++label > 63)
			return 0;
	}
	return 1;
}

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_PENDING:	return "none";
	case DKIM_PASS:		return "pass";
	case DKIM_FAIL:		return "fail";
	case DKIM_NEUTRAL:	return "neutral";
	case DKIM_POLICY:	return "policy";
	case DKIM_TEMPERROR:	return "temperror";
	case DKIM_PERMERROR:	return "permerror";
	}
	return "permerror";
}

int
dkim_keyfile_split(const char *file, char *domain, char *selector)
{
	size_t len = strlen(file), i, dot;

	if (len < 5 || len > DNS_NAME_MAX + 5 ||
	    strcmp(file + len - 4, ".key") != 0)
		return -1;
	len -= 4;
	for (dot = len; dot > 0 && file[dot - 1] != '.'; dot--)
		;
	if (dot < 2 || len - dot > DKIM_SELECTOR_MAX)
		return -1;
	for (i = 0; i < dot - 1; i++)
		domain[i] = (char)(IS_ALPHA((unsigned char)file[i]) ?
		    (file[i] | 0x20) : file[i]);
	domain[dot - 1] = '\0';
	for (i = dot; i < len; i++)
		selector[i - dot] = (char)(IS_ALPHA((unsigned char)file[i]) ?
		    (file[i] | 0x20) : file[i]);
	selector[len - dot] = '\0';
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector) ||
	    strchr(selector, '.') != NULL)
		return -1;
	return 0;
}
