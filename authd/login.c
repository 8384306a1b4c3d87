/*
 * login.c: authd's login decisions (see login.h).  Runs in the main
 * thread inside the caller's transaction; scrypt runs in worker.c's
 * threads.  Nothing here audits, answers or waits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "authd/login.h"
#include "authd/password.h"
#include "authd/policy.h"
#include "authd/split.h"
#include "authd/totp.h"
#include "common/log.h"
#include "common/mailpath.h"
#include "common/netaddr.h"
#include "common/util.h"

/* What the hashed candidate is. */
enum login_kind {
	KIND_NONE,		/* fills a slot; a match is never taken */
	KIND_PASSWORD,		/* the whole secret is the password */
	KIND_TRUSTED,		/* the same, for TOTP from a trusted address */
	KIND_CODE,		/* password + a TOTP code that is valid now */
	KIND_RECOVERY,		/* password + an unused recovery code */
	KIND_NO_CODE,		/* TOTP due but no code shape: whole secret */
	KIND_BAD_CODE,		/* six digits that are no valid code */
	KIND_BAD_RECOVERY,	/* a recovery shape that is no unused code */
};

static char	login_dummy[DB_HASH_MAX];

void
login_init(const struct config *cfg)
{
	password_dummy(cfg->auth_scrypt_cost, login_dummy);
}

static int64_t
login_now(void)
{
	return now_us() / 1000000;
}

static void login_verdict(struct login_verdict *, uint32_t,
    enum login_count, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
login_verdict(struct login_verdict *v, uint32_t status,
    enum login_count count, const char *fmt, ...)
{
	va_list ap;

	v->status = status;
	v->count = count;
	va_start(ap, fmt);
	(void)vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* login_decide: the verdict is known before hashing; the hash still runs
 * (against the dummy) so that this login costs what any other does. */
static void
login_decide(struct login *l, uint32_t status, enum login_count count,
    const char *reason)
{
	l->decided = 1;
	login_verdict(&l->pre, status, count, "%s", reason);
	str_copy(l->job.mcf, login_dummy, sizeof(l->job.mcf));
}

static unsigned
login_service_bit(const char *s)
{
	if (strcmp(s, "imap") == 0)
		return SERVICE_IMAP;
	if (strcmp(s, "pop3") == 0)
		return SERVICE_POP3;
	if (strcmp(s, "smtp") == 0)
		return SERVICE_SMTP;
	return 0;
}

/* login_allowed: the account checks; the reason for refusing, or NULL. */
static const char *
login_allowed(const struct login *l, const struct user_rec *u,
    unsigned services)
{
	static char why[64];
	uint32_t i;

	if (u->flags & USER_DISABLED)
		return "account disabled";
	if (!(u->services & l->service_bit) || !(services & l->service_bit)) {
		snprintf(why, sizeof(why), "service %s not allowed",
		    l->service);
		return why;
	}
	if (u->nnets == 0)
		return NULL;
	for (i = 0; i < u->nnets && i < DB_MAX_NETWORKS; i++)
		if (netmask_contains(&u->nets[i], l->address) == 1)
			return NULL;
	return "address not in the user's networks";
}

struct login_apppass {
	const char	*user;
	uint8_t		 digest[32];
	char		*label;
	struct apppass_rec rec;
	int		 found;
};

static int
login_apppass_match(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct login_apppass *m = arg;
	size_t ulen = strlen(m->user) + 1;

	if (v->mv_size != sizeof(m->rec) || k->mv_size <= ulen ||
	    k->mv_size - ulen >= DB_LABEL_MAX)
		return 0;
	memcpy(&m->rec, v->mv_data, sizeof(m->rec));
	if (!timingsafe_eq(m->rec.hash, m->digest, 32))
		return 0;
	memcpy(m->label, (const char *)k->mv_data + ulen, k->mv_size - ulen);
	m->label[k->mv_size - ulen] = '\0';
	m->found = 1;
	return 1;
}

/* login_apppass: is the secret one of the user's app passwords?  1 (with
 * l->label and *services set), 0 when not, -1 on a database error. */
static int
login_apppass(struct login *l, struct db *db, MDB_txn *txn,
    const uint8_t *secret, size_t len, unsigned *services)
{
	struct login_apppass m;
	char buf[SECRET_TEXT_MAX + 8];

	if (len < APPPASS_LETTERS || len >= sizeof(buf))
		return 0;
	memcpy(buf, secret, len);
	buf[len] = '\0';
	secret_normalize(buf);
	if (strlen(buf) != APPPASS_LETTERS) {
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.user = l->user;
	m.label = l->label;
	secret_digest(buf, APPPASS_LETTERS, m.digest);
	explicit_bzero(buf, sizeof(buf));
	if (db_each(db, txn, db->apppass, l->user, strlen(l->user) + 1,
	    login_apppass_match, &m) == -1)
		return -1;
	*services = m.rec.services;
	return m.found;
}

/* login_recovery: the index of the unused recovery code c, or -1. */
static int
login_recovery(const struct user_rec *u, const char *c)
{
	uint8_t d[32];
	int k, found = -1;

	secret_digest(c, RECOVERY_LETTERS, d);
	for (k = 0; k < DB_RECOVERY_CODES; k++)
		if (timingsafe_eq(u->recovery[k], d, 32))
			found = k;
	explicit_bzero(d, sizeof(d));
	return found;
}

/* login_candidate: fill the next free slot (slots are zeroed, so an
 * unfilled one is KIND_NONE with an empty candidate). */
static void
login_candidate(struct login *l, int kind, const uint8_t *pw, size_t len)
{
	int i;

	for (i = 0; i < WORKER_CANDIDATES && l->kind[i] != KIND_NONE; i++)
		;
	if (i == WORKER_CANDIDATES)
		fatalx("internal error: no free candidate slot");
	l->kind[i] = kind;
	memcpy(l->job.cand[i].pw, pw, len);
	l->job.cand[i].len = len;
}

/*
 * login_candidate_2fa: the candidates of a user with TOTP.  The codes are
 * checked first (cheap, constant time); a valid one fixes where the
 * password ends.  Nothing is used up before the password matched.
 */
static void
login_candidate_2fa(struct login *l, struct db *db, MDB_txn *txn,
    const struct config *cfg, const struct user_rec *u,
    const uint8_t *s, size_t len)
{
	struct split sp;
	int64_t until = 0, now = login_now();

	split_secret(s, len, &sp);
	if (sp.has_code && totp_verify(u->totp_secret,
	    sizeof(u->totp_secret), sp.code, now, cfg->totp_window,
	    u->totp_last_step) != -1) {
		memcpy(l->code, sp.code, sizeof(l->code));
		login_candidate(l, KIND_CODE, s, sp.code_prefix);
	} else if (sp.has_recovery &&
	    (l->recovery = login_recovery(u, sp.recovery)) >= 0)
		login_candidate(l, KIND_RECOVERY, s, sp.recovery_prefix);
	else {
		if (db_time_get(db, txn, db->trust, l->user, l->key,
		    &until) == 0 && until > now)
			login_candidate(l, KIND_TRUSTED, s, len);
		if (sp.has_code)
			login_candidate(l, KIND_BAD_CODE, s, sp.code_prefix);
		else if (sp.has_recovery)
			login_candidate(l, KIND_BAD_RECOVERY, s,
			    sp.recovery_prefix);
		if (until <= now)
			login_candidate(l, KIND_NO_CODE, s, len);
	}
	explicit_bzero(&sp, sizeof(sp));
}

/* login_admit_user: the checks of an account that exists. */
static void
login_admit_user(struct login *l, struct db *db, MDB_txn *txn,
    const struct config *cfg, const struct user_rec *u,
    const struct auth_login_req *r)
{
	char why[160];
	const char *no;
	unsigned services;
	int rc;

	if ((rc = policy_known(db, txn, cfg, l->user, l->key,
	    login_now())) == -1) {
		login_decide(l, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE,
		    "database error");
		return;
	}
	l->known = rc;
	str_copy(l->job.mcf, u->hash, sizeof(l->job.mcf));
	if ((rc = login_apppass(l, db, txn, r->secret, r->secretlen,
	    &services)) != 0) {
		if (rc == -1)
			login_decide(l, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE,
			    "database error");
		else if ((no = login_allowed(l, u, services)) != NULL) {
			snprintf(why, sizeof(why), "app password %s: %s",
			    l->label, no);
			login_decide(l, AUTH_FAIL_PERM, LOGIN_COUNT_ADDRESS,
			    why);
		} else {
			snprintf(why, sizeof(why), "app password %s", l->label);
			login_decide(l, AUTH_OK, LOGIN_COUNT_NONE, why);
		}
	} else if ((no = login_allowed(l, u, SERVICE_ALL)) != NULL)
		login_decide(l, AUTH_FAIL_PERM, LOGIN_COUNT_ADDRESS, no);
	if (u->totp_state == TOTP_ACTIVE)
		login_candidate_2fa(l, db, txn, cfg, u, r->secret,
		    r->secretlen);
	else
		login_candidate(l, KIND_PASSWORD, r->secret, r->secretlen);
}

int
login_admit(struct login *l, struct db *db, MDB_txn *txn,
    const struct config *cfg, const struct auth_login_req *r,
    struct login_verdict *v)
{
	struct user_rec u;
	int64_t until;
	int rc;

	l->id = r->id;
	l->recovery = -1;
	str_copy(l->service, r->service, sizeof(l->service));
	str_copy(l->mech, r->mech, sizeof(l->mech));
	str_copy(l->user, r->user, sizeof(l->user));
	str_lower(l->user);
	str_copy(l->session, r->session, sizeof(l->session));
	l->service_bit = login_service_bit(r->service);
	if (netaddr_normalize(r->address, l->address,
	    sizeof(l->address)) == -1) {
		str_copy(l->address, "invalid", sizeof(l->address));
		login_verdict(v, AUTH_FAIL_PERM, LOGIN_COUNT_NONE,
		    "invalid client address");
		return 0;
	}
	policy_addr_key(l->address, l->key);
	if (l->service_bit == 0) {
		login_verdict(v, AUTH_FAIL_PERM, LOGIN_COUNT_NONE,
		    "unknown service");
		return 0;
	}
	if ((rc = policy_banned(db, txn, l->key, login_now(), &until)) != 0) {
		login_verdict(v, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE, "%s",
		    rc == 1 ? "address banned" : "database error");
		return 0;
	}
	rc = user_name_valid(l->user) ? db_user_get(db, txn, l->user, &u) : 1;
	l->user_exists = rc == 0;
	if (rc == 0)
		login_admit_user(l, db, txn, cfg, &u, r);
	else {
		login_decide(l, rc == 1 ? AUTH_FAIL_PERM : AUTH_FAIL_TEMP,
		    rc == 1 ? LOGIN_COUNT_ADDRESS : LOGIN_COUNT_NONE,
		    rc == 1 ? "unknown user" : "database error");
		login_candidate(l, KIND_PASSWORD, r->secret, r->secretlen);
	}
	explicit_bzero(&u, sizeof(u));
	return 1;
}

int
login_recheck(struct login *l, struct db *db, MDB_txn *txn,
    struct login_verdict *v)
{
	const char *why;
	int64_t until;
	int rc;

	if ((rc = policy_banned(db, txn, l->key, login_now(), &until)) != 0) {
		login_verdict(v, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE, "%s",
		    rc == 1 ? "address banned" : "database error");
		return 0;
	}
	if (!l->user_exists)
		return 1;
	rc = policy_locked(db, txn, l->user, l->key, l->known, login_now(),
	    &why);
	if (rc == -1)
		login_decide(l, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE,
		    "database error");
	else if (rc == 1)
		/* Answered like a wrong password: a lock must not tell
		 * that the account exists.  Counted for the address only. */
		login_decide(l, AUTH_FAIL_PERM, LOGIN_COUNT_ADDRESS, why);
	return 1;
}

/* login_second: the second factor of a matched password; NULL on
 * success with *how saying how the login was made, else the reason. */
static const char *
login_second(struct login *l, const struct config *cfg,
    struct user_rec *u, const char **how)
{
	static const uint8_t zero[32];
	int64_t step;

	switch (l->kind[l->job.matched]) {
	case KIND_NONE:
		fatalx("internal error: a filler candidate matched");
	case KIND_PASSWORD:
		*how = "password";
		return u->totp_state == TOTP_ACTIVE ? "2FA code missing" : NULL;
	case KIND_TRUSTED:
		*how = "password (trusted address)";
		return NULL;
	case KIND_NO_CODE:
		return "2FA code missing";
	case KIND_BAD_CODE:
		return "wrong or reused 2FA code";
	case KIND_BAD_RECOVERY:
		return "wrong or used recovery code";
	case KIND_CODE:
		/* Checked again: another login may have used it meanwhile. */
		step = totp_verify(u->totp_secret, sizeof(u->totp_secret),
		    l->code, login_now(), cfg->totp_window, u->totp_last_step);
		if (step == -1)
			return "wrong or reused 2FA code";
		u->totp_last_step = step;
		*how = "password and 2FA code";
		return NULL;
	case KIND_RECOVERY:
		if (l->recovery < 0 || l->recovery >= DB_RECOVERY_CODES ||
		    timingsafe_eq(u->recovery[l->recovery], zero, 32))
			return "recovery code already used";
		memset(u->recovery[l->recovery], 0, 32);
		*how = "password and recovery code";
		return NULL;
	}
	fatalx("internal error: unknown candidate kind %d",
	    l->kind[l->job.matched]);
}

/* login_success: read the quota, use up the code and open the trust
 * window; NULL, or the reason the login cannot succeed after all. */
static const char *
login_success(struct login *l, struct db *db, MDB_txn *txn,
    const struct config *cfg, const struct user_rec *u)
{
	static char why[MAILPATH_WHY_MAX + 40];
	char dir[AUTH_PATH_MAX], no[MAILPATH_WHY_MAX];
	struct apppass_rec rec;

	/* An old record may name a directory outside the mail root. */
	if (mailpath_dir(cfg->mail_dir, l->user, dir, sizeof(dir), no,
	    sizeof(no)) == -1) {
		snprintf(why, sizeof(why), "no usable mail directory: %s", no);
		return why;
	}
	if (db_quota_effective(db, txn, l->user, cfg->default_quota,
	    &l->quota) == -1)
		return "database error reading the quota";
	if (l->decided) {
		if (db_apppass_get(db, txn, l->user, l->label, &rec) != 0)
			return "app password changed during login";
		rec.last_used = login_now();
		return db_apppass_put(db, txn, l->user, l->label, &rec) == -1 ?
		    "database error" : NULL;
	}
	if (l->kind[l->job.matched] != KIND_CODE &&
	    l->kind[l->job.matched] != KIND_RECOVERY)
		return NULL;
	if (db_user_put(db, txn, l->user, u) == -1 ||
	    db_time_put(db, txn, db->trust, l->user, l->key,
	    login_now() + cfg->totp_trust) == -1)
		return "database error";
	return NULL;
}

void
login_judge(struct login *l, struct db *db, MDB_txn *txn,
    const struct config *cfg, struct login_verdict *v)
{
	struct user_rec u;
	const char *why, *how = "password";

	if (l->decided && l->pre.status != AUTH_OK) {
		*v = l->pre;
		return;
	}
	if (!l->decided && (l->job.matched < 0 ||
	    l->kind[l->job.matched] == KIND_NONE)) {
		login_verdict(v, AUTH_FAIL_PERM, LOGIN_COUNT_ALL,
		    "wrong password");
		return;
	}
	if (db_user_get(db, txn, l->user, &u) != 0) {
		login_verdict(v, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE,
		    "user changed during login");
		return;
	}
	/* The account may have changed while the hash ran. */
	if ((why = login_allowed(l, &u, SERVICE_ALL)) != NULL)
		login_verdict(v, AUTH_FAIL_PERM, LOGIN_COUNT_ADDRESS, "%s",
		    why);
	else if (l->decided) {
		if ((why = login_success(l, db, txn, cfg, &u)) != NULL)
			login_verdict(v, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE,
			    "%s", why);
		else
			*v = l->pre;
	} else if ((why = login_second(l, cfg, &u, &how)) != NULL)
		login_verdict(v, AUTH_FAIL_PERM, LOGIN_COUNT_ALL, "%s", why);
	else if ((why = login_success(l, db, txn, cfg, &u)) != NULL)
		login_verdict(v, AUTH_FAIL_TEMP, LOGIN_COUNT_NONE, "%s", why);
	else
		login_verdict(v, AUTH_OK, LOGIN_COUNT_NONE, "%s", how);
	explicit_bzero(&u, sizeof(u));
}
