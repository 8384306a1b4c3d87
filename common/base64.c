/*
 * base64.c: RFC 4648 base64 encoding and strict decoding (see base64.h).
 * Runs in any process; input to the decoder is untrusted.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;
	uint32_t v;

	if (outlen == 0)
		return 0;
	if (len > SIZE_MAX / 2 || BASE64_LEN(len) >= outlen) {
		out[0] = '\0';
		return 0;
	}
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = base64_alphabet[(v >> 18) & 0x3f];
		out[n++] = base64_alphabet[(v >> 12) & 0x3f];
		out[n++] = base64_alphabet[(v >> 6) & 0x3f];
		out[n++] = base64_alphabet[v & 0x3f];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[n++] = base64_alphabet[(v >> 18) & 0x3f];
		out[n++] = base64_alphabet[(v >> 12) & 0x3f];
		out[n++] = i + 1 < len ? base64_alphabet[(v >> 6) & 0x3f] : '=';
		out[n++] = '=';
	}
	out[n] = '\0';
	return n;
}

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode one group of four chars into up to three bytes; returns the byte
 * count (1..3) or -1.  last says whether padding is allowed here.
 */
static int
base64_group(const char *g, int last, uint8_t b[3])
{
	uint32_t v = 0;
	int i, pad = 0, x;

	for (i = 0; i < 4; i++) {
		if (g[i] == '=' && last && i >= 2) {
			pad++;
			x = 0;
		} else if (pad > 0 || (x = base64_value(g[i])) == -1)
			return -1;
		v = (v << 6) | (uint32_t)x;
	}
	/* Non-canonical: bits below the last full byte must be zero. */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return -1;
	b[0] = (uint8_t)(v >> 16);
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)v;
	return 3 - pad;
}

int
base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen,
    size_t *outn)
{
	uint8_t b[3];
	size_t i, n = 0;
	int j, k;

	if (inlen % 4 != 0)
		return -1;
	for (i = 0; i < inlen; i += 4) {
		if ((k = base64_group(in + i, i + 4 == inlen, b)) == -1)
			return -1;
		if ((size_t)k > outlen - n)
			return -1;
		for (j = 0; j < k; j++)
			out[n++] = b[j];
	}
	*outn = n;
	return 0;
}
