/*
 * authctl_misc.c: the smaller authctl commands: app passwords (apppass
 * add, list, revoke), aliases (alias add, del, list), unlock and bans
 * (ban, unban, bans).
 *
 * Runs in authctl, after the drop to the auth user.  Labels, addresses,
 * durations and alias targets come from the command line and are checked
 * before the write transaction; a new app password is shown once on
 * stdout and only its SHA-256 is stored.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "authd/lookup.h"
#include "authd/password.h"
#include "authd/policy.h"
#include "common/config.h"
#include "common/netaddr.h"
#include "common/util.h"

#define MISC_BAN_MAX	(3650LL * 86400)	/* ten years */
#define MISC_ALIAS_DEPTH 8	/* as deep as login_rcpt_expand goes */

/* misc_label_valid: 1..63 of [A-Za-z0-9._-]. */
static int
misc_label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DB_LABEL_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != n) {
		ctl_err("%s: not a valid label (1 to %d characters of "
		    "A-Z a-z 0-9 . _ -)", ctl_vis(s), DB_LABEL_MAX - 1);
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
		    "subset of imap,pop3,smtp, no blanks)", ctl_vis(list));
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
	if (ctl_finish(c, txn, user, reason) == -1)
		return CTL_ERR;
	return ctl_sessions_end(c, user, reason);
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

/*
 * misc_alias_walk: follow the comma-separated targets in list through the
 * existing aliases, as deep as authd expands them (MISC_ALIAS_DEPTH);
 * path[0..depth] is the chain so far, path[0] the new alias.  Returns the
 * length of a chain that comes back to path[0] (path[1..len-1] then hold
 * it), 0 when none does, -1 on a database error.
 */
static int
misc_alias_walk(struct ctl *c, MDB_txn *txn, const char *list,
    char (*path)[AUTH_USER_MAX], int depth)
{
	char copy[DB_ALIAS_MAX], next[DB_ALIAS_MAX], *p, *t;
	int rc;

	if (str_copy(copy, list, sizeof(copy)) == -1)
		return 0;
	for (p = copy; (t = strsep(&p, ",")) != NULL; ) {
		if (strcmp(t, path[0]) == 0)
			return depth + 1;
		if (depth + 1 > MISC_ALIAS_DEPTH ||
		    str_copy(path[depth + 1], t, AUTH_USER_MAX) == -1)
			continue;
		if ((rc = db_alias_get(&c->db, txn, t, next,
		    sizeof(next))) == -1)
			return -1;
		if (rc == 0 &&
		    (rc = misc_alias_walk(c, txn, next, path, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

/* misc_alias_loop: 0 when alias -> list forms no loop, else -1 after an
 * error line that shows the loop. */
static int
misc_alias_loop(struct ctl *c, MDB_txn *txn, const char *alias,
    const char *list)
{
	char path[MISC_ALIAS_DEPTH + 1][AUTH_USER_MAX];
	char shown[(MISC_ALIAS_DEPTH + 1) * (AUTH_USER_MAX + 4)];
	size_t off = 0;
	int i, n;

	str_copy(path[0], alias, sizeof(path[0]));
	if ((n = misc_alias_walk(c, txn, list, path, 0)) == 0)
		return 0;
	if (n == -1) {
		ctl_err("%s: cannot read the aliases", alias);
		return -1;
	}
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(shown + off, sizeof(shown) - off,
		    "%s -> ", path[i]);
	ctl_err("%s: would form a loop: %s%s", alias, shown, alias);
	return -1;
}

/*
 * misc_alias_name: the alias operand into out: an address in a local
 * domain (fresh: one to be created, whose name must also be fit for a
 * mail directory, as a user's), or "@domain", the catch-all of a local
 * domain.  Returns 0, or -1 after an error line.
 */
static int
misc_alias_name(struct ctl *c, const char *arg, char *out, int fresh)
{
	char probe[AUTH_USER_MAX + 1];
	int w;

	if (arg[0] != '@')
		return fresh ? ctl_newname_arg(c, arg, out) :
		    ctl_user_arg(c, arg, out);
	/* "@domain" is fit when "x@domain" is a fit address. */
	w = snprintf(probe, sizeof(probe), "x%s", arg);
	if (w < 0 || (size_t)w >= AUTH_USER_MAX || !user_name_valid(probe)) {
		ctl_err("%s: not a catch-all alias (@domain, the domain at "
		    "most 253 characters of printable ASCII)", ctl_vis(arg));
		return -1;
	}
	str_copy(out, arg, AUTH_USER_MAX);
	str_lower(out);
	if (!config_is_local_domain(&c->cfg, out + 1)) {
		ctl_err("%s: %s is not a local domain (add \"domain %s\" to "
		    "%s)", out, out + 1, out + 1, c->cfgpath);
		return -1;
	}
	return 0;
}

/* misc_alias_width: 0 when authd can answer for alias in one frame
 * (lookup_alias), else -1 after an error line. */
static int
misc_alias_width(struct ctl *c, MDB_txn *txn, const char *alias)
{
	static struct auth_rcpt_ans a;

	lookup_alias(&c->db, txn, &c->cfg, alias, &a);
	if (a.status != AUTH_FAIL_TEMP)
		return 0;
	ctl_err("%s: would reach more than authd can answer with at once "
	    "(at most %d addresses, and %d bytes of names), or cannot be "
	    "read; split it", alias, AUTH_RCPT_MAX,
	    FRAME_MAX - AUTH_RCPT_ANS_HDR);
	return -1;
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
	if (misc_alias_name(c, pos[0], alias, 1) == -1 ||
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
	    sizeof(list)) == -1 || misc_alias_loop(c, txn, alias, list) == -1 ||
	    db_alias_put(&c->db, txn, alias, list) == -1 ||
	    misc_alias_width(c, txn, alias) == -1) {
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
	if (misc_alias_name(c, pos[0], alias, 0) == -1 ||
	    ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = db_alias_del(&c->db, txn, alias)) != 0) {
		if (rc == 1)
			ctl_err("%s: no such alias", alias);
		db_abort(txn);
		return CTL_ERR;
	}
	ctl_alias_warn(c, txn, alias);
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
	struct user_rec rec;
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1 ||
	    ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	rc = ctl_user_load(c, txn, user, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (rc == -1 || (rc = policy_unlock(&c->db, txn, user)) != 0) {
		db_abort(txn);
		if (rc == -1)
			return CTL_ERR;
		printf("%s: no failures recorded\n", user);
		return CTL_OK;
	}
	if (ctl_finish(c, txn, user, "unlock") == -1)
		return CTL_ERR;
	printf("%s: unlocked\n", user);
	return CTL_OK;
}

/* misc_address: a numeric address into its canonical text; with force
 * zero, one that may be authd's own clients (loopback, unspecified, or
 * an IPv6 /64 holding ::1) is refused. */
static int
misc_address(const char *arg, char *out, int force)
{
	struct in6_addr a6;
	struct in_addr a4;
	static const uint8_t zero[8];

	if (netaddr_normalize(arg, out, AUTH_ADDR_MAX) == -1) {
		ctl_err("%s: not a numeric IPv4 or IPv6 address", ctl_vis(arg));
		return -1;
	}
	if (force)
		return 0;
	if (inet_pton(AF_INET, out, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) != 127 && a4.s_addr != 0)
			return 0;
		ctl_err("%s: a loopback or unspecified address; banning it "
		    "would refuse local clients (use --force to ban it "
		    "anyway)", out);
		return -1;
	}
	if (inet_pton(AF_INET6, out, &a6) != 1 ||
	    memcmp(a6.s6_addr, zero, sizeof(zero)) != 0)
		return 0;
	ctl_err("%s: its /64 holds the loopback and unspecified addresses; "
	    "banning it would refuse local clients (use --force to ban it "
	    "anyway)", out);
	return -1;
}

/* misc_ban_secs: the duration operand (NULL: the configured one). */
static int
misc_ban_secs(struct ctl *c, const char *arg, int64_t *secs)
{
	*secs = c->cfg.ban_duration;
	if (arg == NULL)
		return 0;
	if (config_parse_duration(arg, secs) == -1) {
		ctl_err("%s: not a duration (like 30s, 15m, 1h, 30d, 2w)",
		    ctl_vis(arg));
		return -1;
	}
	if (*secs < 1) {
		ctl_err("%s: too short: a ban must be at least 1s",
		    ctl_vis(arg));
		return -1;
	}
	if (*secs > MISC_BAN_MAX) {
		ctl_err("%s: longer than the longest ban, 3650d", ctl_vis(arg));
		return -1;
	}
	return 0;
}

/* misc_ban_store: the ban in txn; *was gets the end of a ban it
 * replaces, 0 when there was none. */
static int
misc_ban_store(struct ctl *c, MDB_txn *txn, const char *addr, int64_t secs,
    int64_t *was)
{
	*was = 0;
	if (policy_banned(&c->db, txn, addr, c->now, was) == -1 ||
	    policy_ban(&c->db, txn, addr, c->now, secs, 1) == -1) {
		ctl_err("%s: cannot store the ban", addr);
		return -1;
	}
	return 0;
}

/* misc_ban_v6_note: say that an IPv6 ban covers the address's /64. */
static void
misc_ban_v6_note(const char *addr)
{
	struct in6_addr a;
	char net[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, addr, &a) != 1)
		return;
	memset(a.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a, net, sizeof(net)) != NULL)
		fprintf(stderr, "authctl: %s is IPv6: the ban covers its whole "
		    "/64, %s/64\n", addr, net);
}

int
ctl_ban(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { "--force", 0, 0, NULL },
	    { NULL, 0, 0, NULL } };
	char addr[AUTH_ADDR_MAX], reason[64], until[CTL_TIME_MAX], *pos[2];
	char old[CTL_TIME_MAX];
	int64_t secs, was;
	MDB_txn *txn;
	int n;

	if (ctl_parse(argc, argv, opts, pos, 2, &n) == -1)
		return ctl_usage(c);
	if (n < 1)
		return ctl_usage_why(c, "missing the address to ban");
	if (misc_address(pos[0], addr, opts[0].set) == -1 ||
	    misc_ban_secs(c, n == 2 ? pos[1] : NULL, &secs) == -1)
		return CTL_ERR;
	ctl_duration(secs, reason + 4, sizeof(reason) - 4);
	memcpy(reason, "ban ", 4);
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (misc_ban_store(c, txn, addr, secs, &was) == -1) {
		db_abort(txn);
		return CTL_ERR;
	}
	if (ctl_finish_at(c, txn, "-", addr, reason) == -1)
		return CTL_ERR;
	ctl_time(c->now + secs, until, sizeof(until));
	misc_ban_v6_note(addr);
	if (was != 0) {
		ctl_time(was, old, sizeof(old));
		fprintf(stderr, "authctl: %s was banned until %s; now until "
		    "%s\n", addr, old, until);
	}
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
	if (misc_address(pos[0], addr, 1) == -1 || ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if ((rc = policy_unban(&c->db, txn, addr)) != 0) {
		if (rc == 1)
			ctl_err("%s: not banned", addr);
		else
			ctl_err("%s: cannot remove the ban", addr);
		db_abort(txn);
		return CTL_ERR;
	}
	return ctl_finish_at(c, txn, "-", addr, "unban") == -1 ? CTL_ERR :
	    CTL_OK;
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
