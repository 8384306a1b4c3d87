/*
 * authctl_user.c: the "user" commands of authctl: add, del, list, show,
 * passwd, enable, disable, services, networks; and reading a new password
 * from the terminal (without echo) or from standard input.
 *
 * Runs in authctl, after the drop to the auth user, except the preps of
 * add and del, which run as root before it to start the mailbox helper
 * (authctl_mailbox.h): a new user starts with an empty mailbox, and a
 * deleted user's mail is set aside or purged.  Passwords are
 * untrusted text from the operator: they are judged by pwpolicy_check,
 * hashed with scrypt before the write transaction starts (hashing takes
 * a while and LMDB has one writer), never logged, and wiped as soon as the
 * hash exists.  A generated password is printed once, alone on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "authd/authctl_mailbox.h"
#include "authd/password.h"
#include "authd/pwpolicy.h"
#include "common/config.h"
#include "common/netaddr.h"
#include "common/util.h"

#define PW_MAX		AUTH_SECRET_MAX
#define PW_GEN_LETTERS	20
#define PW_GEN_STRENGTH	301	/* tenths of log10(2^100) */

static volatile sig_atomic_t user_sig;

static void
user_on_signal(int sig)
{
	user_sig = sig;
}

/* user_tty_line: one line from the terminal fd, echo off; -1 on error. */
static int
user_tty_line(int fd, const char *prompt, char *buf, size_t len)
{
	struct termios old, raw;
	size_t n = 0;
	ssize_t r;
	char ch;

	if (tcgetattr(fd, &old) == -1)
		return -1;
	raw = old;
	raw.c_lflag &= ~(ECHO | ECHONL);
	raw.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) == -1 ||
	    tcsetattr(fd, TCSAFLUSH, &raw) == -1)
		return -1;
	for (;;) {
		if ((r = read(fd, &ch, 1)) != 1 || user_sig)
			break;
		if (ch == '\n')
			break;
		if (n + 1 < len)
			buf[n] = ch;
		n++;
	}
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) == -1)
		r = -1;
	explicit_bzero(&ch, sizeof(ch));
	if (r != 1 || user_sig)
		return -1;
	if (n + 1 > len) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* user_ask: the password twice from /dev/tty; signals end the prompt
 * (the terminal gets its echo back) instead of killing the process. */
static int
user_ask(const char *user, char *pw, size_t len)
{
	char again[PW_MAX], prompt[AUTH_USER_MAX + 40];
	struct sigaction sa, old[3];
	const int sigs[3] = { SIGINT, SIGTERM, SIGQUIT };
	int fd, i, rc = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		ctl_err("%s: no terminal to ask for the password (use "
		    "--password-stdin): %s", user, strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = user_on_signal;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	snprintf(prompt, sizeof(prompt), "New password for %s: ", user);
	if (user_tty_line(fd, prompt, pw, len) == -1 ||
	    user_tty_line(fd, "Again: ", again, sizeof(again)) == -1)
		ctl_err("%s: cannot read the password: %s", user,
		    user_sig ? "interrupted" : errno == EMSGSIZE ?
		    "too long" : strerror(errno));
	else if (strcmp(pw, again) != 0)
		ctl_err("%s: the passwords do not match", user);
	else if (pw[0] == '\0')
		ctl_err("%s: empty password", user);
	else
		rc = 0;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	explicit_bzero(again, sizeof(again));
	close(fd);
	return rc;
}

/* user_stdin: one line from standard input, newline stripped. */
static int
user_stdin(const char *user, char *pw, size_t len)
{
	size_t n = 0;
	int ch;

	while ((ch = getchar()) != EOF && ch != '\n') {
		if (ch == '\0') {
			ctl_err("%s: password on standard input holds a NUL "
			    "byte", user);
			return -1;
		}
		if (n + 1 >= len) {
			ctl_err("%s: password on standard input too long "
			    "(at most %zu bytes)", user, len - 1);
			return -1;
		}
		pw[n++] = (char)ch;
	}
	if (ferror(stdin)) {
		ctl_err("%s: standard input: %s", user, strerror(errno));
		return -1;
	}
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	if (n == 0) {
		ctl_err("%s: empty password on standard input", user);
		return -1;
	}
	return 0;
}

/*
 * user_new_password: read (from_stdin or the terminal), judge and hash a
 * password for user into hash; *strength gets tenths of log10(guesses).
 */
static int
user_new_password(struct ctl *c, const char *user, int from_stdin,
    char hash[DB_HASH_MAX], int *strength)
{
	char pw[PW_MAX], why[256];
	int rc = -1;

	if ((from_stdin ? user_stdin(user, pw, sizeof(pw)) :
	    user_ask(user, pw, sizeof(pw))) == -1)
		goto out;
	if (pwpolicy_check(&c->cfg, user, pw, why, sizeof(why),
	    strength) == -1) {
		ctl_err("%s: password refused: %s", user, why);
		goto out;
	}
	if (password_hash((const uint8_t *)pw, strlen(pw),
	    c->cfg.auth_scrypt_cost, hash) == -1) {
		ctl_err("%s: password hashing failed (scrypt cost %d)", user,
		    c->cfg.auth_scrypt_cost);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

/* user_gen_password: a random password of PW_GEN_LETTERS letters into
 * gen (SECRET_TEXT_MAX bytes) and its hash into hash. */
static int
user_gen_password(struct ctl *c, const char *user, char *gen,
    char hash[DB_HASH_MAX])
{
	if (secret_generate(gen, SECRET_TEXT_MAX, PW_GEN_LETTERS) == -1 ||
	    password_hash((const uint8_t *)gen, strlen(gen),
	    c->cfg.auth_scrypt_cost, hash) == -1) {
		ctl_err("%s: cannot generate the password", user);
		return -1;
	}
	return 0;
}

/* user_gen_show: print a generated password once, alone on stdout, after
 * the commit that made it true; nothing when gen is "". */
static void
user_gen_show(const char *user, const char *gen)
{
	if (gen[0] == '\0')
		return;
	fprintf(stderr, "authctl: generated password for %s (shown once):\n",
	    user);
	printf("%s\n", gen);
}

/* user_rec_new: a fresh record: enabled, services, times now, strength
 * unknown, no 2FA, any network. */
static void
user_rec_new(struct user_rec *r, unsigned services, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->version = USER_REC_VERSION;
	r->services = services;
	r->created = now;
	r->pw_set = now;
	r->pw_strength = -1;
}

/* user_one: parse "USER" alone, with the given options; create: the
 * name is new and must be a safe mail directory name. */
static int
user_one(struct ctl *c, int argc, char **argv, struct ctl_opt *opts,
    char *user, int create)
{
	char *pos[1];
	int n;

	if (ctl_parse(argc, argv, opts, pos, 1, &n) == -1)
		return ctl_usage(c);
	if (n == 0)
		return ctl_usage_why(c, "missing the user");
	if (create)
		return ctl_newname_arg(c, pos[0], user) == -1 ? CTL_ERR :
		    CTL_OK;
	return ctl_user_arg(c, pos[0], user) == -1 ? CTL_ERR : CTL_OK;
}

/* user_absent: 0 when neither a user nor an alias has that name. */
static int
user_absent(struct ctl *c, MDB_txn *txn, const char *user)
{
	struct user_rec rec;
	char t[DB_ALIAS_MAX];
	int rc;

	if ((rc = db_user_get(&c->db, txn, user, &rec)) == 0)
		ctl_err("%s: user exists already", user);
	else if (rc == 1 &&
	    (rc = db_alias_get(&c->db, txn, user, t, sizeof(t))) == 0)
		ctl_err("%s: an alias has that name (authctl alias del %s)",
		    user, user);
	else if (rc == 1)
		return 0;
	else
		ctl_err("%s: cannot read the database", user);
	explicit_bzero(&rec, sizeof(rec));
	return -1;
}

/* user_add_check: the checks of "user add" in a read transaction. */
static int
user_add_check(struct ctl *c, const char *user)
{
	MDB_txn *txn;
	int rc;

	if (ctl_begin(c, 0, &txn) == -1)
		return -1;
	rc = user_absent(c, txn, user);
	db_abort(txn);
	return rc;
}

/* user_add_opts: the options of "user add", for the command and its
 * preparation alike. */
static void
user_add_opts(struct ctl_opt o[3])
{
	static const struct ctl_opt tmpl[3] = { { "--password", 0, 0, NULL },
	    { "--password-stdin", 0, 0, NULL }, { NULL, 0, 0, NULL } };

	memcpy(o, tmpl, sizeof(tmpl));
}

int
ctl_user_add_prep(struct ctl *c, int argc, char **argv, uid_t uid,
    gid_t gid)
{
	struct ctl_opt opts[3];
	char user[AUTH_USER_MAX];
	int rc;

	user_add_opts(opts);
	if ((rc = user_one(c, argc, argv, opts, user, 1)) != CTL_OK)
		return rc;
	return ctl_mailbox_fork(c, user);
}

/* user_add_commit: in txn, set aside an old mailbox of the same name, add
 * the record and finish; an old mailbox goes back if that fails. */
static int
user_add_commit(struct ctl *c, MDB_txn *txn, const char *user,
    const struct user_rec *rec)
{
	char aside[CONFIG_PATH_MAX + 512], reason[AUDIT_FIELD_MAX];
	int moved = 0;

	if (user_absent(c, txn, user) == -1 ||
	    (moved = ctl_mailbox_aside(c, user, aside, sizeof(aside))) == -1 ||
	    db_user_put(&c->db, txn, user, rec) == -1) {
		db_abort(txn);
		if (moved == 1)
			(void)ctl_mailbox_restore(c);
		return -1;
	}
	ctl_reason(reason, sizeof(reason), "user add%s%s", moved ?
	    "; old mailbox set aside as " : "", aside);
	if (ctl_finish(c, txn, user, reason) == -1) {
		if (moved)
			(void)ctl_mailbox_restore(c);
		return -1;
	}
	if (moved) {
		ctl_mailbox_keep(c);
		ctl_err("%s: a mailbox of an earlier user of that name was "
		    "set aside as %s; the new user starts with an empty one",
		    user, aside);
	}
	return 0;
}

struct user_domain {
	const char	*domain;	/* "@example.com" */
	const char	*self;		/* the user just added */
	int		 others;
};

static int
user_domain_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct user_domain *d = arg;
	size_t n = strlen(d->domain);

	(void)v;
	if (k->mv_size > n && memcmp((const char *)k->mv_data + k->mv_size - n,
	    d->domain, n) == 0 && (k->mv_size != strlen(d->self) ||
	    memcmp(k->mv_data, d->self, k->mv_size) != 0)) {
		d->others = 1;
		return 1;
	}
	return 0;
}

/*
 * user_postmaster_hint: after the first user of a domain was added, a
 * note on stderr when postmaster@domain, which RFC 5321 (4.5.1) requires
 * every mail domain to have, is neither a user nor an alias, with the
 * command that makes it one.  Only a hint: nothing fails.
 */
static void
user_postmaster_hint(struct ctl *c, const char *user)
{
	char pm[AUTH_USER_MAX], targets[DB_ALIAS_MAX];
	struct user_domain d = { strchr(user, '@'), user, 0 };
	struct user_rec rec;
	MDB_txn *txn;
	int rc;

	if (snprintf(pm, sizeof(pm), "postmaster%s", d.domain) >=
	    (int)sizeof(pm) || db_begin(&c->db, 0, &txn) != 0)
		return;
	rc = db_each(&c->db, txn, c->db.users, NULL, 0, user_domain_one, &d);
	if (rc == 0 && !d.others && strcmp(user, pm) != 0 &&
	    db_user_get(&c->db, txn, pm, &rec) == 1 &&
	    db_alias_get(&c->db, txn, pm, targets, sizeof(targets)) == 1)
		ctl_err("note: %s has no %s, which RFC 5321 requires; make "
		    "it an alias: authctl alias add %s %s", d.domain + 1, pm,
		    pm, user);
	explicit_bzero(&rec, sizeof(rec));
	db_abort(txn);
}

int
ctl_user_add(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[3];
	char user[AUTH_USER_MAX], gen[SECRET_TEXT_MAX];
	struct user_rec rec;
	MDB_txn *txn;
	int rc, strength = PW_GEN_STRENGTH;

	user_add_opts(opts);
	if ((rc = user_one(c, argc, argv, opts, user, 1)) != CTL_OK)
		return rc;
	if (opts[0].set && opts[1].set)
		return ctl_usage_why(c, "--password and --password-stdin "
		    "exclude each other");
	if (user_add_check(c, user) == -1)
		return CTL_ERR;
	user_rec_new(&rec, c->cfg.default_services, c->now);
	gen[0] = '\0';
	if ((!opts[0].set && !opts[1].set ? user_gen_password(c, user, gen,
	    rec.hash) : user_new_password(c, user, opts[1].set, rec.hash,
	    &strength)) == -1)
		goto fail;
	rec.pw_strength = strength;
	if (ctl_begin(c, 1, &txn) == -1 ||
	    user_add_commit(c, txn, user, &rec) == -1)
		goto fail;
	user_gen_show(user, gen);
	explicit_bzero(gen, sizeof(gen));
	explicit_bzero(&rec, sizeof(rec));
	user_postmaster_hint(c, user);
	return CTL_OK;
fail:
	explicit_bzero(gen, sizeof(gen));
	explicit_bzero(&rec, sizeof(rec));
	return CTL_ERR;
}

int
ctl_user_del_prep(struct ctl *c, int argc, char **argv, uid_t uid,
    gid_t gid)
{
	struct ctl_opt opts[] = { { "--purge", 0, 0, NULL },
	    { NULL, 0, 0, NULL } };
	char user[AUTH_USER_MAX];
	int rc;

	if ((rc = user_one(c, argc, argv, opts, user, 0)) != CTL_OK)
		return rc;
	return ctl_mailbox_fork(c, user);
}

/* user_del_done: after the commit, purge or keep the set-aside mailbox
 * and say what became of it. */
static int
user_del_done(struct ctl *c, const char *user, int moved, int purge,
    const char *aside)
{
	if (!moved) {
		printf("%s deleted; there was no mailbox\n", user);
		return CTL_OK;
	}
	if (!purge) {
		ctl_mailbox_keep(c);
		printf("%s deleted; mailbox set aside as %s\n", user, aside);
		return CTL_OK;
	}
	if (ctl_mailbox_purge(c) == -1)
		return CTL_ERR;
	printf("%s deleted; mailbox removed\n", user);
	return CTL_OK;
}

int
ctl_user_del(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { "--purge", 0, 0, NULL },
	    { NULL, 0, 0, NULL } };
	char user[AUTH_USER_MAX], aside[CONFIG_PATH_MAX + 512];
	char reason[AUDIT_FIELD_MAX];
	struct user_rec rec;
	MDB_txn *txn;
	int moved = 0, purge, rc;

	if ((rc = user_one(c, argc, argv, opts, user, 0)) != CTL_OK)
		return rc;
	purge = opts[0].set;
	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	rc = ctl_user_load(c, txn, user, &rec);
	explicit_bzero(&rec, sizeof(rec));
	if (rc == -1 || (moved = ctl_mailbox_aside(c, user, aside,
	    sizeof(aside))) == -1 || db_user_del(&c->db, txn, user) != 0) {
		db_abort(txn);
		if (rc != -1 && moved == 1)
			(void)ctl_mailbox_restore(c);
		return CTL_ERR;
	}
	ctl_alias_warn(c, txn, user);
	ctl_reason(reason, sizeof(reason), "user del; %s%s", !moved ?
	    "no mailbox" : purge ? "mailbox removed, was " :
	    "mailbox set aside as ", aside);
	if (ctl_finish(c, txn, user, reason) == -1) {
		if (moved)
			(void)ctl_mailbox_restore(c);
		return CTL_ERR;
	}
	/* The sessions end before a purge removes what they read. */
	rc = ctl_sessions_end(c, user, "user deleted");
	if (user_del_done(c, user, moved, purge, aside) != CTL_OK)
		return CTL_ERR;
	return rc;
}

static const char *
user_totp_word(uint32_t state)
{
	return state == TOTP_ACTIVE ? "on" : state == TOTP_PENDING ?
	    "pending" : "off";
}

static int
user_list_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	char user[AUTH_USER_MAX], svc[32];
	struct user_rec rec;

	if (ctl_key_str(k->mv_data, k->mv_size, user, sizeof(user)) == -1) {
		ctl_err("users: malformed key");
		return -1;
	}
	if (ctl_user_rec(user, v->mv_data, v->mv_size, &rec) == -1)
		return -1;
	ctl_services(rec.services, svc, sizeof(svc));
	printf("%s %s %s 2fa=%s networks=%u\n", user,
	    (rec.flags & USER_DISABLED) ? "disabled" : "enabled", svc,
	    user_totp_word(rec.totp_state), rec.nnets);
	explicit_bzero(&rec, sizeof(rec));
	return 0;
}

int
ctl_user_list(struct ctl *c, int argc, char **argv)
{
	return ctl_list(c, argc, argv, c->db.users, user_list_one, NULL);
}

static int
user_count_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	(*(int *)arg)++;
	return 0;
}

/* user_show_print: everything about rec except its secrets. */
static void
user_show_print(struct ctl *c, const char *user, const struct user_rec *rec,
    int napp, const struct counter_rec *fail)
{
	char t[CTL_TIME_MAX], svc[32], net[NETADDR_STRLEN];
	int i, left = 0;
	static const uint8_t zero[32];

	printf("user: %s\nstate: %s\n", user,
	    (rec->flags & USER_DISABLED) ? "disabled" : "enabled");
	ctl_time(rec->created, t, sizeof(t));
	printf("created: %s\n", t);
	ctl_time(rec->pw_set, t, sizeof(t));
	if (rec->pw_strength < 0)
		printf("password set: %s, strength unknown\n", t);
	else
		printf("password set: %s, strength 10^%d.%d guesses\n", t,
		    rec->pw_strength / 10, rec->pw_strength % 10);
	ctl_services(rec->services, svc, sizeof(svc));
	printf("services: %s\nnetworks:", svc);
	for (i = 0; i < (int)rec->nnets && i < DB_MAX_NETWORKS; i++) {
		netmask_format(&rec->nets[i], net, sizeof(net));
		printf(" %s", net);
	}
	printf("%s\n2fa: %s\n", rec->nnets ? "" : " any",
	    user_totp_word(rec->totp_state));
	for (i = 0; i < DB_RECOVERY_CODES; i++)
		left += memcmp(rec->recovery[i], zero, 32) != 0;
	if (rec->totp_state == TOTP_ACTIVE)
		printf("recovery codes left: %d\n", left);
	printf("app passwords: %d\n", napp);
	if (fail == NULL)
		printf("failures: none recorded\n");
	else {
		ctl_time(fail->window_start, t, sizeof(t));
		printf("failures: %u since %s%s\n", fail->count, t,
		    fail->locked_until > c->now ? ", account locked" : "");
	}
}

struct user_locks {
	struct ctl	*c;
	size_t		 prefix;	/* strlen(user) + 1 */
	int		 n;
};

/* user_lock_one: one fail_pair record "user\0address" of the user. */
static int
user_lock_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct user_locks *ul = arg;
	struct counter_rec rec;
	char address[AUTH_ADDR_MAX], t[CTL_TIME_MAX];

	if (v->mv_size != sizeof(rec) || ctl_key_str((const char *)
	    k->mv_data + ul->prefix, k->mv_size - ul->prefix, address,
	    sizeof(address)) == -1) {
		ctl_err("fail_pair: malformed record");
		return -1;
	}
	memcpy(&rec, v->mv_data, sizeof(rec));
	if (rec.locked_until <= ul->c->now)
		return 0;
	ctl_time(rec.locked_until, t, sizeof(t));
	printf("locked: %s until %s (%u failures; authctl unlock)\n", address,
	    t, rec.count);
	ul->n++;
	return 0;
}

/* user_show_locks: the addresses user is locked out from now. */
static int
user_show_locks(struct ctl *c, MDB_txn *txn, const char *user)
{
	struct user_locks ul = { c, strlen(user) + 1, 0 };

	if (db_each(&c->db, txn, c->db.fail_pair, user, ul.prefix,
	    user_lock_one, &ul) == -1)
		return -1;
	if (ul.n == 0)
		printf("locked: none\n");
	return 0;
}

int
ctl_user_show(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX];
	struct user_rec rec;
	struct counter_rec fail;
	MDB_txn *txn;
	int napp = 0, rc;

	if ((rc = user_one(c, argc, argv, NULL, user, 0)) != CTL_OK)
		return rc;
	if (ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	if (ctl_user_load(c, txn, user, &rec) == -1 ||
	    db_each(&c->db, txn, c->db.apppass, user, strlen(user) + 1,
	    user_count_one, &napp) == -1 ||
	    (rc = db_counter_get(&c->db, txn, c->db.fail_user, user,
	    strlen(user), &fail)) == -1) {
		db_abort(txn);
		return CTL_ERR;
	}
	user_show_print(c, user, &rec, napp, rc == 0 ? &fail : NULL);
	explicit_bzero(&rec, sizeof(rec));
	rc = ctl_quota_show(c, txn, user) == -1 ||
	    ctl_sendlimit_show(c, txn, user) == -1 ? -1 :
	    user_show_locks(c, txn, user);
	db_abort(txn);
	if (rc == -1)
		return CTL_ERR;
	ctl_sessions_show(c, user);
	return CTL_OK;
}

/*
 * user_update: the common shape of the small commands: load user in a
 * write transaction, let fn change the record (fn returns -1 after an
 * error line to refuse), store it and finish with reason.
 */
static int
user_update(struct ctl *c, const char *user, const char *reason,
    int (*fn)(struct ctl *, const char *, struct user_rec *, void *),
    void *arg)
{
	struct user_rec rec;
	MDB_txn *txn;
	int rc = CTL_ERR;

	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (ctl_user_load(c, txn, user, &rec) == -1 ||
	    fn(c, user, &rec, arg) == -1 ||
	    db_user_put(&c->db, txn, user, &rec) == -1)
		db_abort(txn);
	else if (ctl_finish(c, txn, user, reason) == 0)
		rc = CTL_OK;
	explicit_bzero(&rec, sizeof(rec));
	return rc;
}

struct user_pw {
	char	hash[DB_HASH_MAX];
	int	strength;
};

static int
user_set_pw(struct ctl *c, const char *user, struct user_rec *rec, void *arg)
{
	struct user_pw *p = arg;

	memcpy(rec->hash, p->hash, sizeof(rec->hash));
	rec->pw_strength = p->strength;
	rec->pw_set = c->now;
	return 0;
}

int
ctl_user_passwd(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { "--password", 0, 0, NULL },
	    { "--password-stdin", 0, 0, NULL }, { NULL, 0, 0, NULL } };
	char user[AUTH_USER_MAX], gen[SECRET_TEXT_MAX];
	struct user_rec rec;
	struct user_pw p;
	MDB_txn *txn;
	int rc;

	if ((rc = user_one(c, argc, argv, opts, user, 0)) != CTL_OK)
		return rc;
	if (opts[0].set && opts[1].set)
		return ctl_usage_why(c, "--password and --password-stdin "
		    "exclude each other");
	if (ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	rc = ctl_user_load(c, txn, user, &rec);
	db_abort(txn);
	explicit_bzero(&rec, sizeof(rec));
	gen[0] = '\0';
	p.strength = PW_GEN_STRENGTH;
	if (rc == -1 || (!opts[0].set && !opts[1].set ?
	    user_gen_password(c, user, gen, p.hash) :
	    user_new_password(c, user, opts[1].set, p.hash,
	    &p.strength)) == -1)
		rc = CTL_ERR;
	else if ((rc = user_update(c, user, "password changed", user_set_pw,
	    &p)) == CTL_OK)
		user_gen_show(user, gen);
	explicit_bzero(gen, sizeof(gen));
	explicit_bzero(&p, sizeof(p));
	if (rc == CTL_OK)
		rc = ctl_sessions_end(c, user, "password changed");
	return rc;
}

static int
user_set_flag(struct ctl *c, const char *user, struct user_rec *rec,
    void *arg)
{
	if (arg != NULL)
		rec->flags |= USER_DISABLED;
	else
		rec->flags &= ~USER_DISABLED;
	return 0;
}

int
ctl_user_enable(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX];
	int rc;

	if ((rc = user_one(c, argc, argv, NULL, user, 0)) != CTL_OK)
		return rc;
	return user_update(c, user, "user enabled", user_set_flag, NULL);
}

int
ctl_user_disable(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX];
	int rc;

	if ((rc = user_one(c, argc, argv, NULL, user, 0)) != CTL_OK)
		return rc;
	if ((rc = user_update(c, user, "user disabled", user_set_flag,
	    user)) != CTL_OK)
		return rc;
	return ctl_sessions_end(c, user, "user disabled");
}

static int
user_set_services(struct ctl *c, const char *user, struct user_rec *rec,
    void *arg)
{
	rec->services = *(unsigned *)arg;
	return 0;
}

int
ctl_user_services(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], reason[64], svc[32];
	char *pos[2];
	unsigned services;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1 || n != 2)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1)
		return CTL_ERR;
	if (config_parse_services(pos[1], &services) == -1) {
		ctl_err("%s: not a list of services (a comma-separated "
		    "subset of imap,pop3,smtp, no blanks)", ctl_vis(pos[1]));
		return CTL_ERR;
	}
	ctl_services(services, svc, sizeof(svc));
	ctl_reason(reason, sizeof(reason), "services %s", svc);
	return user_update(c, user, reason, user_set_services, &services);
}

struct user_nets {
	struct netmask	nets[DB_MAX_NETWORKS];
	uint32_t	n;
};

static int
user_set_nets(struct ctl *c, const char *user, struct user_rec *rec,
    void *arg)
{
	struct user_nets *un = arg;

	memset(rec->nets, 0, sizeof(rec->nets));
	memcpy(rec->nets, un->nets, sizeof(un->nets[0]) * un->n);
	rec->nnets = un->n;
	return 0;
}

/* user_net_add: argument arg as un's next network: refused when given
 * twice, with a note when its text was not canonical ("10.0.0.1/8"). */
static int
user_net_add(struct user_nets *un, const char *arg, char *net, size_t len)
{
	struct netmask *m = &un->nets[un->n];
	char prev[NETADDR_STRLEN];
	uint32_t i;

	if (netmask_parse(arg, m) == -1) {
		ctl_err("%s: not a network (address or address/prefix, IPv4 or "
		    "IPv6%s)", ctl_vis(arg), strcmp(arg, "any") == 0 ?
		    "; \"any\" must stand alone" : "");
		return -1;
	}
	netmask_format(m, net, len);
	for (i = 0; i < un->n; i++) {
		netmask_format(&un->nets[i], prev, sizeof(prev));
		if (strcmp(prev, net) == 0) {
			ctl_err("%s: network given twice (as %s)", ctl_vis(arg),
			    net);
			return -1;
		}
	}
	if (strchr(arg, '/') != NULL && strcasecmp(arg, net) != 0)
		ctl_err("note: %s is the network %s", ctl_vis(arg), net);
	un->n++;
	return 0;
}

/* user_nets_parse: CIDR words into un and a reason for the audit log. */
static int
user_nets_parse(int argc, char **argv, struct user_nets *un, char *reason,
    size_t len)
{
	char net[NETADDR_STRLEN];
	size_t off;
	int i;

	memset(un, 0, sizeof(*un));
	if (argc == 1 && strcmp(argv[0], "any") == 0) {
		snprintf(reason, len, "networks any");
		return 0;
	}
	if (argc > DB_MAX_NETWORKS) {
		ctl_err("too many networks: %d, at most %d", argc,
		    DB_MAX_NETWORKS);
		return -1;
	}
	off = (size_t)snprintf(reason, len, "networks");
	for (i = 0; i < argc; i++) {
		if (user_net_add(un, argv[i], net, sizeof(net)) == -1)
			return -1;
		if (off < len)
			off += (size_t)snprintf(reason + off, len - off,
			    "%s%s", i ? "," : " ", net);
	}
	if (off >= len && len > 4)	/* the audit field is bounded */
		memcpy(reason + len - 4, "...", 4);
	return 0;
}

int
ctl_user_networks(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], reason[AUDIT_FIELD_MAX];
	char *pos[DB_MAX_NETWORKS * 4];
	struct user_nets un;
	int n;

	if (ctl_parse(argc, argv, NULL, pos, DB_MAX_NETWORKS * 4, &n) == -1)
		return ctl_usage(c);
	if (n < 2)
		return ctl_usage_why(c, n == 0 ? "missing the user" :
		    "missing the networks (cidr ... or any)");
	if (ctl_user_arg(c, pos[0], user) == -1 ||
	    user_nets_parse(n - 1, pos + 1, &un, reason, sizeof(reason)) == -1)
		return CTL_ERR;
	return user_update(c, user, reason, user_set_nets, &un);
}
