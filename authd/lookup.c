/*
 * lookup.c: ban checks and recipient expansion (see lookup.h).  Runs in
 * authd's main thread; reads only.
 */
#include <stdlib.h>
#include <string.h>

#include "authd/lookup.h"
#include "authd/policy.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/util.h"

uint32_t
lookup_banned(struct db *db, MDB_txn *txn, const char *address)
{
	char addr[AUTH_ADDR_MAX], key[AUTH_ADDR_MAX];
	int64_t until;

	if (netaddr_normalize(address, addr, sizeof(addr)) == -1)
		return AUTH_FAIL_PERM;
	if (txn == NULL || policy_banned(db, txn, policy_addr_key(addr, key),
	    now_us() / 1000000, &until) != 1)
		return AUTH_OK;	/* fail open: the login checks again */
	return AUTH_FAIL_TEMP;
}

struct lookup_rcpt {
	struct db		*db;
	MDB_txn			*txn;
	const struct config	*cfg;
	struct auth_rcpt_ans	*ans;
	int			 steps;
	int			 fault;		/* a record could not be read */
	int			 wide;		/* more than one answer holds */
};

static void	lookup_rcpt_expand(struct lookup_rcpt *, const char *, int);

/* lookup_rcpt_add: name, a local user (local non-zero) or an outside
 * address, with its quota; one that would not fit the answer marks the
 * whole lookup as too wide, since a recipient cut short loses mail. */
static void
lookup_rcpt_add(struct lookup_rcpt *r, const char *name, int local)
{
	struct auth_rcpt_ans *a = r->ans;
	uint32_t i;

	for (i = 0; i < a->count; i++)
		if (strcmp(a->users[i], name) == 0)
			return;
	if (!authproto_rcpt_fits(a, strlen(name))) {
		r->wide = 1;
		return;
	}
	a->quotas[a->count] = 0;
	if (local && db_quota_effective(r->db, r->txn, name,
	    r->cfg->default_quota, &a->quotas[a->count]) == -1) {
		r->fault = 1;
		return;
	}
	str_copy(a->users[a->count++], name, AUTH_USER_MAX);
}

/* lookup_rcpt_name: name as a user (added unless disabled) or an alias
 * (expanded); 1 when it is either, 0 when neither. */
static int
lookup_rcpt_name(struct lookup_rcpt *r, const char *name, int depth)
{
	char targets[DB_ALIAS_MAX], *p, *t;
	struct user_rec u;
	int rc;

	if ((rc = db_user_get(r->db, r->txn, name, &u)) == 0) {
		if (!(u.flags & USER_DISABLED))
			lookup_rcpt_add(r, name, 1);
		explicit_bzero(&u, sizeof(u));
		return 1;
	}
	if (rc == 1)
		rc = db_alias_get(r->db, r->txn, name, targets,
		    sizeof(targets));
	if (rc == -1)
		r->fault = 1;
	if (rc != 0)
		return rc == -1;
	for (p = targets; (t = strsep(&p, ",")) != NULL;)
		if (*t != '\0')
			lookup_rcpt_expand(r, t, depth + 1);
	return 1;
}

/* lookup_rcpt_base: the address name stands for without its subaddress
 * ("user+tag@domain": "user@domain") into base; -1 when it has none. */
static int
lookup_rcpt_base(const char *name, char base[AUTH_USER_MAX])
{
	const char *at = strchr(name, '@'), *plus;

	plus = memchr(name, LOOKUP_SUBADDRESS_SEP, (size_t)(at - name));
	if (plus == NULL || plus == name)
		return -1;
	memcpy(base, name, (size_t)(plus - name));
	str_copy(base + (plus - name), at, AUTH_USER_MAX - (size_t)(plus - name));
	return 0;
}

/*
 * lookup_rcpt_expand: a user or alias of that very name, else (with a
 * subaddress) the one of its base, else, for the address the client
 * gave (depth 0), the domain's catch-all alias "@domain".  Alias targets
 * get no catch-all: a target that names nobody is the administrator's
 * mistake, and authctl refuses it.
 */
static void
lookup_rcpt_expand(struct lookup_rcpt *r, const char *name, int depth)
{
	char base[AUTH_USER_MAX];
	const char *at = strchr(name, '@');

	if (depth > 8 || ++r->steps > 64 || at == NULL)
		return;
	if (!config_is_local_domain(r->cfg, at + 1)) {
		if (depth > 0)
			lookup_rcpt_add(r, name, 0);
		return;
	}
	if (at == name || lookup_rcpt_name(r, name, depth))
		return;
	if (lookup_rcpt_base(name, base) == 0 &&
	    lookup_rcpt_name(r, base, depth))
		return;
	if (depth == 0)
		(void)lookup_rcpt_name(r, at, depth);
}

void
lookup_rcpt(struct db *db, MDB_txn *txn, const struct config *cfg,
    char *recipient, struct auth_rcpt_ans *a)
{
	struct lookup_rcpt r = { db, txn, cfg, a, 0, 0, 0 };

	a->count = 0;
	if (txn == NULL) {
		a->status = AUTH_FAIL_TEMP;
		return;
	}
	str_lower(recipient);
	if (user_name_valid(recipient))
		lookup_rcpt_expand(&r, recipient, 0);
	if (r.wide)
		log_warnx("recipient %s reaches more addresses than one "
		    "answer holds (%d, or %d bytes of names): refused for "
		    "now; split the alias", recipient, AUTH_RCPT_MAX,
		    FRAME_MAX - AUTH_RCPT_ANS_HDR);
	if (r.fault || r.wide) {
		a->count = 0;
		a->status = AUTH_FAIL_TEMP;
		return;
	}
	a->status = a->count > 0 ? AUTH_OK : AUTH_FAIL_PERM;
}

void
lookup_alias(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *alias, struct auth_rcpt_ans *a)
{
	struct lookup_rcpt r = { db, txn, cfg, a, 0, 0, 0 };

	a->count = 0;
	if (txn != NULL)
		(void)lookup_rcpt_name(&r, alias, 0);
	if (txn == NULL || r.fault || r.wide) {
		a->count = 0;
		a->status = AUTH_FAIL_TEMP;
		return;
	}
	a->status = a->count > 0 ? AUTH_OK : AUTH_FAIL_PERM;
}

struct lookup_hosts {
	struct auth_known_entry	*h;
	size_t			 n;
	int64_t			 now, ttl;
};

/* lookup_host: one record of known (user\0key -> int64 time). */
static int
lookup_host(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct lookup_hosts *l = arg;
	const char *key = memchr(k->mv_data, '\0', k->mv_size);
	size_t i, len;
	int64_t t;

	if (key == NULL || v->mv_size != sizeof(t))
		return 0;
	key++;
	len = k->mv_size - (size_t)(key - (const char *)k->mv_data);
	memcpy(&t, v->mv_data, sizeof(t));
	if (len == 0 || len >= AUTH_ADDR_MAX || l->now - t >= l->ttl ||
	    t > l->now)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strncmp(l->h[i].host, key, len) == 0 &&
		    l->h[i].host[len] == '\0')
			break;
	if (i == l->n) {
		if (l->n == LOOKUP_KNOWN_HOSTS)
			return 0;
		memcpy(l->h[i].host, key, len);
		l->h[i].host[len] = '\0';
		l->h[i].age = UINT64_MAX;
		l->n++;
	}
	if ((uint64_t)(l->now - t) < l->h[i].age)
		l->h[i].age = (uint64_t)(l->now - t);
	return 0;
}

static int
lookup_host_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct auth_known_entry *)a)->age;
	uint64_t y = ((const struct auth_known_entry *)b)->age;

	return x < y ? -1 : x > y;
}

int
lookup_known(struct db *db, MDB_txn *txn, const struct config *cfg,
    uint32_t offset, struct auth_known_ans *a)
{
	struct lookup_hosts l;
	size_t i;

	a->total = a->count = 0;
	if (txn == NULL)
		return -1;
	l.now = now_us() / 1000000;
	l.ttl = cfg->lockout_known;
	l.n = 0;
	if ((l.h = calloc(LOOKUP_KNOWN_HOSTS, sizeof(*l.h))) == NULL)
		return -1;
	if (db_each(db, txn, db->known, NULL, 0, lookup_host, &l) == -1) {
		free(l.h);
		return -1;
	}
	qsort(l.h, l.n, sizeof(*l.h), lookup_host_cmp);
	a->total = (uint32_t)l.n;
	for (i = offset; i < l.n && a->count < AUTH_KNOWN_MAX; i++)
		a->h[a->count++] = l.h[i];
	free(l.h);
	return 0;
}
