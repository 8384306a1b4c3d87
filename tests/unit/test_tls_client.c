/*
 * test_tls_client.c: unit tests of the TLS client's certificate check
 * (common/tls_verify.c, common/tls_dane.c) and trust anchors
 * (common/tls_anchors.c), without a network: chains from
 * tests/data/tlsclient (made by openssl, see make.sh there) are fed to
 * the check as the engine would, with TLSA data openssl computed
 * (tlsa.txt).  Run from the top of the tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "common/dnsrr.h"
#include "common/tls.h"
#include "common/tls_verify.h"
#include "tests/unit/check.h"

#define DATA	"tests/data/tlsclient/"

static struct tls_anchors *anchors;

/* load: the certificates of a PEM file (tls_chain_load's parser). */
static struct tls_chain *
load(const char *name)
{
	struct tls_chain *c = calloc(1, sizeof(*c));
	char err[256], path[256];
	size_t i, off = 0;

	snprintf(path, sizeof(path), DATA "%s", name);
	if (c == NULL || tls_chain_load(path, c, err, sizeof(err)) == -1) {
		printf("Bail out! %s: %s\n", path, err);
		exit(1);
	}
	for (i = 0; i < c->ncerts; i++) {
		c->certs[i].data = c->der + off;
		off += c->certs[i].data_len;
	}
	return c;
}

/* tlsa: the record named key in tlsa.txt ("leaf-3-1-1"). */
static struct dnsrr_tlsa
tlsa(const char *key, unsigned char *buf, size_t cap)
{
	struct dnsrr_tlsa r;
	unsigned u, s, m;
	char line[8192], name[64], hex[8192];
	FILE *f = fopen(DATA "tlsa.txt", "r");
	size_t i, n;

	memset(&r, 0, sizeof(r));
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %8191s", name, hex) != 2 ||
		    strcmp(name, key) != 0)
			continue;
		n = strlen(hex) / 2;
		for (i = 0; i < n && i < cap; i++)
			sscanf(hex + 2 * i, "%2hhx", &buf[i]);
		sscanf(strchr(name, '-') + 1, "%u-%u-%u", &u, &s, &m);
		r.usage = (uint8_t)u;
		r.selector = (uint8_t)s;
		r.mtype = (uint8_t)m;
		r.data = buf;
		r.len = n;
	}
	if (f != NULL)
		fclose(f);
	if (r.data == NULL) {
		printf("Bail out! no TLSA data %s\n", key);
		exit(1);
	}
	return r;
}

/* run: the check over file's chain with mode, names and records. */
static unsigned
run(const char *file, enum tls_verify_mode mode, const char *name,
    const struct dnsrr_tlsa *t, size_t nt, int *verified, char *how,
    const br_x509_pkey **pk)
{
	static struct tls_verify v;
	struct tls_client_policy p;
	struct tls_chain *c = load(file);
	const char *names[1] = { name };
	const br_x509_class **x = &v.vtable;
	unsigned rc, usages = 0;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.anchors = anchors;
	p.names = names;
	p.nnames = name != NULL;
	p.tlsa = t;
	p.ntlsa = nt;
	tls_verify_init(&v, &p);
	rc = tls_verify_chain(&v, c->certs, c->ncerts);
	*verified = v.verified;
	snprintf(how, TLS_HOW_MAX, "%s", v.how);
	if (pk != NULL)
		*pk = (*x)->get_pkey((const br_x509_class *const *)x, &usages);
	free(c);
	return rc;
}

static void
test_ca(void)
{
	char how[TLS_HOW_MAX];
	const br_x509_pkey *pk;
	int ok;

	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_CA, "mx.example.test", NULL,
	    0, &ok, how, &pk), 0, "CA: a good chain is accepted");
	CHECK_INT_EQ(ok, 1, "CA: verified");
	CHECK_STR_EQ(how, "CA", "CA: how");
	CHECK_TRUE(pk != NULL && pk->key_type == BR_KEYTYPE_EC,
	    "CA: the engine gets the EE key");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_CA, "MX.Example.Test.", NULL,
	    0, &ok, how, NULL), 0, "CA: case and a trailing dot ignored");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_CA, "*.example.test", NULL,
	    0, &ok, how, NULL), 0, "CA: an MTA-STS pattern covers the name");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_CA, "mx2.example.test", NULL,
	    0, &ok, how, NULL), BR_ERR_X509_BAD_SERVER_NAME,
	    "CA: another name is refused");
	CHECK_STR_EQ(how, "name mismatch", "CA: said as a name mismatch");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_CA, NULL, NULL, 0, &ok, how,
	    NULL), BR_ERR_X509_BAD_SERVER_NAME, "CA: no name, no acceptance");
	CHECK_INT_EQ(run("leaf.pem", TLS_VERIFY_CA, "mx.example.test", NULL,
	    0, &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "CA: the intermediate missing is refused");
	CHECK_STR_EQ(how, "not issued by a trusted authority",
	    "CA: said as untrusted");
	CHECK_INT_EQ(run("wildchain.pem", TLS_VERIFY_CA, "mx.example.test",
	    NULL, 0, &ok, how, NULL), 0, "CA: a wildcard certificate");
	CHECK_INT_EQ(run("wildchain.pem", TLS_VERIFY_CA, "a.mx.example.test",
	    NULL, 0, &ok, how, NULL), BR_ERR_X509_BAD_SERVER_NAME,
	    "CA: a wildcard covers one label only");
	CHECK_INT_EQ(run("self.pem", TLS_VERIFY_CA, "mx.example.test", NULL,
	    0, &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "CA: self-signed is refused");
}

static void
test_opportunistic(void)
{
	char how[TLS_HOW_MAX];
	const br_x509_pkey *pk;
	int ok;

	CHECK_INT_EQ(run("self.pem", TLS_VERIFY_NONE, "mx.example.test", NULL,
	    0, &ok, how, &pk), 0, "none: self-signed does not fail");
	CHECK_INT_EQ(ok, 0, "none: self-signed is unverified");
	CHECK_STR_EQ(how, "self-signed", "none: said as self-signed");
	CHECK_TRUE(pk != NULL && pk->key_type == BR_KEYTYPE_EC,
	    "none: the engine still gets the EE key");
	CHECK_INT_EQ(run("expired.pem", TLS_VERIFY_NONE, "mx.example.test",
	    NULL, 0, &ok, how, NULL), 0, "none: expired does not fail");
	CHECK_STR_EQ(how, "expired or not yet valid", "none: said as expired");
	CHECK_INT_EQ(run("self.pem", TLS_VERIFY_NONE, "other.test", NULL, 0,
	    &ok, how, NULL), 0, "none: another name does not fail");
	CHECK_STR_EQ(how, "self-signed, name mismatch",
	    "none: both reasons said");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_NONE, "mx.example.test", NULL,
	    0, &ok, how, NULL), 0, "none: a good chain");
	CHECK_TRUE(ok == 1 && strcmp(how, "CA") == 0,
	    "none: a good chain is recorded as verified");
}

static void
test_dane(void)
{
	unsigned char b1[4096], b2[4096];
	struct dnsrr_tlsa r[2];
	char how[TLS_HOW_MAX];
	const br_x509_pkey *pk;
	int ok;

	r[0] = tlsa("leaf-3-1-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    1, &ok, how, NULL), 0, "DANE-EE 3 1 1 matches");
	CHECK_STR_EQ(how, "DANE-EE", "DANE-EE: how");
	CHECK_INT_EQ(run("leaf.pem", TLS_VERIFY_DANE, "elsewhere.test", r, 1,
	    &ok, how, NULL), 0,
	    "DANE-EE: no chain, another name: still accepted");
	r[0] = tlsa("leaf-3-1-2", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, NULL, r, 1, &ok, how,
	    NULL), 0, "DANE-EE 3 1 2 matches");
	r[0] = tlsa("leaf-3-0-0", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, NULL, r, 1, &ok, how,
	    NULL), 0, "DANE-EE 3 0 0 matches");
	r[0] = tlsa("expired-3-0-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("expired.pem", TLS_VERIFY_DANE, NULL, r, 1, &ok, how,
	    &pk), 0, "DANE-EE: an expired certificate still matches");
	CHECK_TRUE(pk != NULL, "DANE-EE: the engine gets the EE key");
	r[0] = tlsa("self-3-1-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    1, &ok, how, &pk), BR_ERR_X509_NOT_TRUSTED,
	    "DANE-EE: another key is refused");
	CHECK_STR_EQ(how, "no TLSA record matches", "DANE-EE mismatch: how");
	r[0].usage = 1;
	CHECK_INT_EQ(run("self.pem", TLS_VERIFY_DANE, "mx.example.test", r, 1,
	    &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "PKIX-EE is unusable for SMTP, even when it matches");
	CHECK_STR_EQ(how, "no usable TLSA record", "unusable: how");
	r[0] = tlsa("inter-2-0-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    1, &ok, how, NULL), 0, "DANE-TA 2 0 1 on the intermediate");
	CHECK_STR_EQ(how, "DANE-TA", "DANE-TA: how");
	r[0] = tlsa("inter-2-1-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "*.example.test", r, 1,
	    &ok, how, NULL), 0, "DANE-TA 2 1 1, an MTA-STS style name");
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.other.test", r, 1,
	    &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "DANE-TA: another name is refused");
	CHECK_STR_EQ(how, "DANE-TA matches, but a name mismatch",
	    "DANE-TA name mismatch: how");
	CHECK_INT_EQ(run("self.pem", TLS_VERIFY_DANE, "mx.example.test", r, 1,
	    &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "DANE-TA: a chain without the TA is refused");
	r[0] = tlsa("inter-2-0-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("expchain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    1, &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "DANE-TA: an expired leaf below the TA is refused");
	CHECK_STR_EQ(how, "DANE-TA matches, but the chain below it is "
	    "refused: expired or not yet valid", "DANE-TA expired: how");
	CHECK_INT_EQ(run("expchain.pem", TLS_VERIFY_CA, "mx.example.test",
	    NULL, 0, &ok, how, NULL), BR_ERR_X509_EXPIRED,
	    "CA: an expired leaf is refused");
	r[0] = tlsa("root-2-0-1", b1, sizeof(b1));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    1, &ok, how, NULL), BR_ERR_X509_NOT_TRUSTED,
	    "DANE-TA: a TA the server did not send is refused");
	r[0] = tlsa("self-3-1-1", b1, sizeof(b1));
	r[1] = tlsa("inter-2-0-1", b2, sizeof(b2));
	CHECK_INT_EQ(run("chain.pem", TLS_VERIFY_DANE, "mx.example.test", r,
	    2, &ok, how, NULL), 0, "DANE: the second record matches");
}

static void
test_match(void)
{
	unsigned char buf[64];
	struct dnsrr_tlsa r;
	struct tls_chain *c = load("leaf.pem");
	struct tls_cert_parts parts;
	size_t n;
	int bad = 0;

	r = tlsa("leaf-3-1-1", buf, sizeof(buf));
	CHECK_INT_EQ(tls_tlsa_match(&r, c->certs[0].data, c->certs[0].data_len),
	    1, "tlsa_match: 3 1 1");
	r.selector = 2;
	CHECK_INT_EQ(tls_tlsa_match(&r, c->certs[0].data, c->certs[0].data_len),
	    -1, "tlsa_match: an unknown selector");
	r.selector = 1;
	r.mtype = 3;
	CHECK_INT_EQ(tls_tlsa_match(&r, c->certs[0].data, c->certs[0].data_len),
	    -1, "tlsa_match: an unknown matching type");
	r.mtype = 1;
	r.len = 31;
	CHECK_INT_EQ(tls_tlsa_match(&r, c->certs[0].data, c->certs[0].data_len),
	    0, "tlsa_match: a short digest never matches");
	CHECK_INT_EQ(tls_cert_split(c->certs[0].data, c->certs[0].data_len,
	    &parts), 0, "cert_split: a certificate");
	for (n = 0; n < c->certs[0].data_len; n++)
		bad += tls_cert_split(c->certs[0].data, n, &parts) != -1;
	CHECK_INT_EQ(bad, 0, "cert_split: every truncation is refused");
	free(c);

	CHECK_INT_EQ(tls_name_match("mx.example.test", "mx.example.test"), 1,
	    "name: equal");
	CHECK_INT_EQ(tls_name_match("MX.example.TEST", "mx.example.test."), 1,
	    "name: case, trailing dot");
	CHECK_INT_EQ(tls_name_match("*.example.test", "mx.example.test"), 1,
	    "name: certificate wildcard");
	CHECK_INT_EQ(tls_name_match("mx.example.test", "*.example.test"), 1,
	    "name: pattern wildcard");
	CHECK_INT_EQ(tls_name_match("*.example.test", "*.example.test"), 1,
	    "name: two wildcards, same suffix");
	CHECK_INT_EQ(tls_name_match("*.example.test", "example.test"), 0,
	    "name: a wildcard needs a label");
	CHECK_INT_EQ(tls_name_match("*.example.test", "a.b.example.test"), 0,
	    "name: a wildcard is one label");
	CHECK_INT_EQ(tls_name_match("*.test", "example.test"), 0,
	    "name: no wildcard over a TLD");
	CHECK_INT_EQ(tls_name_match("m*.example.test", "mx.example.test"), 0,
	    "name: no partial wildcards");
	CHECK_INT_EQ(tls_name_match("mx.example.test", "mx.example.tes"), 0,
	    "name: a shorter name");
	CHECK_INT_EQ(tls_name_match("", ""), 0, "name: empty");
}

static void
test_anchors(void)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n";
	struct tls_anchors *a;
	char err[256];

	a = tls_anchors_load(DATA "chain.pem", err, sizeof(err));
	CHECK_TRUE(a != NULL && tls_anchors_count(a) == 2,
	    "anchors: two certificates, two anchors");
	tls_anchors_free(a);
	a = tls_anchors_parse(junk, sizeof(junk) - 1, err, sizeof(err));
	CHECK_TRUE(a == NULL && strcmp(err, "no usable CA certificate") == 0,
	    "anchors: an undecodable certificate is skipped");
	/* The system's bundle, where ca-certificates is installed. */
	a = tls_anchors_load("/etc/ssl/certs/ca-certificates.crt", err,
	    sizeof(err));
	if (a == NULL && strstr(err, "No such file") != NULL)
		printf("ok %d - anchors: the system bundle # SKIP not "
		    "installed\n", ++check_count);
	else
		CHECK_TRUE(a != NULL && tls_anchors_count(a) >= 50,
		    "anchors: the system bundle loads");
	tls_anchors_free(a);
	a = tls_anchors_load(DATA "missing.pem", err, sizeof(err));
	CHECK_TRUE(a == NULL && strstr(err, "missing.pem") != NULL,
	    "anchors: a missing file is said");
}

int
main(void)
{
	char err[256];

	if ((anchors = tls_anchors_load(DATA "root.pem", err,
	    sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	test_ca();
	test_opportunistic();
	test_dane();
	test_match();
	test_anchors();
	tls_anchors_free(anchors);
	return check_done();
}
