/*
 * tls_anchors.c: the TLS client's trust anchors (tls.h): a PEM bundle of
 * CA certificates read into BearSSL trust anchors.  Runs in the relay
 * processes before their chroot (and in the test tools).  The bundle is
 * a file the system maintains (ca-certificates); it is still parsed as
 * untrusted bytes by BearSSL's PEM and X.509 decoders, with every size
 * bounded: the file, the number of certificates, each certificate.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/tls.h"
#include "common/tls_pem.h"
#include "common/tls_verify.h"

#define ANCHOR_CERT_MAX	(16 * 1024)	/* one CA certificate, DER */
#define ANCHOR_DN_MAX	4096

struct tls_anchors {
	br_x509_trust_anchor	*ta;
	size_t			 n;
	size_t			 certs;		/* seen, kept or not */
};

struct dn_buf {
	unsigned char	buf[ANCHOR_DN_MAX];
	size_t		len;
	int		over;
};

static void
anchors_dn(void *ctx, const void *data, size_t len)
{
	struct dn_buf *d = ctx;

	if (d->over || len > sizeof(d->buf) - d->len) {
		d->over = 1;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

/* anchors_add: the decoded certificate as one more anchor; its name and
 * key in one allocation that ta->dn.data points to.  0 or -1. */
static int
anchors_add(struct tls_anchors *a, const struct dn_buf *dn,
    const br_x509_pkey *pk, int isca)
{
	br_x509_trust_anchor *ta = &a->ta[a->n];
	unsigned char *p;
	size_t klen;

	klen = pk->key_type == BR_KEYTYPE_RSA ?
	    pk->key.rsa.nlen + pk->key.rsa.elen : pk->key.ec.qlen;
	if ((p = malloc(dn->len + klen)) == NULL)
		return -1;
	memcpy(p, dn->buf, dn->len);
	ta->dn.data = p;
	ta->dn.len = dn->len;
	ta->flags = isca ? BR_X509_TA_CA : 0;
	ta->pkey = *pk;
	p += dn->len;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		memcpy(p, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(p + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.n = p;
		ta->pkey.key.rsa.e = p + pk->key.rsa.nlen;
	} else {
		memcpy(p, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.q = p;
	}
	a->n++;
	return 0;
}

static int
anchors_object(void *arg, const char *name, struct tls_pem_sink *s,
    char *err, size_t errlen)
{
	struct tls_anchors *a = arg;
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	struct dn_buf *dn;
	int rc = 0;

	if (strcmp(name, "CERTIFICATE") != 0 &&
	    strcmp(name, "TRUSTED CERTIFICATE") != 0 &&
	    strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (++a->certs > TLS_ANCHORS_MAX) {
		snprintf(err, errlen, "more than %d certificates",
		    TLS_ANCHORS_MAX);
		return -1;
	}
	if (s->overflow)
		return 0;	/* a certificate too large: skipped */
	if ((dn = calloc(1, sizeof(*dn))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	br_x509_decoder_init(&dc, anchors_dn, dn);
	br_x509_decoder_push(&dc, s->buf, s->len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk != NULL && !dn->over && (pk->key_type == BR_KEYTYPE_RSA ||
	    pk->key_type == BR_KEYTYPE_EC) &&
	    anchors_add(a, dn, pk, br_x509_decoder_isCA(&dc)) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	free(dn);
	return rc;
}

struct tls_anchors *
tls_anchors_parse(const char *pem, size_t len, char *err, size_t errlen)
{
	struct tls_anchors *a;
	struct tls_pem_sink sink;
	unsigned char *der;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->ta = calloc(TLS_ANCHORS_MAX, sizeof(*a->ta))) == NULL ||
	    (der = malloc(ANCHOR_CERT_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		tls_anchors_free(a);
		return NULL;
	}
	sink.buf = der;
	sink.cap = ANCHOR_CERT_MAX;
	sink.len = 0;
	sink.overflow = 0;
	if (tls_pem_each(pem, len, &sink, anchors_object, a, err,
	    errlen) == -1) {
		free(der);
		tls_anchors_free(a);
		return NULL;
	}
	free(der);
	if (a->n == 0) {
		snprintf(err, errlen, "no usable CA certificate");
		tls_anchors_free(a);
		return NULL;
	}
	return a;
}

struct tls_anchors *
tls_anchors_load(const char *pem_file, char *err, size_t errlen)
{
	struct tls_anchors *a = NULL;
	struct stat st;
	char why[256], *buf = NULL;
	size_t len = 0;
	int fd;

	if ((fd = open(pem_file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", pem_file, strerror(errno));
		goto done;
	}
	if (st.st_size >= TLS_ANCHORS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", pem_file,
		    TLS_ANCHORS_FILE_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", pem_file);
		goto done;
	}
	if (tls_pem_read(fd, buf, (size_t)st.st_size + 1, &len, why,
	    sizeof(why)) == -1 ||
	    (a = tls_anchors_parse(buf, len, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "%s: %s", pem_file, why);
done:
	if (fd != -1 && close(fd) == -1 && a != NULL) {
		snprintf(err, errlen, "%s: %s", pem_file, strerror(errno));
		tls_anchors_free(a);
		a = NULL;
	}
	free(buf);
	return a;
}

size_t
tls_anchors_count(const struct tls_anchors *a)
{
	return a->n;
}

const br_x509_trust_anchor *
tls_anchors_array(const struct tls_anchors *a, size_t *n)
{
	*n = a->n;
	return a->ta;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; a->ta != NULL && i < a->n; i++)
		free((void *)a->ta[i].dn.data);
	free(a->ta);
	free(a);
}
