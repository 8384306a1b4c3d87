/*
 * admission.h: the connection budgets of a daemon's parent: who may hold
 * a slot before logging in, and who may hold a session after.
 *
 * Runs in a daemon's parent (root), which asks before it forks a monitor
 * for an accepted connection and again when that monitor reports a login.
 * Pure bookkeeping: no I/O, no clock and no randomness of its own (the
 * caller passes the time and a random number), so it is unit tested
 * without a daemon.  It trusts its caller; addresses are numeric text as
 * netaddr_normalize writes them, and anything else is refused.
 *
 * Two budgets, kept apart so that one cannot starve the other:
 *
 *   unauthenticated  a connection from accept until its monitor reports a
 *                    login.  At most per_address from one address and
 *                    per_network from one network (IPv4 /24, IPv6 /64).
 *                    Past `startups` such connections, a new one is
 *                    dropped at random with probability `rate` percent,
 *                    rising linearly to 100 % at `full`, where all are
 *                    refused (OpenSSH's MaxStartups start:rate:full).
 *                    An address that logged in within known_ttl seconds
 *                    (IPv6: its /64) is "known": it skips the network
 *                    limit and the random drop and has a pool of `full`
 *                    slots of its own, so a flood from addresses that
 *                    never logged in cannot lock its owner out; it keeps
 *                    the per-address limit.
 *   session          a connection whose monitor reported a login: at most
 *                    `sessions` in all and per_user for one user from one
 *                    address (IPv6: one /64).
 *
 * Use, in the parent:
 *
 *	v = admission_check(&a, address, now, random32);
 *	if (v != ADMIT_OK)	close the connection (admission_verdict says why)
 *	fork the monitor;	admission_add(&a, pid, address, now);
 *	monitor reports user:	v = admission_login(&a, pid, user, now);
 *				tell the monitor v (ADMIT_OK: it serves)
 *	monitor reaped:		admission_remove(&a, pid);
 *
 * Slots never outnumber 2 * full + sessions, the size admission_init
 * allocates: the caller needs no other bound.
 */
#ifndef POSTERN_ADMISSION_H
#define POSTERN_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/netaddr.h"

#define ADMISSION_KNOWN_MAX	1024	/* known addresses remembered */

enum admission_verdict {
	ADMIT_OK = 0,
	ADMIT_FULL,		/* `full` unauthenticated connections open */
	ADMIT_DROP,		/* random early drop past `startups` */
	ADMIT_ADDRESS,		/* per_address reached for this address */
	ADMIT_NETWORK,		/* per_network reached for this network */
	ADMIT_SESSIONS,		/* `sessions` sessions open */
	ADMIT_USER,		/* per_user sessions of this user and address */
	ADMIT_RATE,		/* the address's message rate is reached */
	ADMIT_INVALID,		/* not a numeric address; unknown id */
};

struct admission_limits {
	unsigned	per_address;	/* unauthenticated, >= 1 */
	unsigned	per_network;	/* unauthenticated, >= 1 */
	unsigned	startups;	/* random drop begins, <= full */
	unsigned	rate;		/* percent at startups, 0..100 */
	unsigned	full;		/* per pool, >= 1 */
	unsigned	sessions;	/* logged in, in all, >= 1 */
	unsigned	per_user;	/* logged in, per (user, address), >= 1 */
	int64_t		known_ttl;	/* seconds an address stays known */
};

struct admission_slot {
	long	id;			/* the caller's (a pid); 0: free */
	int	session;		/* logged in */
	int	known;			/* counted in the known pool */
	char	address[NETADDR_STRLEN];	/* as given */
	char	network[NETADDR_STRLEN];	/* /24 or /64, canonical */
	char	host[NETADDR_STRLEN];	/* IPv4 address, IPv6 /64 */
	char	user[AUTH_USER_MAX];	/* sessions only */
};

struct admission_known {
	char	host[NETADDR_STRLEN];
	int64_t	last;			/* time of the last login */
};

struct admission {
	struct admission_limits	 lim;
	struct admission_slot	*slots;		/* nslots of them, unordered */
	size_t			 nslots, maxslots;
	unsigned		 unknown, known, sessions;	/* open */
	struct admission_known	 hosts[ADMISSION_KNOWN_MAX];
	size_t			 nhosts;
};

/*
 * admission_init: an empty table for lim (copied).  Returns 0, or -1 with
 * errno EINVAL (a limit out of the ranges above) or ENOMEM.  Free with
 * admission_free.
 */
int	admission_init(struct admission *a, const struct admission_limits *lim);
void	admission_free(struct admission *a);

/*
 * admission_check: may a new connection from address (numeric, as
 * netaddr_normalize writes it) take an unauthenticated slot at time now
 * (seconds, any clock the caller keeps using)?  rnd is a uniformly random
 * number that decides the early drop.  Returns ADMIT_OK, ADMIT_FULL,
 * ADMIT_DROP, ADMIT_ADDRESS, ADMIT_NETWORK or ADMIT_INVALID; changes
 * nothing.
 */
int	admission_check(const struct admission *a, const char *address,
	    int64_t now, uint32_t rnd);

/*
 * admission_add: take the slot admission_check just granted, under id
 * (non-zero, not in use).  MUST follow an ADMIT_OK for the same address
 * with no other change to a in between.  Returns 0, or -1 on a caller bug
 * (bad id, bad address, no room), which changes nothing.
 */
int	admission_add(struct admission *a, long id, const char *address,
	    int64_t now);

/*
 * admission_login: the connection id logged in as user (NUL-terminated,
 * shorter than AUTH_USER_MAX).  Its address becomes known either way.
 * ADMIT_OK: the slot moved to the session budget.  ADMIT_SESSIONS or
 * ADMIT_USER: it stays unauthenticated (the caller refuses the session).
 * ADMIT_INVALID: id is not an unauthenticated connection, or user is too
 * long; nothing changed.
 */
int	admission_login(struct admission *a, long id, const char *user,
	    int64_t now);

/*
 * admission_known: remember host (an address, or a key of
 * netaddr_client_key, which authd's known addresses are) as known from
 * time last: how the
 * daemons learn, at start and on reload, the addresses authd remembers,
 * so a restart does not forget the office.  A host that is not in one of
 * those forms is ignored.
 */
void	admission_known(struct admission *a, const char *host, int64_t last);

/* admission_remove: free id's slot, whichever budget holds it; an id not
 * in the table is ignored. */
void	admission_remove(struct admission *a, long id);

/* admission_verdict: a short English phrase for a verdict, for logs. */
const char *admission_verdict(int verdict);

#endif
