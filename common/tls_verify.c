/*
 * tls_verify.c: the TLS client's X.509 check (tls_verify.h), a
 * br_x509_class the client engine calls with the server's chain.  It
 * feeds br_x509_minimal (the chain against the CA anchors, dates,
 * signatures) and keeps the certificates, then judges by the policy: CA
 * names (our matching, with MTA-STS patterns), DANE-EE and DANE-TA
 * (RFC 7672), or opportunistic (record, never refuse).  Runs in the
 * relay processes; the chain is hostile and bounded (TLS_PEER_*).
 */
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "common/dnsrr.h"
#include "common/tls.h"
#include "common/tls_verify.h"

static const unsigned char oid_cn[] = { 3, 0x55, 0x04, 0x03 };
static const unsigned char oid_dns[] = { 0, 2 };

/* The EE's names, as the aux engine extracts them. */
struct ee_names {
	br_name_element	elts[TLS_PEER_NAMES + 1];	/* dNSNames, CN */
	char		buf[TLS_PEER_NAMES + 1][256];
};

static void
verify_how(struct tls_verify *v, int verified, const char *how)
{
	v->checked = 1;
	v->verified = verified;
	snprintf(v->how, sizeof(v->how), "%s", how);
}

/* ee_decode: the EE's key into v->pkey (and its validity start into
 * days/secs).  0 or -1. */
static int
ee_decode(struct tls_verify *v, uint32_t *days, uint32_t *secs)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	size_t a, b;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, v->der + v->off[0], v->len[0]);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL)
		return -1;
	v->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		a = pk->key.rsa.nlen;
		b = pk->key.rsa.elen;
		if (a + b > sizeof(v->pkeybuf))
			return -1;
		memcpy(v->pkeybuf, pk->key.rsa.n, a);
		memcpy(v->pkeybuf + a, pk->key.rsa.e, b);
		v->pkey.key.rsa.n = v->pkeybuf;
		v->pkey.key.rsa.nlen = a;
		v->pkey.key.rsa.e = v->pkeybuf + a;
		v->pkey.key.rsa.elen = b;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		a = pk->key.ec.qlen;
		if (a > sizeof(v->pkeybuf))
			return -1;
		memcpy(v->pkeybuf, pk->key.ec.q, a);
		v->pkey.key.ec.curve = pk->key.ec.curve;
		v->pkey.key.ec.q = v->pkeybuf;
		v->pkey.key.ec.qlen = a;
	} else
		return -1;
	/* The decoder's fields: BearSSL has no accessor for the dates. */
	*days = dc.notbefore_days;
	*secs = dc.notbefore_seconds;
	v->have_pkey = 1;
	return 0;
}

/* aux_feed: run the aux engine over certs [0, n). */
static unsigned
aux_feed(struct tls_verify *v, size_t n)
{
	const br_x509_class **x = &v->aux.vtable;
	size_t i;

	(*x)->start_chain(x, NULL);
	for (i = 0; i < n; i++) {
		(*x)->start_cert(x, (uint32_t)v->len[i]);
		(*x)->append(x, v->der + v->off[i], v->len[i]);
		(*x)->end_cert(x);
	}
	return (*x)->end_chain(x);
}

/* ee_names_ok: the EE carries one of the policy's names: its dNSNames,
 * or its CN when it has none (RFC 6125 6.4.4).  The aux engine reads
 * them with no anchor, at the EE's own start date, so that an expired
 * or untrusted certificate still shows its names for the log. */
static int
ee_names_ok(struct tls_verify *v, uint32_t days, uint32_t secs)
{
	const struct tls_client_policy *p = v->policy;
	struct ee_names nm;
	size_t i, j, ndns = 0;

	memset(&nm, 0, sizeof(nm));
	for (i = 0; i <= TLS_PEER_NAMES; i++) {
		nm.elts[i].oid = i < TLS_PEER_NAMES ? oid_dns : oid_cn;
		nm.elts[i].buf = nm.buf[i];
		nm.elts[i].len = sizeof(nm.buf[i]);
	}
	br_x509_minimal_init_full(&v->aux, NULL, 0);
	br_x509_minimal_set_time(&v->aux, days, secs);
	br_x509_minimal_set_name_elements(&v->aux, nm.elts,
	    TLS_PEER_NAMES + 1);
	(void)aux_feed(v, 1);
	br_x509_minimal_set_name_elements(&v->aux, NULL, 0);	/* nm ends */
	for (i = 0; i < TLS_PEER_NAMES; i++)
		ndns += nm.elts[i].status == 1;
	for (i = 0; i <= TLS_PEER_NAMES; i++) {
		if (nm.elts[i].status != 1 || (i == TLS_PEER_NAMES && ndns))
			continue;
		for (j = 0; j < p->nnames; j++)
			if (p->names[j] != NULL &&
			    tls_name_match(nm.buf[i], p->names[j]))
				return 1;
	}
	return 0;
}

/* A DANE-TA's subject name, as the decoder hands it out. */
struct dn_sink {
	unsigned char	buf[TLS_PEER_DN];
	size_t		len;
	int		over;
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn_sink *s = ctx;

	if (s->over || len > sizeof(s->buf) - s->len) {
		s->over = 1;
		return;
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
}

/* dane_ta_path: cert k (a DANE-TA match) is the only anchor, and the
 * certs below it verify up to it (signatures, dates; names are ours).
 * 0, or a BR_ERR_X509_* code. */
static unsigned
dane_ta_path(struct tls_verify *v, size_t k)
{
	struct dn_sink dn;
	br_x509_decoder_context dc;
	br_x509_trust_anchor ta;
	const br_x509_pkey *pk;

	if (k == 0)
		return 0;	/* the EE itself: nothing to chain up to */
	memset(&dn, 0, sizeof(dn));
	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, v->der + v->off[k], v->len[k]);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL || dn.over)
		return BR_ERR_X509_INVALID_VALUE;
	memset(&ta, 0, sizeof(ta));
	ta.dn.data = dn.buf;
	ta.dn.len = dn.len;
	ta.flags = BR_X509_TA_CA;
	ta.pkey = *pk;
	/* A fresh context: ee_names_ok's date and names are gone, the
	 * dates are checked against the clock. */
	br_x509_minimal_init_full(&v->aux, &ta, 1);
	return aux_feed(v, k);
}

/* chain_why: a failed chain check in words. */
static const char *
chain_why(struct tls_verify *v, unsigned err)
{
	struct tls_cert_parts parts;

	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		if (v->ncerts == 1 &&
		    tls_cert_split(v->der + v->off[0], v->len[0],
		    &parts) == 0 &&
		    parts.issuer_len == parts.subject_len &&
		    memcmp(parts.issuer, parts.subject, parts.issuer_len) == 0)
			return "self-signed";
		return "not issued by a trusted authority";
	case BR_ERR_X509_EXPIRED:
		return "expired or not yet valid";
	case BR_ERR_X509_BAD_SIGNATURE:
		return "a bad signature in the chain";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return "a key too weak in the chain";
	case BR_ERR_X509_NOT_CA:
		return "issued by a certificate that is not a CA";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		return "a key usage that forbids TLS";
	case BR_ERR_X509_CRITICAL_EXTENSION:
		return "an unknown critical extension";
	case BR_ERR_X509_EMPTY_CHAIN:
		return "no certificate";
	}
	return "a malformed or unsupported certificate chain";
}

/* dane_usable: a record RFC 7672 lets SMTP use (DANE-TA, DANE-EE) with
 * a selector and matching type we know. */
static int
dane_usable(const struct dnsrr_tlsa *r)
{
	return (r->usage == 2 || r->usage == 3) && r->selector <= 1 &&
	    r->mtype <= 2;
}

/* dane_ta: a DANE-TA record r against the kept chain: 0 accepted, else
 * why (TLS_HOW_MAX bytes) says what failed; left alone when no
 * certificate matches. */
static int
dane_ta(struct tls_verify *v, const struct dnsrr_tlsa *r, int names_ok,
    char *why)
{
	unsigned err;
	size_t k;

	for (k = 0; k < v->ncerts; k++) {
		if (tls_tlsa_match(r, v->der + v->off[k], v->len[k]) != 1)
			continue;
		if ((err = dane_ta_path(v, k)) == BR_ERR_X509_NOT_TRUSTED)
			snprintf(why, TLS_HOW_MAX, "the chain does not verify "
			    "up to the DANE-TA certificate");
		else if (err != 0)
			snprintf(why, TLS_HOW_MAX, "DANE-TA matches, but the "
			    "chain below it is refused: %s", chain_why(v, err));
		else if (!names_ok)
			snprintf(why, TLS_HOW_MAX, "DANE-TA matches, but a "
			    "name mismatch");
		else
			return 0;
	}
	return -1;
}

/* judge_dane: RFC 7672 over the kept chain; 0 or the refusal. */
static unsigned
judge_dane(struct tls_verify *v, int names_ok)
{
	const struct tls_client_policy *p = v->policy;
	const struct dnsrr_tlsa *r;
	char why[TLS_HOW_MAX];
	size_t i, usable = 0;

	why[0] = '\0';

	for (i = 0; i < p->ntlsa; i++) {
		r = &p->tlsa[i];
		if (!dane_usable(r))
			continue;
		usable++;
		if (r->usage == 3 && tls_tlsa_match(r, v->der + v->off[0],
		    v->len[0]) == 1) {
			verify_how(v, 1, "DANE-EE");
			return 0;
		}
		if (r->usage == 2 && dane_ta(v, r, names_ok, why) == 0) {
			verify_how(v, 1, "DANE-TA");
			return 0;
		}
	}
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", usable ?
		    "no TLSA record matches" : "no usable TLSA record");
	verify_how(v, 0, why);
	return BR_ERR_X509_NOT_TRUSTED;
}

/* verify_judge: the chain is in; err is br_x509_minimal's verdict. */
static unsigned
verify_judge(struct tls_verify *v, unsigned err)
{
	char how[TLS_HOW_MAX];
	uint32_t days = 0, secs = 0;
	int names_ok;

	v->chain_key = 0;
	if (v->ncerts == 0 || ee_decode(v, &days, &secs) == -1) {
		verify_how(v, 0, "a certificate we cannot read");
		return v->policy->mode == TLS_VERIFY_NONE ? 0 :
		    BR_ERR_X509_UNSUPPORTED;
	}
	names_ok = ee_names_ok(v, days, secs);
	if (v->policy->mode == TLS_VERIFY_DANE)
		return judge_dane(v, names_ok);
	if (err == 0 && names_ok) {
		v->chain_key = 1;
		verify_how(v, 1, "CA");
		return 0;
	}
	if (err != 0)
		snprintf(how, sizeof(how), "%s%s", chain_why(v, err),
		    names_ok ? "" : ", name mismatch");
	else
		snprintf(how, sizeof(how), "name mismatch");
	verify_how(v, 0, how);
	if (v->policy->mode == TLS_VERIFY_NONE)
		return 0;
	return err != 0 ? err : BR_ERR_X509_BAD_SERVER_NAME;
}

/* ---- the br_x509_class the engine calls ---- */

static void
verify_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_verify *v = (struct tls_verify *)ctx;
	const br_x509_trust_anchor *ta = NULL;
	size_t n = 0;

	if (v->policy->anchors != NULL)
		ta = tls_anchors_array(v->policy->anchors, &n);
	br_x509_minimal_init_full(&v->chain, ta, n);
	v->derlen = v->ncerts = v->cur = 0;
	v->keep = v->broken = 0;
	v->have_pkey = v->chain_key = v->checked = v->verified = 0;
	snprintf(v->how, sizeof(v->how), "no certificate checked");
	/* Names are ours (ee_names_ok): the engine's are not enough. */
	v->chain.vtable->start_chain(&v->chain.vtable, NULL);
}

static void
verify_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_verify *v = (struct tls_verify *)ctx;

	v->keep = !v->broken && v->ncerts < TLS_PEER_CERTS &&
	    length <= sizeof(v->der) - v->derlen;
	if (v->keep) {
		v->off[v->ncerts] = v->derlen;
		v->len[v->ncerts] = length;
		v->cur = 0;
	}
	v->chain.vtable->start_cert(&v->chain.vtable, length);
}

static void
verify_append(const br_x509_class **ctx, const unsigned char *buf,
    size_t len)
{
	struct tls_verify *v = (struct tls_verify *)ctx;

	if (v->keep && len <= v->len[v->ncerts] - v->cur) {
		memcpy(v->der + v->off[v->ncerts] + v->cur, buf, len);
		v->cur += len;
	} else
		v->keep = 0;
	v->chain.vtable->append(&v->chain.vtable, buf, len);
}

static void
verify_end_cert(const br_x509_class **ctx)
{
	struct tls_verify *v = (struct tls_verify *)ctx;

	/* A certificate not kept ends the kept chain: the ones after it
	 * would no longer be the chain the server sent. */
	if (v->keep && v->cur == v->len[v->ncerts]) {
		v->derlen += v->cur;
		v->ncerts++;
	} else
		v->broken = 1;
	v->keep = 0;
	v->chain.vtable->end_cert(&v->chain.vtable);
}

static unsigned
verify_end_chain(const br_x509_class **ctx)
{
	struct tls_verify *v = (struct tls_verify *)ctx;

	return verify_judge(v,
	    v->chain.vtable->end_chain(&v->chain.vtable));
}

static const br_x509_pkey *
verify_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct tls_verify *v = (const struct tls_verify *)ctx;

	if (v->chain_key)
		return v->chain.vtable->get_pkey(&v->chain.vtable, usages);
	if (!v->have_pkey)
		return NULL;
	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return &v->pkey;
}

static const br_x509_class verify_vtable = {
	sizeof(struct tls_verify),
	verify_start_chain,
	verify_start_cert,
	verify_append,
	verify_end_cert,
	verify_end_chain,
	verify_get_pkey,
};

void
tls_verify_init(struct tls_verify *v, const struct tls_client_policy *p)
{
	memset(v, 0, sizeof(*v));
	v->vtable = &verify_vtable;
	v->policy = p;
	snprintf(v->how, sizeof(v->how), "no certificate checked");
}

unsigned
tls_verify_chain(struct tls_verify *v, const br_x509_certificate *certs,
    size_t n)
{
	const br_x509_class **x = &v->vtable;
	size_t i;

	(*x)->start_chain(x, NULL);
	for (i = 0; i < n; i++) {
		(*x)->start_cert(x, (uint32_t)certs[i].data_len);
		(*x)->append(x, certs[i].data, certs[i].data_len);
		(*x)->end_cert(x);
	}
	return (*x)->end_chain(x);
}
