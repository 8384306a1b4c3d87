/*
 * policy.h: lockout, bans and the failure counters behind them.
 *
 * Runs in authd (every login) and authctl (unlock, ban, unban, report).
 * All functions work inside the caller's LMDB transaction; now is wall
 * time in seconds.  The rules (limits from postern.conf):
 *  - pair lock: lockout_pair_failures failures of one (user, address)
 *    within lockout_pair_window lock that pair for lockout_pair_duration;
 *  - account lock: lockout_account_failures failures of one user from any
 *    addresses within lockout_account_window lock the account, for the
 *    same duration, but only for addresses that never logged into it;
 *  - ban: ban_failures failures from one address within ban_window ban it
 *    for ban_duration, doubled on each repeat up to ban_max; the level
 *    starts over once an address stayed clean for ban_max after its ban.
 * Every address argument below is a key from policy_addr_key: an IPv4
 * address itself, an IPv6 address its /64 (one client holds a whole /64
 * and could otherwise walk around any limit), so pair locks, known
 * addresses, trust windows, counters and bans all key a client alike.
 * Counters are kept only for users that exist, so spraying made-up names
 * cannot grow the database; the per-address counter always counts.
 * A known address is one the user logged in from successfully within
 * lockout_known; it is exempt from the account lock.
 */
#ifndef POSTERN_POLICY_H
#define POSTERN_POLICY_H

#include <stdint.h>

#include "authd/db.h"
#include "common/authproto.h"
#include "common/config.h"

/* policy_addr_key: the key of address (idempotent: a key maps to
 * itself); returns key. */
const char *policy_addr_key(const char *address, char key[AUTH_ADDR_MAX]);

/* policy_banned: 1 when address is banned at now (*until set), 0 when
 * not, -1 on a database error. */
int	policy_banned(struct db *db, MDB_txn *txn, const char *address,
	    int64_t now, int64_t *until);

/* policy_known: 1 when user logged in from key within lockout_known of
 * now, 0 when not, -1 on a database error. */
int	policy_known(struct db *db, MDB_txn *txn, const struct config *cfg,
	    const char *user, const char *key, int64_t now);

/*
 * policy_locked: 1 when user may not log in from key at now, with *why
 * "pair locked" or (only when known is 0) "account locked"; 0 when free;
 * -1 on error.
 */
int	policy_locked(struct db *db, MDB_txn *txn, const char *user,
	    const char *key, int known, int64_t now, const char **why);

/* policy_addr_failures: the failures counted for key in the current ban
 * window, or -1 on error. */
long	policy_addr_failures(struct db *db, MDB_txn *txn,
	    const struct config *cfg, const char *key, int64_t now);

/* policy_any_known: 1 when user has logged in successfully from any
 * address ever (a known record of any age), 0 when never, -1 on a
 * database error. */
int	policy_any_known(struct db *db, MDB_txn *txn, const char *user);

/*
 * policy_fail: count one failure.  user_exists selects whether the
 * per-user counters count.  *banned is set to the ban's length in seconds
 * when this failure started a ban, else 0; *locked to 1 when it locked
 * the account that was not locked (the account lock, not a pair's),
 * else 0.  Returns 0 or -1.
 */
int	policy_fail(struct db *db, MDB_txn *txn, const struct config *cfg,
	    const char *user, int user_exists, const char *address,
	    int64_t now, int64_t *banned, int *locked);

/* policy_success: forget the pair's failures and remember address as one
 * the user logs in from. */
int	policy_success(struct db *db, MDB_txn *txn, const char *user,
	    const char *address, int64_t now);

/* policy_unlock: forget every failure counted against user.  Returns 0,
 * 1 when there was nothing to forget, -1 on error. */
int	policy_unlock(struct db *db, MDB_txn *txn, const char *user);

/* policy_ban: ban address until now + seconds (manual: set by authctl). */
int	policy_ban(struct db *db, MDB_txn *txn, const char *address,
	    int64_t now, int64_t seconds, int manual);

/* policy_unban: lift address's ban and forget its failures.  Returns 0,
 * 1 when it was not banned, -1 on error. */
int	policy_unban(struct db *db, MDB_txn *txn, const char *address);

#endif
