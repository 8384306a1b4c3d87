/*
 * authctl_misc.c: the smaller authctl commands: app passwords (apppass
 * add, list, revoke), aliases (alias add, del, list), unlock, bans (ban,
 * unban, bans) and backup.
 *
 * Runs in authctl, after the drop to the auth user, except ctl_backup_prep,
 * which runs as root just before it to hand the backup directory to that
 * user.  Labels, addresses, durations and alias targets come from the
 * command line and are checked before the write transaction; a new app
 * password is shown once on stdout and only its SHA-256 is stored.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "authd/password.h"
#include "authd/policy.h"
#include "common/config.h"
#include "common/netaddr.h"
#include "common/util.h"

#define MISC_BAN_MAX	(3650LL * 86400)	/* ten years */

/* misc_label_valid: 1..63 of [A-Za-z0-9._-]. */
static int
misc_label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DB_LABEL_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != n) {
		ctl_err("%s: not a valid label (1 to %d characters of "
		    "A-Z a-z 0-9 . _ -)", s, DB_LABEL_MAX - 1);
		return 0;
	}
	return 1;
}

/* misc_apppass_check: inside txn, the user exists, the label is free
 * and the services fit; *services defaults to the user's. */
static int
misc_apppass_check(struct ctl *c, MDB_txn *txn, const char *user,
    const char *label, const char *list, unsigned *services)
{
	struct user_rec rec;
	struct apppass_rec ap;
	unsigned has;
	char svc[32];
	int rc;

	if (ctl_user_load(c, txn, user, &rec) == -1)
		return -1;
	*services = has = rec.services;
	explicit_bzero(&rec, sizeof(rec));
	if (list != NULL && config_parse_services(list, services) == -1) {
		ctl_err("%s: not a list of services (a comma-separated "
		    "subset of imap,pop3,smtp, no blanks)", list);
		return -1;
	}
	if ((*services & ~has) != 0) {
		ctl_services(*services & ~has, svc, sizeof(svc));
		ctl_err("warning: %s lacks %s; the app password will not work "
		    "there until \"authctl user services\" allows it", user,
		    svc);
	}
	if ((rc = db_apppass_get(&c->db, txn, user, label, &ap)) == 0)
		ctl_err("%s: app password %s exists already (revoke it "
		    "first)", user, label);
	else if (rc == -1)
		ctl_err("%s: cannot read the app passwords", user);
	return rc == 1 ? 0 : -1;
}

int
ctl_apppass_add(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { "--services", 1, 0, NULL },
	    { NULL, 0, 0, NULL } };
	char user[AUTH_USER_MAX], secret[SECRET_TEXT_MAX], norm[SECRET_TEXT_MAX];
	char reason[AUDIT_FIELD_MAX], *pos[2];
	struct apppass_rec ap;
	MDB_txn *txn;
	int n, rc = CTL_ERR;

	if (ctl_parse(argc, argv, opts, pos, 2, &n) == -1 || n != 2)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1 || !misc_label_valid(pos[1]))
		return CTL_ERR;
	memset(&ap, 0, sizeof(ap));
	ap.version = 1;
	ap.created = c->now;
	if (secret_generate(secret, sizeof(secret), APPPASS_LETTERS) == -1) {
		ctl_err("%s: cannot generate the app password", user);
		return CTL_ERR;
	}
	memcpy(norm, secret, sizeof(norm));
	secret_normalize(norm);
	secret_digest(norm, strlen(norm), ap.hash);
	explicit_bzero(norm, sizeof(norm));
	ctl_reason(reason, sizeof(reason), "apppass add %s", pos[1]);
	if (ctl_begin(c, 1, &txn) == -1)
		goto out;
	if (misc_apppass_check(c, txn, user, pos[1], opts[0].val,
	    &ap.services) == -1 ||
	    db_apppass_put(&c->db, txn, user, pos[1], &ap) == -1) {
		db_abort(txn);
		goto out;
	}
	if (ctl_finish(c, txn, user, reason) == -1)
		goto out;
	fprintf(stderr, "authctl: app password %s for %s (shown once):\n",
	    pos[1], user);
	printf("%s\n", secret);
	rc = CTL_OK;
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(&ap, sizeof(ap));
	return rc;
}

static int
misc_apppass_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	size_t ulen = strlen(arg) + 1;
	char label[DB_LABEL_MAX], svc[32], created[CTL_TIME_MAX];
	char used[CTL_TIME_MAX];
	struct apppass_rec ap;

	if (ctl_key_str((const char *)k->mv_data + ulen, k->mv_size - ulen,
	    label, sizeof(label)) == -1 || v->mv_size != sizeof(ap)) {
		ctl_err("%s: corrupt app password record", (char *)arg);
		return -1;
	}
	memcpy(&ap, v->mv_data, sizeof(ap));
	ctl_services(ap.services, svc, sizeof(svc));
	ctl_time(ap.created, created, sizeof(created));
	ctl_time(ap.last_used, used, sizeof(used));
	printf("%s %s created %s last used %s\n", label, svc, created, used);
	return 0;
}

int
ctl_apppass_list(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], *pos[1];
	struct user_rec rec;
	MDB_txn *txn;
	int n, rc = CTL_ERR;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1 || ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	if (ctl_user_load(c, txn, user, &rec) == 0 &&
	    db_each(&c->db, txn, c->db.apppass, user, strlen(user) + 1,
	    misc_apppass_one, user) == 0)
		rc = CTL_OK;
	db_abort(txn);
	explicit_bzero(&rec, sizeof(rec));
	return rc;
}

int
ctl_apppass_revoke(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], reason[AUDIT_FIELD_MAX], *pos[2];
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1 || n != 2)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1 || !misc_label_valid(pos[1]))
		return CTL_ERR;
	ctl_reason(reason, sizeof(reason), "apppass revoke %s", pos[1]);
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = db_apppass_del(&c->db, txn, user, pos[1])) != 0) {
		if (rc == 1)
			ctl_err("%s: no app password %s", user, pos[1]);
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish(c, txn, user, reason) == -1 ? CTL_ERR : CTL_OK;
}

/* misc_list_has: 1 when the comma-separated list holds item. */
static int
misc_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p;

	for (p = list; (p = strstr(p, item)) != NULL; p++)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* misc_alias_target: one target, normalized into out; local ones must
 * exist as users or aliases. */
static int
misc_alias_target(struct ctl *c, MDB_txn *txn, const char *alias,
    const char *t, char *out)
{
	struct user_rec rec;
	char buf[DB_ALIAS_MAX];
	int rc;

	if (ctl_address_arg(t, out) == -1)
		return -1;
	if (strcmp(out, alias) == 0) {
		ctl_err("%s: an alias cannot point to itself", alias);
		return -1;
	}
	if (!config_is_local_domain(&c->cfg, strrchr(out, '@') + 1))
		return 0;
	rc = db_user_get(&c->db, txn, out, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (rc == 1)
		rc = db_alias_get(&c->db, txn, out, buf, sizeof(buf));
	if (rc == 1)
		ctl_err("%s: no such user or alias in the local domain %s", out,
		    strrchr(out, '@') + 1);
	else if (rc == -1)
		ctl_err("%s: cannot read the database", out);
	return rc == 0 ? 0 : -1;
}

/* misc_alias_targets: check the list and write its normal form. */
static int
misc_alias_targets(struct ctl *c, MDB_txn *txn, const char *alias,
    const char *list, char *out, size_t len)
{
	char copy[DB_ALIAS_MAX], t[AUTH_USER_MAX], *p, *w;
	size_t off = 0, tl;
	int n = 0;

	if (str_copy(copy, list, sizeof(copy)) == -1) {
		ctl_err("target list too long (at most %d bytes)",
		    DB_ALIAS_MAX - 1);
		return -1;
	}
	out[0] = '\0';
	for (p = copy; (w = strsep(&p, ",")) != NULL; n++) {
		if (n == AUTH_RCPT_MAX) {
			ctl_err("too many targets (at most %d)", AUTH_RCPT_MAX);
			return -1;
		}
		if (misc_alias_target(c, txn, alias, w, t) == -1)
			return -1;
		if (misc_list_has(out, t)) {
			ctl_err("%s: target given twice", t);
			return -1;
		}
		tl = strlen(t);
		if (off + (n > 0) + tl >= len) {
			ctl_err("target list too long (at most %zu bytes)",
			    len - 1);
			return -1;
		}
		if (n > 0)
			out[off++] = ',';
		memcpy(out + off, t, tl + 1);
		off += tl;
	}
	return 0;
}

int
ctl_alias_add(struct ctl *c, int argc, char **argv)
{
	char alias[AUTH_USER_MAX], list[DB_ALIAS_MAX], *pos[2];
	char reason[AUDIT_FIELD_MAX];
	struct user_rec rec;
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1 || n != 2)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], alias) == -1 ||
	    ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = db_user_get(&c->db, txn, alias, &rec)) == 0)
		ctl_err("%s: a user has that name", alias);
	else if (rc == 1 && (rc = db_alias_get(&c->db, txn, alias, list,
	    sizeof(list))) == 0)
		ctl_err("%s: alias exists already (alias del it first)",
		    alias);
	explicit_bzero(&rec, sizeof(rec));
	if (rc != 1 || misc_alias_targets(c, txn, alias, pos[1], list,
	    sizeof(list)) == -1 ||
	    db_alias_put(&c->db, txn, alias, list) == -1) {
		db_abort(txn);
		return CTL_ERR;
	}
	ctl_reason(reason, sizeof(reason), "alias add %s", list);
	return ctl_finish(c, txn, alias, reason) == -1 ? CTL_ERR : CTL_OK;
}

int
ctl_alias_del(struct ctl *c, int argc, char **argv)
{
	char alias[AUTH_USER_MAX], *pos[1];
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], alias) == -1 ||
	    ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = db_alias_del(&c->db, txn, alias)) != 0) {
		if (rc == 1)
			ctl_err("%s: no such alias", alias);
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish(c, txn, alias, "alias del") == -1 ? CTL_ERR : CTL_OK;
}

static int
misc_alias_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	char alias[AUTH_USER_MAX];

	if (ctl_key_str(k->mv_data, k->mv_size, alias, sizeof(alias)) == -1) {
		ctl_err("aliases: malformed key");
		return -1;
	}
	printf("%s %.*s\n", alias, (int)v->mv_size, (const char *)v->mv_data);
	return 0;
}

int
ctl_alias_list(struct ctl *c, int argc, char **argv)
{
	return ctl_list(c, argc, argv, c->db.aliases, misc_alias_one, NULL);
}

int
ctl_unlock(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], *pos[1];
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1 ||
	    ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = policy_unlock(&c->db, txn, user)) != 0) {
		db_abort(txn);
		if (rc == -1) {
			ctl_err("%s: cannot clear the failure counters", user);
			return CTL_ERR;
		}
		printf("%s: no failures recorded\n", user);
		return CTL_OK;
	}
	if (ctl_finish(c, txn, user, "unlock") == -1)
		return CTL_ERR;
	printf("%s: unlocked\n", user);
	return CTL_OK;
}

static int
misc_address(const char *arg, char *out)
{
	if (netaddr_normalize(arg, out, AUTH_ADDR_MAX) == -1) {
		ctl_err("%s: not a numeric IPv4 or IPv6 address", arg);
		return -1;
	}
	return 0;
}

int
ctl_ban(struct ctl *c, int argc, char **argv)
{
	char addr[AUTH_ADDR_MAX], reason[64], until[CTL_TIME_MAX], *pos[2];
	int64_t secs;
	MDB_txn *txn;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1 || n < 1)
		return ctl_usage(c);
	if (misc_address(pos[0], addr) == -1)
		return CTL_ERR;
	secs = c->cfg.ban_duration;
	if (n == 2 && (config_parse_duration(pos[1], &secs) == -1 ||
	    secs <= 0)) {
		ctl_err("%s: not a duration (like 30s, 15m, 1h, 30d, 2w)",
		    pos[1]);
		return CTL_ERR;
	}
	if (secs > MISC_BAN_MAX) {
		ctl_err("%s: longer than the longest ban, 3650d", pos[1]);
		return CTL_ERR;
	}
	ctl_duration(secs, reason + 4, sizeof(reason) - 4);
	memcpy(reason, "ban ", 4);
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (policy_ban(&c->db, txn, addr, c->now, secs, 1) == -1) {
		ctl_err("%s: cannot store the ban", addr);
		db_abort(txn);
		return CTL_ERR;
	}
	if (ctl_finish(c, txn, addr, reason) == -1)
		return CTL_ERR;
	ctl_time(c->now + secs, until, sizeof(until));
	printf("%s banned until %s\n", addr, until);
	return CTL_OK;
}

int
ctl_unban(struct ctl *c, int argc, char **argv)
{
	char addr[AUTH_ADDR_MAX], *pos[1];
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (misc_address(pos[0], addr) == -1 || ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = policy_unban(&c->db, txn, addr)) != 0) {
		if (rc == 1)
			ctl_err("%s: not banned", addr);
		else
			ctl_err("%s: cannot remove the ban", addr);
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish(c, txn, addr, "unban") == -1 ? CTL_ERR : CTL_OK;
}

static int
misc_ban_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	const struct ctl *c = arg;
	char addr[AUTH_ADDR_MAX], until[CTL_TIME_MAX];
	struct ban_rec b;

	if (ctl_key_str(k->mv_data, k->mv_size, addr, sizeof(addr)) == -1 ||
	    v->mv_size != sizeof(b)) {
		ctl_err("bans: corrupt record");
		return -1;
	}
	memcpy(&b, v->mv_data, sizeof(b));
	if (b.until <= c->now)
		return 0;
	ctl_time(b.until, until, sizeof(until));
	printf("%s until %s level %u %s\n", addr, until, b.level,
	    b.manual ? "manual" : "auto");
	return 0;
}

int
ctl_bans(struct ctl *c, int argc, char **argv)
{
	return ctl_list(c, argc, argv, c->db.bans, misc_ban_one, c);
}

/*
 * Set by ctl_backup_prep: the backup directory is then the working
 * directory, so that the copy needs no search permission on its parents
 * (an operator's /root/backup is out of the auth user's reach).
 */
static const char *misc_backup_at;

int
ctl_backup_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd, created, rc = -1;

	if (argc != 1 || argv[0][0] == '-')
		return 0;	/* ctl_backup says how to call it */
	created = mkdir(argv[0], 0700) == 0;
	if (!created && errno != EEXIST) {
		ctl_err("%s: cannot create: %s", argv[0], strerror(errno));
		return -1;
	}
	if ((fd = open(argv[0], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		ctl_err("%s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		ctl_err("%s: %s", argv[0], strerror(errno));
	else if ((created || st.st_uid == 0) && fchown(fd, uid, gid) == -1)
		ctl_err("%s: chown: %s", argv[0], strerror(errno));
	else if (fchdir(fd) == -1)
		ctl_err("%s: chdir: %s", argv[0], strerror(errno));
	else {
		misc_backup_at = ".";
		rc = 0;
	}
	close(fd);
	return rc;
}

int
ctl_backup(struct ctl *c, int argc, char **argv)
{
	char reason[AUDIT_FIELD_MAX], *pos[1];
	MDB_txn *txn;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (db_backup(&c->db, misc_backup_at ? misc_backup_at : pos[0]) ==
	    -1) {
		ctl_err("%s: backup failed (the directory must be new or "
		    "empty, and writable by the auth user)", pos[0]);
		return CTL_ERR;
	}
	ctl_reason(reason, sizeof(reason), "backup to %s", pos[0]);
	if (ctl_begin(c, 1, &txn) == -1 ||
	    ctl_finish(c, txn, "-", reason) == -1)
		return CTL_ERR;
	printf("backup written to %s\n", pos[0]);
	return CTL_OK;
}
