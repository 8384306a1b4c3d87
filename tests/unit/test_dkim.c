/*
 * test_dkim.c: unit test of common/dkim*.c: the canonicalization example
 * of RFC 6376 §3.4.6 (whole and byte by byte), l= and empty bodies, the
 * tag-list parser's edge cases, key records, and sign-then-verify with an
 * RSA key made in process and a table for DNS: pass, a changed body, a
 * changed or added header field, an l= signature, an expired one, a
 * short key, revoked and missing keys, DNS failure, ed25519, and the
 * two phases split by a copy of the signature.  Runs as a plain program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "common/base64.h"
#include "common/dkim.h"
#include "tests/unit/check.h"

#define NOW	1790000000

static br_rsa_private_key sk;
static br_rsa_public_key pk;
static unsigned char skbuf[BR_RSA_KBUF_PRIV_SIZE(2048)];
static unsigned char pkbuf[BR_RSA_KBUF_PUB_SIZE(2048)];

/* The DNS table: one TXT record for one name, or an rc. */
static const char *dns_name;
static char dns_txt[4096];
static enum dns_rc dns_rc_next = DNS_OK;

static enum dns_rc
table_lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t len = strlen(dns_txt), off = 0, n = 0, k;

	(void)arg;
	memset(out, 0, sizeof(*out));
	if (dns_rc_next != DNS_OK)
		return out->rc = dns_rc_next;
	if (type != DNS_T_TXT || strcmp(name, dns_name) != 0)
		return out->rc = DNS_NXDOMAIN;
	while (off < len) {		/* 255-byte character-strings */
		k = len - off > 255 ? 255 : len - off;
		out->buf[n++] = (unsigned char)k;
		memcpy(out->buf + n, dns_txt + off, k);
		n += k;
		off += k;
	}
	out->rdata[0] = out->buf;
	out->len[0] = (uint16_t)n;
	out->n = 1;
	out->type = DNS_T_TXT;
	return out->rc = DNS_OK;
}

static int
sign_in_process(void *arg, const unsigned char hash[32], unsigned char *sig,
    size_t *siglen)
{
	const br_rsa_private_key *k = arg;

	if (*siglen < (k->n_bitlen + 7) / 8 ||
	    br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, 32, k,
	    sig) != 1)
		return -1;
	*siglen = (k->n_bitlen + 7) / 8;
	return 0;
}

static void
keygen(unsigned bits, br_rsa_private_key *s, br_rsa_public_key *p,
    unsigned char *sbuf, unsigned char *pbuf, const char *seed)
{
	br_hmac_drbg_context rng;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, strlen(seed));
	if (br_rsa_keygen_get_default()(&rng.vtable, s, sbuf, p, pbuf, bits,
	    65537) != 1) {
		printf("Bail out! key generation failed\n");
		exit(1);
	}
}

/* publish: the key record of p for s._domainkey.example.com. */
static void
publish(const br_rsa_public_key *p, const char *extra)
{
	unsigned char der[DKIM_KEY_DER_MAX];
	char b64[BASE64_LEN(DKIM_KEY_DER_MAX) + 1];
	size_t n = dkim_key_spki(p, der, sizeof(der));

	base64_encode(der, n, b64, sizeof(b64));
	snprintf(dns_txt, sizeof(dns_txt), "v=DKIM1; k=rsa;%s p=%s", extra,
	    b64);
	dns_name = "s1._domainkey.example.com";
	dns_rc_next = DNS_OK;
}

static void
sha(const char *s, unsigned char out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, s, strlen(s));
	br_sha256_out(&c, out);
}

/* body_hash_eq: the body hash of in, fed whole and byte by byte, is the
 * SHA-256 of want. */
static int
body_hash_eq(const char *in, int relaxed, int64_t limit, const char *want)
{
	struct dkim_body b;
	unsigned char h1[32], h2[32], w[32];
	uint64_t total;
	size_t i;

	dkim_body_init(&b, relaxed, limit);
	dkim_body_feed(&b, in, strlen(in));
	dkim_body_final(&b, h1, &total);
	dkim_body_init(&b, relaxed, limit);
	for (i = 0; in[i] != '\0'; i++)
		dkim_body_feed(&b, in + i, 1);
	dkim_body_final(&b, h2, &total);
	sha(want, w);
	return memcmp(h1, w, 32) == 0 && memcmp(h2, w, 32) == 0;
}

static int
head_hash_eq(const char *field, int relaxed, const char *want)
{
	br_sha256_context c;
	unsigned char h[32], w[32];

	br_sha256_init(&c);
	dkim_head_canon(&c, relaxed, field, strlen(field), 1);
	br_sha256_out(&c, h);
	sha(want, w);
	return memcmp(h, w, 32) == 0;
}

static void
test_canon(void)
{
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";

	/* RFC 6376 §3.4.6 */
	CHECK_TRUE(head_hash_eq("A: X", 1, "a:X\r\n"),
	    "relaxed header A (3.4.6)");
	CHECK_TRUE(head_hash_eq("B : Y\t\r\n\tZ  ", 1, "b:Y Z\r\n"),
	    "relaxed header B, unfolded (3.4.6)");
	CHECK_TRUE(head_hash_eq("B : Y\t\r\n\tZ  ", 0,
	    "B : Y\t\r\n\tZ  \r\n"), "simple header B unchanged (3.4.6)");
	CHECK_TRUE(body_hash_eq(body, 1, -1, " C\r\nD E\r\n"),
	    "relaxed body (3.4.6)");
	CHECK_TRUE(body_hash_eq(body, 0, -1, " C \r\nD \t E\r\n"),
	    "simple body (3.4.6)");
	CHECK_TRUE(body_hash_eq("", 0, -1, "\r\n"), "simple empty body");
	CHECK_TRUE(body_hash_eq("", 1, -1, ""), "relaxed empty body");
	CHECK_TRUE(body_hash_eq("\r\n\r\n", 1, -1, ""),
	    "relaxed: only empty lines");
	CHECK_TRUE(body_hash_eq("abc", 0, -1, "abc\r\n"),
	    "a last line without CRLF gets one");
	CHECK_TRUE(body_hash_eq("a\nb \n", 1, -1, "a\r\nb\r\n"),
	    "bare LF ends a line");
	CHECK_TRUE(body_hash_eq("a\rb\r", 0, -1, "a\rb\r\r\n"),
	    "bare CR is content");
	CHECK_TRUE(body_hash_eq(body, 1, 3, " C\r"), "l=3 hashes 3 bytes");
	CHECK_TRUE(body_hash_eq("x\r\n\r\n\r\ny", 0, -1,
	    "x\r\n\r\n\r\ny\r\n"), "inner empty lines kept");
}

static void
test_tags(void)
{
	struct dkim_tags t;
	const struct dkim_tag *g;
	static const char fws[] = " h = from : to ;\r\n\tb=ab\r\n cd;";
	char many[400];
	size_t i, n = 0;

	CHECK_INT_EQ(dkim_tags_parse("v=1; a=rsa-sha256; d=example.net",
	    32, &t), 0, "simple tag list");
	CHECK_INT_EQ(t.n, 3, "three tags");
	CHECK_INT_EQ(dkim_tags_parse(fws, strlen(fws), &t), 0,
	    "FWS around names, values and inside");
	g = dkim_tags_get(&t, "h");
	CHECK_TRUE(g != NULL && g->vallen == 9 &&
	    memcmp(g->val, "from : to", 9) == 0, "inner FWS kept, outer gone");
	CHECK_INT_EQ(dkim_tags_parse("", 0, &t), 0, "empty list");
	CHECK_INT_EQ(t.n, 0, "no tags");
	CHECK_INT_EQ(dkim_tags_parse("a=1;", 4, &t), 0, "trailing ;");
	CHECK_INT_EQ(dkim_tags_parse("a=;b=", 5, &t), 0, "empty values");
	CHECK_INT_EQ(dkim_tags_parse("a=1;;b=2", 8, &t), -1, "empty tag-spec");
	CHECK_INT_EQ(dkim_tags_parse("a=1;a=2", 7, &t), -1, "duplicate tag");
	CHECK_INT_EQ(dkim_tags_parse("a", 1, &t), -1, "no =");
	CHECK_INT_EQ(dkim_tags_parse("1a=2", 4, &t), -1, "name starts with "
	    "a digit");
	CHECK_INT_EQ(dkim_tags_parse("a=\x01", 3, &t), -1, "control byte");
	CHECK_INT_EQ(dkim_tags_parse("a=\xc3\xa9", 4, &t), -1, "8-bit byte");
	CHECK_INT_EQ(dkim_tags_parse("a=1\0b", 5, &t), -1, "NUL");
	CHECK_TRUE(dkim_tags_get(&t, "A") == NULL, "names are case-sensitive");
	for (i = 0; i <= DKIM_TAGS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "t%zu=x;", i);
	CHECK_INT_EQ(dkim_tags_parse(many, n, &t), -1, "too many tags");
}

static void
test_keyrec(void)
{
	struct dkim_key k;
	char why[96], rec[2048];
	unsigned char der[DKIM_KEY_DER_MAX];
	char b64[BASE64_LEN(DKIM_KEY_DER_MAX) + 1];
	size_t n;

	n = dkim_key_spki(&pk, der, sizeof(der));
	base64_encode(der, n, b64, sizeof(b64));
	snprintf(rec, sizeof(rec), "v=DKIM1; t=y:s; p=%.40s\r\n %s", b64,
	    b64 + 40);
	CHECK_INT_EQ(dkim_key_parse(rec, strlen(rec), &k, why, sizeof(why)),
	    0, "folded key record");
	CHECK_INT_EQ(k.bits, 1024, "1024-bit key");
	CHECK_TRUE(k.testing && k.strict, "t=y:s");
	CHECK_INT_EQ(dkim_key_parse("v=DKIM1; p=", 11, &k, why, sizeof(why)),
	    -1, "p= empty");
	CHECK_STR_EQ(why, "key revoked", "revoked key");
	CHECK_INT_EQ(dkim_key_parse("v=DKIM1; k=ed25519; p=AAAA", 26, &k, why,
	    sizeof(why)), -1, "ed25519 key refused");
	CHECK_INT_EQ(dkim_key_parse("k=rsa; v=DKIM1; p=AAAA", 22, &k, why,
	    sizeof(why)), -1, "v= not first");
	CHECK_INT_EQ(dkim_key_parse("h=sha1; p=AAAA", 14, &k, why,
	    sizeof(why)), -1, "h=sha1 only");
	CHECK_INT_EQ(dkim_key_parse("p=AAAA", 6, &k, why, sizeof(why)), -1,
	    "p= not a key");
	CHECK_STR_EQ(why, "malformed public key", "why: malformed key");
	CHECK_INT_EQ(dkim_key_parse("v=DKIM1", 7, &k, why, sizeof(why)), -1,
	    "no p=");
}

static const char message[] =
    "Received: from x by y; Mon, 30 Nov 2026 10:00:00 +0000\r\n"
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org,\r\n  carol@example.org\r\n"
    "Subject:  Hello   there\r\n"
    "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "  this is  the body.\r\n"
    "\r\n"
    "\r\n";

static char signed_msg[16384];

/* sign: signed_msg = the DKIM-Signature of msg, then msg; 0 or -1. */
static int
sign(const char *msg, int64_t lifetime, const br_rsa_private_key *k)
{
	static struct dkim_signer s;
	char err[128];
	size_t len, i, mlen = strlen(msg);

	if (dkim_signer_init(&s, "example.com", "s1", NOW, lifetime) == -1)
		return -1;
	for (i = 0; i < mlen; i += 5)
		dkim_signer_feed(&s, msg + i, mlen - i < 5 ? mlen - i : 5);
	if (dkim_signer_finish(&s, sign_in_process, (void *)k, signed_msg,
	    sizeof(signed_msg), &len, err, sizeof(err)) == -1) {
		printf("# sign: %s\n", err);
		return -1;
	}
	if (len + strlen(msg) >= sizeof(signed_msg))
		return -1;
	memcpy(signed_msg + len, msg, strlen(msg) + 1);
	return 0;
}

/* verify: the first signature of msg, both phases, at time now. */
static enum dkim_result
verify(const char *msg, int64_t now, char *reason, size_t chunk)
{
	static struct dkim_verifier v;
	struct dkim_sig copy;
	size_t i, len = strlen(msg), n;

	dkim_verifier_init(&v, now);
	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		dkim_verifier_feed(&v, msg + i, n);
	}
	dkim_verifier_end(&v);
	if (v.nsig == 0) {
		snprintf(reason, 96, "no signature");
		return DKIM_PENDING;
	}
	/* Phase 2 in "another process": only the bytes of the struct. */
	memcpy(&copy, &v.sig[0], sizeof(copy));
	dkim_verify_finish(&copy, table_lookup, NULL);
	snprintf(reason, 96, "%s", copy.reason);
	return copy.result;
}

/* replace: signed_msg with the first "from" replaced by "to". */
static void
replace(char *out, size_t cap, const char *from, const char *to)
{
	const char *p = strstr(signed_msg, from);

	if (p == NULL) {
		snprintf(out, cap, "%s", signed_msg);
		return;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(p - signed_msg), signed_msg, to,
	    p + strlen(from));
}

static void
test_roundtrip(void)
{
	static const char head[] = "DKIM-Signature: v=1; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=example.com; s=s1;\r\n\t t=1790000000;";
	static char m2[16384];
	char why[96];

	publish(&pk, "");
	CHECK_INT_EQ(sign(message, 0, &sk), 0, "signed");
	CHECK_TRUE(strncmp(signed_msg, head, strlen(head)) == 0,
	    "the field we prepend");
	CHECK_TRUE(strstr(signed_msg, "h=from:from:subject:date:to:"
	    "message-id;") != NULL, "From oversigned, present fields "
	    "listed");
	CHECK_TRUE(strstr(signed_msg, "t=1790000000;") != NULL, "t=");
	CHECK_TRUE(strstr(signed_msg, "x=") == NULL, "no x= by default");
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 1), DKIM_PASS,
	    "verifies, fed byte by byte");
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 4096), DKIM_PASS,
	    "verifies, fed whole");
	replace(m2, sizeof(m2), "the body", "the bodY");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_FAIL, "body changed");
	CHECK_STR_EQ(why, "body hash did not verify", "why: body hash");
	replace(m2, sizeof(m2), "\r\n\r\nHi Bob", "\r\n\r\nHi  Bob\r\n");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_FAIL, "a line added");
	replace(m2, sizeof(m2), "body.\r\n", "body.  \r\n\r\n\r\n");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_PASS,
	    "relaxed: trailing whitespace and empty lines do not count");
	replace(m2, sizeof(m2), "Hello", "Hullo");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_FAIL, "Subject changed");
	CHECK_STR_EQ(why, "signature did not verify", "why: signature");
	replace(m2, sizeof(m2), "Subject:  Hello   there",
	    "subject: Hello\r\n there");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_PASS,
	    "relaxed: Subject refolded still verifies");
	replace(m2, sizeof(m2), "From: Alice",
	    "From: Mallory <m@evil.example>\r\nFrom: Alice");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_FAIL,
	    "a second From added: the oversigned From catches it");
	replace(m2, sizeof(m2), "Received: from x",
	    "X-Added: yes\r\nReceived: from z");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_PASS,
	    "unsigned fields may change");
	replace(m2, sizeof(m2), "d=example.com", "d=example.net");
	CHECK_INT_EQ(verify(m2, NOW, why, 7), DKIM_PERMERROR,
	    "d= changed: no key there");
	CHECK_STR_EQ(why, "no key record", "why: no key record");
}

static void
test_keys(void)
{
	static unsigned char sb[BR_RSA_KBUF_PRIV_SIZE(512)];
	static unsigned char pb[BR_RSA_KBUF_PUB_SIZE(512)];
	br_rsa_private_key s512;
	br_rsa_public_key p512;
	char why[96];

	sign(message, 0, &sk);
	dns_rc_next = DNS_TEMP;
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 64), DKIM_TEMPERROR,
	    "DNS failure: temperror");
	publish(&pk, "");
	snprintf(dns_txt, sizeof(dns_txt), "v=DKIM1; p=");
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 64), DKIM_PERMERROR,
	    "revoked key: permerror");
	CHECK_STR_EQ(why, "key revoked", "why: revoked");
	publish(&pk, " t=s;");
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 64), DKIM_PASS,
	    "t=s with i= defaulting to d=");
	keygen(512, &s512, &p512, sb, pb, "short key");
	publish(&p512, "");
	sign(message, 0, &s512);
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 64), DKIM_POLICY,
	    "512-bit key: policy");
	publish(&pk, "");
	sign(message, 0, &sk);
	snprintf(dns_txt, sizeof(dns_txt), "v=DKIM1; k=rsa; p=%s", "AAAA");
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 64), DKIM_PERMERROR,
	    "garbage key: permerror");
}

static void
test_expiry(void)
{
	char why[96];

	publish(&pk, "");
	CHECK_INT_EQ(sign(message, 3600, &sk), 0, "signed with x=");
	CHECK_TRUE(strstr(signed_msg, "x=1790003600;") != NULL, "x= = t= + "
	    "lifetime");
	CHECK_INT_EQ(verify(signed_msg, NOW + 60, why, 64), DKIM_PASS,
	    "before x=: pass");
	CHECK_INT_EQ(verify(signed_msg, NOW + 7200, why, 64), DKIM_POLICY,
	    "after x=: policy");
	CHECK_STR_EQ(why, "signature expired", "why: expired");
}

/* sign_l: a signature with l=limit over From and Subject, made here by
 * hand from the canonicalization functions. */
static void
sign_l(const char *msg, int64_t limit)
{
	static struct dkim_msg m;
	struct dkim_body b;
	struct dkim_hname names[2] = { { "from", 4 }, { "subject", 7 } };
	unsigned char bh[32], hash[32], sig[512];
	char bh64[64], b64[1024], field[2048];
	br_sha256_context c;
	uint64_t total;
	size_t off, siglen = sizeof(sig);

	dkim_msg_init(&m);
	off = dkim_msg_feed(&m, msg, strlen(msg));
	dkim_body_init(&b, 0, limit);
	dkim_body_feed(&b, msg + off, strlen(msg) - off);
	dkim_body_final(&b, bh, &total);
	base64_encode(bh, 32, bh64, sizeof(bh64));
	snprintf(field, sizeof(field), "DKIM-Signature: v=1; a=rsa-sha256; "
	    "c=simple/simple; d=example.com; s=s1; l=%lld; h=from:subject; "
	    "bh=%s; b=", (long long)limit, bh64);
	br_sha256_init(&c);
	dkim_msg_hash_fields(&m, &c, 0, names, 2, -1);
	dkim_head_canon(&c, 0, field, strlen(field), 0);
	br_sha256_out(&c, hash);
	sign_in_process(&sk, hash, sig, &siglen);
	base64_encode(sig, siglen, b64, sizeof(b64));
	snprintf(signed_msg, sizeof(signed_msg), "%s%s\r\n%s", field, b64, msg);
}

static void
test_length(void)
{
	static char m2[16384];
	char why[96];

	publish(&pk, "");
	sign_l(message, 20);
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 3), DKIM_PASS,
	    "l=20, simple/simple, made independently");
	snprintf(m2, sizeof(m2), "%.16000sAppended by a list.\r\n",
	    signed_msg);
	CHECK_INT_EQ(verify(m2, NOW, why, 3), DKIM_PASS,
	    "l=: text after the signed length does not count");
	replace(m2, sizeof(m2), "Hi Bob", "Hi Bub");
	CHECK_INT_EQ(verify(m2, NOW, why, 3), DKIM_FAIL,
	    "l=: a change inside the signed length fails");
	sign_l(message, 5000);
	CHECK_INT_EQ(verify(signed_msg, NOW, why, 3), DKIM_PERMERROR,
	    "l= beyond the body");
	CHECK_STR_EQ(why, "l= longer than the body", "why: l=");
}

/* sigfield: a message whose only signature has value v. */
static enum dkim_result
sigfield(const char *v, char *why)
{
	snprintf(signed_msg, sizeof(signed_msg), "DKIM-Signature: %s\r\n%s",
	    v, message);
	return verify(signed_msg, NOW, why, 4096);
}

static void
test_malformed(void)
{
	static const char bh[] = "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	char why[96], v[512];

	snprintf(v, sizeof(v), "v=1; a=ed25519-sha256; d=example.com; s=s1; "
	    "h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_NEUTRAL, "ed25519: neutral");
	snprintf(v, sizeof(v), "v=2; a=rsa-sha256; d=example.com; s=s1; "
	    "h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "v=2");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "h=to:subject; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "h= without From");
	CHECK_STR_EQ(why, "From not signed", "why: From");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "i=a@example.net; h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "i= outside d=");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "i=a@sub.example.com; h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_FAIL,
	    "i= in a subdomain is fine (fails later on the body hash)");
	CHECK_STR_EQ(why, "body hash did not verify", "why: it got that far");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "i=a@badexample.com; h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "i= a lookalike");
	CHECK_STR_EQ(why, "i= not within d=", "why: i=");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; s=s1; h=from; %s; b=AAAA",
	    bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "no d=");
	CHECK_STR_EQ(why, "no d= tag", "why: d=");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "c=weird; h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "c=weird");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "t=200; x=100; h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "x= before t=");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=exa..mple.com; s=s1; "
	    "h=from; %s; b=AAAA", bh);
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "d= not a name");
	snprintf(v, sizeof(v), "v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "h=from; bh=AAAA; b=AAAA");
	CHECK_INT_EQ(sigfield(v, why), DKIM_PERMERROR, "bh= too short");
	CHECK_INT_EQ(sigfield("v=1; v=1", why), DKIM_PERMERROR,
	    "duplicate tags");
}

static void
test_names(void)
{
	CHECK_TRUE(dkim_name_ok("example.com"), "example.com");
	CHECK_TRUE(dkim_name_ok("p2026"), "a selector");
	CHECK_TRUE(dkim_name_ok("s_1.sub"), "underscore, two labels");
	CHECK_TRUE(!dkim_name_ok(""), "empty");
	CHECK_TRUE(!dkim_name_ok("a..b"), "empty label");
	CHECK_TRUE(!dkim_name_ok("-a.b"), "leading hyphen");
	CHECK_TRUE(!dkim_name_ok("a-.b"), "trailing hyphen");
	CHECK_TRUE(!dkim_name_ok("a.b."), "trailing dot");
	CHECK_TRUE(!dkim_name_ok("a/b"), "slash");
	CHECK_TRUE(!dkim_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaa.b"), "64-byte label");
}

static void
test_keyfile(void)
{
	char d[DNS_NAME_MAX + 1], s[DKIM_SELECTOR_MAX + 1];

	CHECK_INT_EQ(dkim_keyfile_split("Example.com.P202611.key", d, s), 0,
	    "<domain>.<selector>.key");
	CHECK_STR_EQ(d, "example.com", "its domain, lower case");
	CHECK_STR_EQ(s, "p202611", "its selector, lower case");
	CHECK_INT_EQ(dkim_keyfile_split(".example.com.s1.key.tmp", d, s), -1,
	    "keygen's temporary file");
	CHECK_INT_EQ(dkim_keyfile_split(".example.com.s1.key", d, s), -1,
	    "a leading dot");
	CHECK_INT_EQ(dkim_keyfile_split("s1.key", d, s), -1, "no domain");
	CHECK_INT_EQ(dkim_keyfile_split("example.com.key", d, s), 0,
	    "a one-label domain");
	CHECK_INT_EQ(dkim_keyfile_split("example.com..key", d, s), -1,
	    "empty selector");
	CHECK_INT_EQ(dkim_keyfile_split("exa mple.s1.key", d, s), -1,
	    "a space");
	CHECK_INT_EQ(dkim_keyfile_split("README", d, s), -1, "another file");
}

static void
test_many(void)
{
	static char m2[32768];
	static struct dkim_verifier v;
	size_t i, n = 0;

	for (i = 0; i < DKIM_SIGS_MAX + 2; i++)
		n += (size_t)snprintf(m2 + n, sizeof(m2) - n,
		    "DKIM-Signature: v=1\r\n");
	snprintf(m2 + n, sizeof(m2) - n, "%s", message);
	dkim_verifier_init(&v, NOW);
	dkim_verifier_feed(&v, m2, strlen(m2));
	dkim_verifier_end(&v);
	CHECK_INT_EQ(v.nsig, DKIM_SIGS_MAX, "at most DKIM_SIGS_MAX checked");
	CHECK_INT_EQ(v.nmore, 2, "the rest counted");
	CHECK_INT_EQ(v.sig[0].result, DKIM_PERMERROR, "each a permerror");
}

int
main(void)
{
	keygen(1024, &sk, &pk, skbuf, pkbuf, "postern dkim unit test");
	test_canon();
	test_tags();
	test_keyrec();
	test_roundtrip();
	test_keys();
	test_expiry();
	test_length();
	test_malformed();
	test_names();
	test_keyfile();
	test_many();
	return check_done();
}
