/*
 * listmatch.c: LIST pattern matching (see listmatch.h) by simulating the
 * pattern as a nondeterministic automaton: state k means "the first k
 * pattern octets matched so far".  Each name octet moves every active
 * state once, so no input makes it backtrack.  Runs in imapd's mail
 * process on client patterns; the state sets are fixed arrays on the
 * stack, bounded by LISTMATCH_PATTERN_MAX.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imapd/listmatch.h"

struct listmatch_nfa {
	const char	*pat;
	size_t		 plen;
	char		 delim;
	uint8_t		 on[LISTMATCH_PATTERN_MAX + 1];
	uint8_t		 next[LISTMATCH_PATTERN_MAX + 1];
};

/* listmatch_close: a wildcard may match nothing: k active makes k + 1
 * active.  One forward pass, as these moves only go forward. */
static void
listmatch_close(struct listmatch_nfa *m)
{
	size_t k;

	for (k = 0; k < m->plen; k++)
		if (m->on[k] && (m->pat[k] == '*' || m->pat[k] == '%'))
			m->on[k + 1] = 1;
}

/* listmatch_step: move every active state over the octet c; returns 0
 * when no state is left. */
static int
listmatch_step(struct listmatch_nfa *m, char c)
{
	size_t k;
	int any = 0;

	memset(m->next, 0, m->plen + 1);
	for (k = 0; k < m->plen; k++) {
		if (!m->on[k])
			continue;
		if (m->pat[k] == '*' || (m->pat[k] == '%' && c != m->delim))
			m->next[k] = 1, any = 1;
		else if (m->pat[k] == c)
			m->next[k + 1] = 1, any = 1;
	}
	memcpy(m->on, m->next, m->plen + 1);
	listmatch_close(m);
	return any;
}

/* listmatch_run: start the automaton and feed it the name; returns 0
 * when it died on the way, 1 when states are left, -1 for a pattern that
 * is too long. */
static int
listmatch_run(struct listmatch_nfa *m, const char *pat, size_t plen,
    const char *name, size_t nlen, char delim)
{
	size_t i;

	if (plen > LISTMATCH_PATTERN_MAX)
		return -1;
	m->pat = pat;
	m->plen = plen;
	m->delim = delim;
	memset(m->on, 0, plen + 1);
	m->on[0] = 1;
	listmatch_close(m);
	for (i = 0; i < nlen; i++)
		if (!listmatch_step(m, name[i]))
			return 0;
	return 1;
}

int
listmatch(const char *pat, size_t plen, const char *name, size_t nlen,
    char delim)
{
	struct listmatch_nfa m;
	int rc;

	if ((rc = listmatch_run(&m, pat, plen, name, nlen, delim)) != 1)
		return rc;
	return m.on[plen];
}

int
listmatch_children(const char *pat, size_t plen, const char *name,
    size_t nlen, char delim)
{
	struct listmatch_nfa m;
	size_t k;
	int rc;

	if ((rc = listmatch_run(&m, pat, plen, name, nlen, delim)) != 1)
		return rc;
	if (!listmatch_step(&m, delim))
		return 0;
	/* Any state short of the end can still consume more octets. */
	for (k = 0; k < plen; k++)
		if (m.on[k])
			return 1;
	return 0;
}
