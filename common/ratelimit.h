/*
 * ratelimit.h: events per key over a fixed window, in a bounded table:
 * smtpd's parent counts the messages each client address sends on port
 * 25 ("smtp message rate").
 *
 * Pure bookkeeping (the caller passes the time), unit tested without a
 * daemon; it trusts its caller.  Keys are client keys as
 * netaddr_client_key writes them (an IPv6 address counts by its /64).
 * The table has a fixed number of slots: when it is full, the slot whose
 * window began longest ago is reused, so a flood of new addresses costs
 * old entries their count, never memory.
 */
#ifndef POSTERN_RATELIMIT_H
#define POSTERN_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX	64

struct ratelimit_slot {
	char		key[RATELIMIT_KEY_MAX];	/* "" when free */
	int64_t		start;			/* the window's start */
	unsigned	count;
};

struct ratelimit {
	struct ratelimit_slot	*slots;
	size_t			 nslots;
	unsigned		 limit;		/* events per window */
	int64_t			 window;	/* seconds */
};

/* ratelimit_init: nslots slots, limit events per window seconds; 0, or
 * -1 when out of memory.  ratelimit_free releases it. */
int	ratelimit_init(struct ratelimit *rl, size_t nslots, unsigned limit,
	    int64_t window);
void	ratelimit_free(struct ratelimit *rl);

/* ratelimit_hit: one event of key at now (seconds): 1 when it is within
 * the limit (and counted), 0 when it is over (not counted). */
int	ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now);

#endif
