/*
 * test_db.c: unit tests of authd's credential database (authd/db.c) where
 * its layout changed: the quota database.  An environment written before
 * it existed (ten named databases, a user record) must open, keep its
 * records and gain an empty quota database; quotas are set, lifted,
 * removed and deleted with their user; a corrupt quota is an error, never
 * "no limit".
 *
 * Runs as an ordinary user; writes only a temporary directory under /tmp,
 * removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "authd/db.h"
#include "common/authproto.h"
#include "common/log.h"
#include "tests/unit/check.h"

#define ALICE	"alice@example.test"
#define GIB	(UINT64_C(1) << 30)

static char dir[] = "/tmp/test_db.XXXXXX";

/* old_env: the environment as the last release wrote it: its ten named
 * databases and one user, and no quota database. */
static int
old_env(void)
{
	static const char *names[] = { "users", "apppass", "aliases",
	    "fail_pair", "fail_user", "fail_addr", "bans", "known", "trust",
	    "audit" };
	struct user_rec u;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi, users = 0;
	MDB_val k = { strlen(ALICE), ALICE }, v = { sizeof(u), &u };
	size_t i;
	int rc;

	memset(&u, 0, sizeof(u));
	u.version = USER_REC_VERSION;
	u.services = 7;
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 10)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return rc;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &dbi)) != 0)
			return rc;
		if (i == 0)
			users = dbi;
	}
	if ((rc = mdb_put(txn, users, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		return rc;
	mdb_env_close(env);
	return 0;
}

/* An old environment opens and gains the quota database. */
static void
test_upgrade(struct db *db)
{
	struct user_rec u;
	MDB_txn *txn;
	uint64_t q = 99;

	CHECK_INT_EQ(old_env(), 0, "an environment without quota is made");
	CHECK_INT_EQ(db_open(db, dir), 0, "and opens");
	CHECK_INT_EQ(db_begin(db, 0, &txn), 0, "read transaction");
	CHECK_INT_EQ(db_user_get(db, txn, ALICE, &u), 0,
	    "the old user record is still there");
	CHECK_INT_EQ(u.services, 7, "with its fields");
	CHECK_INT_EQ(db_quota_get(db, txn, ALICE, &q), 1,
	    "no quota of her own");
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, 5 * GIB, &q), 0,
	    "the effective quota");
	CHECK_TRUE(q == 5 * GIB, "is the default");
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, 0, &q), 0,
	    "with no default");
	CHECK_TRUE(q == 0, "no limit");
	db_abort(txn);
}

static void
test_set(struct db *db)
{
	MDB_txn *txn;
	uint64_t q = 99;

	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "write transaction");
	CHECK_INT_EQ(db_quota_put(db, txn, ALICE, 2 * GIB), 0, "set 2G");
	CHECK_INT_EQ(db_commit(txn), 0, "committed");
	db_close(db);
	CHECK_INT_EQ(db_open(db, dir), 0, "reopens");
	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "write transaction");
	CHECK_INT_EQ(db_quota_get(db, txn, ALICE, &q), 0, "her own quota");
	CHECK_TRUE(q == 2 * GIB, "2G survived a reopen");
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, 5 * GIB, &q), 0,
	    "effective");
	CHECK_TRUE(q == 2 * GIB, "her own beats the default");
	CHECK_INT_EQ(db_quota_put(db, txn, ALICE, 0), 0, "set none");
	CHECK_INT_EQ(db_quota_get(db, txn, ALICE, &q), 0, "a record");
	CHECK_TRUE(q == 0, "of 0");
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, 5 * GIB, &q), 0,
	    "effective");
	CHECK_TRUE(q == 0, "no limit for her whatever the default");
	CHECK_INT_EQ(db_quota_del(db, txn, ALICE), 0, "back to the default");
	CHECK_INT_EQ(db_quota_del(db, txn, ALICE), 1, "already there");
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, 5 * GIB, &q), 0,
	    "effective");
	CHECK_TRUE(q == 5 * GIB, "the default again");
	db_abort(txn);
}

static void
test_delete_and_corrupt(struct db *db)
{
	char longname[AUTH_USER_MAX + 1];
	MDB_val k = { strlen(ALICE), ALICE }, v = { 4, "abcd" };
	MDB_txn *txn;
	uint64_t q = 99;

	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "write transaction");
	CHECK_INT_EQ(db_quota_put(db, txn, ALICE, GIB), 0, "set 1G");
	CHECK_INT_EQ(db_user_del(db, txn, ALICE), 0, "delete the user");
	CHECK_INT_EQ(db_quota_get(db, txn, ALICE, &q), 1,
	    "her quota went with her");
	CHECK_INT_EQ(mdb_put(txn, db->quota, &k, &v, 0), 0,
	    "a quota of 4 bytes");
	CHECK_INT_EQ(db_quota_get(db, txn, ALICE, &q), -1, "is corrupt");
	q = 99;
	CHECK_INT_EQ(db_quota_effective(db, txn, ALICE, GIB, &q), -1,
	    "no effective quota either");
	CHECK_TRUE(q == 0, "and *out is not left behind");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT_EQ(db_quota_put(db, txn, longname, GIB), -1,
	    "a name too long refused");
	CHECK_INT_EQ(db_quota_get(db, txn, "", &q), -1, "an empty name too");
	db_abort(txn);
}

int
main(void)
{
	struct db db;
	char path[sizeof(dir) + 16];
	const char *files[] = { "data.mdb", "lock.mdb" };
	size_t i;

	log_init("test_db", 1, 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	memset(&db, 0, sizeof(db));
	test_upgrade(&db);
	test_set(&db);
	test_delete_and_corrupt(&db);
	db_close(&db);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	if (rmdir(dir) == -1)
		printf("# could not remove %s\n", dir);
	return check_done();
}
