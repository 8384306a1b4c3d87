/*
 * ratelimit.c: events per key over a fixed window (ratelimit.h).  A
 * linear scan of a small table: it serves one parent's messages, a few
 * a second at most, and never allocates after ratelimit_init.
 */
#include <stdlib.h>
#include <string.h>

#include "common/ratelimit.h"
#include "common/util.h"

int
ratelimit_init(struct ratelimit *rl, size_t nslots, unsigned limit,
    int64_t window)
{
	memset(rl, 0, sizeof(*rl));
	if ((rl->slots = calloc(nslots, sizeof(*rl->slots))) == NULL)
		return -1;
	rl->nslots = nslots;
	rl->limit = limit;
	rl->window = window;
	return 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl->slots);
	memset(rl, 0, sizeof(*rl));
}

int
ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now)
{
	struct ratelimit_slot *s = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < rl->nslots && s == NULL; i++) {
		if (strcmp(rl->slots[i].key, key) == 0)
			s = &rl->slots[i];
		else if (oldest == NULL || rl->slots[i].key[0] == '\0' ||
		    (oldest->key[0] != '\0' &&
		    rl->slots[i].start < oldest->start))
			oldest = &rl->slots[i];
	}
	if (s == NULL) {
		if (oldest == NULL)
			return 1;
		s = oldest;
		str_copy(s->key, key, sizeof(s->key));
		s->start = now;
		s->count = 0;
	}
	if (now - s->start >= rl->window) {
		s->start = now;
		s->count = 0;
	}
	if (s->count >= rl->limit)
		return 0;
	s->count++;
	return 1;
}
