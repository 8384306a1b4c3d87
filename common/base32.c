/*
 * base32.c: RFC 4648 base32 encoding and strict decoding (see base32.h).
 * Runs in authd and authctl; input to the decoder is untrusted text.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/base32.h"

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t
base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0;

	if (outlen == 0)
		return 0;
	if (len > (SIZE_MAX - 4) / 8 || BASE32_LEN(len) >= outlen) {
		out[0] = '\0';
		return 0;
	}
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = base32_alphabet[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		out[n++] = base32_alphabet[(acc << (5 - bits)) & 0x1f];
	out[n] = '\0';
	return n;
}

static int
base32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Padding may only follow the data, possibly interleaved with spaces. */
static int
base32_tail_ok(const char *p)
{
	for (; *p != '\0'; p++)
		if (*p != '=' && *p != ' ')
			return 0;
	return 1;
}

int
base32_decode(const char *in, uint8_t *out, size_t outlen, size_t *outn)
{
	uint32_t acc = 0;
	size_t n = 0, chars = 0;
	const char *p;
	int bits = 0, v;

	for (p = in; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p == '=') {
			if (!base32_tail_ok(p))
				return -1;
			break;
		}
		if ((v = base32_value(*p)) == -1)
			return -1;
		chars++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* RFC 4648 section 6: a last quantum of 1, 3 or 6 chars cannot be. */
	switch (chars % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	}
	if (acc != 0)
		return -1;
	*outn = n;
	return 0;
}
