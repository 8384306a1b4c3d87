/*
 * relay_sts.h: MTA-STS (RFC 8461) in the relay: the policy of a
 * destination domain (its "_mta-sts" TXT record, the policy fetched
 * over HTTPS from mta-sts.<domain> when the record's id is new or the
 * cached policy expired, the cache of relay_sts_cache.h), and what the
 * policy means for one MX host.  Runs in the relay role; the TXT
 * record, the policy host's addresses and everything the HTTPS server
 * sends are hostile (dnsrr.h, https.h and mtasts.h read them, bounded).
 */
#ifndef POSTERN_RELAY_STS_H
#define POSTERN_RELAY_STS_H

#include <stdint.h>

#include "common/mtasts.h"
#include "smtpd/relay.h"

/*
 * relay_sts_policy: the MTA-STS policy that applies now (wall clock,
 * seconds) to mail for domain (lowercase), as RFC 8461 §3 and §5 say:
 *   - a fetch for domain, failed or not, or a TXT lookup that failed,
 *     less than RELAY_STS_RETRY_S ago (relay_sts_cache_held): the cached
 *     policy if still valid, else none, without a lookup or a fetch (a
 *     new id is seen that much later; a domain whose DNS does not answer
 *     costs one lookup's wait per RELAY_STS_RETRY_S, not one per job);
 *   - the "_mta-sts.<domain>" TXT records that begin with "v=STSv1"; not
 *     exactly one, a malformed one, or a DNS failure (then held as a
 *     failed fetch is): the cached policy if one is still valid, else
 *     none;
 *   - one record whose id is the cached policy's: the cached policy;
 *   - else the policy is fetched (the A and AAAA records of
 *     mta-sts.<domain> through x->lookup, HTTPS to cfg->mtasts_port with
 *     x->anchors; every address tried, connect, TLS and the answer, all
 *     within x->sts_fetch_ms) and cached under that id for its max_age;
 *     a fetch that fails is remembered (relay_sts_cache_hold) and leaves
 *     the cached policy if still valid, else none (the mail goes as
 *     without MTA-STS).
 * Returns the policy when its mode is testing or enforce (it points into
 * x->sts, or to static storage when x->sts is NULL, and is valid until
 * the next call), or NULL.  Logs the fetch and its failures for the
 * administrator, with jobid and domain (a failure once, not again for
 * each message while it is remembered).
 */
const struct mtasts_policy *relay_sts_policy(struct relay_ctx *x,
	    const char *jobid, const char *domain, int64_t now);

/* What a policy means for one MX host (relay_sts_host). */
enum relay_sts_host {
	RELAY_STS_NONE,		/* no policy (p NULL, or mode none) */
	RELAY_STS_ENFORCE,	/* use the host: TLS verified for its name */
	RELAY_STS_SKIP,		/* enforce, not in the mx list: never used */
	RELAY_STS_TESTING,	/* testing, in the list: opportunistic */
	RELAY_STS_TESTING_MISS	/* testing, not in the list: used, logged */
};

/* relay_sts_host: the verdict of policy p (NULL: none) for MX host. */
enum relay_sts_host relay_sts_host(const struct mtasts_policy *p,
	    const char *host);

#endif
