/*
 * split.c: the shapes a login secret can end in (see split.h).  Pure; runs
 * in authd's main thread and in the fuzz target.
 */
#include <string.h>

#include "authd/split.h"

/* split_letter: the recovery alphabet, lowercased, or 0. */
static char
split_letter(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))
		return (char)c;
	return 0;
}

/* split_recovery: copy the 12 letters of a recovery-shaped tail of tlen
 * bytes (14 with dashes after every four letters, or 12) into out;
 * 0 when the tail is not one. */
static int
split_recovery(const uint8_t *t, size_t tlen, char *out)
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < tlen; i++) {
		if (tlen == RECOVERY_LETTERS + 2 && (i == 4 || i == 9)) {
			if (t[i] != '-')
				return 0;
			continue;
		}
		if ((c = split_letter(t[i])) == 0)
			return 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == RECOVERY_LETTERS;
}

void
split_secret(const uint8_t *s, size_t len, struct split *out)
{
	static const size_t tails[] = { RECOVERY_LETTERS + 2,
	    RECOVERY_LETTERS };
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len > SPLIT_CODE_DIGITS) {
		for (i = len - SPLIT_CODE_DIGITS; i < len &&
		    s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == len) {
			out->has_code = 1;
			out->code_prefix = len - SPLIT_CODE_DIGITS;
			memcpy(out->code, s + out->code_prefix,
			    SPLIT_CODE_DIGITS);
		}
	}
	for (i = 0; i < 2 && !out->has_recovery; i++) {
		if (len <= tails[i])
			continue;
		if (split_recovery(s + len - tails[i], tails[i],
		    out->recovery)) {
			out->has_recovery = 1;
			out->recovery_prefix = len - tails[i];
		} else
			explicit_bzero(out->recovery, sizeof(out->recovery));
	}
}
