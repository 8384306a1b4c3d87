/*
 * pwpolicy.h: the password policy, applied by authctl when an operator or
 * user sets a password (never by authd at login: a stored hash cannot be
 * re-judged, and estimating strength is too slow for the login path).
 *
 * Runs in authctl.  Trusts the configuration it is given; the user name is
 * expected to have passed user_name_valid() but is only read, and the
 * password is untrusted text that is never logged or copied into messages.
 * Strength comes from libzxcvbn (the C port of Dropbox's zxcvbn), fed with
 * the user's own names as an extra dictionary.
 */
#ifndef POSTERN_PWPOLICY_H
#define POSTERN_PWPOLICY_H

#include <stddef.h>

#include "common/config.h"

/*
 * pwpolicy_check: judge password (NUL-terminated) for user ("local@domain",
 * shorter than AUTH_USER_MAX) against cfg (not NULL): at least
 * cfg->password_min_length bytes; not derived from the local part or a
 * domain label (case-insensitive, common look-alike substitutions such as
 * 0 for o and @ for a undone); and at least 10^cfg->password_min_guesses
 * guesses by zxcvbn's estimate.
 *
 * Returns 0 when acceptable, or -1 when refused, with one English sentence
 * in why (whylen bytes, caller owned, truncated to fit; may be NULL when
 * whylen is 0) such as "password is too short: 8 characters, at least 12
 * required".  The sentence never quotes the password.  When strength is not
 * NULL it receives log10 of the estimated guesses in tenths (rounded), also
 * on refusal, so that a caller can show a meter.  A user name without '@'
 * or too long is refused with a sentence saying so.
 */
int	pwpolicy_check(const struct config *cfg, const char *user,
	    const char *password, char *why, size_t whylen, int *strength);

#endif
