/*
 * relay_sts_cache.c: the relay's MTA-STS policy cache (relay_sts_cache.h):
 * a fixed array searched linearly (256 entries, one search per job).
 * Runs in the relay role; its input was parsed and bounded before.
 */
#include <string.h>

#include "common/util.h"
#include "smtpd/relay_sts_cache.h"

/* relay_sts_cache_waiting: e remembers a fetch that failed recently. */
static int
relay_sts_cache_waiting(const struct relay_sts_entry *e, int64_t now)
{
	return e->retry != 0 && now < e->retry &&
	    e->retry - now <= RELAY_STS_RETRY_S;
}

/* relay_sts_cache_stale: e holds nothing worth keeping at now. */
static int
relay_sts_cache_stale(const struct relay_sts_entry *e, int64_t now)
{
	return e->domain[0] == '\0' || (now >= e->expires &&
	    !relay_sts_cache_waiting(e, now));
}

/* relay_sts_cache_index: the index of domain's entry, or
 * RELAY_STS_CACHE_MAX when it has none. */
static size_t
relay_sts_cache_index(const struct relay_sts_cache *c, const char *domain)
{
	size_t i;

	for (i = 0; i < RELAY_STS_CACHE_MAX; i++)
		if (c->e[i].domain[0] != '\0' &&
		    strcmp(c->e[i].domain, domain) == 0)
			break;
	return i;
}

const struct relay_sts_entry *
relay_sts_cache_find(struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	struct relay_sts_entry *e;
	size_t i;

	if ((i = relay_sts_cache_index(c, domain)) == RELAY_STS_CACHE_MAX)
		return NULL;
	e = &c->e[i];
	if (relay_sts_cache_stale(e, now)) {
		memset(e, 0, sizeof(*e));
		return NULL;
	}
	if (now >= e->expires) {
		/* Only the memory of a failed fetch is left. */
		e->id[0] = '\0';
		e->expires = 0;
		memset(&e->policy, 0, sizeof(e->policy));
		return NULL;
	}
	e->used = ++c->clock;
	return e;
}

/* relay_sts_cache_slot: where domain's entry goes. */
static struct relay_sts_entry *
relay_sts_cache_slot(struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	struct relay_sts_entry *e, *free_e = NULL, *held = NULL;
	struct relay_sts_entry *old = &c->e[0];
	size_t i;

	if ((i = relay_sts_cache_index(c, domain)) < RELAY_STS_CACHE_MAX)
		return &c->e[i];
	for (i = 0; i < RELAY_STS_CACHE_MAX; i++) {
		e = &c->e[i];
		if (free_e == NULL && relay_sts_cache_stale(e, now))
			free_e = e;
		/* Only a hold left (the policy expired or none): losing it
		 * costs a fetch, losing a valid policy costs its protection. */
		if (held == NULL && now >= e->expires)
			held = e;
		if (e->used < old->used)
			old = e;
	}
	return free_e != NULL ? free_e : held != NULL ? held : old;
}

int
relay_sts_cache_put(struct relay_sts_cache *c, const char *domain,
    const char *id, const struct mtasts_policy *p, int64_t now)
{
	struct relay_sts_entry *e;

	if (strlen(domain) >= sizeof(e->domain) || *domain == '\0' ||
	    strlen(id) >= sizeof(e->id))
		return -1;
	e = relay_sts_cache_slot(c, domain, now);
	memset(e, 0, sizeof(*e));
	(void)str_copy(e->domain, domain, sizeof(e->domain));
	(void)str_copy(e->id, id, sizeof(e->id));
	e->expires = now + (int64_t)p->max_age;
	e->retry = now + RELAY_STS_RETRY_S;
	e->used = ++c->clock;
	e->policy = *p;
	return 0;
}

int
relay_sts_cache_hold(struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	struct relay_sts_entry *e;

	if (strlen(domain) >= sizeof(e->domain) || *domain == '\0')
		return -1;
	e = relay_sts_cache_slot(c, domain, now);
	if (strcmp(e->domain, domain) != 0) {
		memset(e, 0, sizeof(*e));
		(void)str_copy(e->domain, domain, sizeof(e->domain));
	}
	e->retry = now + RELAY_STS_RETRY_S;
	e->used = ++c->clock;
	return 0;
}

int
relay_sts_cache_held(const struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	size_t i;

	if ((i = relay_sts_cache_index(c, domain)) == RELAY_STS_CACHE_MAX)
		return 0;
	return relay_sts_cache_waiting(&c->e[i], now);
}
