/*
 * dkim_sig.c: one DKIM-Signature field's tags judged (RFC 6376 §3.5,
 * §6.1.1): what is required, what each value may be, and what a
 * signature must say before it is worth a DNS query.
 *
 * Runs where a message is verified (phase 1, the broker), on a field of
 * the message: hostile.  Every value is checked and copied with a bound;
 * the result names the reason in words for Authentication-Results.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dkim.h"

#define IS_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || \
			    (c) == '\n')

static int
sig_bad(struct dkim_sig *sig, enum dkim_result r, const char *why)
{
	sig->result = r;
	(void)snprintf(sig->reason, sizeof(sig->reason), "%s", why);
	return -1;
}

static int
tag_is(const struct dkim_tag *t, const char *v)
{
	return t->vallen == strlen(v) && memcmp(t->val, v, t->vallen) == 0;
}

/* sig_copy_name: a d= or s= value into out, lower case; -1 when it is
 * not a DNS name. */
static int
sig_copy_name(const struct dkim_tag *t, char out[DNS_NAME_MAX + 1])
{
	size_t i;

	if (t == NULL || t->vallen == 0 || t->vallen > DNS_NAME_MAX)
		return -1;
	for (i = 0; i < t->vallen; i++) {
		unsigned char c = (unsigned char)t->val[i];

		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	out[i] = '\0';
	if (!dkim_name_ok(out)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* sig_number: up to max decimal digits; -1 when absent (*v = -1),
 * -2 when malformed. */
static int
sig_number(const struct dkim_tag *t, size_t max, int64_t *v)
{
	size_t i;

	*v = -1;
	if (t == NULL)
		return -1;
	if (t->vallen == 0 || t->vallen > max)
		return -2;
	*v = 0;
	for (i = 0; i < t->vallen; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return -2;
		*v = *v * 10 + (t->val[i] - '0');
	}
	return 0;
}

/* sig_canon: c= ("simple" or "relaxed", then optionally "/" and one of
 * them for the body; the body's default is simple). */
static int
sig_canon(const struct dkim_tag *t, struct dkim_sig *sig)
{
	const char *slash;
	size_t hl;

	sig->head_relaxed = sig->body_relaxed = 0;
	if (t == NULL)
		return 0;
	slash = memchr(t->val, '/', t->vallen);
	hl = slash != NULL ? (size_t)(slash - t->val) : t->vallen;
	if (hl == 7 && memcmp(t->val, "relaxed", 7) == 0)
		sig->head_relaxed = 1;
	else if (hl != 6 || memcmp(t->val, "simple", 6) != 0)
		return -1;
	if (slash == NULL)
		return 0;
	hl = t->vallen - hl - 1;
	if (hl == 7 && memcmp(slash + 1, "relaxed", 7) == 0)
		sig->body_relaxed = 1;
	else if (hl != 6 || memcmp(slash + 1, "simple", 6) != 0)
		return -1;
	return 0;
}

/* sig_list: split a colon-separated value (h=, q=) into items without
 * FWS; an empty item or a byte outside printable ASCII is an error. */
static int
sig_list(const struct dkim_tag *t, struct dkim_hname *items, size_t max,
    size_t *n)
{
	size_t i = 0, start, end;

	*n = 0;
	while (i <= t->vallen) {
		while (i < t->vallen && IS_FWS((unsigned char)t->val[i]))
			i++;
		start = i;
		while (i < t->vallen && t->val[i] != ':')
			i++;
		end = i;
		while (end > start && IS_FWS((unsigned char)t->val[end - 1]))
			end--;
		if (end == start || *n == max)
			return -1;
		items[*n].name = t->val + start;
		items[(*n)++].len = end - start;
		for (; start < end; start++)
			if (IS_FWS((unsigned char)t->val[start]))
				return -1;
		i++;
	}
	return 0;
}

static int
sig_has(const struct dkim_hname *items, size_t n, const char *want)
{
	size_t i, len = strlen(want);

	for (i = 0; i < n; i++)
		if (items[i].len == len &&
		    strncasecmp(items[i].name, want, len) == 0)
			return 1;
	return 0;
}

/* sig_auid: i=, whose domain must be d= or below it (§3.5). */
static int
sig_auid(const struct dkim_tag *t, struct dkim_sig *sig)
{
	const char *at, *dom;
	size_t dl, d = strlen(sig->domain);

	if (t == NULL) {
		(void)snprintf(sig->auid, sizeof(sig->auid), "@%s",
		    sig->domain);
		return 0;
	}
	if (t->vallen > DKIM_AUID_MAX ||
	    (at = memrchr(t->val, '@', t->vallen)) == NULL)
		return -1;
	dom = at + 1;
	dl = (size_t)(t->val + t->vallen - dom);
	if (dl < d || strncasecmp(dom + dl - d, sig->domain, d) != 0 ||
	    (dl > d && dom[dl - d - 1] != '.'))
		return -1;
	memcpy(sig->auid, t->val, t->vallen);
	sig->auid[t->vallen] = '\0';
	return 0;
}

/* sig_algorithm: a=; ed25519 is known but not checked here. */
static int
sig_algorithm(const struct dkim_tag *a, struct dkim_sig *sig)
{
	if (tag_is(a, "rsa-sha256"))
		return 0;
	if (tag_is(a, "ed25519-sha256"))
		return sig_bad(sig, DKIM_NEUTRAL,
		    "ed25519-sha256 cannot be checked");
	return sig_bad(sig, DKIM_PERMERROR, "unsupported algorithm");
}

/* sig_times: t=, x= against now. */
static int
sig_times(const struct dkim_tags *tags, int64_t now, struct dkim_sig *sig)
{
	if (sig_number(dkim_tags_get(tags, "t"), 12, &sig->timestamp) == -2 ||
	    sig_number(dkim_tags_get(tags, "x"), 12, &sig->expire) == -2)
		return sig_bad(sig, DKIM_PERMERROR, "malformed t= or x=");
	if (sig->expire != -1 && sig->timestamp != -1 &&
	    sig->expire < sig->timestamp)
		return sig_bad(sig, DKIM_PERMERROR, "x= before t=");
	if (sig->expire != -1 && sig->expire < now)
		return sig_bad(sig, DKIM_POLICY, "signature expired");
	return 0;
}

/* sig_hashes: bh= and b=. */
static int
sig_hashes(const struct dkim_tags *tags, struct dkim_sig *sig)
{
	const struct dkim_tag *bh = dkim_tags_get(tags, "bh");
	const struct dkim_tag *b = dkim_tags_get(tags, "b");
	size_t n;

	if (bh == NULL || dkim_tag_base64(bh, sig->bh, sizeof(sig->bh),
	    &n) == -1 || n != sizeof(sig->bh))
		return sig_bad(sig, DKIM_PERMERROR, "malformed bh=");
	if (b == NULL || dkim_tag_base64(b, sig->b, sizeof(sig->b),
	    &sig->blen) == -1)
		return sig_bad(sig, DKIM_PERMERROR, "malformed b=");
	return 0;
}

/* sig_rest: the tags after d=, s= and a=. */
static int
sig_rest(const struct dkim_tags *tags, int64_t now, struct dkim_sig *sig,
    struct dkim_hname *names, size_t *nnames)
{
	struct dkim_hname q[8];
	const struct dkim_tag *t;
	size_t nq;

	if (sig_canon(dkim_tags_get(tags, "c"), sig) == -1)
		return sig_bad(sig, DKIM_PERMERROR,
		    "unsupported canonicalization");
	if ((t = dkim_tags_get(tags, "h")) == NULL ||
	    sig_list(t, names, DKIM_HNAMES_MAX, nnames) == -1)
		return sig_bad(sig, DKIM_PERMERROR, "malformed h=");
	if (!sig_has(names, *nnames, "from"))
		return sig_bad(sig, DKIM_PERMERROR, "From not signed");
	if (sig_auid(dkim_tags_get(tags, "i"), sig) == -1)
		return sig_bad(sig, DKIM_PERMERROR, "i= not within d=");
	if ((t = dkim_tags_get(tags, "q")) != NULL &&
	    (sig_list(t, q, 8, &nq) == -1 || !sig_has(q, nq, "dns/txt")))
		return sig_bad(sig, DKIM_PERMERROR, "unsupported q=");
	if (sig_number(dkim_tags_get(tags, "l"), 18, &sig->length) == -2)
		return sig_bad(sig, DKIM_PERMERROR, "malformed l=");
	if (sig_hashes(tags, sig) == -1)
		return -1;
	return sig_times(tags, now, sig);
}

int
dkim_sig_parse(const char *value, size_t len, int64_t now,
    struct dkim_sig *sig, struct dkim_hname *names, size_t *nnames)
{
	static const char *const required[] = { "v", "a", "b", "bh", "d",
	    "h", "s" };
	struct dkim_tags tags;
	const struct dkim_tag *v;
	size_t i;

	memset(sig, 0, sizeof(*sig));
	sig->length = sig->timestamp = sig->expire = -1;
	*nnames = 0;
	if (dkim_tags_parse(value, len, &tags) == -1)
		return sig_bad(sig, DKIM_PERMERROR, "malformed tag list");
	(void)sig_copy_name(dkim_tags_get(&tags, "d"), sig->domain);
	(void)sig_copy_name(dkim_tags_get(&tags, "s"), sig->selector);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (dkim_tags_get(&tags, required[i]) == NULL) {
			sig->result = DKIM_PERMERROR;
			(void)snprintf(sig->reason, sizeof(sig->reason),
			    "no %s= tag", required[i]);
			return -1;
		}
	v = dkim_tags_get(&tags, "v");
	if (!tag_is(v, "1"))
		return sig_bad(sig, DKIM_PERMERROR, "unsupported version");
	if (sig->domain[0] == '\0')
		return sig_bad(sig, DKIM_PERMERROR, "malformed d=");
	if (sig->selector[0] == '\0' ||
	    strlen(sig->selector) + strlen(sig->domain) +
	    sizeof("._domainkey.") - 1 > DNS_NAME_MAX)
		return sig_bad(sig, DKIM_PERMERROR, "malformed s=");
	if (sig_algorithm(dkim_tags_get(&tags, "a"), sig) == -1)
		return -1;
	if (sig_rest(&tags, now, sig, names, nnames) == -1) {
		*nnames = 0;
		return -1;
	}
	sig->result = DKIM_PENDING;
	return 0;
}
