/*
 * split.h: how a login secret may divide into a password and a second
 * factor.
 *
 * Runs in authd's main thread (and in a fuzz target): pure, no I/O, no
 * state.  A user with TOTP logs in with the password followed directly by
 * the 6-digit code, or by one of the recovery codes authctl printed
 * ("xxxx-xxxx-xxxx", dashes optional, either case).  split_secret only
 * says which of these shapes the end of the secret has; whether a code is
 * right is login.c's business.  The secret holds credentials: the caller
 * MUST explicit_bzero the struct split when done.
 */
#ifndef POSTERN_SPLIT_H
#define POSTERN_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "authd/password.h"

#define SPLIT_CODE_DIGITS	6

struct split {
	int	has_code;		/* ends in six ASCII digits */
	size_t	code_prefix;		/* password length before them */
	char	code[SPLIT_CODE_DIGITS + 1];
	int	has_recovery;		/* ends in a recovery-code shape */
	size_t	recovery_prefix;	/* password length before it */
	char	recovery[RECOVERY_LETTERS + 1];	/* normalised: lowercase,
						 * no dashes */
};

/*
 * split_secret: fill out for the secret s of len bytes (not
 * NUL-terminated; may hold any byte).  A shape counts only when at least
 * one byte of password is left before it.  The recovery shape is the
 * 14-byte "xxxx-xxxx-xxxx" with dashes at those places, or else the bare
 * 12 letters, from the alphabet secret_generate writes (a-z, 2-7) in
 * either case.  Never fails.
 */
void	split_secret(const uint8_t *s, size_t len, struct split *out);

#endif
