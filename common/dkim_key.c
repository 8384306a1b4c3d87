/*
 * dkim_key.c: DKIM key records (RFC 6376 §3.6.1) and the RSA public key
 * in p= (a DER SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey as
 * some signers publish).
 *
 * Runs where verification finishes (the check role); the record is a DNS
 * answer anyone can publish, so it is hostile: the tag list goes through
 * dkim_tags_parse, the DER through a bounded reader of exactly the shapes
 * above, and the key ends up in the caller's fixed buffer.
 */
#include <stdio.h>
#include <string.h>

#include "common/dkim.h"

#define DER_SEQ		0x30
#define DER_INT		0x02
#define DER_BITS	0x03
#define DER_OID		0x06
#define DER_NULL	0x05

#define KEY_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* 1.2.840.113549.1.1.1 rsaEncryption */
static const unsigned char oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
    0x01, 0x01, 0x01 };

struct der {
	const unsigned char *p;
	size_t		 len;
};

/* der_get: the next element of d, which must have tag; its contents in
 * *in.  Lengths of at most two bytes (every key here is smaller). */
static int
der_get(struct der *d, unsigned tag, struct der *in)
{
	size_t n, hl = 2;

	if (d->len < 2 || d->p[0] != tag)
		return -1;
	n = d->p[1];
	if (n == 0x81 || n == 0x82) {
		hl = 2 + (n & 0x7f);
		if (d->len < hl)
			return -1;
		n = n == 0x81 ? d->p[2] : ((size_t)d->p[2] << 8) | d->p[3];
		if (n < 0x80)
			return -1;
	} else if (n > 0x7f) {
		return -1;
	}
	if (n > d->len - hl)
		return -1;
	in->p = d->p + hl;
	in->len = n;
	d->p += hl + n;
	d->len -= hl + n;
	return 0;
}

/* der_uint: a positive INTEGER without its leading zeros. */
static int
der_uint(struct der *d, const unsigned char **v, size_t *len)
{
	struct der in;

	if (der_get(d, DER_INT, &in) == -1 || in.len == 0 ||
	    (in.p[0] & 0x80))
		return -1;
	while (in.len > 0 && in.p[0] == 0) {
		in.p++;
		in.len--;
	}
	if (in.len == 0)
		return -1;
	*v = in.p;
	*len = in.len;
	return 0;
}

/* key_rsa: SEQUENCE { n, e } into key->pk, which points into der. */
static int
key_rsa(struct der d, struct dkim_key *key)
{
	struct der seq;
	unsigned char top;

	if (der_get(&d, DER_SEQ, &seq) == -1 || d.len != 0 ||
	    der_uint(&seq, (const unsigned char **)&key->pk.n,
	    &key->pk.nlen) == -1 ||
	    der_uint(&seq, (const unsigned char **)&key->pk.e,
	    &key->pk.elen) == -1 || seq.len != 0 ||
	    key->pk.nlen > DKIM_SIG_BYTES_MAX || key->pk.elen > 8)
		return -1;
	top = key->pk.n[0];
	key->bits = (unsigned)(key->pk.nlen - 1) * 8;
	while (top != 0) {
		key->bits++;
		top >>= 1;
	}
	return 0;
}

/* key_der: SubjectPublicKeyInfo with rsaEncryption, or RSAPublicKey. */
static int
key_der(const unsigned char *buf, size_t len, struct dkim_key *key)
{
	struct der d = { buf, len }, spki, alg, oid, bits;

	if (len >= 4 && buf[0] == DER_SEQ) {
		struct der peek = d;

		if (der_get(&peek, DER_SEQ, &spki) == 0 && spki.len > 0 &&
		    spki.p[0] == DER_INT)
			return key_rsa(d, key);
	}
	if (der_get(&d, DER_SEQ, &spki) == -1 || d.len != 0 ||
	    der_get(&spki, DER_SEQ, &alg) == -1 ||
	    der_get(&alg, DER_OID, &oid) == -1 ||
	    oid.len != sizeof(oid_rsa) ||
	    memcmp(oid.p, oid_rsa, sizeof(oid_rsa)) != 0 ||
	    (alg.len != 0 && (der_get(&alg, DER_NULL, &oid) == -1 ||
	    oid.len != 0 || alg.len != 0)) ||
	    der_get(&spki, DER_BITS, &bits) == -1 || spki.len != 0 ||
	    bits.len < 1 || bits.p[0] != 0)
		return -1;
	bits.p++;
	bits.len--;
	return key_rsa(bits, key);
}

static int
key_bad(char *why, size_t whylen, const char *text)
{
	(void)snprintf(why, whylen, "%s", text);
	return -1;
}

/* key_list_has: a colon-separated value holds item (or "*" when star). */
static int
key_list_has(const struct dkim_tag *t, const char *item, int star)
{
	size_t i = 0, start, end, len = strlen(item);

	while (i <= t->vallen) {
		while (i < t->vallen && KEY_FWS(t->val[i]))
			i++;
		start = i;
		while (i < t->vallen && t->val[i] != ':')
			i++;
		end = i;
		while (end > start && KEY_FWS(t->val[end - 1]))
			end--;
		if ((end - start == len &&
		    memcmp(t->val + start, item, len) == 0) ||
		    (star && end - start == 1 && t->val[start] == '*'))
			return 1;
		i++;
	}
	return 0;
}

int
dkim_key_parse(const char *txt, size_t len, struct dkim_key *key,
    char *why, size_t whylen)
{
	struct dkim_tags tags;
	const struct dkim_tag *t;
	size_t n;

	memset(key, 0, sizeof(*key));
	if (dkim_tags_parse(txt, len, &tags) == -1)
		return key_bad(why, whylen, "malformed key record");
	if ((t = dkim_tags_get(&tags, "v")) != NULL &&
	    (t != &tags.t[0] || t->vallen != 5 ||
	    memcmp(t->val, "DKIM1", 5) != 0))
		return key_bad(why, whylen, "unsupported key record version");
	if ((t = dkim_tags_get(&tags, "h")) != NULL &&
	    !key_list_has(t, "sha256", 0))
		return key_bad(why, whylen, "key not for sha256");
	if ((t = dkim_tags_get(&tags, "k")) != NULL &&
	    (t->vallen != 3 || memcmp(t->val, "rsa", 3) != 0))
		return key_bad(why, whylen, "unsupported key type");
	if ((t = dkim_tags_get(&tags, "s")) != NULL &&
	    !key_list_has(t, "email", 1))
		return key_bad(why, whylen, "key not for email");
	if ((t = dkim_tags_get(&tags, "t")) != NULL) {
		key->testing = key_list_has(t, "y", 0);
		key->strict = key_list_has(t, "s", 0);
	}
	if ((t = dkim_tags_get(&tags, "p")) == NULL)
		return key_bad(why, whylen, "no p= in the key record");
	if (t->vallen == 0)
		return key_bad(why, whylen, "key revoked");
	if (dkim_tag_base64(t, key->der, sizeof(key->der), &n) == -1 ||
	    key_der(key->der, n, key) == -1) {
		memset(key, 0, sizeof(*key));
		return key_bad(why, whylen, "malformed public key");
	}
	return 0;
}

/* der_put: tag, length, then len bytes of v (lead: one 0x00 first, part
 * of the length); returns the new end, or 0 when it does not fit. */
static size_t
der_put(unsigned char *out, size_t cap, size_t at, unsigned tag,
    int lead, const unsigned char *v, size_t len)
{
	size_t total = len + (lead != 0), hl = total < 0x80 ? 2 :
	    total < 0x100 ? 3 : 4;

	if (total > 0xffff || at + hl + total > cap)
		return 0;
	out[at] = (unsigned char)tag;
	if (hl == 2) {
		out[at + 1] = (unsigned char)total;
	} else if (hl == 3) {
		out[at + 1] = 0x81;
		out[at + 2] = (unsigned char)total;
	} else {
		out[at + 1] = 0x82;
		out[at + 2] = (unsigned char)(total >> 8);
		out[at + 3] = (unsigned char)total;
	}
	at += hl;
	if (lead)
		out[at++] = 0;
	memmove(out + at, v, len);
	return at + len;
}

/* der_uint_put: a positive INTEGER, leading zeros dropped. */
static size_t
der_uint_put(unsigned char *out, size_t cap, size_t at,
    const unsigned char *v, size_t len)
{
	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	return der_put(out, cap, at, DER_INT, (v[0] & 0x80) != 0, v, len);
}

size_t
dkim_key_spki(const br_rsa_public_key *pk, unsigned char *out, size_t cap)
{
	static const unsigned char alg[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
	    0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
	unsigned char rsa[DKIM_KEY_DER_MAX], spki[DKIM_KEY_DER_MAX];
	size_t n, m;

	/* Inside out: RSAPublicKey, in a BIT STRING after the algorithm,
	 * all in a SEQUENCE. */
	if ((n = der_uint_put(rsa, sizeof(rsa), 0, pk->n, pk->nlen)) == 0 ||
	    (n = der_uint_put(rsa, sizeof(rsa), n, pk->e, pk->elen)) == 0 ||
	    (n = der_put(spki, sizeof(spki), 0, DER_SEQ, 0, rsa, n)) == 0)
		return 0;
	memcpy(rsa, spki, n);
	if ((m = der_put(spki, sizeof(spki), 0, DER_SEQ, 0, alg,
	    sizeof(alg))) == 0 ||
	    (m = der_put(spki, sizeof(spki), m, DER_BITS, 1, rsa, n)) == 0)
		return 0;
	return der_put(out, cap, 0, DER_SEQ, 0, spki, m);
}
