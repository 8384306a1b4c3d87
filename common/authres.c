/*
 * authres.c: the Authentication-Results field (authres.h): our field,
 * folded, and the arriving fields that claim our authserv-id.  Runs in
 * the check role.  The results are ours, the identities in them (MAIL
 * FROM, HELO, d=, s=, the From domain) come from the client and are
 * quoted or cleaned before they are written; the header block scanned
 * for forged fields is hostile and read within its bounds only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/authres.h"
#include "common/mailhdr.h"

/* The field being written: folded lines of at most AUTHRES_WIDTH. */
struct authres_out {
	char		*buf;
	size_t		 cap, len, col;
	int		 err;
};

const char *
authres_dkim_result_name(enum authres_dkim_result r)
{
	static const char *names[] = { "none", "pass", "fail", "policy",
	    "neutral", "temperror", "permerror" };

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

static void
authres_put(struct authres_out *o, const char *s, size_t n)
{
	if (o->err || n >= o->cap - o->len) {
		o->err = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	o->col += n;
}

/* One word; on a new folded line when it would pass the width (with
 * room for the ';' that may end a result).  first: the first word of a
 * result, which always starts a line. */
static void
authres_word(struct authres_out *o, const char *w, size_t n, int first)
{
	if (first || o->col + 1 + n + 1 > AUTHRES_WIDTH) {
		authres_put(o, "\r\n\t", 3);
		o->col = 1;
	} else
		authres_put(o, " ", 1);
	authres_put(o, w, n);
}

/* RFC 2045 token characters (no tspecials, blanks or controls). */
static int
authres_token_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 5322 atext, for a dot-atom local-part. */
static int
authres_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL) || c >= 0x80;
}

static int
authres_is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!authres_token_char((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int
authres_is_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' :
		    !authres_atext((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Append s[0..n) to w (cap bytes) as a quoted-string (open, 1 if it is
 * to be quoted) or a comment body, escaping what must be and dropping
 * control bytes. */
static size_t
authres_escape(char *w, size_t cap, size_t o, const char *s, size_t n,
    const char *special)
{
	size_t i;

	for (i = 0; i < n && o + 3 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c == 0x7f)
			continue;
		if (strchr(special, c) != NULL)
			w[o++] = '\\';
		w[o++] = (char)c;
	}
	return o;
}

/* "ptype.property=value", the value quoted unless it is safe bare. */
static void
authres_prop(struct authres_out *o, const char *prop, const char *v,
    int addr)
{
	char w[AUTHRES_MAX];
	size_t n = strlen(v), o2, plen = strlen(prop);
	const char *at = addr ? strrchr(v, '@') : NULL;
	int bare;

	if (n == 0 || plen + 1 >= sizeof(w))
		return;
	if (at != NULL)
		bare = authres_is_dot_atom(v, (size_t)(at - v)) &&
		    authres_is_token(at + 1, strlen(at + 1));
	else
		bare = authres_is_token(v, n);
	memcpy(w, prop, plen);
	w[plen] = '=';
	o2 = plen + 1;
	if (bare && n < sizeof(w) - o2) {
		memcpy(w + o2, v, n);
		o2 += n;
	} else {
		w[o2++] = '"';
		o2 = authres_escape(w, sizeof(w) - 1, o2, v, n, "\"\\");
		w[o2++] = '"';
	}
	authres_word(o, w, o2, 0);
}

/* "(text)" with parentheses and backslashes escaped. */
static void
authres_comment(struct authres_out *o, const char *text)
{
	char w[256];
	size_t o2 = 0;

	if (text == NULL || text[0] == '\0')
		return;
	w[o2++] = '(';
	o2 = authres_escape(w, sizeof(w) - 1, o2, text, strlen(text), "()\\");
	w[o2++] = ')';
	authres_word(o, w, o2, 0);
}

static void
authres_method(struct authres_out *o, const char *method, const char *result)
{
	char w[64];
	int n = snprintf(w, sizeof(w), "%s=%s", method, result);

	if (n < 0 || (size_t)n >= sizeof(w)) {
		o->err = 1;
		return;
	}
	authres_word(o, w, (size_t)n, 1);
}

static int
authres_host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '-' || h[i] == '.' || h[i] == '_'))
			return 0;
	return 1;
}

static void
authres_dmarc(struct authres_out *o, const struct authres_input *in)
{
	char c[64];

	authres_method(o, "dmarc", in->dmarc_result);
	if (in->dmarc_policy != NULL) {
		snprintf(c, sizeof(c), "p=%s dis=%s", in->dmarc_policy,
		    in->dmarc_action != NULL ? in->dmarc_action : "none");
		authres_comment(o, c);
	}
	if (in->from_domain != NULL)
		authres_prop(o, "header.from", in->from_domain, 0);
}

int
authres_build(const struct authres_input *in, char *out, size_t cap)
{
	struct authres_out o = { out, cap, 0, 0, 0 };
	size_t i, nres = 0;

	if (cap == 0 || !authres_host_ok(in->authserv_id))
		return -1;
	out[0] = '\0';
	authres_put(&o, "Authentication-Results: ", 24);
	authres_put(&o, in->authserv_id, strlen(in->authserv_id));
	authres_put(&o, ";", 1);
	if (in->spf_checked) {
		authres_method(&o, "spf", in->spf_result);
		authres_prop(&o, in->spf_helo ? "smtp.helo" : "smtp.mailfrom",
		    in->spf_identity != NULL ? in->spf_identity : "",
		    !in->spf_helo);
		nres++;
	}
	for (i = 0; in->dkim_checked && i < in->ndkim; i++) {
		const struct authres_dkim *d = &in->dkim[i];

		if (nres++ > 0)
			authres_put(&o, ";", 1);
		authres_method(&o, "dkim", authres_dkim_result_name(d->result));
		if (d->result != AUTHRES_DKIM_PASS)
			authres_comment(&o, d->reason);
		authres_prop(&o, "header.d", d->domain, 0);
		authres_prop(&o, "header.s", d->selector, 0);
		authres_prop(&o, "header.b", d->b, 0);
	}
	if (in->dkim_checked && in->ndkim == 0) {
		if (nres++ > 0)
			authres_put(&o, ";", 1);
		authres_method(&o, "dkim", "none");
	}
	if (in->dmarc_checked) {
		if (nres++ > 0)
			authres_put(&o, ";", 1);
		authres_dmarc(&o, in);
	}
	if (nres == 0)
		authres_put(&o, " none", 5);
	authres_put(&o, "\r\n", 2);
	return o.err ? -1 : (int)o.len;
}

/* Skip blanks, line ends and (nested) comments from v[*i]; 0, or -1 at
 * an unterminated comment. */
static int
authres_skip_cfws(const char *v, size_t n, size_t *i)
{
	size_t depth = 0;

	while (*i < n) {
		char c = v[*i];

		if (depth > 0 && c == '\\' && *i + 1 < n)
			(*i)++;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n')
			return 0;
		(*i)++;
	}
	return depth == 0 ? 0 : -1;
}

/* Is the authserv-id at the start of the value ours? */
static int
authres_claims(const char *v, size_t n, const char *id)
{
	char got[DNS_NAME_MAX + 2];
	size_t i = 0, g = 0;

	if (authres_skip_cfws(v, n, &i) == -1 || i == n)
		return 0;
	if (v[i] == '"') {
		for (i++; i < n && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			if (v[i] == '\r' || v[i] == '\n')
				continue;
			if (g == sizeof(got) - 1)
				return 0;
			got[g++] = v[i];
		}
	} else
		for (; i < n && v[i] != ' ' && v[i] != '\t' && v[i] != ';' &&
		    v[i] != '(' && v[i] != '\r' && v[i] != '\n'; i++) {
			if (g == sizeof(got) - 1)
				return 0;
			got[g++] = v[i];
		}
	got[g] = '\0';
	return strcasecmp(got, id) == 0;
}

size_t
authres_find_ours(const char *buf, size_t len, const char *authserv_id,
    struct authres_span *spans, size_t max)
{
	struct mailhdr_field f;
	size_t pos = 0, n = 0;

	while (mailhdr_next(buf, len, &pos, &f) == 1) {
		if (!mailhdr_name_is(&f, "Authentication-Results") ||
		    !authres_claims(f.value, f.valuelen, authserv_id))
			continue;
		if (n < max) {
			spans[n].off = f.off;
			spans[n].len = f.len;
		}
		n++;
	}
	return n;
}
