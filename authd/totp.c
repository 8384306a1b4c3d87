/*
 * totp.c: HOTP/TOTP codes with BearSSL's HMAC, and the otpauth:// URI
 * (see totp.h).  Runs in authd and authctl; codes are untrusted network
 * input, keys come from the caller's own database.
 */
#include <stdint.h>
#include <string.h>

#include <bearssl.h>

#include "common/log.h"
#include "authd/totp.h"

static const uint32_t totp_pow10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

static const br_hash_class *
totp_hash(enum totp_alg alg)
{
	switch (alg) {
	case TOTP_SHA1:
		return &br_sha1_vtable;
	case TOTP_SHA256:
		return &br_sha256_vtable;
	case TOTP_SHA512:
		return &br_sha512_vtable;
	}
	fatalx("internal error: TOTP algorithm %d", (int)alg);
}

uint32_t
totp_hotp(enum totp_alg alg, const uint8_t *key, size_t keylen,
    uint64_t counter, int digits)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t msg[8], mac[64];
	size_t maclen, off;
	uint32_t bin;
	int i;

	if (digits < 6 || digits > 8)
		fatalx("internal error: TOTP digit count %d", digits);
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)counter;
		counter >>= 8;
	}
	br_hmac_key_init(&kc, totp_hash(alg), key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, sizeof(msg));
	maclen = br_hmac_out(&hc, mac);

	/* RFC 4226 section 5.3: dynamic truncation. */
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 |
	    (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 |
	    (uint32_t)mac[off + 3];

	explicit_bzero(&kc, sizeof(kc));
	explicit_bzero(&hc, sizeof(hc));
	explicit_bzero(mac, sizeof(mac));
	return bin % totp_pow10[digits];
}

/* All-ones when a == b, else zero, without a branch. */
static uint64_t
totp_ct_mask_eq(uint32_t a, uint32_t b)
{
	uint64_t d = a ^ b;

	return (uint64_t)0 - ((d - 1) >> 63);
}

static int
totp_code_parse(const char *code, uint32_t *value)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 6; i++) {
		if (code[i] < '0' || code[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(code[i] - '0');
	}
	if (code[6] != '\0')
		return -1;
	*value = v;
	return 0;
}

int64_t
totp_verify(const uint8_t *key, size_t keylen, const char *code,
    int64_t now_seconds, int window, int64_t last_step)
{
	uint64_t found = 0, mask;
	int64_t base, step;
	uint32_t want, got;
	int i;

	if (window < 0 || window > TOTP_WINDOW_MAX ||
	    totp_code_parse(code, &want) == -1)
		return -1;
	base = now_seconds / TOTP_PERIOD;
	for (i = -window; i <= window; i++) {
		step = base + i;
		if (step < 0)
			continue;
		got = totp_hotp(TOTP_SHA1, key, keylen, (uint64_t)step, 6);
		/* last_step is not secret; only the match is. */
		mask = totp_ct_mask_eq(got, want) &
		    ((uint64_t)0 - (uint64_t)(step > last_step));
		/* Steps rise, so the highest match wins. */
		found = (found & ~mask) | (((uint64_t)step + 1) & mask);
	}
	return found == 0 ? -1 : (int64_t)(found - 1);
}

static int
totp_put(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (n >= len - *off)
		return -1;
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

/* Percent-encode s, keeping RFC 3986 section 2.3 unreserved characters. */
static int
totp_put_escaped(char *buf, size_t len, size_t *off, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char enc[4];

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			enc[0] = (char)c;
			enc[1] = '\0';
		} else {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 0x0f];
			enc[3] = '\0';
		}
		if (totp_put(buf, len, off, enc) == -1)
			return -1;
	}
	return 0;
}

int
totp_uri(char *buf, size_t len, const char *issuer, const char *user,
    const char *secret_b32)
{
	size_t off = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (totp_put(buf, len, &off, "otpauth://totp/") == -1 ||
	    totp_put_escaped(buf, len, &off, issuer) == -1 ||
	    totp_put(buf, len, &off, ":") == -1 ||
	    totp_put_escaped(buf, len, &off, user) == -1 ||
	    totp_put(buf, len, &off, "?secret=") == -1 ||
	    totp_put_escaped(buf, len, &off, secret_b32) == -1 ||
	    totp_put(buf, len, &off, "&issuer=") == -1 ||
	    totp_put_escaped(buf, len, &off, issuer) == -1 ||
	    totp_put(buf, len, &off,
	    "&algorithm=SHA1&digits=6&period=30") == -1) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}
