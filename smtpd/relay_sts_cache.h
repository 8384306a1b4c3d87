/*
 * relay_sts_cache.h: the relay's memory of MTA-STS policies (RFC 8461
 * §5.1): per destination domain the policy last fetched, the id of the
 * "_mta-sts" TXT record it was fetched for, and when it expires
 * (max_age after the fetch); and that a fetch for the domain failed, so
 * that it is not tried again for RELAY_STS_RETRY_S (RFC 8461 §3.3 asks
 * for five minutes or more).  Bounded: RELAY_STS_CACHE_MAX domains, the
 * least recently used one makes room.  Lives in one relay process's
 * memory (each relay process has its own; nothing is written to disk,
 * so a restart fetches again).  Runs in the relay role; the policies in
 * it were parsed by mtasts.h, the domains are the queue's.
 */
#ifndef POSTERN_RELAY_STS_CACHE_H
#define POSTERN_RELAY_STS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"
#include "common/mtasts.h"

#define RELAY_STS_CACHE_MAX	256
/* No domain's policy is fetched again within this long (seconds) of the
 * last fetch, failed or not, for any id: RFC 8461 §3.3 says per id, but
 * the id is the domain's to change, and one that changed it with each
 * message would make every message pay for a policy host that drips (an
 * outside test did, with answers just inside the fetch's bound). */
#define RELAY_STS_RETRY_S	300

struct relay_sts_entry {
	char			 domain[DNS_NAME_MAX + 1];	/* "": free */
	char			 id[MTASTS_ID_MAX + 1];	/* "": no policy */
	int64_t			 expires;	/* wall clock, seconds */
	int64_t			 retry;		/* no fetch before; 0 none */
	uint64_t		 used;		/* the cache's clock */
	struct mtasts_policy	 policy;
};

/* All zero is an empty cache. */
struct relay_sts_cache {
	uint64_t		 clock;
	struct relay_sts_entry	 e[RELAY_STS_CACHE_MAX];
};

/*
 * relay_sts_cache_find: domain's entry (lowercase, compared exactly)
 * when it holds a policy that has not expired at now (seconds), marked
 * as just used; NULL otherwise (an expired policy is dropped, and its
 * entry freed unless it remembers a failed fetch).  The entry stays
 * valid until the next relay_sts_cache_put or relay_sts_cache_hold for
 * another domain.
 */
const struct relay_sts_entry *relay_sts_cache_find(struct relay_sts_cache *c,
	    const char *domain, int64_t now);

/*
 * relay_sts_cache_put: p (copied) as domain's policy, fetched at now for
 * the TXT record id, valid max_age seconds: over domain's entry, else in
 * a free or expired one, else over the least recently used.  A domain or
 * id too long for the entry is not stored (returns -1); else 0.
 */
int	relay_sts_cache_put(struct relay_sts_cache *c, const char *domain,
	    const char *id, const struct mtasts_policy *p, int64_t now);

/*
 * relay_sts_cache_hold: a fetch of domain's policy failed at now: no
 * new fetch before now + RELAY_STS_RETRY_S.  The domain's policy, if it
 * has one, is kept (and its entry, so what relay_sts_cache_find gave for
 * domain stays valid); without one, the memory takes a free or expired
 * entry, else the least recently used.  relay_sts_cache_put holds the
 * next fetch as long (a domain whose id changes with every message is
 * fetched once in RELAY_STS_RETRY_S all the same).  -1 for a domain too
 * long for the entry (nothing remembered), else 0.
 */
int	relay_sts_cache_hold(struct relay_sts_cache *c, const char *domain,
	    int64_t now);

/*
 * relay_sts_cache_held: 1 when domain's policy was fetched, or a fetch
 * failed, less than RELAY_STS_RETRY_S seconds before now (a clock set
 * back by more than that forgets it), else 0.
 */
int	relay_sts_cache_held(const struct relay_sts_cache *c,
	    const char *domain, int64_t now);

#endif
