/*
 * base32.h: RFC 4648 base32 (section 6), as used for TOTP secrets shown to
 * users and in otpauth:// URIs.  Runs in authd and authctl; trusts nothing
 * it decodes (the text may come from a user's paste) and writes only within
 * the sizes it is told.  No allocation, no state.
 */
#ifndef POSTERN_BASE32_H
#define POSTERN_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* BASE32_LEN: chars needed for n bytes without padding, excluding NUL. */
#define BASE32_LEN(n)	(((n) * 8 + 4) / 5)

/*
 * base32_encode: encode len bytes of in into out (outlen bytes, caller
 * owned) with the uppercase alphabet A-Z2-7 and without '=' padding, since
 * authenticator apps accept it bare and it reads better.  out is always
 * NUL-terminated when outlen > 0.  Returns the number of characters written
 * (excluding the NUL), or 0 when outlen < BASE32_LEN(len) + 1, in which case
 * out holds "" (if outlen > 0).  in may be NULL only when len is 0.
 */
size_t	base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/*
 * base32_decode: decode the NUL-terminated string in into out (outlen bytes,
 * caller owned) and store the byte count in *outn.  Letters are accepted in
 * either case; spaces are skipped anywhere (apps show secrets in groups of
 * four); '=' padding is accepted only at the end.  Returns 0, or -1 when a
 * character is outside the alphabet, when the final group leaves non-zero
 * bits or an impossible length (1, 3 or 6 chars), or when the result would
 * exceed outlen.  On -1, out may hold partial data and *outn is unchanged.
 */
int	base32_decode(const char *in, uint8_t *out, size_t outlen,
	    size_t *outn);

#endif
