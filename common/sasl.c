/*
 * sasl.c: SASL PLAIN decoding (RFC 4616), see sasl.h.  Runs in the
 * daemons' net processes on untrusted client bytes; wipes every
 * temporary that held a password.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/base64.h"
#include "common/sasl.h"

/* sasl_field: copy the n bytes at s into dst (size dstlen) as a string. */
static int
sasl_field(char *dst, size_t dstlen, const uint8_t *s, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* sasl_plain_split: find the two NULs of msg; -1 unless exactly two. */
static int
sasl_plain_split(const uint8_t *msg, size_t n, size_t *nul1, size_t *nul2)
{
	const uint8_t *a, *b;

	if ((a = memchr(msg, '\0', n)) == NULL)
		return -1;
	*nul1 = (size_t)(a - msg);
	b = memchr(a + 1, '\0', n - *nul1 - 1);
	if (b == NULL)
		return -1;
	*nul2 = (size_t)(b - msg);
	if (memchr(b + 1, '\0', n - *nul2 - 1) != NULL)
		return -1;
	return 0;
}

int
sasl_plain_decode(const char *b64, size_t len, char *authzid, size_t azlen,
    char *authcid, size_t aclen, uint8_t *passwd, size_t pwmax,
    size_t *pwlen)
{
	uint8_t msg[SASL_PLAIN_MAX];
	size_t n = 0, z, c, pw;
	int rc = -1;

	if (azlen > 0)
		authzid[0] = '\0';
	if (aclen > 0)
		authcid[0] = '\0';
	if (len == 0 || len > BASE64_LEN(SASL_PLAIN_MAX) ||
	    base64_decode(b64, len, msg, sizeof(msg), &n) == -1 ||
	    sasl_plain_split(msg, n, &z, &c) == -1)
		goto done;
	pw = n - c - 1;
	if (c - z - 1 == 0 || pw == 0 || pw > pwmax)
		goto done;
	if (z != 0 && (z != c - z - 1 || memcmp(msg, msg + z + 1, z) != 0)) {
		rc = SASL_OTHER_USER;
		goto done;
	}
	if (sasl_field(authzid, azlen, msg, z) == -1 ||
	    sasl_field(authcid, aclen, msg + z + 1, c - z - 1) == -1)
		goto done;
	memcpy(passwd, msg + c + 1, pw);
	*pwlen = pw;
	rc = 0;
done:
	explicit_bzero(msg, sizeof(msg));
	if (rc != 0) {
		if (azlen > 0)
			authzid[0] = '\0';
		if (aclen > 0)
			authcid[0] = '\0';
		explicit_bzero(passwd, pwmax);
	}
	return rc;
}
