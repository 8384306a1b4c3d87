/*
 * tls_pem.c: PEM and DER loading for TLS: certificate chains (tls.h) in
 * the daemons' parents and in the keyholder, private keys (tls_pem.h)
 * in the keyholder only.  The bytes come from files the administrator
 * named, and are still parsed as untrusted: BearSSL's streaming decoders
 * (br_pem_decoder, br_x509_decoder, br_skey_decoder) do the parsing into
 * fixed buffers, every size is checked, nothing is allocated, and every
 * copy of key material is wiped.  Errors are returned as text, never
 * logged here, so the fuzz target links this file alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/tls.h"
#include "common/tls_pem.h"

struct key_state {
	struct tls_key	*key;
	int		 found;
	unsigned	 min_rsa;	/* smallest RSA key taken, in bits */
};

static void pem_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Truncating an error message is harmless: it is for a human. */
static void
pem_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
pem_append(void *ctx, const void *data, size_t len)
{
	struct tls_pem_sink *s = ctx;

	if (s->overflow || len > s->cap - s->len) {
		s->overflow = 1;
		return;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

/* The extra newline is BearSSL's own trick (tools/files.c): the decoder
 * sees an END line only once the line has ended. */
int
tls_pem_each(const char *pem, size_t len, struct tls_pem_sink *sink,
    tls_pem_object_fn fn, void *arg, char *err, size_t errlen)
{
	br_pem_decoder_context pc;
	const unsigned char *p = (const unsigned char *)pem;
	int inobj = 0, extra_nl = 1, rc = 0;
	size_t n;

	br_pem_decoder_init(&pc);
	while (len > 0 && rc == 0) {
		n = br_pem_decoder_push(&pc, p, len);
		p += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			sink->len = 0;
			sink->overflow = 0;
			br_pem_decoder_setdest(&pc, pem_append, sink);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (inobj)
				rc = fn(arg, br_pem_decoder_name(&pc), sink,
				    err, errlen);
			inobj = 0;
			break;
		case BR_PEM_ERROR:
			pem_err(err, errlen, "malformed PEM");
			rc = -1;
			break;
		}
		if (len == 0 && extra_nl) {
			extra_nl = 0;
			p = (const unsigned char *)"\n";
			len = 1;
		}
	}
	if (rc == 0 && inobj) {
		pem_err(err, errlen, "unterminated PEM object");
		rc = -1;
	}
	explicit_bzero(&pc, sizeof(pc));
	return rc;
}

/* ---- certificate chains ---------------------------------------------- */

static int
chain_object(void *arg, const char *name, struct tls_pem_sink *s, char *err,
    size_t errlen)
{
	struct tls_chain *c = arg;

	if (strstr(name, "PRIVATE KEY") != NULL) {
		pem_err(err, errlen, "a private key in the certificate file "
		    "(keep it in its own file, readable by root only)");
		return -1;
	}
	if (strcmp(name, "CERTIFICATE") != 0 &&
	    strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (s->overflow) {
		pem_err(err, errlen, "certificates larger than %d bytes in all",
		    TLS_CHAIN_BYTES);
		return -1;
	}
	if (c->ncerts == TLS_MAX_CHAIN) {
		pem_err(err, errlen, "more than %d certificates",
		    TLS_MAX_CHAIN);
		return -1;
	}
	if (s->len == 0) {
		pem_err(err, errlen, "empty certificate");
		return -1;
	}
	c->certs[c->ncerts].data = s->buf;
	c->certs[c->ncerts].data_len = s->len;
	c->ncerts++;
	c->derlen += s->len;
	s->buf += s->len;
	s->cap -= s->len;
	s->len = 0;
	return 0;
}

static int
chain_decode(br_x509_decoder_context *dc, const unsigned char *der,
    size_t len)
{
	br_x509_decoder_init(dc, NULL, NULL);
	br_x509_decoder_push(dc, der, len);
	return br_x509_decoder_last_error(dc);
}

/* rsa_bits: the bit length of a big-endian unsigned integer. */
static size_t
rsa_bits(const unsigned char *n, size_t len)
{
	unsigned char top;
	size_t bits;

	while (len > 0 && *n == 0) {
		n++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (len - 1) * 8;
	for (top = *n; top != 0; top >>= 1)
		bits++;
	return bits;
}

static int
chain_ee_key(struct tls_chain *c, const br_x509_pkey *pk, char *err,
    size_t errlen)
{
	size_t bits;

	switch (pk->key_type) {
	case BR_KEYTYPE_RSA:
		bits = rsa_bits(pk->key.rsa.n, pk->key.rsa.nlen);
		if (bits < 2048 || bits > 4096) {
			pem_err(err, errlen, "RSA key of %zu bits (2048 to "
			    "4096 supported)", bits);
			return -1;
		}
		c->key_type = BR_KEYTYPE_RSA;
		return 0;
	case BR_KEYTYPE_EC:
		if (pk->key.ec.curve != BR_EC_secp256r1 &&
		    pk->key.ec.curve != BR_EC_secp384r1 &&
		    pk->key.ec.curve != BR_EC_secp521r1) {
			pem_err(err, errlen, "EC key on curve %d (P-256, "
			    "P-384, P-521 supported)", pk->key.ec.curve);
			return -1;
		}
		c->key_type = BR_KEYTYPE_EC;
		c->curve = pk->key.ec.curve;
		return 0;
	}
	pem_err(err, errlen, "unsupported public key type");
	return -1;
}

static int
chain_check(struct tls_chain *c, char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	size_t i;
	int e;

	for (i = c->ncerts; i-- > 0; ) {
		if ((e = chain_decode(&dc, c->certs[i].data,
		    c->certs[i].data_len)) == BR_ERR_X509_UNSUPPORTED) {
			pem_err(err, errlen, "certificate %zu: unsupported "
			    "key type or curve", i + 1);
			return -1;
		}
		if (e != 0) {
			pem_err(err, errlen, "certificate %zu: malformed "
			    "(BearSSL error %d)", i + 1, e);
			return -1;
		}
	}
	/* dc now holds the end-entity certificate. */
	return chain_ee_key(c, br_x509_decoder_get_pkey(&dc), err, errlen);
}

int
tls_chain_parse(const char *pem, size_t len, struct tls_chain *chain,
    char *err, size_t errlen)
{
	struct tls_pem_sink sink;

	memset(chain, 0, sizeof(*chain));
	sink.buf = chain->der;
	sink.cap = sizeof(chain->der);
	sink.len = 0;
	sink.overflow = 0;
	if (tls_pem_each(pem, len, &sink, chain_object, chain, err,
	    errlen) == -1)
		goto fail;
	if (chain->ncerts == 0) {
		pem_err(err, errlen, "no certificate");
		goto fail;
	}
	if (chain_check(chain, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	/* A refused file may have held a key: wipe, not just clear. */
	explicit_bzero(chain, sizeof(*chain));
	return -1;
}

int
tls_chain_load(const char *path, struct tls_chain *chain, char *err,
    size_t errlen)
{
	static char pem[TLS_PEM_MAX];	/* callers are single-threaded */
	char why[256];
	size_t len = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		pem_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = tls_pem_read(fd, pem, sizeof(pem), &len, why, sizeof(why));
	if (close(fd) == -1 && rc == 0) {
		pem_err(why, sizeof(why), "close: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0)
		rc = tls_chain_parse(pem, len, chain, why, sizeof(why));
	explicit_bzero(pem, len);
	if (rc == -1)
		pem_err(err, errlen, "%s: %s", path, why);
	return rc;
}

/* ---- private keys ------------------------------------------------------ */

static unsigned char *
key_put(struct tls_key *key, size_t *off, const unsigned char *p, size_t len)
{
	unsigned char *dst = key->data + *off;

	memcpy(dst, p, len);
	*off += len;
	return dst;
}

static int
key_set_rsa(struct tls_key *key, const br_rsa_private_key *sk,
    unsigned min_rsa, char *err, size_t errlen)
{
	size_t off = 0;

	if (sk->n_bitlen < min_rsa || sk->n_bitlen > 4096) {
		pem_err(err, errlen, "RSA key of %u bits (%u to 4096 "
		    "supported)", (unsigned)sk->n_bitlen, min_rsa);
		return -1;
	}
	if (sk->plen + sk->qlen + sk->dplen + sk->dqlen + sk->iqlen >
	    sizeof(key->data)) {
		pem_err(err, errlen, "RSA key too large");
		return -1;
	}
	key->rsa = *sk;
	key->rsa.p = key_put(key, &off, sk->p, sk->plen);
	key->rsa.q = key_put(key, &off, sk->q, sk->qlen);
	key->rsa.dp = key_put(key, &off, sk->dp, sk->dplen);
	key->rsa.dq = key_put(key, &off, sk->dq, sk->dqlen);
	key->rsa.iq = key_put(key, &off, sk->iq, sk->iqlen);
	key->type = BR_KEYTYPE_RSA;
	return 0;
}

static int
key_set_ec(struct tls_key *key, const br_ec_private_key *sk, char *err,
    size_t errlen)
{
	size_t off = 0;

	if (sk->curve != BR_EC_secp256r1 && sk->curve != BR_EC_secp384r1 &&
	    sk->curve != BR_EC_secp521r1) {
		pem_err(err, errlen, "EC key on curve %d (P-256, P-384, "
		    "P-521 supported)", sk->curve);
		return -1;
	}
	if (sk->xlen == 0 || sk->xlen > BR_EC_KBUF_PRIV_MAX_SIZE) {
		pem_err(err, errlen, "malformed EC key");
		return -1;
	}
	key->ec = *sk;
	key->ec.x = key_put(key, &off, sk->x, sk->xlen);
	key->type = BR_KEYTYPE_EC;
	return 0;
}

static int
key_decode(struct tls_key *key, const unsigned char *der, size_t len,
    unsigned min_rsa, char *err, size_t errlen)
{
	br_skey_decoder_context dc;
	int e, rc = -1;

	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	if ((e = br_skey_decoder_last_error(&dc)) == BR_ERR_X509_UNSUPPORTED)
		pem_err(err, errlen, "unsupported private key (only RSA, and "
		    "EC on curves P-256, P-384, P-521)");
	else if (e != 0)
		pem_err(err, errlen, "malformed private key (BearSSL error "
		    "%d)", e);
	else if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_RSA)
		rc = key_set_rsa(key, br_skey_decoder_get_rsa(&dc), min_rsa,
		    err, errlen);
	else if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_EC)
		rc = key_set_ec(key, br_skey_decoder_get_ec(&dc), err, errlen);
	else
		pem_err(err, errlen, "unsupported private key type");
	explicit_bzero(&dc, sizeof(dc));
	return rc;
}

static int
key_object(void *arg, const char *name, struct tls_pem_sink *s, char *err,
    size_t errlen)
{
	struct key_state *ks = arg;

	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
		pem_err(err, errlen, "encrypted private keys are not "
		    "supported (store it without a passphrase, readable by "
		    "root only)");
		return -1;
	}
	if (strcmp(name, "RSA PRIVATE KEY") != 0 &&
	    strcmp(name, "EC PRIVATE KEY") != 0 &&
	    strcmp(name, "PRIVATE KEY") != 0)
		return 0;
	if (ks->found) {
		pem_err(err, errlen, "more than one private key");
		return -1;
	}
	if (s->overflow) {
		pem_err(err, errlen, "private key too large");
		return -1;
	}
	ks->found = 1;
	return key_decode(ks->key, s->buf, s->len, ks->min_rsa, err, errlen);
}

int
tls_key_parse(const char *pem, size_t len, struct tls_key *key, char *err,
    size_t errlen)
{
	return tls_key_parse_min(pem, len, key, 2048, err, errlen);
}

int
tls_key_parse_min(const char *pem, size_t len, struct tls_key *key,
    unsigned min_rsa, char *err, size_t errlen)
{
	unsigned char der[8192];
	struct tls_pem_sink sink;
	struct key_state ks;
	int rc;

	tls_key_wipe(key);
	sink.buf = der;
	sink.cap = sizeof(der);
	sink.len = 0;
	sink.overflow = 0;
	ks.key = key;
	ks.found = 0;
	ks.min_rsa = min_rsa;
	rc = tls_pem_each(pem, len, &sink, key_object, &ks, err, errlen);
	if (rc == 0 && !ks.found) {
		pem_err(err, errlen, "no private key");
		rc = -1;
	}
	explicit_bzero(der, sizeof(der));
	if (rc == -1)
		tls_key_wipe(key);
	return rc;
}

void
tls_key_wipe(struct tls_key *key)
{
	explicit_bzero(key, sizeof(*key));
}

/* ---- key and certificate ----------------------------------------------- */

/* int_eq: equal big-endian unsigned integers, leading zeros aside. */
static int
int_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	while (alen > 0 && *a == 0) {
		a++;
		alen--;
	}
	while (blen > 0 && *b == 0) {
		b++;
		blen--;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * match_rsa: the same modulus, then a test signature that verifies with
 * the certificate's exponent.  (BearSSL 0.6's br_rsa_compute_pubexp
 * fails on some valid keys, so the exponent is checked this way.)
 */
static int
match_rsa(const br_rsa_private_key *sk, const br_rsa_public_key *pk)
{
	static const unsigned char hash[32] = "postern key/certificate check";
	unsigned char n[512], sig[512], out[32];
	br_rsa_compute_modulus cm = br_rsa_compute_modulus_get_default();
	size_t nlen;

	if ((nlen = cm(NULL, sk)) == 0 || nlen > sizeof(n) ||
	    cm(n, sk) != nlen || !int_eq(n, nlen, pk->n, pk->nlen))
		return 0;
	if (br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash,
	    sizeof(hash), sk, sig) != 1)
		return 0;
	return br_rsa_pkcs1_vrfy_get_default()(sig, (sk->n_bitlen + 7) / 8,
	    BR_HASH_OID_SHA256, sizeof(out), pk, out) == 1 &&
	    memcmp(out, hash, sizeof(out)) == 0;
}

static int
match_ec(const br_ec_private_key *sk, const br_ec_public_key *pk)
{
	unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key mine;

	if (sk->curve != pk->curve ||
	    br_ec_compute_pub(br_ec_get_default(), &mine, q, sk) == 0)
		return 0;
	return mine.qlen == pk->qlen && memcmp(mine.q, pk->q, pk->qlen) == 0;
}

int
tls_key_match(const struct tls_key *key, const struct tls_chain *chain,
    char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int ok = 0;

	/* The end-entity certificate is the first in der (see tls.h). */
	if (chain->ncerts == 0 || chain_decode(&dc, chain->der,
	    chain->certs[0].data_len) != 0 ||
	    (pk = br_x509_decoder_get_pkey(&dc)) == NULL) {
		pem_err(err, errlen, "no usable certificate");
		return -1;
	}
	if (key->type == BR_KEYTYPE_RSA && pk->key_type == BR_KEYTYPE_RSA)
		ok = match_rsa(&key->rsa, &pk->key.rsa);
	else if (key->type == BR_KEYTYPE_EC && pk->key_type == BR_KEYTYPE_EC)
		ok = match_ec(&key->ec, &pk->key.ec);
	if (!ok) {
		pem_err(err, errlen, "the private key does not match the "
		    "certificate");
		return -1;
	}
	return 0;
}

int
tls_pem_read(int fd, char *buf, size_t cap, size_t *len, char *err,
    size_t errlen)
{
	ssize_t n;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			pem_err(err, errlen, "file larger than %zu bytes",
			    cap - 1);
			return -1;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			pem_err(err, errlen, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}
