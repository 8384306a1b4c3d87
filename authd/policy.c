/*
 * policy.c: lockout and ban decisions on authd's counters (see policy.h).
 * Runs in authd and authctl, inside the caller's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "authd/policy.h"
#include "common/authproto.h"
#include "common/netaddr.h"

/* policy_addr_key: netaddr_client_key; what is no address (authctl's
 * records of old) stays as given. */
const char *
policy_addr_key(const char *address, char key[AUTH_ADDR_MAX])
{
	if (netaddr_client_key(address, key, AUTH_ADDR_MAX) == -1)
		snprintf(key, AUTH_ADDR_MAX, "%s", address);
	return key;
}

int
policy_banned(struct db *db, MDB_txn *txn, const char *address, int64_t now,
    int64_t *until)
{
	struct ban_rec b;
	char key[AUTH_ADDR_MAX];
	int rc;

	rc = db_ban_get(db, txn, policy_addr_key(address, key), &b);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	if (b.until <= now)
		return 0;
	*until = b.until;
	return 1;
}

int
policy_known(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *user, const char *key, int64_t now)
{
	int64_t seen;
	int rc;

	rc = db_time_get(db, txn, db->known, user, key, &seen);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	return now - seen < cfg->lockout_known;
}

static int
policy_any_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	(void)k;
	(void)v;
	*(int *)arg = 1;
	return 1;
}

int
policy_any_known(struct db *db, MDB_txn *txn, const char *user)
{
	int found = 0;

	if (db_each(db, txn, db->known, user, strlen(user) + 1,
	    policy_any_one, &found) == -1)
		return -1;
	return found;
}

int
policy_locked(struct db *db, MDB_txn *txn, const char *user,
    const char *key, int known, int64_t now, const char **why)
{
	struct counter_rec c;
	char pk[DB_KEY_MAX];
	int n, rc;

	if ((n = db_pair_key(pk, user, key)) == -1)
		return -1;
	rc = db_counter_get(db, txn, db->fail_pair, pk, (size_t)n, &c);
	if (rc == -1)
		return -1;
	if (rc == 0 && c.locked_until > now) {
		*why = "pair locked";
		return 1;
	}
	if (known)
		return 0;
	rc = db_counter_get(db, txn, db->fail_user, user, strlen(user), &c);
	if (rc == -1)
		return -1;
	if (rc == 0 && c.locked_until > now) {
		*why = "account locked";
		return 1;
	}
	return 0;
}

long
policy_addr_failures(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *key, int64_t now)
{
	struct counter_rec c;
	int rc;

	rc = db_counter_get(db, txn, db->fail_addr, key, strlen(key), &c);
	if (rc == -1)
		return -1;
	if (rc == 1 || now - c.window_start >= cfg->ban_window)
		return 0;
	return c.count;
}

/* policy_count: add one failure to a fixed-window counter; returns the
 * count in the current window, or -1. */
static long
policy_count(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *key,
    size_t keylen, int64_t now, int64_t window, struct counter_rec *c)
{
	int rc;

	rc = db_counter_get(db, txn, dbi, key, keylen, c);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		memset(c, 0, sizeof(*c));
		c->window_start = now;
	} else if (now - c->window_start >= window) {
		c->window_start = now;
		c->count = 0;
	}
	c->count++;
	return c->count;
}

/* policy_fail_user: the per-pair and per-account counters; *locked
 * when this failure locked the account. */
static int
policy_fail_user(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *user, const char *address, int64_t now, int *locked)
{
	struct counter_rec c;
	char key[DB_KEY_MAX];
	long n;
	int k;

	if ((k = db_pair_key(key, user, address)) == -1)
		return -1;
	n = policy_count(db, txn, db->fail_pair, key, (size_t)k, now,
	    cfg->lockout_pair_window, &c);
	if (n == -1)
		return -1;
	if (n >= cfg->lockout_pair_failures)
		c.locked_until = now + cfg->lockout_pair_duration;
	if (db_counter_put(db, txn, db->fail_pair, key, (size_t)k, &c) == -1)
		return -1;
	n = policy_count(db, txn, db->fail_user, user, strlen(user), now,
	    cfg->lockout_account_window, &c);
	if (n == -1)
		return -1;
	if (n >= cfg->lockout_account_failures) {
		*locked = c.locked_until <= now;
		c.locked_until = now + cfg->lockout_pair_duration;
	}
	return db_counter_put(db, txn, db->fail_user, user, strlen(user), &c);
}

/* policy_ban_next: the length of the next automatic ban of address. */
static int64_t
policy_ban_next(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *address, int64_t now, uint32_t *level)
{
	struct ban_rec b;
	int64_t len = cfg->ban_duration;
	uint32_t i;

	*level = 1;
	if (db_ban_get(db, txn, address, &b) == 0 && !b.manual &&
	    now - b.until < cfg->ban_max)
		*level = b.level + 1;
	for (i = 1; i < *level && len < cfg->ban_max; i++)
		len *= 2;
	return len < cfg->ban_max ? len : cfg->ban_max;
}

int
policy_fail(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *user, int user_exists, const char *address, int64_t now,
    int64_t *banned, int *locked)
{
	struct counter_rec c;
	struct ban_rec b;
	char key[AUTH_ADDR_MAX];
	long n;

	*banned = 0;
	*locked = 0;
	if (user_exists &&
	    policy_fail_user(db, txn, cfg, user, address, now, locked) == -1)
		return -1;
	policy_addr_key(address, key);
	n = policy_count(db, txn, db->fail_addr, key, strlen(key), now,
	    cfg->ban_window, &c);
	if (n == -1)
		return -1;
	if (n < cfg->ban_failures)
		return db_counter_put(db, txn, db->fail_addr, key, strlen(key),
		    &c);
	memset(&b, 0, sizeof(b));
	*banned = policy_ban_next(db, txn, cfg, key, now, &b.level);
	b.created = now;
	b.until = now + *banned;
	if (db_counter_del(db, txn, db->fail_addr, key, strlen(key)) == -1)
		return -1;
	return db_ban_put(db, txn, key, &b);
}

int
policy_success(struct db *db, MDB_txn *txn, const char *user,
    const char *address, int64_t now)
{
	char key[DB_KEY_MAX];
	int n;

	if ((n = db_pair_key(key, user, address)) == -1)
		return -1;
	if (db_counter_del(db, txn, db->fail_pair, key, (size_t)n) == -1)
		return -1;
	return db_time_put(db, txn, db->known, user, address, now);
}

int
policy_unlock(struct db *db, MDB_txn *txn, const char *user)
{
	size_t ulen = strlen(user);
	int pairs, rc;

	if ((pairs = db_del_prefix(db, txn, db->fail_pair, user,
	    ulen + 1)) == -1)
		return -1;
	rc = db_counter_del(db, txn, db->fail_user, user, ulen);
	if (rc == -1)
		return -1;
	return (pairs > 0 || rc == 0) ? 0 : 1;
}

int
policy_ban(struct db *db, MDB_txn *txn, const char *address, int64_t now,
    int64_t seconds, int manual)
{
	struct ban_rec b;
	char key[AUTH_ADDR_MAX];

	policy_addr_key(address, key);
	memset(&b, 0, sizeof(b));
	b.created = now;
	b.until = now + seconds;
	b.level = 1;
	b.manual = manual ? 1 : 0;
	if (db_counter_del(db, txn, db->fail_addr, key, strlen(key)) == -1)
		return -1;
	return db_ban_put(db, txn, key, &b);
}

int
policy_unban(struct db *db, MDB_txn *txn, const char *address)
{
	char key[AUTH_ADDR_MAX];
	int rc;

	policy_addr_key(address, key);
	if ((rc = db_ban_del(db, txn, key)) != 0)
		return rc;
	return db_counter_del(db, txn, db->fail_addr, key, strlen(key)) == -1 ?
	    -1 : 0;
}
