/*
 * sendlimit.c: the per-user sending limit over a sliding hour (see
 * sendlimit.h).  Runs in authd's main thread and in authctl, inside the
 * caller's transaction.
 */
#include <string.h>

#include "authd/sendlimit.h"
#include "common/authproto.h"
#include "common/util.h"

void
sendlimit_advance(struct sent_rec *r, int64_t minute)
{
	int64_t m;

	if (minute <= r->minute)
		return;
	if (minute - r->minute >= SENT_MINUTES)
		memset(r->count, 0, sizeof(r->count));
	else
		for (m = r->minute + 1; m <= minute; m++)
			r->count[m % SENT_MINUTES] = 0;
	r->minute = minute;
}

uint64_t
sendlimit_used(const struct sent_rec *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SENT_MINUTES; i++)
		n += r->count[i];
	return n;
}

int
sendlimit_effective(struct db *db, MDB_txn *txn, const char *user,
    uint32_t dflt, uint32_t *out)
{
	uint32_t v;

	*out = 0;
	switch (db_sendlimit_get(db, txn, user, &v)) {
	case 0:
		*out = v;
		return 0;
	case 1:
		*out = dflt;
		return 0;
	default:
		return -1;
	}
}

/* sendlimit_load: user's record advanced to minute (a fresh one when
 * none); 0, or -1 on a database error. */
static int
sendlimit_load(struct db *db, MDB_txn *txn, const char *user,
    int64_t minute, struct sent_rec *r)
{
	switch (db_sent_get(db, txn, user, r)) {
	case 0:
		sendlimit_advance(r, minute);
		return 0;
	case 1:
		memset(r, 0, sizeof(*r));
		r->version = SENT_REC_VERSION;
		r->minute = minute;
		return 0;
	default:
		return -1;
	}
}

int
sendlimit_used_now(struct db *db, MDB_txn *txn, const char *user,
    int64_t now, uint64_t *out)
{
	struct sent_rec r;

	*out = 0;
	if (sendlimit_load(db, txn, user, now / 60, &r) == -1)
		return -1;
	*out = sendlimit_used(&r);
	return 0;
}

/* sendlimit_user: 1 when user may send (exists, not disabled), 0 when
 * not, -1 on a database error. */
static int
sendlimit_user(struct db *db, MDB_txn *txn, const char *user)
{
	struct user_rec u;
	int rc;

	if (!user_name_valid(user))
		return 0;
	rc = db_user_get(db, txn, user, &u);
	if (rc == 0)
		rc = (u.flags & USER_DISABLED) ? 0 : 1;
	else if (rc == 1)
		rc = 0;
	explicit_bzero(&u, sizeof(u));
	return rc;
}

void
sendlimit_charge(struct db *db, MDB_txn *txn, const struct config *cfg,
    const char *user, uint32_t count, int64_t now,
    struct sendlimit_result *res)
{
	struct sent_rec r;
	uint32_t slot;
	int rc;

	memset(res, 0, sizeof(*res));
	res->status = AUTH_FAIL_TEMP;
	res->why = "database error";
	if ((rc = sendlimit_user(db, txn, user)) != 1) {
		if (rc == 0) {
			res->status = AUTH_FAIL_PERM;
			res->why = "no such user";
		}
		return;
	}
	if (sendlimit_effective(db, txn, user, (uint32_t)cfg->smtp_send_limit,
	    &res->limit) == -1 ||
	    sendlimit_load(db, txn, user, now / 60, &r) == -1)
		return;
	res->used = sendlimit_used(&r);
	res->why = NULL;
	if (res->limit != 0 && res->used + count > res->limit) {
		res->first = !(r.flags & SENT_REFUSED);
		r.flags |= SENT_REFUSED;
		res->status = AUTH_FAIL_TEMP;
	} else {
		slot = (uint32_t)(r.minute % SENT_MINUTES);
		/* A bucket saturates rather than wraps; a limit of at most
		 * CONFIG_SEND_LIMIT_MAX an hour never gets near. */
		r.count[slot] = r.count[slot] > UINT32_MAX - count ?
		    UINT32_MAX : r.count[slot] + count;
		r.flags &= ~(uint32_t)SENT_REFUSED;
		res->status = AUTH_OK;
	}
	if (db_sent_put(db, txn, user, &r) == -1) {
		res->status = AUTH_FAIL_TEMP;
		res->why = "database error";
		res->first = 0;
	}
}
