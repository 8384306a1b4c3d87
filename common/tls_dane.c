/*
 * tls_dane.c: the matching helpers of the TLS client's certificate check
 * (tls_verify.h): a bounded DER walk to the issuer, subject and public
 * key of a certificate, TLSA record matching (RFC 6698 section 2.1), and
 * host name matching with one leading wildcard label (RFC 6125, RFC 8461
 * section 4.1).  Runs in the relay processes; the certificate is the
 * remote server's and hostile: every length is checked against its
 * container, and nothing is allocated.
 */
#include <stddef.h>
#include <string.h>

#include <bearssl.h>

#include "common/dnsrr.h"
#include "common/tls_verify.h"

#define NAME_MAX_LEN	253

/* A DER element: its tag, where it starts (tag byte), its value. */
struct der {
	unsigned		 tag;
	const unsigned char	*start, *val;
	size_t			 len, total;
};

/* der_next: the element at p (avail bytes); 0 or -1.  Only the short tag
 * form, and definite lengths of up to 4 bytes. */
static int
der_next(const unsigned char *p, size_t avail, struct der *e)
{
	size_t hdr = 2, len, i, n;

	if (avail < 2 || (p[0] & 0x1F) == 0x1F)
		return -1;
	len = p[1];
	if (len & 0x80) {
		n = len & 0x7F;
		if (n == 0 || n > 4 || avail < 2 + n)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		hdr += n;
	}
	if (len > avail - hdr)
		return -1;
	e->tag = p[0];
	e->start = p;
	e->val = p + hdr;
	e->len = len;
	e->total = hdr + len;
	return 0;
}

int
tls_cert_split(const unsigned char *der, size_t len,
    struct tls_cert_parts *parts)
{
	struct der cert, tbs, e;
	const unsigned char *p;
	size_t left;
	int i;

	if (der_next(der, len, &cert) == -1 || cert.tag != 0x30 ||
	    cert.total != len ||
	    der_next(cert.val, cert.len, &tbs) == -1 || tbs.tag != 0x30)
		return -1;
	p = tbs.val;
	left = tbs.len;
	/* version [0] (optional), serialNumber, signature, issuer,
	 * validity, subject, subjectPublicKeyInfo (RFC 5280 4.1). */
	for (i = 0; i < 7; i++) {
		if (der_next(p, left, &e) == -1)
			return -1;
		if (i == 0 && e.tag != 0xA0)
			i++;
		if ((i == 3 || i == 5 || i == 6) && e.tag != 0x30)
			return -1;
		if (i == 3) {
			parts->issuer = e.start;
			parts->issuer_len = e.total;
		} else if (i == 5) {
			parts->subject = e.start;
			parts->subject_len = e.total;
		} else if (i == 6) {
			parts->spki = e.start;
			parts->spki_len = e.total;
		}
		p += e.total;
		left -= e.total;
	}
	return 0;
}

int
tls_tlsa_match(const struct dnsrr_tlsa *r, const unsigned char *cert,
    size_t len)
{
	struct tls_cert_parts parts;
	unsigned char h[64];
	const unsigned char *data;
	size_t dlen;
	br_sha256_context s256;
	br_sha512_context s512;

	if (r->selector == 0) {
		data = cert;
		dlen = len;
	} else if (r->selector == 1) {
		if (tls_cert_split(cert, len, &parts) == -1)
			return -1;
		data = parts.spki;
		dlen = parts.spki_len;
	} else
		return -1;
	switch (r->mtype) {
	case 0:
		return r->len == dlen && memcmp(r->data, data, dlen) == 0;
	case 1:
		br_sha256_init(&s256);
		br_sha256_update(&s256, data, dlen);
		br_sha256_out(&s256, h);
		return r->len == br_sha256_SIZE &&
		    memcmp(r->data, h, br_sha256_SIZE) == 0;
	case 2:
		br_sha512_init(&s512);
		br_sha512_update(&s512, data, dlen);
		br_sha512_out(&s512, h);
		return r->len == br_sha512_SIZE &&
		    memcmp(r->data, h, br_sha512_SIZE) == 0;
	}
	return -1;
}

/* name_len: the length of s without one trailing dot; 0 if too long. */
static size_t
name_len(const char *s)
{
	size_t n = strnlen(s, NAME_MAX_LEN + 2);

	if (n > 0 && s[n - 1] == '.')
		n--;
	return n > NAME_MAX_LEN ? 0 : n;
}

/* label_eq: a and b (n bytes each) equal, ASCII case ignored. */
static int
label_eq(const char *a, const char *b, size_t n)
{
	size_t i;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

/* wild_covers: the wildcard name "*.S" (wl bytes) covers the plain name
 * name (nl bytes): name is one label, a dot, then S. */
static int
wild_covers(const char *wild, size_t wl, const char *name, size_t nl)
{
	const char *dot = memchr(name, '.', nl);
	size_t first;

	/* "*." and then a suffix of at least two labels. */
	if (wl < 5 || memchr(wild + 2, '.', wl - 2) == NULL ||
	    memchr(wild + 2, '*', wl - 2) != NULL || dot == NULL)
		return 0;
	first = (size_t)(dot - name);
	if (first == 0 || memchr(name, '*', nl) != NULL)
		return 0;
	return nl - first == wl - 1 && label_eq(dot, wild + 1, wl - 1);
}

int
tls_name_match(const char *cert, const char *want)
{
	size_t cl = name_len(cert), wl = name_len(want);
	int cw, ww;

	if (cl == 0 || wl == 0)
		return 0;
	cw = cl > 2 && cert[0] == '*' && cert[1] == '.';
	ww = wl > 2 && want[0] == '*' && want[1] == '.';
	if (cw && !ww)
		return wild_covers(cert, cl, want, wl);
	if (ww && !cw)
		return wild_covers(want, wl, cert, cl);
	/* Two wildcards: the same suffix; no other '*' means anything. */
	if (memchr(cert + cw, '*', cl - (size_t)cw) != NULL ||
	    memchr(want + ww, '*', wl - (size_t)ww) != NULL)
		return 0;
	return cl == wl && label_eq(cert, want, cl);
}
