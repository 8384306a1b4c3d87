/*
 * dkim_verify.c: DKIM verification (RFC 6376 §6) in two phases: the
 * hashes where the message passes (the broker), then the key record and
 * the RSA check where DNS is (the check role).
 *
 * The message, its signatures and the key records are hostile: fields
 * are bounded (DKIM_SIGFIELD_MAX, DKIM_SIGS_MAX signatures), key records
 * go through dkim_key_parse, and RSA is BearSSL's default PKCS#1 v1.5
 * verifier with the modulus length checked first.  A struct dkim_sig
 * handed to phase 2 may have crossed a process boundary: every length in
 * it is checked again before use.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dkim.h"

static void
verify_set(struct dkim_sig *sig, enum dkim_result r, const char *why)
{
	sig->result = r;
	(void)snprintf(sig->reason, sizeof(sig->reason), "%s", why);
}

void
dkim_verifier_init(struct dkim_verifier *v, int64_t now)
{
	dkim_msg_init(&v->msg);
	v->now = now;
	v->nsig = v->nmore = 0;
	v->started = 0;
}

/* verify_hhash: the header hash of the signature in field i: the fields
 * h= names, then the signature field itself with b= empty (§3.7). */
static void
verify_hhash(struct dkim_verifier *v, size_t i, struct dkim_sig *sig,
    const struct dkim_hname *names, size_t n)
{
	static char field[DKIM_SIGFIELD_MAX];
	const struct dkim_field *f = &v->msg.field[i];
	const char *text = v->msg.head + f->off;
	struct dkim_tags tags;
	const struct dkim_tag *b;
	const char *eq;
	size_t colon = f->namelen, cut, rest;
	br_sha256_context sha;

	while (text[colon] != ':')
		colon++;
	/* dkim_sig_parse took this same text, so b= is there. */
	(void)dkim_tags_parse(text + colon + 1, f->len - colon - 1, &tags);
	b = dkim_tags_get(&tags, "b");
	for (eq = b->val; *eq != '='; eq--)
		;
	cut = (size_t)(eq + 1 - text);
	rest = (size_t)(b->val + b->vallen - text);
	memcpy(field, text, cut);
	memcpy(field + cut, text + rest, f->len - rest);
	br_sha256_init(&sha);
	dkim_msg_hash_fields(&v->msg, &sha, sig->head_relaxed, names, n,
	    (long)i);
	dkim_head_canon(&sha, sig->head_relaxed, field, cut + f->len - rest, 0);
	br_sha256_out(&sha, sig->hhash);
}

/* verify_start: the header section is complete: parse each signature,
 * hash its fields, start its body hash. */
static void
verify_start(struct dkim_verifier *v)
{
	struct dkim_hname names[DKIM_HNAMES_MAX];
	struct dkim_sig *sig;
	const char *text;
	size_t i, colon, n;

	v->started = 1;
	for (i = 0; i < v->msg.nfields; i++) {
		if (!dkim_msg_field_is(&v->msg, i, "dkim-signature"))
			continue;
		if (v->nsig == DKIM_SIGS_MAX) {
			v->nmore++;
			continue;
		}
		sig = &v->sig[v->nsig++];
		text = v->msg.head + v->msg.field[i].off;
		colon = v->msg.field[i].namelen;
		while (text[colon] != ':')
			colon++;
		if (v->msg.field[i].len > DKIM_SIGFIELD_MAX) {
			memset(sig, 0, sizeof(*sig));
			verify_set(sig, DKIM_PERMERROR, "signature too long");
			continue;
		}
		if (dkim_sig_parse(text + colon + 1, v->msg.field[i].len -
		    colon - 1, v->now, sig, names, &n) == -1)
			continue;
		verify_hhash(v, i, sig, names, n);
		dkim_body_init(&v->body[v->nsig - 1], sig->body_relaxed,
		    sig->length);
	}
}

/* verify_broken: the header section could not be kept: each signature
 * seen in what was kept is a permerror. */
static void
verify_broken(struct dkim_verifier *v)
{
	static const char name[] = "dkim-signature:";
	size_t i;

	v->started = 1;
	for (i = 0; i + sizeof(name) - 1 <= v->msg.len; i++) {
		if ((i > 0 && v->msg.head[i - 1] != '\n') ||
		    strncasecmp(v->msg.head + i, name, sizeof(name) - 1) != 0)
			continue;
		if (v->nsig == DKIM_SIGS_MAX) {
			v->nmore++;
			continue;
		}
		memset(&v->sig[v->nsig], 0, sizeof(v->sig[0]));
		verify_set(&v->sig[v->nsig++], DKIM_PERMERROR,
		    "header section too large or malformed");
	}
}

void
dkim_verifier_feed(struct dkim_verifier *v, const void *data, size_t len)
{
	size_t i, off = 0;

	if (!v->started) {
		off = dkim_msg_feed(&v->msg, data, len);
		if (dkim_msg_done(&v->msg) == 1)
			verify_start(v);
	}
	if (!v->started || dkim_msg_done(&v->msg) != 1)
		return;
	for (i = 0; i < v->nsig; i++)
		if (v->sig[i].result == DKIM_PENDING)
			dkim_body_feed(&v->body[i], (const char *)data + off,
			    len - off);
}

void
dkim_verifier_end(struct dkim_verifier *v)
{
	unsigned char bh[32];
	uint64_t total;
	size_t i;

	if (!v->started) {
		if (dkim_msg_end(&v->msg) == 1)
			verify_start(v);
		else
			verify_broken(v);
	}
	for (i = 0; i < v->nsig; i++) {
		struct dkim_sig *sig = &v->sig[i];

		if (sig->result != DKIM_PENDING)
			continue;
		dkim_body_final(&v->body[i], bh, &total);
		if (sig->length >= 0 && (uint64_t)sig->length > total)
			verify_set(sig, DKIM_PERMERROR,
			    "l= longer than the body");
		else if (memcmp(bh, sig->bh, sizeof(bh)) != 0)
			verify_set(sig, DKIM_FAIL, "body hash did not verify");
	}
}

/* verify_txt: the character-strings of one TXT rdata joined. */
static int
verify_txt(const unsigned char *rd, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	size_t i = 0, n = 0, sl;

	while (i < len) {
		sl = rd[i++];
		if (sl > len - i || sl >= cap - n)
			return -1;
		memcpy(out + n, rd + i, sl);
		n += sl;
		i += sl;
	}
	*outlen = n;
	return 0;
}

/* verify_key: the first record of rr that parses as a key; -1 with the
 * reason of the last one that did not. */
static int
verify_key(const struct dns_rrset *rr, struct dkim_key *key, char *why,
    size_t whylen)
{
	static char txt[DKIM_TXT_MAX];
	size_t i, len;

	(void)snprintf(why, whylen, "no key record");
	for (i = 0; i < rr->n && i < DNS_RR_MAX; i++) {
		if (verify_txt(rr->rdata[i], rr->len[i], txt, sizeof(txt),
		    &len) == -1) {
			(void)snprintf(why, whylen, "malformed key record");
			continue;
		}
		if (dkim_key_parse(txt, len, key, why, whylen) == 0)
			return 0;
	}
	return -1;
}

/* verify_strict: t=s: the i= domain must be d= itself. */
static int
verify_strict(const struct dkim_sig *sig)
{
	const char *at = strrchr(sig->auid, '@');

	return at != NULL && strcasecmp(at + 1, sig->domain) == 0;
}

static enum dkim_result
verify_rsa(struct dkim_sig *sig, const struct dkim_key *key)
{
	unsigned char out[32];

	if (key->bits < DKIM_RSA_MIN_BITS) {
		verify_set(sig, DKIM_POLICY, "key shorter than 1024 bits");
		return sig->result;
	}
	if (sig->blen != key->pk.nlen ||
	    br_rsa_pkcs1_vrfy_get_default()(sig->b, sig->blen,
	    BR_HASH_OID_SHA256, sizeof(out), &key->pk, out) != 1 ||
	    memcmp(out, sig->hhash, sizeof(out)) != 0) {
		verify_set(sig, DKIM_FAIL, "signature did not verify");
		return sig->result;
	}
	verify_set(sig, DKIM_PASS, key->testing ? "key in testing mode" : "");
	return sig->result;
}

enum dkim_result
dkim_verify_finish(struct dkim_sig *sig, dns_lookup_fn lookup, void *arg)
{
	static struct dns_rrset rr;
	static struct dkim_key key;
	char name[DNS_NAME_MAX + 1], why[DKIM_REASON_MAX];
	int n;

	if (sig->result != DKIM_PENDING)
		return sig->result;
	sig->domain[sizeof(sig->domain) - 1] = '\0';
	sig->selector[sizeof(sig->selector) - 1] = '\0';
	sig->auid[sizeof(sig->auid) - 1] = '\0';
	n = snprintf(name, sizeof(name), "%s._domainkey.%s", sig->selector,
	    sig->domain);
	if (n < 0 || (size_t)n >= sizeof(name) || !dkim_name_ok(name) ||
	    sig->blen > sizeof(sig->b)) {
		verify_set(sig, DKIM_PERMERROR, "malformed signature");
		return sig->result;
	}
	memset(&rr, 0, sizeof(rr));
	switch (lookup(arg, name, DNS_T_TXT, &rr)) {
	case DNS_OK:
		break;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		verify_set(sig, DKIM_PERMERROR, "no key record");
		return sig->result;
	default:
		verify_set(sig, DKIM_TEMPERROR, "key record lookup failed");
		return sig->result;
	}
	if (verify_key(&rr, &key, why, sizeof(why)) == -1) {
		verify_set(sig, DKIM_PERMERROR, why);
		return sig->result;
	}
	if (key.strict && !verify_strict(sig)) {
		verify_set(sig, DKIM_PERMERROR, "i= not d= under a t=s key");
		return sig->result;
	}
	return verify_rsa(sig, &key);
}
