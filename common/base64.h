/*
 * base64.h: RFC 4648 base64 (section 4, standard alphabet, '=' padding),
 * used for SASL exchanges and stored hashes.  Runs in any process; the
 * decoder trusts nothing (its input may come straight off the network) and
 * is strict, so that every byte string has exactly one accepted encoding.
 * No allocation, no state.
 */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* BASE64_LEN: chars needed for n bytes with padding, excluding NUL. */
#define BASE64_LEN(n)	((((n) + 2) / 3) * 4)

/*
 * base64_encode: encode len bytes of in into out (outlen bytes, caller
 * owned), padded with '=' to a multiple of four.  out is always
 * NUL-terminated when outlen > 0.  Returns the number of characters written
 * (excluding the NUL), or 0 when outlen < BASE64_LEN(len) + 1, in which case
 * out holds "" (if outlen > 0).  in may be NULL only when len is 0.
 */
size_t	base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/*
 * base64_decode: decode inlen chars of in (need not be NUL-terminated) into
 * out (outlen bytes, caller owned) and store the byte count in *outn.
 * Strict: no whitespace, inlen a multiple of four, '=' only as the last one
 * or two chars of the input, and the unused bits before the padding zero.
 * Returns 0, or -1 on any violation or when the result would exceed outlen.
 * On -1, out may hold partial data and *outn is unchanged.
 */
int	base64_decode(const char *in, size_t inlen, uint8_t *out,
	    size_t outlen, size_t *outn);

#endif
