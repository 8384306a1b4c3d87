/*
 * totp.h: one-time codes for second-factor logins: RFC 4226 HOTP, RFC 6238
 * TOTP and the otpauth:// URI that authenticator apps scan.
 *
 * Runs in authd (verification, where the secrets live) and authctl
 * (enrolment).  Keys are trusted to be what the caller read from its own
 * database; codes are untrusted input from the network.  HMAC comes from
 * BearSSL; the intermediate HMAC state is wiped with explicit_bzero before
 * each function returns.  No allocation.
 */
#ifndef POSTERN_TOTP_H
#define POSTERN_TOTP_H

#include <stddef.h>
#include <stdint.h>

enum totp_alg { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 };

#define TOTP_SECRET_LEN	20	/* bytes: 160 bits, as RFC 4226 section 4 asks */
#define TOTP_PERIOD	30	/* seconds per step, RFC 6238 default */
#define TOTP_WINDOW_MAX	10	/* largest window totp_verify accepts */

/*
 * totp_hotp: the RFC 4226 value of key (keylen bytes, caller owned) at
 * counter, with HMAC over alg, truncated to digits decimal digits.  For
 * TOTP pass counter = unix_time / TOTP_PERIOD.  digits MUST be 6, 7 or 8
 * and alg one of the enum: anything else is a programming error and fatal.
 * The caller prints the result with "%0*u" to keep leading zeros.
 */
uint32_t	totp_hotp(enum totp_alg alg, const uint8_t *key, size_t keylen,
		    uint64_t counter, int digits);

/*
 * totp_verify: check the user's code (NUL-terminated; MUST be exactly six
 * ASCII digits, else refused) against the SHA-1, 6-digit, 30-second TOTP of
 * key at the steps now_seconds/30 - window .. now_seconds/30 + window
 * (window 0..TOTP_WINDOW_MAX; steps below zero are skipped).  Every step of
 * the window is computed and compared in constant time, with no early exit,
 * so timing does not tell which step matched.  A matching step MUST be
 * greater than last_step, the step recorded at the user's previous
 * successful login (pass -1 for none): RFC 6238 section 5.2 forbids accepting
 * a code twice.  Returns the highest matching step, which the caller MUST
 * store as the new last_step before acknowledging the login; or -1 when the
 * code is malformed, does not match, only matches steps <= last_step, or
 * window is out of range.
 */
int64_t	totp_verify(const uint8_t *key, size_t keylen, const char *code,
	    int64_t now_seconds, int window, int64_t last_step);

/*
 * totp_uri: write into buf (len bytes, caller owned) the Key Uri Format
 * string "otpauth://totp/ISSUER:USER?secret=S&issuer=ISSUER&algorithm=SHA1
 * &digits=6&period=30", with issuer and user percent-encoded except for
 * the RFC 3986 unreserved characters.  secret_b32 is the base32 secret
 * (see base32.h), encoded the same way.  None of the strings may be NULL.
 * Returns 0, or -1 when the result does not fit (buf then holds "" if
 * len > 0).
 */
int	totp_uri(char *buf, size_t len, const char *issuer, const char *user,
	    const char *secret_b32);

#endif
