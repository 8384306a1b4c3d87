/*
 * db.c: authd's LMDB environment and its fixed-layout records (db.h).
 * Runs in authd and authctl.  Records read back are checked for size and
 * version before use; anything else is reported as corrupt.
 */
#include <string.h>

#include "authd/db.h"
#include "common/authproto.h"
#include "common/log.h"
#include "common/util.h"

#define DB_NDBI	13

int
db_open(struct db *db, const char *dir)
{
	static const char *names[DB_NDBI] = { "users", "apppass", "aliases",
	    "fail_pair", "fail_user", "fail_addr", "bans", "known", "trust",
	    "audit", "quota", "sendlimit", "sent" };
	MDB_dbi *dbis[DB_NDBI] = { &db->users, &db->apppass, &db->aliases,
	    &db->fail_pair, &db->fail_user, &db->fail_addr, &db->bans,
	    &db->known, &db->trust, &db->audit, &db->quota, &db->sendlimit,
	    &db->sent };
	MDB_txn *txn;
	int rc, dead, i;

	if ((rc = mdb_env_create(&db->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(db->env, DB_NDBI)) != 0 ||
	    (rc = mdb_env_set_mapsize(db->env, DB_MAPSIZE)) != 0 ||
	    (rc = mdb_env_set_maxreaders(db->env, 126)) != 0)
		goto fail;
	if ((rc = mdb_env_open(db->env, dir, MDB_NOTLS, 0600)) != 0)
		goto fail;
	mdb_reader_check(db->env, &dead);
	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (i = 0; i < DB_NDBI; i++)
		if ((rc = mdb_dbi_open(txn, names[i], MDB_CREATE,
		    dbis[i])) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	log_warnx("cannot open the credential database %s: %s", dir,
	    mdb_strerror(rc));
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
	return -1;
}

void
db_close(struct db *db)
{
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
}

int
db_begin(struct db *db, int write, MDB_txn **txn)
{
	int rc;

	rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(db->env, 0);
		rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, txn);
	}
	return rc;
}

int
db_commit(MDB_txn *txn)
{
	return mdb_txn_commit(txn);
}

void
db_abort(MDB_txn *txn)
{
	mdb_txn_abort(txn);
}

/* db_get: fetch key into out of exactly size bytes. */
static int
db_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t keylen,
    void *out, size_t size)
{
	MDB_val k = { keylen, (void *)key }, v;
	int rc;

	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0) {
		log_warnx("credential database read: %s", mdb_strerror(rc));
		return -1;
	}
	if (v.mv_size != size) {
		log_warnx("credential database: corrupt record: %zu bytes, "
		    "expected %zu", v.mv_size, size);
		return -1;
	}
	memcpy(out, v.mv_data, size);
	return 0;
}

static int
db_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t keylen,
    const void *val, size_t size)
{
	MDB_val k = { keylen, (void *)key }, v = { size, (void *)val };
	int rc;

	if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
		log_warnx("credential database write: %s", mdb_strerror(rc));
		return -1;
	}
	return 0;
}

static int
db_del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t keylen)
{
	MDB_val k = { keylen, (void *)key };
	int rc;

	rc = mdb_del(txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0) {
		log_warnx("credential database delete: %s", mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/* db_strkey: the length of a string key, or -1 when it is unusable. */
static int
db_strkey(const char *s)
{
	size_t n = strlen(s);

	return (n == 0 || n >= AUTH_USER_MAX) ? -1 : (int)n;
}

int
db_user_get(struct db *db, MDB_txn *txn, const char *user,
    struct user_rec *out)
{
	int n, rc;

	if ((n = db_strkey(user)) == -1)
		return -1;
	rc = db_get(txn, db->users, user, (size_t)n, out, sizeof(*out));
	if (rc == 0 && out->version != USER_REC_VERSION) {
		log_warnx("user %s: unknown record version %u", user,
		    out->version);
		return -1;
	}
	return rc;
}

int
db_user_put(struct db *db, MDB_txn *txn, const char *user,
    const struct user_rec *rec)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_put(txn, db->users, user, (size_t)n, rec, sizeof(*rec));
}

int
db_del_prefix(struct db *db, MDB_txn *txn, MDB_dbi dbi, const void *prefix,
    size_t len)
{
	MDB_cursor *c;
	MDB_val k = { len, (void *)prefix }, v;
	int rc, n = 0;

	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		goto fail;
	for (;;) {
		k.mv_size = len;
		k.mv_data = (void *)prefix;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || k.mv_size < len ||
		    memcmp(k.mv_data, prefix, len) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (rc == 0 || rc == MDB_NOTFOUND)
		return n;
fail:
	log_warnx("credential database delete: %s", mdb_strerror(rc));
	return -1;
}

int
db_user_del(struct db *db, MDB_txn *txn, const char *user)
{
	MDB_dbi pairs[] = { db->apppass, db->fail_pair, db->known, db->trust };
	size_t i;
	int n, rc;

	if ((n = db_strkey(user)) == -1)
		return -1;
	if ((rc = db_del(txn, db->users, user, (size_t)n)) != 0)
		return rc;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (db_del_prefix(db, txn, pairs[i], user, (size_t)n + 1) == -1)
			return -1;
	if (db_del(txn, db->fail_user, user, (size_t)n) == -1 ||
	    db_del(txn, db->quota, user, (size_t)n) == -1 ||
	    db_del(txn, db->sendlimit, user, (size_t)n) == -1 ||
	    db_del(txn, db->sent, user, (size_t)n) == -1)
		return -1;
	return 0;
}

int
db_pair_key(char *buf, const char *user, const char *address)
{
	size_t u = strlen(user), a = strlen(address);

	if (u == 0 || u >= AUTH_USER_MAX || a >= AUTH_USER_MAX ||
	    u + 1 + a > DB_KEY_MAX)
		return -1;
	memcpy(buf, user, u + 1);
	memcpy(buf + u + 1, address, a);
	return (int)(u + 1 + a);
}

int
db_apppass_get(struct db *db, MDB_txn *txn, const char *user,
    const char *label, struct apppass_rec *out)
{
	char key[DB_KEY_MAX];
	int n;

	if (strlen(label) >= DB_LABEL_MAX ||
	    (n = db_pair_key(key, user, label)) == -1)
		return -1;
	return db_get(txn, db->apppass, key, (size_t)n, out, sizeof(*out));
}

int
db_apppass_put(struct db *db, MDB_txn *txn, const char *user,
    const char *label, const struct apppass_rec *rec)
{
	char key[DB_KEY_MAX];
	int n;

	if (strlen(label) >= DB_LABEL_MAX ||
	    (n = db_pair_key(key, user, label)) == -1)
		return -1;
	return db_put(txn, db->apppass, key, (size_t)n, rec, sizeof(*rec));
}

int
db_apppass_del(struct db *db, MDB_txn *txn, const char *user,
    const char *label)
{
	char key[DB_KEY_MAX];
	int n;

	if ((n = db_pair_key(key, user, label)) == -1)
		return -1;
	return db_del(txn, db->apppass, key, (size_t)n);
}

int
db_quota_get(struct db *db, MDB_txn *txn, const char *user, uint64_t *out)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_get(txn, db->quota, user, (size_t)n, out, sizeof(*out));
}

int
db_quota_put(struct db *db, MDB_txn *txn, const char *user, uint64_t bytes)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_put(txn, db->quota, user, (size_t)n, &bytes, sizeof(bytes));
}

int
db_quota_del(struct db *db, MDB_txn *txn, const char *user)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_del(txn, db->quota, user, (size_t)n);
}

int
db_quota_effective(struct db *db, MDB_txn *txn, const char *user,
    uint64_t dflt, uint64_t *out)
{
	uint64_t q;

	*out = 0;
	switch (db_quota_get(db, txn, user, &q)) {
	case 0:
		*out = q;
		return 0;
	case 1:
		*out = dflt;
		return 0;
	default:
		return -1;
	}
}

int
db_sendlimit_get(struct db *db, MDB_txn *txn, const char *user,
    uint32_t *out)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_get(txn, db->sendlimit, user, (size_t)n, out, sizeof(*out));
}

int
db_sendlimit_put(struct db *db, MDB_txn *txn, const char *user,
    uint32_t limit)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_put(txn, db->sendlimit, user, (size_t)n, &limit,
	    sizeof(limit));
}

int
db_sendlimit_del(struct db *db, MDB_txn *txn, const char *user)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_del(txn, db->sendlimit, user, (size_t)n);
}

int
db_sent_get(struct db *db, MDB_txn *txn, const char *user,
    struct sent_rec *out)
{
	int n, rc;

	if ((n = db_strkey(user)) == -1)
		return -1;
	rc = db_get(txn, db->sent, user, (size_t)n, out, sizeof(*out));
	if (rc == 0 && out->version != SENT_REC_VERSION) {
		log_warnx("user %s: unknown sending record version %u", user,
		    out->version);
		return -1;
	}
	return rc;
}

int
db_sent_put(struct db *db, MDB_txn *txn, const char *user,
    const struct sent_rec *rec)
{
	int n;

	if ((n = db_strkey(user)) == -1)
		return -1;
	return db_put(txn, db->sent, user, (size_t)n, rec, sizeof(*rec));
}

int
db_alias_get(struct db *db, MDB_txn *txn, const char *alias, char *targets,
    size_t len)
{
	MDB_val k, v;
	int n, rc;

	if ((n = db_strkey(alias)) == -1)
		return -1;
	k.mv_size = (size_t)n;
	k.mv_data = (void *)alias;
	rc = mdb_get(txn, db->aliases, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0 || v.mv_size >= len || v.mv_size >= DB_ALIAS_MAX ||
	    memchr(v.mv_data, '\0', v.mv_size) != NULL) {
		log_warnx("alias %s: %s", alias,
		    rc ? mdb_strerror(rc) : "corrupt record");
		return -1;
	}
	memcpy(targets, v.mv_data, v.mv_size);
	targets[v.mv_size] = '\0';
	return 0;
}

int
db_alias_put(struct db *db, MDB_txn *txn, const char *alias,
    const char *targets)
{
	int n;

	if ((n = db_strkey(alias)) == -1 || strlen(targets) >= DB_ALIAS_MAX)
		return -1;
	return db_put(txn, db->aliases, alias, (size_t)n, targets,
	    strlen(targets));
}

int
db_alias_del(struct db *db, MDB_txn *txn, const char *alias)
{
	int n;

	if ((n = db_strkey(alias)) == -1)
		return -1;
	return db_del(txn, db->aliases, alias, (size_t)n);
}

int
db_counter_get(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *key,
    size_t keylen, struct counter_rec *out)
{
	return db_get(txn, dbi, key, keylen, out, sizeof(*out));
}

int
db_counter_put(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *key,
    size_t keylen, const struct counter_rec *rec)
{
	return db_put(txn, dbi, key, keylen, rec, sizeof(*rec));
}

int
db_counter_del(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *key,
    size_t keylen)
{
	return db_del(txn, dbi, key, keylen);
}

int
db_ban_get(struct db *db, MDB_txn *txn, const char *address,
    struct ban_rec *out)
{
	int n;

	if ((n = db_strkey(address)) == -1)
		return -1;
	return db_get(txn, db->bans, address, (size_t)n, out, sizeof(*out));
}

int
db_ban_put(struct db *db, MDB_txn *txn, const char *address,
    const struct ban_rec *rec)
{
	int n;

	if ((n = db_strkey(address)) == -1)
		return -1;
	return db_put(txn, db->bans, address, (size_t)n, rec, sizeof(*rec));
}

int
db_ban_del(struct db *db, MDB_txn *txn, const char *address)
{
	int n;

	if ((n = db_strkey(address)) == -1)
		return -1;
	return db_del(txn, db->bans, address, (size_t)n);
}

int
db_time_get(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *user,
    const char *address, int64_t *out)
{
	char key[DB_KEY_MAX];
	int n;

	if ((n = db_pair_key(key, user, address)) == -1)
		return -1;
	return db_get(txn, dbi, key, (size_t)n, out, sizeof(*out));
}

int
db_time_put(struct db *db, MDB_txn *txn, MDB_dbi dbi, const char *user,
    const char *address, int64_t t)
{
	char key[DB_KEY_MAX];
	int n;

	if ((n = db_pair_key(key, user, address)) == -1)
		return -1;
	return db_put(txn, dbi, key, (size_t)n, &t, sizeof(t));
}

int
db_each(struct db *db, MDB_txn *txn, MDB_dbi dbi, const void *prefix,
    size_t prefixlen, db_each_fn fn, void *arg)
{
	MDB_cursor *c;
	MDB_val k = { prefixlen, (void *)prefix }, v;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		log_warnx("credential database scan: %s", mdb_strerror(rc));
		return -1;
	}
	rc = mdb_cursor_get(c, &k, &v, prefixlen ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		if (prefixlen && (k.mv_size < prefixlen ||
		    memcmp(k.mv_data, prefix, prefixlen) != 0))
			break;
		if ((r = fn(arg, &k, &v)) != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (r == -1)
		return -1;
	if (rc != 0 && rc != MDB_NOTFOUND) {
		log_warnx("credential database scan: %s", mdb_strerror(rc));
		return -1;
	}
	return 0;
}
