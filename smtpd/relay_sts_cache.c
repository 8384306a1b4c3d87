/*
 * relay_sts_cache.c: the relay's MTA-STS policy cache (relay_sts_cache.h):
 * a fixed array searched linearly (256 entries, one search per job).
 * Runs in the relay role; its input was parsed and bounded before.
 */
#include <string.h>

#include "common/util.h"
#include "smtpd/relay_sts_cache.h"

const struct relay_sts_entry *
relay_sts_cache_find(struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	struct relay_sts_entry *e;
	size_t i;

	for (i = 0; i < RELAY_STS_CACHE_MAX; i++) {
		e = &c->e[i];
		if (e->domain[0] == '\0' || strcmp(e->domain, domain) != 0)
			continue;
		if (now >= e->expires) {
			memset(e, 0, sizeof(*e));
			return NULL;
		}
		e->used = ++c->clock;
		return e;
	}
	return NULL;
}

/* relay_sts_cache_slot: where domain's policy goes. */
static struct relay_sts_entry *
relay_sts_cache_slot(struct relay_sts_cache *c, const char *domain,
    int64_t now)
{
	struct relay_sts_entry *e, *free_e = NULL, *old = &c->e[0];
	size_t i;

	for (i = 0; i < RELAY_STS_CACHE_MAX; i++) {
		e = &c->e[i];
		if (e->domain[0] != '\0' && strcmp(e->domain, domain) == 0)
			return e;
		if (free_e == NULL && (e->domain[0] == '\0' ||
		    now >= e->expires))
			free_e = e;
		if (e->used < old->used)
			old = e;
	}
	return free_e != NULL ? free_e : old;
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
	e->used = ++c->clock;
	e->policy = *p;
	return 0;
}
