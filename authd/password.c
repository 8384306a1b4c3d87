/*
 * password.c: scrypt password hashes and digests of random secrets
 * (see password.h).  Runs in authd's worker threads and in authctl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>
#include <libscrypt.h>

#include "authd/password.h"
#include "common/base64.h"
#include "common/util.h"

#define SALT_LEN	16
#define DK_LEN		32
#define SCRYPT_R	8
#define SCRYPT_P	1

int
password_hash(const uint8_t *pw, size_t len, int cost, char out[DB_HASH_MAX])
{
	uint8_t salt[SALT_LEN], dk[DK_LEN];
	char salt64[32], dk64[64];
	int n, rc = -1;

	if (cost < 10 || cost > 20)
		return -1;
	random_bytes(salt, sizeof(salt));
	if (libscrypt_scrypt(pw, len, salt, sizeof(salt), 1ULL << cost,
	    SCRYPT_R, SCRYPT_P, dk, sizeof(dk)) != 0)
		goto done;
	if (base64_encode(salt, sizeof(salt), salt64, sizeof(salt64)) == 0 ||
	    base64_encode(dk, sizeof(dk), dk64, sizeof(dk64)) == 0)
		goto done;
	n = snprintf(out, DB_HASH_MAX, "$s1$%02x%02x%02x$%s$%s", cost,
	    SCRYPT_R, SCRYPT_P, salt64, dk64);
	if (n > 0 && n < DB_HASH_MAX)
		rc = 0;
done:
	explicit_bzero(dk, sizeof(dk));
	return rc;
}

/* password_parse: split an MCF into its parameters, salt and key. */
static int
password_parse(const char *mcf, unsigned *cost, unsigned *r, unsigned *p,
    uint8_t *salt, size_t *saltlen, uint8_t *dk, size_t *dklen)
{
	const char *s, *h;
	char work[7];

	if (strncmp(mcf, "$s1$", 4) != 0 || strlen(mcf) >= DB_HASH_MAX)
		return -1;
	memcpy(work, mcf + 4, 6);
	work[6] = '\0';
	if (mcf[10] != '$' || sscanf(work, "%2x%2x%2x", cost, r, p) != 3)
		return -1;
	s = mcf + 11;
	if ((h = strchr(s, '$')) == NULL)
		return -1;
	if (*cost < 10 || *cost > 20 || *r < 1 || *r > 32 || *p < 1 || *p > 16)
		return -1;
	if (base64_decode(s, (size_t)(h - s), salt, 64, saltlen) == -1 ||
	    base64_decode(h + 1, strlen(h + 1), dk, 64, dklen) == -1 ||
	    *dklen < 16)
		return -1;
	return 0;
}

int
password_verify(const char *mcf, const uint8_t *pw, size_t len)
{
	uint8_t salt[64], want[64], got[64];
	size_t saltlen, dklen;
	unsigned cost, r, p;
	int rc = -1;

	if (password_parse(mcf, &cost, &r, &p, salt, &saltlen, want,
	    &dklen) == -1)
		return -1;
	if (libscrypt_scrypt(pw, len, salt, saltlen, 1ULL << cost, r, p,
	    got, dklen) == 0)
		rc = timingsafe_eq(want, got, dklen);
	explicit_bzero(got, sizeof(got));
	explicit_bzero(want, sizeof(want));
	return rc;
}

void
password_dummy(int cost, char out[DB_HASH_MAX])
{
	uint8_t junk[16];

	random_bytes(junk, sizeof(junk));
	if (password_hash(junk, sizeof(junk), cost, out) == -1)
		out[0] = '\0';
	explicit_bzero(junk, sizeof(junk));
}

void
secret_digest(const void *p, size_t len, uint8_t out[32])
{
	br_sha256_context ctx;

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, p, len);
	br_sha256_out(&ctx, out);
	explicit_bzero(&ctx, sizeof(ctx));
}

int
secret_generate(char *out, size_t len, int nletters)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t r[64];
	size_t need = (size_t)nletters + (size_t)(nletters - 1) / 4 + 1;
	size_t o = 0;
	int i;

	if (nletters <= 0 || nletters > (int)sizeof(r) || len < need)
		return -1;
	random_bytes(r, (size_t)nletters);
	for (i = 0; i < nletters; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[r[i] & 31];
	}
	out[o] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

void
secret_normalize(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		*w++ = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
	}
	*w = '\0';
}
