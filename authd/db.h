/*
 * db.h: authd's credential database, one LMDB environment in
 * <state>/auth/, shared by authd and authctl.
 *
 * Runs in authd (after fork, never across one) and in authctl.  LMDB
 * serialises writers, so authd and several authctl processes may write at
 * the same time; every write happens in a short transaction that never
 * spans client I/O.  Records are fixed-layout structs with a version word:
 * the file is local to one machine (LMDB files are not portable anyway), and
 * a record of the wrong size or version is reported as corrupt, never
 * guessed at.  Keys of per-(user, address) records are "user\0address".
 *
 * Databases (named LMDB sub-databases):
 *   users      user -> struct user_rec
 *   apppass    user\0label -> struct apppass_rec
 *   aliases    alias -> "target,target,..." (users or aliases)
 *   fail_pair  user\0address -> struct counter_rec (lockout per pair)
 *   fail_user  user -> struct counter_rec (account-wide failures)
 *   fail_addr  address -> struct counter_rec (per-address failures)
 *   bans       address -> struct ban_rec
 *   known      user\0address -> int64 last successful login (seconds)
 *   trust      user\0address -> int64 end of the 2FA trust window
 *   audit      8-byte big-endian microseconds -> audit record (audit.h)
 *   quota      user -> uint64 bytes (native byte order): the user's own
 *              mailbox quota, 0 meaning no limit for this user whatever
 *              the default; no record: the user follows "default quota"
 *              of postern.conf(5).  A separate database, so that struct
 *              user_rec and the databases written before it keep their
 *              layout; db_open creates it in an environment that lacks
 *              it.
 *   sendlimit  user -> uint32 recipients per hour (native byte order): the
 *              user's own sending limit, 0 meaning no limit; no record:
 *              "smtp send limit" of postern.conf(5).  Its own database
 *              for the same reason as quota.
 *   sent       user -> struct sent_rec: the recipients the user sent to
 *              in the last hour, per minute (sendlimit.h).
 */
#ifndef POSTERN_DB_H
#define POSTERN_DB_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "common/netaddr.h"

/* Address space only: the file grows as records are written, so a large
 * map costs nothing; 16 GiB is far beyond what a small office's
 * credentials and 180 days of audit records need. */
#define DB_MAPSIZE		(16ULL * 1024 * 1024 * 1024)
#define DB_MAX_NETWORKS		16
#define DB_RECOVERY_CODES	10
#define DB_HASH_MAX		128	/* scrypt MCF string, NUL included */
#define DB_LABEL_MAX		64
#define DB_ALIAS_MAX		1024	/* target list */
#define DB_KEY_MAX		(256 + 64 + 1)

#define USER_REC_VERSION	1
#define USER_DISABLED		0x01

enum totp_state { TOTP_NONE = 0, TOTP_PENDING = 1, TOTP_ACTIVE = 2 };

struct user_rec {
	uint32_t	version;
	uint32_t	flags;		/* USER_DISABLED */
	uint32_t	services;	/* SERVICE_* */
	int32_t		pw_strength;	/* tenths of log10(guesses); -1 unknown */
	int64_t		created;	/* seconds */
	int64_t		pw_set;
	char		hash[DB_HASH_MAX];
	uint32_t	totp_state;
	uint32_t	nnets;		/* 0: any address */
	uint8_t		totp_secret[20];
	int64_t		totp_last_step;	/* last accepted step: reuse refused */
	/* SHA-256 of each unused recovery code; all zero once used */
	uint8_t		recovery[DB_RECOVERY_CODES][32];
	struct netmask	nets[DB_MAX_NETWORKS];
};

struct apppass_rec {
	uint32_t	version;
	uint32_t	services;
	int64_t		created;
	int64_t		last_used;	/* 0: never */
	uint8_t		hash[32];	/* SHA-256 of the random secret */
};

struct counter_rec {
	int64_t		window_start;	/* seconds */
	int64_t		locked_until;	/* fail_pair only */
	uint32_t	count;
	uint32_t	pad;
};

struct ban_rec {
	int64_t		until;		/* seconds */
	int64_t		created;
	uint32_t	level;		/* 1 for the first ban, doubles the time */
	uint32_t	manual;		/* set by authctl ban */
};

#define SENT_REC_VERSION	1
#define SENT_MINUTES		60	/* the sliding window, in minutes */
#define SENT_REFUSED		0x01	/* this episode's refusal is audited */

struct sent_rec {
	uint32_t	version;
	uint32_t	flags;		/* SENT_REFUSED */
	int64_t		minute;		/* newest minute counted (seconds / 60) */
	/* count[m % SENT_MINUTES]: recipients in minute m, for the minutes
	 * m in (minute - SENT_MINUTES, minute]; older buckets are zero */
	uint32_t	count[SENT_MINUTES];
};

struct db {
	MDB_env	*env;
	MDB_dbi	 users, apppass, aliases, fail_pair, fail_user, fail_addr,
		 bans, known, trust, audit, quota, sendlimit, sent;
};

/*
 * db_open: open (creating if needed, mode 0600) the environment in dir,
 * which must exist.  Runs mdb_reader_check.  Returns 0, or -1 after a
 * log_warnx naming dir and LMDB's reason.
 */
int	db_open(struct db *db, const char *dir);
void	db_close(struct db *db);

/*
 * db_begin: start a transaction (write non-zero: read-write).  db_commit
 * commits (and so fsyncs; LMDB runs with full sync).  Both return 0, or
 * LMDB's error code (mdb_strerror names it) without logging, so that
 * the caller can say what failed once; on commit failure the transaction
 * is gone.  db_abort never fails.
 */
int	db_begin(struct db *db, int write, MDB_txn **txn);
int	db_commit(MDB_txn *txn);
void	db_abort(MDB_txn *txn);

/*
 * Record access.  Getters return 0 when found (out filled), 1 when absent,
 * -1 on an LMDB error or a corrupt record (logged).  Putters and deleters
 * return 0 or -1 (a deleter returns 1 when there was nothing to delete).
 * user, address and label are NUL-terminated and bounded by the sizes in
 * authproto.h; longer ones are refused with -1.
 */
int	db_user_get(struct db *db, MDB_txn *txn, const char *user,
	    struct user_rec *out);
int	db_user_put(struct db *db, MDB_txn *txn, const char *user,
	    const struct user_rec *rec);
/* db_user_del: the user and everything keyed by it (app passwords,
 * counters, known and trusted addresses, quota, sending limit and the
 * recipients counted against it). */
int	db_user_del(struct db *db, MDB_txn *txn, const char *user);

int	db_apppass_get(struct db *db, MDB_txn *txn, const char *user,
	    const char *label, struct apppass_rec *out);
int	db_apppass_put(struct db *db, MDB_txn *txn, const char *user,
	    const char *label, const struct apppass_rec *rec);
int	db_apppass_del(struct db *db, MDB_txn *txn, const char *user,
	    const char *label);

/*
 * Quotas (bytes; 0: no limit).  db_quota_get: the user's own quota, 0
 * when found, 1 when the user has none (follows the default), -1 on an
 * error.  db_quota_put sets it (0 included: unlimited whatever the
 * default); db_quota_del makes the user follow the default again (1 when
 * it did already).  db_quota_effective: the quota that applies, the
 * user's own or else dflt ("default quota"), in *out; 0, or -1 on an
 * error (*out then 0, which MUST not be taken for "no limit").  None of
 * them checks that the user exists.
 */
int	db_quota_get(struct db *db, MDB_txn *txn, const char *user,
	    uint64_t *out);
int	db_quota_put(struct db *db, MDB_txn *txn, const char *user,
	    uint64_t bytes);
int	db_quota_del(struct db *db, MDB_txn *txn, const char *user);
int	db_quota_effective(struct db *db, MDB_txn *txn, const char *user,
	    uint64_t dflt, uint64_t *out);

/*
 * Sending limits (recipients per hour; 0: no limit), as quotas:
 * db_sendlimit_get 0 when the user has one, 1 when it follows "smtp send
 * limit", -1 on an error; db_sendlimit_del makes it follow the default
 * (1 when it did already).  db_sent_get / db_sent_put: the user's
 * sliding hour (1 when none was counted yet; a record of another version
 * is corrupt, -1).
 */
int	db_sendlimit_get(struct db *db, MDB_txn *txn, const char *user,
	    uint32_t *out);
int	db_sendlimit_put(struct db *db, MDB_txn *txn, const char *user,
	    uint32_t limit);
int	db_sendlimit_del(struct db *db, MDB_txn *txn, const char *user);
int	db_sent_get(struct db *db, MDB_txn *txn, const char *user,
	    struct sent_rec *out);
int	db_sent_put(struct db *db, MDB_txn *txn, const char *user,
	    const struct sent_rec *rec);

int	db_alias_get(struct db *db, MDB_txn *txn, const char *alias,
	    char *targets, size_t len);
int	db_alias_put(struct db *db, MDB_txn *txn, const char *alias,
	    const char *targets);
int	db_alias_del(struct db *db, MDB_txn *txn, const char *alias);

/* Counters: dbi is db->fail_pair, db->fail_user or db->fail_addr; key is
 * built by the caller (db_pair_key for fail_pair). */
int	db_counter_get(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const char *key, size_t keylen, struct counter_rec *out);
int	db_counter_put(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const char *key, size_t keylen, const struct counter_rec *rec);
int	db_counter_del(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const char *key, size_t keylen);

int	db_ban_get(struct db *db, MDB_txn *txn, const char *address,
	    struct ban_rec *out);
int	db_ban_put(struct db *db, MDB_txn *txn, const char *address,
	    const struct ban_rec *rec);
int	db_ban_del(struct db *db, MDB_txn *txn, const char *address);

/* known and trust: dbi is db->known or db->trust, value one int64. */
int	db_time_get(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const char *user, const char *address, int64_t *out);
int	db_time_put(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const char *user, const char *address, int64_t t);

/*
 * db_pair_key: build "user\0address" into buf of DB_KEY_MAX bytes.
 * Returns the key length, or -1 if it does not fit.
 */
int	db_pair_key(char *buf, const char *user, const char *address);

/*
 * db_each: call fn for every record of dbi whose key starts with the
 * prefix of prefixlen bytes (NULL/0: all), in key order, inside txn.  fn
 * returns 0 to go on, 1 to stop, -1 for an error (db_each returns it).
 * The key and value pointers are valid during the call only.
 */
typedef int (*db_each_fn)(void *arg, const MDB_val *key, const MDB_val *val);
int	db_each(struct db *db, MDB_txn *txn, MDB_dbi dbi, const void *prefix,
	    size_t prefixlen, db_each_fn fn, void *arg);

/* db_del_prefix: delete every record of dbi whose key starts with the
 * prefix; returns how many, or -1. */
int	db_del_prefix(struct db *db, MDB_txn *txn, MDB_dbi dbi,
	    const void *prefix, size_t len);


#endif
