/*
 * authctl_sendlimit.c: "user sendlimit", which sets, lifts or resets a
 * user's sending limit, and the sending line of "user show".
 *
 * Runs in authctl after the drop to the auth user.  The limit comes from
 * the operator and is checked (config_parse_send_limit, as "smtp send
 * limit" of postern.conf(5) reads it) before the one write transaction
 * starts.  A user's own limit lives in the sendlimit database (db.h),
 * recipients per hour, 0 for no limit; without a record the user follows
 * "smtp send limit".  The recipients counted so far are authd's
 * (sendlimit.h); this file only reads them.
 */
#include <stdio.h>
#include <string.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "authd/sendlimit.h"
#include "common/config.h"

#define SENDLIMIT_SHOW_MAX	48	/* "1000000 per hour (default)" */

/* sendlimit_words: how a limit reads: "200 per hour", "none",
 * "200 per hour (default)". */
static void
sendlimit_words(int own, uint32_t limit, char *buf, size_t len)
{
	if (limit == 0)
		snprintf(buf, len, "none%s", own ? "" : " (default)");
	else
		snprintf(buf, len, "%u per hour%s", limit,
		    own ? "" : " (default)");
}

/* sendlimit_read: user's limit as words into buf; 0, or -1 after an
 * error line. */
static int
sendlimit_read(struct ctl *c, MDB_txn *txn, const char *user, char *buf,
    size_t len)
{
	uint32_t v;

	switch (db_sendlimit_get(&c->db, txn, user, &v)) {
	case 0:
		sendlimit_words(1, v, buf, len);
		return 0;
	case 1:
		sendlimit_words(0, (uint32_t)c->cfg.smtp_send_limit, buf, len);
		return 0;
	default:
		ctl_err("%s: cannot read the sending limit", user);
		return -1;
	}
}

int
ctl_sendlimit_show(struct ctl *c, MDB_txn *txn, const char *user)
{
	char words[SENDLIMIT_SHOW_MAX];
	uint64_t used;

	if (sendlimit_read(c, txn, user, words, sizeof(words)) == -1)
		return -1;
	if (sendlimit_used_now(&c->db, txn, user, c->now, &used) == -1) {
		ctl_err("%s: cannot read the recipients sent to", user);
		return -1;
	}
	printf("send limit: %s\n", words);
	printf("sent in the last hour: %llu recipient%s\n",
	    (unsigned long long)used, used == 1 ? "" : "s");
	return 0;
}

/* sendlimit_arg: "default" (*follow set), or what config_parse_send_limit
 * takes.  Returns 0, or -1 after an error line. */
static int
sendlimit_arg(const char *arg, int *follow, uint32_t *limit)
{
	int v = 0;

	*follow = strcmp(arg, "default") == 0;
	*limit = 0;
	if (*follow)
		return 0;
	if (config_parse_send_limit(arg, &v) == 0) {
		*limit = (uint32_t)v;
		return 0;
	}
	ctl_err("%s: not a sending limit (recipients per hour from 1 to %d; "
	    "none for no limit; or default)", ctl_vis(arg),
	    CONFIG_SEND_LIMIT_MAX);
	return -1;
}

/* sendlimit_store: in txn, give user the limit (follow: the default)
 * and put what changed into reason; 0, or -1 after an error line. */
static int
sendlimit_store(struct ctl *c, MDB_txn *txn, const char *user, int follow,
    uint32_t limit, char *reason, size_t len)
{
	char was[SENDLIMIT_SHOW_MAX], now[SENDLIMIT_SHOW_MAX];
	struct user_rec rec;
	int rc;

	rc = ctl_user_load(c, txn, user, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (rc == -1 || sendlimit_read(c, txn, user, was, sizeof(was)) == -1)
		return -1;
	if (follow)
		rc = db_sendlimit_del(&c->db, txn, user) == -1 ? -1 : 0;
	else
		rc = db_sendlimit_put(&c->db, txn, user, limit);
	if (rc == -1) {
		ctl_err("%s: cannot write the sending limit", user);
		return -1;
	}
	sendlimit_words(!follow, follow ? (uint32_t)c->cfg.smtp_send_limit :
	    limit, now, sizeof(now));
	ctl_reason(reason, len, "send limit %s, was %s", now, was);
	return 0;
}

int
ctl_user_sendlimit(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], reason[AUDIT_FIELD_MAX];
	char *pos[2];
	uint32_t limit;
	MDB_txn *txn;
	int n, follow;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1)
		return ctl_usage(c);
	if (n < 2)
		return ctl_usage_why(c, n == 0 ? "missing the user" :
		    "missing the limit (recipients per hour, none, or "
		    "default)");
	if (ctl_user_arg(c, pos[0], user) == -1 ||
	    sendlimit_arg(pos[1], &follow, &limit) == -1)
		return CTL_ERR;
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (sendlimit_store(c, txn, user, follow, limit, reason,
	    sizeof(reason)) == -1) {
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish(c, txn, user, reason) == -1 ? CTL_ERR : CTL_OK;
}
