/*
 * authctl_quota.c: "user quota", which sets, removes or lifts a user's
 * mailbox quota, and the quota line of "user show".
 *
 * Runs in authctl after the drop to the auth user.  The size comes from
 * the operator and is checked (config_parse_quota, the parser of
 * "default quota") before the one write transaction starts.  A user's
 * own quota lives in the quota database (db.h): a number of bytes, 0 for
 * no limit; without a record the user follows "default quota" of
 * postern.conf(5), which authd and this tool read from the file.
 */
#include <stdio.h>
#include <string.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "common/config.h"

#define QUOTA_SHOW_MAX	48	/* "1024G (default)" and more */

/* quota_words: how a quota reads: "2G", "none", "2G (default)". */
static void
quota_words(int own, uint64_t bytes, char *buf, size_t len)
{
	char size[32];

	config_quota_string(bytes, size, sizeof(size));
	snprintf(buf, len, "%s%s", size, own ? "" : " (default)");
}

/* quota_read: user's quota as words into buf; 0, or -1 after an error
 * line. */
static int
quota_read(struct ctl *c, MDB_txn *txn, const char *user, char *buf,
    size_t len)
{
	uint64_t q;

	switch (db_quota_get(&c->db, txn, user, &q)) {
	case 0:
		quota_words(1, q, buf, len);
		return 0;
	case 1:
		quota_words(0, c->cfg.default_quota, buf, len);
		return 0;
	default:
		ctl_err("%s: cannot read the quota", user);
		return -1;
	}
}

int
ctl_quota_show(struct ctl *c, MDB_txn *txn, const char *user)
{
	char q[QUOTA_SHOW_MAX];

	if (quota_read(c, txn, user, q, sizeof(q)) == -1)
		return -1;
	printf("quota: %s\n", q);
	return 0;
}

/*
 * quota_arg: the quota operand: "default" (*follow set), or what
 * config_parse_quota takes.  Returns 0, or -1 after an error line.
 */
static int
quota_arg(const char *arg, int *follow, uint64_t *bytes)
{
	char lo[32], hi[32];

	*follow = strcmp(arg, "default") == 0;
	*bytes = 0;
	if (*follow || config_parse_quota(arg, bytes) == 0)
		return 0;
	ctl_err("%s: not a quota (a size from %s to %s with K, M or G, "
	    "such as 2G or 500M; none for no limit; or default)", ctl_vis(arg),
	    config_quota_string(CONFIG_QUOTA_MIN, lo, sizeof(lo)),
	    config_quota_string(CONFIG_QUOTA_MAX, hi, sizeof(hi)));
	return -1;
}

/* quota_store: in txn, give user the quota (follow: the default) and
 * put what changed into reason; 0, or -1 after an error line. */
static int
quota_store(struct ctl *c, MDB_txn *txn, const char *user, int follow,
    uint64_t bytes, char *reason, size_t len)
{
	char was[QUOTA_SHOW_MAX], now[QUOTA_SHOW_MAX];
	struct user_rec rec;
	int rc;

	rc = ctl_user_load(c, txn, user, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (rc == -1 || quota_read(c, txn, user, was, sizeof(was)) == -1)
		return -1;
	if (follow)
		rc = db_quota_del(&c->db, txn, user) == -1 ? -1 : 0;
	else
		rc = db_quota_put(&c->db, txn, user, bytes);
	if (rc == -1) {
		ctl_err("%s: cannot write the quota", user);
		return -1;
	}
	quota_words(!follow, follow ? c->cfg.default_quota : bytes, now,
	    sizeof(now));
	ctl_reason(reason, len, "quota %s, was %s", now, was);
	return 0;
}

int
ctl_user_quota(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], reason[AUDIT_FIELD_MAX];
	char *pos[2];
	uint64_t bytes;
	MDB_txn *txn;
	int n, follow;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1)
		return ctl_usage(c);
	if (n < 2)
		return ctl_usage_why(c, n == 0 ? "missing the user" :
		    "missing the quota (a size such as 2G or 500M, none, or "
		    "default)");
	if (ctl_user_arg(c, pos[0], user) == -1 ||
	    quota_arg(pos[1], &follow, &bytes) == -1)
		return CTL_ERR;
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (quota_store(c, txn, user, follow, bytes, reason,
	    sizeof(reason)) == -1) {
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish(c, txn, user, reason) == -1 ? CTL_ERR : CTL_OK;
}
