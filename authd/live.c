/*
 * live.c: the table of authd's live sessions (see live.h).  A fixed
 * array: an office has far fewer sessions than authd has clients, and a
 * scan of LIVE_MAX entries per request is nothing next to a commit.
 */
#include <string.h>

#include "authd/live.h"

static struct live	live_tab[LIVE_MAX];

struct live *
live_find(const struct conn *conn)
{
	size_t i;

	for (i = 0; i < LIVE_MAX; i++)
		if (live_tab[i].state != 0 && live_tab[i].conn == conn)
			return &live_tab[i];
	return NULL;
}

struct live *
live_claim(struct conn *conn)
{
	size_t i;

	if (live_find(conn) != NULL)
		return NULL;
	for (i = 0; i < LIVE_MAX; i++) {
		if (live_tab[i].state != 0)
			continue;
		memset(&live_tab[i], 0, sizeof(live_tab[i]));
		live_tab[i].conn = conn;
		live_tab[i].state = LIVE_CLAIMED;
		return &live_tab[i];
	}
	return NULL;
}

void
live_drop(struct live *e)
{
	memset(e, 0, sizeof(*e));
}

struct live *
live_next(struct live *prev, int pending)
{
	size_t i = prev == NULL ? 0 : (size_t)(prev - live_tab) + 1;

	for (; i < LIVE_MAX; i++)
		if (live_tab[i].state == LIVE_OPEN ||
		    (pending && live_tab[i].state == LIVE_PENDING))
			return &live_tab[i];
	return NULL;
}
