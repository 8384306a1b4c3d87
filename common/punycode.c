/*
 * punycode.c: RFC 3492 Punycode encoding of one label (punycode.h).
 * Runs in any process; the UTF-8 input is decoded strictly and at most
 * 63 code points are taken, so the arithmetic below cannot overflow
 * (RFC 3492 6.4: delta stays below 63 * 0x110000 * 64).
 */
#include <stdint.h>
#include <string.h>

#include "common/punycode.h"

#define PUNY_BASE	36
#define PUNY_TMIN	1
#define PUNY_TMAX	26
#define PUNY_SKEW	38
#define PUNY_DAMP	700
#define PUNY_BIAS	72
#define PUNY_N		128
#define PUNY_LABEL_MAX	63

/* Strict UTF-8 into code points; the count, or -1. */
static int
punycode_decode_utf8(const unsigned char *s, size_t len, uint32_t *cp,
    size_t max)
{
	size_t i = 0, n = 0, k, more;
	uint32_t c, min;

	while (i < len) {
		if (n == max)
			return -1;
		c = s[i++];
		if (c < 0x80)
			more = 0, min = 0;
		else if ((c & 0xe0) == 0xc0)
			more = 1, min = 0x80, c &= 0x1f;
		else if ((c & 0xf0) == 0xe0)
			more = 2, min = 0x800, c &= 0x0f;
		else if ((c & 0xf8) == 0xf0)
			more = 3, min = 0x10000, c &= 0x07;
		else
			return -1;
		if (more > len - i)
			return -1;
		for (k = 0; k < more; k++) {
			if ((s[i] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (s[i++] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return -1;
		cp[n++] = c;
	}
	return (int)n;
}

static uint32_t
punycode_adapt(uint32_t delta, uint32_t points, int first)
{
	uint32_t k = 0;

	delta = first ? delta / PUNY_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

static int
punycode_put(char *out, size_t cap, size_t *o, char c)
{
	if (*o + 1 >= cap || *o >= PUNY_LABEL_MAX)
		return -1;
	out[(*o)++] = c;
	return 0;
}

static char
punycode_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* Encode the variable-length integer q with the current bias. */
static int
punycode_put_int(char *out, size_t cap, size_t *o, uint32_t q, uint32_t bias)
{
	uint32_t k, t;

	for (k = PUNY_BASE;; k += PUNY_BASE) {
		t = k <= bias ? PUNY_TMIN : k >= bias + PUNY_TMAX ? PUNY_TMAX :
		    k - bias;
		if (q < t)
			break;
		if (punycode_put(out, cap, o, punycode_digit(t + (q - t) %
		    (PUNY_BASE - t))) == -1)
			return -1;
		q = (q - t) / (PUNY_BASE - t);
	}
	return punycode_put(out, cap, o, punycode_digit(q));
}

int
punycode_label(const char *in, size_t len, char *out, size_t cap)
{
	uint32_t cp[PUNY_LABEL_MAX + 1], n = PUNY_N, delta = 0, bias = PUNY_BIAS;
	uint32_t m, h, b = 0;
	size_t o = 0, i;
	int count;

	if (len == 0 || cap == 0 ||
	    (count = punycode_decode_utf8((const unsigned char *)in, len, cp,
	    PUNY_LABEL_MAX)) <= 0)
		return -1;
	for (i = 0; i < (size_t)count; i++)
		if (cp[i] < 0x80)
			b++;
	if (b == (uint32_t)count) {
		if (len > PUNY_LABEL_MAX || len >= cap)
			return -1;
		memcpy(out, in, len);
		out[len] = '\0';
		return (int)len;
	}
	for (i = 0; i < 4; i++)
		if (punycode_put(out, cap, &o, "xn--"[i]) == -1)
			return -1;
	for (i = 0; i < (size_t)count; i++)
		if (cp[i] < 0x80 && punycode_put(out, cap, &o, (char)cp[i]) == -1)
			return -1;
	if (b > 0 && punycode_put(out, cap, &o, '-') == -1)
		return -1;
	for (h = b; h < (uint32_t)count; n++, delta++) {
		for (m = UINT32_MAX, i = 0; i < (size_t)count; i++)
			if (cp[i] >= n && cp[i] < m)
				m = cp[i];
		delta += (m - n) * (h + 1);
		n = m;
		for (i = 0; i < (size_t)count; i++) {
			if (cp[i] < n)
				delta++;
			if (cp[i] != n)
				continue;
			if (punycode_put_int(out, cap, &o, delta, bias) == -1)
				return -1;
			bias = punycode_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
	}
	out[o] = '\0';
	return (int)o;
}
