/*
 * password.h: password hashing (scrypt via libscrypt) and the digests of
 * random secrets (app passwords, recovery codes).
 *
 * Runs in authd's worker threads (verification) and in authctl (hashing).
 * Human-chosen passwords get scrypt, stored in libscrypt's MCF layout
 * "$s1$<log2 N><r><p as 2 hex digits each>$<salt b64>$<hash b64>".
 * Random secrets we generate ourselves carry >= 100 bits of entropy, so
 * a plain SHA-256 is enough for them and keeps checking several app
 * passwords cheap.  Comparisons are constant time; callers wipe secrets.
 */
#ifndef POSTERN_PASSWORD_H
#define POSTERN_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "authd/db.h"

#define APPPASS_LETTERS		20	/* 100 bits: "xxxx-xxxx-xxxx-xxxx-xxxx" */
#define RECOVERY_LETTERS	12	/* 60 bits, single use: "xxxx-xxxx-xxxx" */
#define SECRET_TEXT_MAX		32	/* either, dashes and NUL included */

/*
 * password_hash: scrypt(pw) with a fresh salt and N = 2^cost, r = 8, p = 1,
 * into out.  Returns 0, or -1 (cost out of 10..20, or scrypt failed).
 */
int	password_hash(const uint8_t *pw, size_t len, int cost,
	    char out[DB_HASH_MAX]);

/*
 * password_verify: 1 when pw matches mcf, 0 when not, -1 when mcf is
 * malformed (the caller should treat that as a mismatch and log it).
 */
int	password_verify(const char *mcf, const uint8_t *pw, size_t len);

/* password_dummy: a valid MCF of a random password with N = 2^cost, for
 * unknown users, so they cost the same time as known ones. */
void	password_dummy(int cost, char out[DB_HASH_MAX]);

/* secret_digest: SHA-256 of len bytes at p, into out. */
void	secret_digest(const void *p, size_t len, uint8_t out[32]);

/*
 * secret_generate: a random secret of groups of 4 lowercase base32 letters
 * joined by '-', with nletters letters in all, into out (of len bytes).
 * 
 * Returns 0 or -1 if out is too small.
 */
int	secret_generate(char *out, size_t len, int nletters);

/* secret_normalize: lowercase, drop '-' and blanks, in place; so that a
 * user may type an app password or recovery code either way. */
void	secret_normalize(char *s);

#endif
