/*
 * pwpolicy.c: password policy checks for authctl (see pwpolicy.h).
 * Runs in authctl; the password is untrusted and never leaves this file
 * except as a verdict and a strength number.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zxcvbn.h>

#include "common/authproto.h"
#include "common/config.h"
#include "common/log.h"
#include "authd/pwpolicy.h"

#define PWPOLICY_MAX_LABELS	16
#define PWPOLICY_MIN_NAME	4	/* shorter names match only whole */

/* The user's names, lowercased: what a password must not be built from. */
struct pwpolicy_names {
	char		 addr[AUTH_USER_MAX];
	char		 local[AUTH_USER_MAX];
	char		 domain[AUTH_USER_MAX];
	const char	*label[PWPOLICY_MAX_LABELS];
	int		 nlabels;
};

static void
pwpolicy_say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pwpolicy_say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	/* Truncation of the sentence is documented and harmless. */
	if (vsnprintf(why, whylen, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
}

static int
pwpolicy_names_init(struct pwpolicy_names *n, const char *user)
{
	char *at, *p, *save;
	size_t i;

	memset(n, 0, sizeof(*n));
	if (strlen(user) >= sizeof(n->addr))
		return -1;
	for (i = 0; user[i] != '\0'; i++)
		n->addr[i] = (char)tolower((unsigned char)user[i]);
	if ((at = strchr(n->addr, '@')) == NULL)
		return -1;
	memcpy(n->local, n->addr, (size_t)(at - n->addr));
	memcpy(n->domain, at + 1, strlen(at + 1) + 1);
	for (p = strtok_r(n->domain, ".", &save); p != NULL;
	    p = strtok_r(NULL, ".", &save))
		if (n->nlabels < PWPOLICY_MAX_LABELS)
			n->label[n->nlabels++] = p;
	return 0;
}

/* Does password char c stand for name char want, look-alikes included? */
static int
pwpolicy_char_is(char c, char want)
{
	c = (char)tolower((unsigned char)c);
	if (c == want)
		return 1;
	switch (c) {
	case '0':
		return want == 'o';
	case '1':
		return want == 'l' || want == 'i';
	case '3':
		return want == 'e';
	case '4':
	case '@':
		return want == 'a';
	case '5':
	case '$':
		return want == 's';
	case '7':
		return want == 't';
	}
	return 0;
}

/* Does s (length len) start with name, under pwpolicy_char_is? */
static int
pwpolicy_starts_with(const char *s, size_t len, const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > len)
		return 0;
	for (i = 0; i < n; i++)
		if (!pwpolicy_char_is(s[i], name[i]))
			return 0;
	return 1;
}

static int
pwpolicy_contains(const char *s, const char *name)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++)
		if (pwpolicy_starts_with(s + i, len - i, name))
			return 1;
	return 0;
}

static int
pwpolicy_is_filler(char c)
{
	return isdigit((unsigned char)c) || ispunct((unsigned char)c) ||
	    c == ' ';
}

enum {
	PWPOLICY_OK = 0, PWPOLICY_FROM_USER = 1, PWPOLICY_FROM_DOMAIN = 2
};

/*
 * State bits per password position for pwpolicy_only_names: reached using
 * filler only, reached using the local part, reached using a domain label.
 */
#define PW_REACH_FILLER	0x1
#define PW_REACH_USER	0x2
#define PW_REACH_DOMAIN	0x4

static void
pwpolicy_step(const struct pwpolicy_names *n, const char *pw, size_t len,
    size_t i, uint8_t *reach)
{
	size_t k;
	int j;

	if (pwpolicy_is_filler(pw[i]))
		reach[i + 1] |= reach[i];
	if (pwpolicy_starts_with(pw + i, len - i, n->addr))
		reach[i + strlen(n->addr)] |= reach[i] | PW_REACH_USER;
	if (pwpolicy_starts_with(pw + i, len - i, n->local))
		reach[i + strlen(n->local)] |= reach[i] | PW_REACH_USER;
	for (j = 0; j < n->nlabels; j++) {
		k = strlen(n->label[j]);
		if (pwpolicy_starts_with(pw + i, len - i, n->label[j]))
			reach[i + k] |= reach[i] | PW_REACH_DOMAIN;
	}
}

/*
 * Is pw nothing but the user's names with digits and punctuation around or
 * between them ("alice2024!", "Alice.Example")?  Short names count here.
 */
static int
pwpolicy_only_names(const struct pwpolicy_names *n, const char *pw)
{
	size_t i, len = strlen(pw);
	uint8_t *reach;
	int r = PWPOLICY_OK;

	if ((reach = calloc(len + 1, 1)) == NULL)
		fatal("out of memory checking a password");
	reach[0] = PW_REACH_FILLER;
	for (i = 0; i < len; i++)
		if (reach[i] != 0)
			pwpolicy_step(n, pw, len, i, reach);
	if (reach[len] & PW_REACH_USER)
		r = PWPOLICY_FROM_USER;
	else if (reach[len] & PW_REACH_DOMAIN)
		r = PWPOLICY_FROM_DOMAIN;
	free(reach);
	return r;
}

static int
pwpolicy_derived(const struct pwpolicy_names *n, const char *pw)
{
	int j;

	if (strlen(n->local) >= PWPOLICY_MIN_NAME &&
	    pwpolicy_contains(pw, n->local))
		return PWPOLICY_FROM_USER;
	for (j = 0; j < n->nlabels; j++)
		if (strlen(n->label[j]) >= PWPOLICY_MIN_NAME &&
		    pwpolicy_contains(pw, n->label[j]))
			return PWPOLICY_FROM_DOMAIN;
	return pwpolicy_only_names(n, pw);
}

/* Name the weakness behind the longest recognised part of the password. */
static const char *
pwpolicy_weakness(const ZxcMatch_t *info)
{
	const ZxcMatch_t *m, *best = NULL;

	for (m = info; m != NULL; m = m->Next) {
		if ((m->Type & ~MULTIPLE_MATCH) == BRUTE_MATCH ||
		    (m->Type & ~MULTIPLE_MATCH) == NON_MATCH)
			continue;
		if (best == NULL || m->Length > best->Length)
			best = m;
	}
	if (best == NULL)
		return NULL;
	switch ((int)(best->Type & ~MULTIPLE_MATCH)) {
	case DICTIONARY_MATCH:
		return "it contains a common word";
	case DICT_LEET_MATCH:
		return "it contains a common word with look-alike symbols";
	case USER_MATCH:
	case USER_LEET_MATCH:
		return "it contains the user or domain name";
	case REPEATS_MATCH:
		return "it contains repeated characters";
	case SEQUENCE_MATCH:
		return "it contains a sequence such as abc or 123";
	case SPATIAL_MATCH:
		return "it contains a keyboard pattern";
	case DATE_MATCH:
	case YEAR_MATCH:
		return "it contains a date or year";
	}
	return NULL;
}

/* zxcvbn's estimate as log10 of guesses; hint gets the weakness, if any. */
static double
pwpolicy_guesses(const struct pwpolicy_names *n, const char *pw,
    const char **hint)
{
	const char *dict[PWPOLICY_MAX_LABELS + 3];
	ZxcMatch_t *info = NULL;
	double bits;
	int i, k = 0;

	dict[k++] = n->local;
	for (i = 0; i < n->nlabels; i++)
		dict[k++] = n->label[i];
	dict[k++] = n->addr;
	dict[k] = NULL;
	bits = ZxcvbnMatch(pw, dict, &info);
	*hint = pwpolicy_weakness(info);
	ZxcvbnFreeInfo(info);
	return bits * log10(2.0);
}

int
pwpolicy_check(const struct config *cfg, const char *user,
    const char *password, char *why, size_t whylen, int *strength)
{
	struct pwpolicy_names names;
	const char *hint;
	size_t len = strlen(password);
	double lg;
	int from;

	if (strength != NULL)
		*strength = 0;
	if (pwpolicy_names_init(&names, user) == -1) {
		pwpolicy_say(why, whylen,
		    "user name is not a valid local@domain address");
		return -1;
	}
	lg = pwpolicy_guesses(&names, password, &hint);
	if (strength != NULL)
		*strength = (int)lround(lg * 10.0);
	if (len < (size_t)(cfg->password_min_length > 0 ?
	    cfg->password_min_length : 0)) {
		pwpolicy_say(why, whylen, "password is too short: %zu "
		    "characters, at least %d required", len,
		    cfg->password_min_length);
		return -1;
	}
	if ((from = pwpolicy_derived(&names, password)) != PWPOLICY_OK) {
		pwpolicy_say(why, whylen, "password is derived from the %s",
		    from == PWPOLICY_FROM_USER ? "user name" : "domain name");
		return -1;
	}
	if (lg < cfg->password_min_guesses) {
		pwpolicy_say(why, whylen, "password is too easy to guess: "
		    "about 10^%d guesses, at least 10^%d required%s%s%s",
		    (int)floor(lg), cfg->password_min_guesses,
		    hint != NULL ? " (" : "", hint != NULL ? hint : "",
		    hint != NULL ? ")" : "");
		return -1;
	}
	return 0;
}
