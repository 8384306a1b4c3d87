/*
 * authctl.c: the administrator's tool for authd's database: options, the
 * command table, opening the LMDB environment with the right owner, and
 * the helpers every command shares (see authctl.h).
 *
 * Runs as root or as any user (development mode).  As root it reads the
 * root-owned configuration, prepares <state>/auth for the auth user, then
 * drops to that user before opening LMDB, so that the files it creates
 * belong to authd; everything after the drop runs unprivileged.  A
 * command that only reads creates nothing: it fails when the database
 * does not exist yet, since a wrong "state" would otherwise look like an
 * empty database.  It trusts
 * the configuration and nothing on the command line: every argument is
 * checked before the command's one write transaction starts.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "authd/db.h"
#include "common/config.h"
#include "common/log.h"
#include "common/mailpath.h"
#include "common/privsep.h"
#include "common/util.h"
#include "common/version.h"

typedef int (*ctl_prep_fn)(struct ctl *, int, char **, uid_t, gid_t);

#define CTL_NODB	2	/* ctl_cmd.ro: the command needs no database */

struct ctl_cmd {
	const char	*group;
	const char	*verb;		/* NULL: a one-word command */
	ctl_fn		 fn;
	ctl_prep_fn	 prep;		/* before the privilege drop, or NULL */
	int		 ro;		/* reads only: never creates the db;
					   CTL_NODB: opens none at all */
	const char	*usage;
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "user", "add", ctl_user_add, ctl_user_add_prep, 0,
	    "user add user [--password | --password-stdin]" },
	{ "user", "del", ctl_user_del, ctl_user_del_prep, 0,
	    "user del user [--purge]" },
	{ "user", "list", ctl_user_list, NULL, 1, "user list" },
	{ "user", "show", ctl_user_show, NULL, 1, "user show user" },
	{ "user", "passwd", ctl_user_passwd, NULL, 0,
	    "user passwd user [--password | --password-stdin]" },
	{ "user", "enable", ctl_user_enable, NULL, 0, "user enable user" },
	{ "user", "disable", ctl_user_disable, NULL, 0, "user disable user" },
	{ "user", "services", ctl_user_services, NULL, 0,
	    "user services user imap,pop3,smtp" },
	{ "user", "networks", ctl_user_networks, NULL, 0,
	    "user networks user cidr ... | any" },
	{ "user", "quota", ctl_user_quota, NULL, 0,
	    "user quota user size | none | default" },
	{ "user", "sendlimit", ctl_user_sendlimit, NULL, 0,
	    "user sendlimit user N | none | default" },
	{ "totp", "enable", ctl_totp_enable, NULL, 0,
	    "totp enable user [--force] [--qr-invert]" },
	{ "totp", "confirm", ctl_totp_confirm, NULL, 0,
	    "totp confirm user code" },
	{ "totp", "disable", ctl_totp_disable, NULL, 0, "totp disable user" },
	{ "totp", "recovery", ctl_totp_recovery, NULL, 0,
	    "totp recovery user" },
	{ "apppass", "add", ctl_apppass_add, NULL, 0,
	    "apppass add user label [--services list]" },
	{ "apppass", "list", ctl_apppass_list, NULL, 1, "apppass list user" },
	{ "apppass", "revoke", ctl_apppass_revoke, NULL, 0,
	    "apppass revoke user label" },
	{ "alias", "add", ctl_alias_add, NULL, 0,
	    "alias add alias target[,target ...]" },
	{ "alias", "del", ctl_alias_del, NULL, 0, "alias del alias" },
	{ "alias", "list", ctl_alias_list, NULL, 1, "alias list" },
	{ "unlock", NULL, ctl_unlock, NULL, 0, "unlock user" },
	{ "ban", NULL, ctl_ban, NULL, 0, "ban address [duration] [--force]" },
	{ "unban", NULL, ctl_unban, NULL, 0, "unban address" },
	{ "bans", NULL, ctl_bans, NULL, 1, "bans" },
	{ "who", NULL, ctl_who, NULL, 1, "who [user]" },
	{ "kick", NULL, ctl_kick, NULL, 1, "kick user | session" },
	{ "audit", NULL, ctl_audit, ctl_audit_prep, 1,
	    "audit [--user user] [--address address] [--since time] "
	    "[--failed] [--follow] [--json] | --verify [--syslog file]" },
	{ "report", NULL, ctl_report, NULL, 1, "report" },
	{ "backup", NULL, ctl_backup, ctl_backup_prep, 1, "backup dir" },
	{ "restore", NULL, ctl_restore, ctl_restore_prep, 0, "restore dir" },
	{ "queue", "list", ctl_queue_list, ctl_queue_prep, CTL_NODB,
	    "queue list" },
	{ "queue", "show", ctl_queue_show, ctl_queue_prep, CTL_NODB,
	    "queue show id" },
	{ "queue", "remove", ctl_queue_remove, ctl_queue_prep, CTL_NODB,
	    "queue remove id" },
	{ "queue", "flush", ctl_queue_flush, ctl_queue_prep, CTL_NODB,
	    "queue flush [id]" },
	{ "dns", "check", ctl_dns_check, ctl_dns_prep, CTL_NODB,
	    "dns check domain" },
	{ "dkim", "keygen", ctl_dkim_keygen, ctl_dkim_keygen_prep, CTL_NODB,
	    "dkim keygen domain [--selector selector] [--bits 1024..4096]" },
	{ "dkim", "list", ctl_dkim_list, ctl_dkim_list_prep, CTL_NODB,
	    "dkim list" },
};
#define CTL_NCMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const struct option ctl_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
ctl_usage_all(FILE *out)
{
	size_t i;

	fprintf(out, "usage: authctl [-h] [-f file] [--help] [--version] "
	    "command [argument ...]\n"
	    "commands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(out, "\t%s\n", ctl_cmds[i].usage);
}

void
ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("authctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_usage(struct ctl *c)
{
	fprintf(stderr, "usage: authctl %s\n", c->usage);
	return CTL_USAGE;
}

int
ctl_usage_why(struct ctl *c, const char *why)
{
	ctl_err("%s", why);
	return ctl_usage(c);
}

const char *
ctl_vis(const char *s)
{
	static char bufs[4][CTL_VIS_MAX];
	static int next;
	char *b = bufs[next];
	size_t i;

	next = (next + 1) % 4;
	for (i = 0; s[i] != '\0' && i < CTL_VIS_MAX - 1; i++)
		b[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	b[i] = '\0';
	if (s[i] != '\0')
		memcpy(b + CTL_VIS_MAX - 4, "...", 4);
	return b;
}

/* ctl_parse_opt: one option at argv[*i]; may consume the next word. */
static int
ctl_parse_opt(struct ctl_opt *opts, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	struct ctl_opt *o;

	for (o = opts; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(o->name, a, n) == 0)
			break;
	if (o == NULL || o->name == NULL) {
		ctl_err("%.*s: unknown option", (int)n, ctl_vis(a));
		return -1;
	}
	if (o->set) {
		ctl_err("%s: option given twice", o->name);
		return -1;
	}
	o->set = 1;
	if (!o->has_arg) {
		if (eq == NULL)
			return 0;
		ctl_err("%s: option takes no value", o->name);
		return -1;
	}
	if (eq != NULL)
		o->val = eq + 1;
	else if (*i + 1 < argc)
		o->val = argv[++*i];
	else {
		ctl_err("%s: option needs a value", o->name);
		return -1;
	}
	return 0;
}

int
ctl_parse(int argc, char **argv, struct ctl_opt *opts, char **pos,
    int maxpos, int *npos)
{
	int i, n = 0, dashdash = 0;

	for (i = 0; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0') {
			if (ctl_parse_opt(opts, argc, argv, &i) == -1)
				return -1;
			continue;
		}
		if (n == maxpos) {
			ctl_err("%s: unexpected argument", ctl_vis(argv[i]));
			return -1;
		}
		pos[n++] = argv[i];
	}
	*npos = n;
	return 0;
}

int
ctl_address_arg(const char *arg, char *out)
{
	if (str_copy(out, arg, AUTH_USER_MAX) == -1) {
		ctl_err("%.40s...: address too long (at most %d bytes)",
		    ctl_vis(arg), AUTH_USER_MAX - 1);
		return -1;
	}
	str_lower(out);
	if (!user_name_valid(out)) {
		ctl_err("%s: not a valid address (local@domain, printable "
		    "ASCII without blanks, local part at most 64 characters, "
		    "domain at most 253)", ctl_vis(arg));
		return -1;
	}
	return 0;
}

int
ctl_user_arg(struct ctl *c, const char *arg, char *out)
{
	const char *dom;

	if (ctl_address_arg(arg, out) == -1)
		return -1;
	dom = strrchr(out, '@') + 1;
	if (!config_is_local_domain(&c->cfg, dom)) {
		ctl_err("%s: %s is not a local domain (add \"domain %s\" to "
		    "%s)", out, dom, dom, c->cfgpath);
		return -1;
	}
	return 0;
}

int
ctl_newname_arg(struct ctl *c, const char *arg, char *out)
{
	char why[MAILPATH_WHY_MAX];

	if (str_copy(out, arg, AUTH_USER_MAX) == 0) {
		str_lower(out);
		if (mailpath_name_check(out, strlen(out), why,
		    sizeof(why)) == -1) {
			ctl_err("%s: not a safe mail directory name: %s (mail "
			    "lives in %s/<domain>/<local part>)", ctl_vis(arg),
			    why, c->cfg.mail_dir);
			return -1;
		}
	}
	return ctl_user_arg(c, arg, out);
}

int
ctl_user_load(struct ctl *c, MDB_txn *txn, const char *user,
    struct user_rec *rec)
{
	switch (db_user_get(&c->db, txn, user, rec)) {
	case 0:
		return 0;
	case 1:
		ctl_err("%s: no such user", user);
		return -1;
	default:
		ctl_err("%s: cannot read the user record", user);
		return -1;
	}
}

/* ctl_alias_warn_one: one alias record against the name in arg. */
static int
ctl_alias_warn_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	const char *name = arg;
	char alias[AUTH_USER_MAX], t[DB_ALIAS_MAX + 2], u[AUTH_USER_MAX + 2];

	if (ctl_key_str(k->mv_data, k->mv_size, alias, sizeof(alias)) == -1 ||
	    v->mv_size >= DB_ALIAS_MAX || strcmp(alias, name) == 0)
		return 0;
	t[0] = ',';
	memcpy(t + 1, v->mv_data, v->mv_size);
	t[v->mv_size + 1] = ',';
	t[v->mv_size + 2] = '\0';
	snprintf(u, sizeof(u), ",%s,", name);
	if (strstr(t, u) != NULL)
		ctl_err("warning: alias %s still points to %s", alias, name);
	return 0;
}

void
ctl_alias_warn(struct ctl *c, MDB_txn *txn, const char *name)
{
	(void)db_each(&c->db, txn, c->db.aliases, NULL, 0, ctl_alias_warn_one,
	    (void *)name);
}

int
ctl_begin(struct ctl *c, int write, MDB_txn **txn)
{
	int rc;

	if ((rc = db_begin(&c->db, write, txn)) != 0) {
		ctl_err("database: cannot start a %s transaction: %s",
		    write ? "write" : "read", mdb_strerror(rc));
		return -1;
	}
	return 0;
}

void
ctl_reason(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* ctl_log_auth: the audit line goes to syslog (facility auth), never to
 * the operator's terminal; warnings go back to stderr afterwards. */
static void
ctl_log_auth(const char *line)
{
	log_init("authctl", 0, 0);
	log_auth("%s", line);
	log_init("authctl", 1, 0);
}

int
ctl_finish(struct ctl *c, MDB_txn *txn, const char *user, const char *reason)
{
	return ctl_finish_at(c, txn, user, "-", reason);
}

int
ctl_finish_at(struct ctl *c, MDB_txn *txn, const char *user,
    const char *address, const char *reason)
{
	struct audit_event ev = { "authctl", c->who, user, address, "admin",
	    reason, "-" };
	char line[2048];
	int rc;

	if (audit_append(&c->db, txn, now_us(), &ev, line,
	    sizeof(line)) == -1) {
		db_abort(txn);
		ctl_err("audit: cannot append the audit record; nothing "
		    "was changed");
		return -1;
	}
	if ((rc = db_commit(txn)) != 0) {
		ctl_err("database: commit failed (%s); nothing was changed",
		    mdb_strerror(rc));
		return -1;
	}
	ctl_log_auth(line);
	return 0;
}

void
ctl_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", t == 0 ? "never" : "?");
}

void
ctl_time_us(int64_t us, char *buf, size_t len)
{
	char t[CTL_TIME_MAX];

	ctl_time(us / 1000000, t, sizeof(t));
	if (strlen(t) == 20)	/* cut the 'Z', add the microseconds */
		snprintf(buf, len, "%.19s.%06lldZ", t,
		    (long long)(us % 1000000));
	else
		snprintf(buf, len, "%s", t);
}

void
ctl_duration(int64_t s, char *buf, size_t len)
{
	static const struct { int64_t secs; char unit; } u[] = {
		{ 604800, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
		{ 1, 's' } };
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]) - 1; i++)
		if (s % u[i].secs == 0)
			break;
	snprintf(buf, len, "%lld%c", (long long)(s / u[i].secs), u[i].unit);
}

void
ctl_services(unsigned services, char *buf, size_t len)
{
	config_services_string(services, buf, len);
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

int
ctl_key_str(const void *key, size_t keylen, char *buf, size_t len)
{
	if (keylen >= len || memchr(key, '\0', keylen) != NULL)
		return -1;
	memcpy(buf, key, keylen);
	buf[keylen] = '\0';
	return 0;
}

int
ctl_user_rec(const char *key, const void *val, size_t len,
    struct user_rec *rec)
{
	if (len != sizeof(*rec)) {
		ctl_err("%s: corrupt user record (%zu bytes)", key, len);
		return -1;
	}
	memcpy(rec, val, sizeof(*rec));
	if (rec->version != USER_REC_VERSION) {
		ctl_err("%s: unknown user record version %u", key,
		    rec->version);
		return -1;
	}
	return 0;
}

/* ctl_mkdirs: mkdir -p path; parents 0755 (authd must traverse them),
 * path itself 0700.  *created tells whether path was made here. */
static int
ctl_mkdirs(const char *path, int *created)
{
	char buf[CONFIG_PATH_MAX + 8];
	struct stat st;
	char *p;

	*created = 0;
	if (str_copy(buf, path, sizeof(buf)) == -1) {
		ctl_err("%s: path too long", path);
		return -1;
	}
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) == 0) {
			if (chmod(buf, 0755) == -1) {
				ctl_err("%s: chmod: %s", buf, strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			ctl_err("%s: cannot create: %s", buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(buf, 0700) == 0)
		*created = 1;
	else if (errno != EEXIST) {
		ctl_err("%s: cannot create: %s", buf, strerror(errno));
		return -1;
	}
	if (stat(buf, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ctl_err("%s: not a directory", buf);
		return -1;
	}
	return 0;
}

/* ctl_chown_root: give dir (or name inside it) to the auth user when root
 * owns it, so that authd can open what an earlier root run created. */
static int
ctl_chown_root(int dfd, const char *dir, const char *name, uid_t uid,
    gid_t gid, int force)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) ==
	    -1)
		return errno == ENOENT ? 0 : -1;
	if (st.st_uid == uid || (!force && st.st_uid != 0))
		return 0;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		ctl_err("%s/%s: not a regular file", dir, name);
		return -1;
	}
	if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW |
	    AT_EMPTY_PATH) == -1) {
		ctl_err("%s/%s: chown: %s", dir, name, strerror(errno));
		return -1;
	}
	return 0;
}

/* ctl_auth_user: the auth user's ids; root is refused. */
static int
ctl_auth_user(struct ctl *c, uid_t *uid, gid_t *gid)
{
	const char *name = c->cfg.users[ROLE_AUTH];
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			ctl_err("auth user %s: lookup failed: %s", name,
			    strerror(errno));
		else
			ctl_err("auth user %s does not exist; create it with: "
			    "useradd --system --no-create-home --home-dir "
			    "/nonexistent --shell /usr/sbin/nologin %s", name,
			    name);
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		ctl_err("auth user %s has uid or gid 0; it must be an "
		    "unprivileged system user", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* ctl_db_present: for a command that only reads, the database must exist
 * already: opening it would create an empty one (and its directories). */
static int
ctl_db_present(struct ctl *c, const char *dir)
{
	char path[CONFIG_PATH_MAX + 16];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    sizeof(path)) {
		ctl_err("%s/data.mdb: path too long", dir);
		return -1;
	}
	if (stat(path, &st) == 0 || errno != ENOENT)
		return 0;	/* anything else is db_open's to report */
	ctl_err("no credential database in %s (check \"state\" in %s; authd "
	    "or a command that writes creates it)", dir, c->cfgpath);
	return -1;
}

/* ctl_db_root: as root, hand <state>/auth and its files to the auth
 * user, run the command's preparation, then drop to that user. */
static int
ctl_db_root(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
    const char *dir)
{
	uid_t uid;
	gid_t gid;
	int created, dfd, rc;

	if (ctl_auth_user(c, &uid, &gid) == -1 ||
	    ctl_mkdirs(dir, &created) == -1)
		return CTL_ERR;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		ctl_err("%s: %s", dir, strerror(errno));
		return CTL_ERR;
	}
	rc = ctl_chown_root(dfd, dir, "", uid, gid, created);
	if (rc == 0)
		rc = ctl_chown_root(dfd, dir, "data.mdb", uid, gid, 0);
	if (rc == 0)
		rc = ctl_chown_root(dfd, dir, "lock.mdb", uid, gid, 0);
	close(dfd);
	if (rc == -1)
		return CTL_ERR;
	if (cmd->prep != NULL &&
	    (rc = cmd->prep(c, argc, argv, uid, gid)) != CTL_OK)
		return rc;
	privsep_drop(NULL, uid, gid);
	return CTL_OK;
}

/* ctl_db_dir: make <state>/auth ready (for a command that writes) and,
 * as root, drop to the auth user.  Returns a CTL_* status. */
static int
ctl_db_dir(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
    char *dir, size_t len)
{
	int created;

	if ((size_t)snprintf(dir, len, "%s/auth", c->cfg.state_dir) >= len) {
		ctl_err("%s/auth: path too long", c->cfg.state_dir);
		return CTL_ERR;
	}
	if (cmd->ro && ctl_db_present(c, dir) == -1)
		return CTL_ERR;
	if (!privsep_is_dev())
		return ctl_db_root(c, cmd, argc, argv, dir);
	if (ctl_mkdirs(dir, &created) == -1)
		return CTL_ERR;
	return cmd->prep == NULL ? CTL_OK :
	    cmd->prep(c, argc, argv, getuid(), getgid());
}

/* ctl_nodb: for a command without database: its prep as root, then,
 * as root, the same drop to the auth user as every other command.
 * Returns a CTL_* status. */
static int
ctl_nodb(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	uid_t uid;
	gid_t gid;
	int rc;

	if (privsep_is_dev())
		return cmd->prep(c, argc, argv, getuid(), getgid());
	if (ctl_auth_user(c, &uid, &gid) == -1)
		return CTL_ERR;
	if ((rc = cmd->prep(c, argc, argv, uid, gid)) != CTL_OK)
		return rc;
	privsep_drop(NULL, uid, gid);
	return CTL_OK;
}

/* ctl_wants_help: 1 when a command's options hold "--help". */
static int
ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/*
 * ctl_operator: who runs authctl, for the audit record, taken before the
 * privilege drop: the login name behind sudo (SUDO_USER, when root runs
 * us), else the name of the real uid, else "uid:N".  SUDO_USER is only a
 * claim of the environment, which root controls anyway; audit_append
 * cleans it like every other field.
 */
static void
ctl_operator(char *who, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;
	uid_t uid = getuid();

	if (uid == 0 && sudo != NULL && sudo[0] != '\0' &&
	    strlen(sudo) < len) {
		snprintf(who, len, "%s", sudo);
		return;
	}
	if ((pw = getpwuid(uid)) != NULL && strlen(pw->pw_name) < len)
		snprintf(who, len, "%s", pw->pw_name);
	else
		snprintf(who, len, "uid:%lu", (unsigned long)uid);
}

/* ctl_lookup: the command named by the first one or two words. */
static const struct ctl_cmd *
ctl_lookup(int argc, char **argv, int *nwords)
{
	size_t i;
	int group = 0;

	for (i = 0; i < CTL_NCMDS; i++) {
		if (strcmp(argv[0], ctl_cmds[i].group) != 0)
			continue;
		group = 1;
		if (ctl_cmds[i].verb == NULL) {
			*nwords = 1;
			return &ctl_cmds[i];
		}
		if (argc > 1 && strcmp(argv[1], ctl_cmds[i].verb) == 0) {
			*nwords = 2;
			return &ctl_cmds[i];
		}
	}
	if (!group) {
		ctl_err("%s: unknown command", ctl_vis(argv[0]));
		ctl_usage_all(stderr);
		return NULL;
	}
	if (argc > 1)
		ctl_err("%s %s: unknown command", ctl_vis(argv[0]),
		    ctl_vis(argv[1]));
	fprintf(stderr, "usage:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(argv[0], ctl_cmds[i].group) == 0)
			fprintf(stderr, "\tauthctl %s\n", ctl_cmds[i].usage);
	return NULL;
}

int
main(int argc, char *argv[])
{
	static struct ctl c;
	const struct ctl_cmd *cmd;
	char dir[CONFIG_PATH_MAX + 8];
	int ch, nw, rc;

	c.cfgpath = CONFIG_PATH_DEFAULT;
	log_init("authctl", 1, 0);
	umask(077);
	while ((ch = getopt_long(argc, argv, "+f:h", ctl_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			c.cfgpath = optarg;
			break;
		case 'h':
			ctl_usage_all(stdout);
			return CTL_OK;
		case 'V':
			fputs(VERSION_LINE("authctl"), stdout);
			return CTL_OK;
		default:
			ctl_usage_all(stderr);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage_all(stderr);
		return CTL_USAGE;
	}
	if ((cmd = ctl_lookup(argc, argv, &nw)) == NULL)
		return CTL_USAGE;
	c.usage = cmd->usage;
	if (ctl_wants_help(argc - nw, argv + nw)) {
		printf("usage: authctl %s\n", c.usage);
		return CTL_OK;
	}
	ctl_operator(c.who, sizeof(c.who));
	if (config_load(&c.cfg, c.cfgpath) == -1)
		return CTL_ERR;
	c.now = now_us() / 1000000;
	if (cmd->ro == CTL_NODB) {
		if ((rc = ctl_nodb(&c, cmd, argc - nw, argv + nw)) != CTL_OK)
			return rc;
		rc = cmd->fn(&c, argc - nw, argv + nw);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			ctl_err("standard output: %s", strerror(errno));
			rc = CTL_ERR;
		}
		return rc;
	}
	if ((rc = ctl_db_dir(&c, cmd, argc - nw, argv + nw, dir,
	    sizeof(dir))) != CTL_OK)
		return rc;
	if (db_open(&c.db, dir) == -1) {
		ctl_err("%s: cannot open the database", dir);
		return CTL_ERR;
	}
	rc = cmd->fn(&c, argc - nw, argv + nw);
	db_close(&c.db);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_err("standard output: %s", strerror(errno));
		rc = CTL_ERR;
	}
	return rc;
}

int
ctl_list(struct ctl *c, int argc, char **argv, MDB_dbi dbi, db_each_fn fn,
    void *arg)
{
	MDB_txn *txn;
	int n, rc;

	if (ctl_parse(argc, argv, NULL, NULL, 0, &n) == -1)
		return ctl_usage(c);
	if (ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	rc = db_each(&c->db, txn, dbi, NULL, 0, fn, arg);
	db_abort(txn);
	return rc == -1 ? CTL_ERR : CTL_OK;
}
