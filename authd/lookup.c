/*
 * lookup.c: ban checks and recipient expansion (see lookup.h).  Runs in
 * authd's main thread; reads only.
 */
#include <string.h>

#include "authd/lookup.h"
#include "authd/policy.h"
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
};

static void
lookup_rcpt_add(struct lookup_rcpt *r, const char *name)
{
	uint32_t i;

	for (i = 0; i < r->ans->count; i++)
		if (strcmp(r->ans->users[i], name) == 0)
			return;
	if (r->ans->count < AUTH_RCPT_MAX)
		str_copy(r->ans->users[r->ans->count++], name, AUTH_USER_MAX);
}

static void
lookup_rcpt_expand(struct lookup_rcpt *r, const char *name, int depth)
{
	char targets[DB_ALIAS_MAX], *p, *t;
	struct user_rec u;
	const char *at = strchr(name, '@');

	if (depth > 8 || ++r->steps > 64 || at == NULL)
		return;
	if (!config_is_local_domain(r->cfg, at + 1)) {
		if (depth > 0)
			lookup_rcpt_add(r, name);
		return;
	}
	if (db_user_get(r->db, r->txn, name, &u) == 0) {
		if (!(u.flags & USER_DISABLED))
			lookup_rcpt_add(r, name);
		explicit_bzero(&u, sizeof(u));
		return;
	}
	if (db_alias_get(r->db, r->txn, name, targets, sizeof(targets)) != 0)
		return;
	for (p = targets; (t = strsep(&p, ",")) != NULL;)
		if (*t != '\0')
			lookup_rcpt_expand(r, t, depth + 1);
}

void
lookup_rcpt(struct db *db, MDB_txn *txn, const struct config *cfg,
    char *recipient, struct auth_rcpt_ans *a)
{
	struct lookup_rcpt r = { db, txn, cfg, a, 0 };

	a->count = 0;
	if (txn == NULL) {
		a->status = AUTH_FAIL_TEMP;
		return;
	}
	str_lower(recipient);
	if (user_name_valid(recipient))
		lookup_rcpt_expand(&r, recipient, 0);
	a->status = a->count > 0 ? AUTH_OK : AUTH_FAIL_PERM;
}
