/*
 * sendlimit.h: the per-user sending limit: how many recipients an
 * authenticated user may send to in any hour, and the count of those it
 * did.
 *
 * Runs in authd's main thread (MSG_AUTH_SEND, inside the round's write
 * transaction) and in authctl (user show, user sendlimit).  The user name
 * is the canonical one a login answered, checked again here; the count
 * comes from smtpd's monitor and is bounded by the decoder.
 *
 * The window slides by the minute: sent_rec (db.h) keeps one bucket per
 * minute of the last hour, so a burst ages out a minute at a time rather
 * than all at once at the top of a fixed hour.  It lives in LMDB and is
 * committed before authd answers, so a restart of authd forgets nothing.
 * A clock that steps back counts into the newest bucket it has.
 */
#ifndef POSTERN_SENDLIMIT_H
#define POSTERN_SENDLIMIT_H

#include <stdint.h>

#include "authd/db.h"
#include "common/config.h"

/* What one charge found. */
struct sendlimit_result {
	uint32_t	status;		/* AUTH_OK, AUTH_FAIL_TEMP, _PERM */
	uint64_t	used;		/* recipients in the window, before */
	uint32_t	limit;		/* the limit that applied; 0: none */
	int		first;		/* a refusal that starts an episode:
					 * the caller audits it */
	const char	*why;		/* for a failure that is no refusal */
};

/* sendlimit_advance: move r's window to minute (zeroing the buckets of
 * the minutes that passed); a minute before r->minute changes nothing.
 * sendlimit_used: the recipients counted in r's window. */
void	 sendlimit_advance(struct sent_rec *r, int64_t minute);
uint64_t sendlimit_used(const struct sent_rec *r);

/*
 * sendlimit_effective: the limit that applies to user, its own
 * (authctl user sendlimit) or else dflt ("smtp send limit"), in *out (0:
 * no limit).  Returns 0, or -1 on a database error.
 */
int	sendlimit_effective(struct db *db, MDB_txn *txn, const char *user,
	    uint32_t dflt, uint32_t *out);

/*
 * sendlimit_charge: count count recipients of user at now (seconds) in
 * txn when they fit its limit: used + count <= limit (or no limit):
 * status AUTH_OK.  Otherwise nothing is counted and the status is
 * AUTH_FAIL_TEMP; first is set on the first refusal since the user last
 * sent within its limit (the record remembers it, so the audit log gets
 * one line per episode, not one per recipient).  AUTH_FAIL_PERM when the
 * user does not exist or is disabled; AUTH_FAIL_TEMP with why on a
 * database error.  Fills *res in every case.
 */
void	sendlimit_charge(struct db *db, MDB_txn *txn, const struct config *cfg,
	    const char *user, uint32_t count, int64_t now,
	    struct sendlimit_result *res);

/* sendlimit_used_now: the recipients user sent to in the hour before now
 * (0 when none); 0, or -1 on a database error. */
int	sendlimit_used_now(struct db *db, MDB_txn *txn, const char *user,
	    int64_t now, uint64_t *out);

#endif
