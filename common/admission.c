/*
 * admission.c: the unauthenticated and session budgets of a daemon's
 * parent (see admission.h).  Runs in the parent; pure bookkeeping over a
 * table the size of the limits, searched linearly (a few thousand slots
 * at most, one search per accept).  Trusts its caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/admission.h"
#include "common/util.h"

#define ADMISSION_LIMIT_MAX	10000	/* as CONFIG_LIMIT_MAX */

/* admission_keys: the network (/24, /64) and host (netaddr_client_key)
 * keys of a numeric address; -1 when it is not one. */
static int
admission_keys(const char *address, char *network, char *host)
{
	struct netmask m;
	char cidr[NETADDR_STRLEN + 8];
	int v6 = strchr(address, ':') != NULL;

	if (snprintf(cidr, sizeof(cidr), "%s/%d", address,
	    v6 ? 64 : 24) >= (int)sizeof(cidr) ||
	    netmask_parse(cidr, &m) == -1)
		return -1;
	netmask_format(&m, network, NETADDR_STRLEN);
	return netaddr_client_key(address, host, NETADDR_STRLEN);
}

static int
admission_limits_valid(const struct admission_limits *l)
{
	return l->per_address >= 1 && l->per_network >= 1 &&
	    l->full >= 1 && l->startups <= l->full && l->rate <= 100 &&
	    l->sessions >= 1 && l->per_user >= 1 &&
	    l->full <= ADMISSION_LIMIT_MAX &&
	    l->sessions <= ADMISSION_LIMIT_MAX && l->known_ttl >= 0;
}

int
admission_init(struct admission *a, const struct admission_limits *lim)
{
	memset(a, 0, sizeof(*a));
	if (!admission_limits_valid(lim)) {
		errno = EINVAL;
		return -1;
	}
	a->lim = *lim;
	a->maxslots = 2 * (size_t)lim->full + lim->sessions;
	if ((a->slots = calloc(a->maxslots, sizeof(*a->slots))) == NULL)
		return -1;
	return 0;
}

void
admission_free(struct admission *a)
{
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

static struct admission_known *
admission_host_find(const struct admission *a, const char *host)
{
	size_t i;

	for (i = 0; i < a->nhosts; i++)
		if (strcmp(a->hosts[i].host, host) == 0)
			return (struct admission_known *)&a->hosts[i];
	return NULL;
}

static int
admission_is_known(const struct admission *a, const char *host,
    int64_t now)
{
	const struct admission_known *k = admission_host_find(a, host);

	return k != NULL && now - k->last <= a->lim.known_ttl;
}

/* admission_host_learn: remember host as known from now; a full table
 * forgets the address that logged in longest ago. */
static void
admission_host_learn(struct admission *a, const char *host, int64_t now)
{
	struct admission_known *k;
	size_t i, old = 0;

	if ((k = admission_host_find(a, host)) == NULL) {
		if (a->nhosts < ADMISSION_KNOWN_MAX)
			old = a->nhosts++;
		else
			for (i = 1; i < a->nhosts; i++)
				if (a->hosts[i].last < a->hosts[old].last)
					old = i;
		k = &a->hosts[old];
		(void)str_copy(k->host, host, sizeof(k->host));
	}
	k->last = now;
}

void
admission_known(struct admission *a, const char *host, int64_t last)
{
	char key[NETADDR_STRLEN];

	if (netaddr_client_key(host, key, sizeof(key)) == 0)
		admission_host_learn(a, key, last);
}

/* admission_drop: MaxStartups' early drop; n unknown connections open,
 * startups <= n < full. */
static int
admission_drop(const struct admission_limits *l, unsigned n, uint32_t rnd)
{
	unsigned p;

	p = l->rate + (100 - l->rate) * (n - l->startups) /
	    (l->full - l->startups);
	return rnd % 100 < p;
}

int
admission_check(const struct admission *a, const char *address,
    int64_t now, uint32_t rnd)
{
	char network[NETADDR_STRLEN], host[NETADDR_STRLEN];
	unsigned same = 0, near = 0;
	size_t i;

	if (admission_keys(address, network, host) == -1)
		return ADMIT_INVALID;
	for (i = 0; i < a->nslots; i++) {
		if (a->slots[i].session)
			continue;
		same += strcmp(a->slots[i].address, address) == 0;
		near += strcmp(a->slots[i].network, network) == 0;
	}
	if (same >= a->lim.per_address)
		return ADMIT_ADDRESS;
	if (admission_is_known(a, host, now))
		return a->known >= a->lim.full ? ADMIT_FULL : ADMIT_OK;
	if (near >= a->lim.per_network)
		return ADMIT_NETWORK;
	if (a->unknown >= a->lim.full)
		return ADMIT_FULL;
	if (a->unknown >= a->lim.startups &&
	    admission_drop(&a->lim, a->unknown, rnd))
		return ADMIT_DROP;
	return ADMIT_OK;
}

static struct admission_slot *
admission_find(struct admission *a, long id)
{
	size_t i;

	for (i = 0; i < a->nslots; i++)
		if (a->slots[i].id == id)
			return &a->slots[i];
	return NULL;
}

int
admission_add(struct admission *a, long id, const char *address,
    int64_t now)
{
	struct admission_slot *s;
	char network[NETADDR_STRLEN], host[NETADDR_STRLEN];
	int known;

	if (id == 0 || admission_find(a, id) != NULL ||
	    a->nslots == a->maxslots ||
	    admission_keys(address, network, host) == -1)
		return -1;
	known = admission_is_known(a, host, now);
	if ((known ? a->known : a->unknown) >= a->lim.full)
		return -1;
	s = &a->slots[a->nslots];
	memset(s, 0, sizeof(*s));
	if (str_copy(s->address, address, sizeof(s->address)) == -1)
		return -1;
	a->nslots++;
	s->id = id;
	s->known = known;
	(void)str_copy(s->network, network, sizeof(s->network));
	(void)str_copy(s->host, host, sizeof(s->host));
	if (known)
		a->known++;
	else
		a->unknown++;
	return 0;
}

/* admission_unauth_release: the slot leaves the unauthenticated pool. */
static void
admission_unauth_release(struct admission *a, struct admission_slot *s)
{
	if (s->known)
		a->known--;
	else
		a->unknown--;
}

int
admission_login(struct admission *a, long id, const char *user, int64_t now)
{
	struct admission_slot *s;
	unsigned mine = 0;
	size_t i;

	if (id == 0 || (s = admission_find(a, id)) == NULL || s->session ||
	    strlen(user) >= sizeof(s->user))
		return ADMIT_INVALID;
	admission_host_learn(a, s->host, now);
	if (a->sessions >= a->lim.sessions)
		return ADMIT_SESSIONS;
	for (i = 0; i < a->nslots; i++)
		mine += a->slots[i].session &&
		    strcmp(a->slots[i].user, user) == 0 &&
		    strcmp(a->slots[i].host, s->host) == 0;
	if (mine >= a->lim.per_user)
		return ADMIT_USER;
	admission_unauth_release(a, s);
	(void)str_copy(s->user, user, sizeof(s->user));
	s->session = 1;
	a->sessions++;
	return ADMIT_OK;
}

void
admission_remove(struct admission *a, long id)
{
	struct admission_slot *s;

	if (id == 0 || (s = admission_find(a, id)) == NULL)
		return;
	if (s->session)
		a->sessions--;
	else
		admission_unauth_release(a, s);
	*s = a->slots[--a->nslots];
}

const char *
admission_verdict(int verdict)
{
	static const char *const text[] = {
		[ADMIT_OK] = "admitted",
		[ADMIT_FULL] = "too many connections not logged in",
		[ADMIT_DROP] = "random early drop",
		[ADMIT_ADDRESS] = "too many connections not logged in from "
		    "this address",
		[ADMIT_NETWORK] = "too many connections not logged in from "
		    "this network",
		[ADMIT_SESSIONS] = "too many sessions",
		[ADMIT_USER] = "too many sessions of this user from this "
		    "address",
		[ADMIT_RATE] = "too many messages from this address",
		[ADMIT_INVALID] = "invalid address or connection",
	};

	if (verdict < 0 || verdict > ADMIT_INVALID)
		return "unknown verdict";
	return text[verdict];
}
