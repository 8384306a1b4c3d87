/*
 * login.c: authd's login decisions (see login.h).  Runs in the main
 * thread; scrypt runs in worker.c's threads, everything else here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/login.h"
#include "authd/password.h"
#include "authd/policy.h"
#include "authd/sched.h"
#include "authd/server.h"
#include "authd/totp.h"
#include "common/authproto.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/util.h"

enum cand_kind {
	CAND_PASSWORD,		/* the whole secret is the password */
	CAND_NO2FA,		/* right password, but a code was due */
	CAND_TOTP,		/* password followed by a 6-digit code */
	CAND_RECOVERY,		/* password followed by a recovery code */
	CAND_BADRECOVERY,	/* password followed by something shaped like
				 * a recovery code that is not an unused one */
};

#define LOGIN_MAX_UIDS	8

static uid_t	login_uids[LOGIN_MAX_UIDS];
static int	login_nuids;

void
login_init(const uid_t *uids, int n)
{
	int i;

	login_uids[login_nuids++] = 0;
	login_uids[login_nuids++] = getuid();
	for (i = 0; i < n && login_nuids < LOGIN_MAX_UIDS; i++)
		if (uids[i] != (uid_t)-1)
			login_uids[login_nuids++] = uids[i];
}

int
login_peer_allowed(uid_t uid)
{
	int i;

	for (i = 0; i < login_nuids; i++)
		if (login_uids[i] == uid)
			return 1;
	return 0;
}

static int64_t
login_now(void)
{
	return now_us() / 1000000;
}

static void
login_answer(struct login *l, uint32_t status, const char *user,
    int64_t delay)
{
	struct auth_login_ans a;
	struct frame f;
	const char *at;

	memset(&a, 0, sizeof(a));
	a.id = l->id;
	a.status = status;
	if (status == AUTH_OK && (at = strchr(user, '@')) != NULL) {
		str_copy(a.user, user, sizeof(a.user));
		if (snprintf(a.maildir, sizeof(a.maildir), "%s/%s/%.*s",
		    server.cfg->mail_dir, at + 1, (int)(at - user), user) >=
		    (int)sizeof(a.maildir))
			a.status = AUTH_FAIL_TEMP;
	}
	if (authproto_login_ans_encode(&f, &a) == -1)
		fatalx("login_answer: cannot encode");
	server_answer(l->conn, &f, delay);
}

/* login_fail: audit, count (if count) and answer a failed login. */
static void
login_fail(struct login *l, uint32_t status, const char *reason, int count)
{
	char why[256];
	int64_t banned = 0;
	MDB_txn *txn = server_txn();

	if (count && txn != NULL &&
	    policy_fail(server.db, txn, server.cfg, l->user, l->user_exists,
	    l->address, login_now(), &banned) == -1)
		log_warnx("login_fail: cannot count the failure");
	if (banned)
		snprintf(why, sizeof(why), "%s; address banned for %llds",
		    reason, (long long)banned);
	else
		snprintf(why, sizeof(why), "%s", reason);
	server_audit(l->service, l->mech, l->user, l->address,
	    status == AUTH_FAIL_TEMP ? "tempfail" : "fail", why, l->session);
	login_answer(l, status, "", server.cfg->auth_failure_delay);
}

static void
login_ok(struct login *l, const char *how)
{
	MDB_txn *txn = server_txn();

	if (txn == NULL || policy_success(server.db, txn, l->user,
	    l->address, login_now()) == -1) {
		login_fail(l, AUTH_FAIL_TEMP, "database error", 0);
		return;
	}
	server_audit(l->service, l->mech, l->user, l->address, "ok", how,
	    l->session);
	login_answer(l, AUTH_OK, l->user, 0);
}

/* login_allowed: the account checks that follow a right secret; returns
 * the reason for refusing, or NULL. */
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
	char		 label[DB_LABEL_MAX];
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

/*
 * login_apppass: 1 when the secret is one of the user's app passwords
 * (the login is then finished), 0 when it is not one.
 */
static int
login_apppass(struct login *l, MDB_txn *txn, const struct user_rec *u,
    const uint8_t *secret, size_t len)
{
	struct login_apppass m;
	char buf[SECRET_TEXT_MAX + 8], how[128];
	const char *why;

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
	secret_digest(buf, APPPASS_LETTERS, m.digest);
	explicit_bzero(buf, sizeof(buf));
	if (db_each(server.db, txn, server.db->apppass, l->user,
	    strlen(l->user) + 1, login_apppass_match, &m) == -1 || !m.found)
		return 0;
	if ((why = login_allowed(l, u, m.rec.services)) != NULL) {
		snprintf(how, sizeof(how), "app password %s: %s", m.label, why);
		login_fail(l, AUTH_FAIL_PERM, how, 0);
		return 1;
	}
	m.rec.last_used = login_now();
	if (db_apppass_put(server.db, txn, l->user, m.label, &m.rec) == -1) {
		login_fail(l, AUTH_FAIL_TEMP, "database error", 0);
		return 1;
	}
	snprintf(how, sizeof(how), "app password %s", m.label);
	login_ok(l, how);
	return 1;
}

static void
login_add(struct login *l, int kind, const uint8_t *pw, size_t len)
{
	struct worker_job *j = &l->job;

	memcpy(j->cand[j->ncand].pw, pw, len);
	j->cand[j->ncand].len = len;
	l->kind[j->ncand++] = kind;
}

/* login_code_shaped: the recovery code alphabet, as secret_generate
 * writes it, in either case. */
static int
login_code_shaped(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '2' && *s <= '7')))
			return 0;
	return 1;
}

/*
 * login_recovery: is the end of the secret a recovery code?  Returns the
 * index of the unused code it is, -2 when it only has the shape of one
 * (dashes where secret_generate puts them, or none), -1 when it is not
 * one; *prefix is then the length of the password before it.
 */
static int
login_recovery(const struct user_rec *u, const uint8_t *s, size_t len,
    size_t *prefix)
{
	static const size_t tails[] = { RECOVERY_LETTERS + 2, RECOVERY_LETTERS };
	char buf[SECRET_TEXT_MAX];
	uint8_t d[32];
	size_t i;
	int k, found = -1;

	for (i = 0; i < 2 && found == -1; i++) {
		if (len <= tails[i])
			continue;
		memcpy(buf, s + len - tails[i], tails[i]);
		buf[tails[i]] = '\0';
		if (i == 0 && (buf[4] != '-' || buf[9] != '-'))
			continue;
		secret_normalize(buf);
		if (strlen(buf) != RECOVERY_LETTERS || !login_code_shaped(buf))
			continue;
		secret_digest(buf, RECOVERY_LETTERS, d);
		found = -2;
		for (k = 0; k < DB_RECOVERY_CODES; k++)
			if (timingsafe_eq(u->recovery[k], d, 32))
				found = k;
		*prefix = len - tails[i];
	}
	explicit_bzero(buf, sizeof(buf));
	return found;
}

/* login_candidates: what the secret may be, for a user with 2FA. */
static void
login_candidates_2fa(struct login *l, MDB_txn *txn, const struct user_rec *u,
    const uint8_t *s, size_t len)
{
	int64_t until = 0;
	size_t i, prefix;

	if (db_time_get(server.db, txn, server.db->trust, l->user, l->address,
	    &until) == 0 && until > login_now())
		login_add(l, CAND_PASSWORD, s, len);
	if (len > 6) {
		for (i = len - 6; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == len) {
			memcpy(l->code, s + len - 6, 6);
			l->code[6] = '\0';
			login_add(l, CAND_TOTP, s, len - 6);
		}
	}
	if ((l->recovery = login_recovery(u, s, len, &prefix)) >= 0)
		login_add(l, CAND_RECOVERY, s, prefix);
	else if (l->recovery == -2 && l->job.ncand < WORKER_CANDIDATES)
		login_add(l, CAND_BADRECOVERY, s, prefix);
	/* The bare password, to tell "code missing" from "wrong password";
	 * at most two hashes for an address that is not trusted. */
	if (until <= login_now() && l->job.ncand < 2)
		login_add(l, CAND_NO2FA, s, len);
}

/* login_prepare: the pre-hash checks; 1 when the login goes on to the
 * scheduler, 0 when it was answered already. */
static int
login_prepare(struct login *l, const struct auth_login_req *r)
{
	struct user_rec u;
	const char *why;
	int64_t until;
	MDB_txn *txn;
	int rc;

	if ((txn = server_txn()) == NULL) {
		login_fail(l, AUTH_FAIL_TEMP, "database error", 0);
		return 0;
	}
	if ((rc = policy_banned(server.db, txn, l->address, login_now(),
	    &until)) != 0) {
		login_fail(l, AUTH_FAIL_TEMP, rc == 1 ? "address banned" :
		    "database error", 0);
		return 0;
	}
	rc = user_name_valid(l->user) ?
	    db_user_get(server.db, txn, l->user, &u) : 1;
	l->user_exists = rc == 0;
	if (!l->user_exists)
		l->prefail = rc == -1 ? "database error" : "unknown user";
	else if ((rc = policy_locked(server.db, txn, l->user, l->address,
	    login_now(), &why)) == -1) {
		login_fail(l, AUTH_FAIL_TEMP, "database error", 0);
		return 0;
	} else if (rc == 1) {
		/* Answered like an unknown user, after the same dummy hash:
		 * a lock must not tell that the account exists.  Counted for
		 * the address only. */
		l->user_exists = 0;
		l->prefail = why;
	}
	if (l->user_exists &&
	    login_apppass(l, txn, &u, r->secret, r->secretlen))
		return 0;
	l->known = l->user_exists && db_time_get(server.db, txn,
	    server.db->known, l->user, l->address, &until) == 0;
	str_copy(l->job.mcf, l->user_exists ? u.hash : server.dummy_hash,
	    sizeof(l->job.mcf));
	if (l->user_exists && u.totp_state == TOTP_ACTIVE)
		login_candidates_2fa(l, txn, &u, r->secret, r->secretlen);
	else
		login_add(l, CAND_PASSWORD, r->secret, r->secretlen);
	return 1;
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

int
login_request(struct conn *c, struct frame *f)
{
	static struct auth_login_req r;
	struct login *l;

	if (authproto_login_req_decode(f, &r) == -1) {
		explicit_bzero(&r, sizeof(r));
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("login_request: calloc");
	l->job.owner = l;
	l->conn = c;
	l->id = r.id;
	l->recovery = -1;
	str_copy(l->service, r.service, sizeof(l->service));
	str_copy(l->mech, r.mech, sizeof(l->mech));
	str_copy(l->user, r.user, sizeof(l->user));
	str_lower(l->user);
	str_copy(l->session, r.session, sizeof(l->session));
	l->service_bit = login_service_bit(r.service);
	if (netaddr_normalize(r.address, l->address, sizeof(l->address)) == -1) {
		str_copy(l->address, "invalid", sizeof(l->address));
		login_fail(l, AUTH_FAIL_PERM, "invalid client address", 0);
		free(l);
	} else if (l->service_bit == 0) {
		login_fail(l, AUTH_FAIL_PERM, "unknown service", 0);
		free(l);
	} else if (!login_prepare(l, &r)) {
		worker_job_wipe(&l->job);
		free(l);
	} else if (sched_enqueue(l) == -1) {
		worker_job_wipe(&l->job);
		login_fail(l, AUTH_FAIL_TEMP, "too many attempts in flight "
		    "from this address", 1);
		free(l);
	}
	explicit_bzero(&r, sizeof(r));
	return 0;
}

/* login_second: the checks after the password matched; NULL when the
 * login succeeds, with *how saying how it was made. */
static const char *
login_second(struct login *l, MDB_txn *txn, struct user_rec *u, int kind,
    const char **how)
{
	const char *why;
	int64_t step;

	*how = "password";
	if (kind == CAND_NO2FA)
		return "2FA code missing";
	if (kind == CAND_BADRECOVERY)
		return "wrong or used recovery code";
	if (kind == CAND_PASSWORD && u->totp_state == TOTP_ACTIVE)
		*how = "password (trusted address)";
	if (kind == CAND_TOTP) {
		step = totp_verify(u->totp_secret, sizeof(u->totp_secret),
		    l->code, login_now(), server.cfg->totp_window,
		    u->totp_last_step);
		if (step == -1)
			return "wrong or reused 2FA code";
		u->totp_last_step = step;
		*how = "password and 2FA code";
	}
	if (kind == CAND_RECOVERY) {
		if (l->recovery < 0 || l->recovery >= DB_RECOVERY_CODES)
			return "recovery code already used";
		memset(u->recovery[l->recovery], 0, 32);
		*how = "password and recovery code";
	}
	/* A refused login uses up no code and opens no trust window. */
	if ((why = login_allowed(l, u, SERVICE_ALL)) != NULL)
		return why;
	if (kind == CAND_TOTP || kind == CAND_RECOVERY) {
		if (db_user_put(server.db, txn, l->user, u) == -1 ||
		    db_time_put(server.db, txn, server.db->trust, l->user,
		    l->address, login_now() + server.cfg->totp_trust) == -1)
			return "database error";
	}
	return NULL;
}

static void
login_finish(struct login *l)
{
	static const uint8_t zero[32];
	struct user_rec u;
	const char *why, *how;
	MDB_txn *txn;
	int kind;

	if (l->job.matched < 0) {
		login_fail(l, AUTH_FAIL_PERM, l->prefail ? l->prefail :
		    "wrong password", 1);
		return;
	}
	kind = l->kind[l->job.matched];
	if ((txn = server_txn()) == NULL ||
	    db_user_get(server.db, txn, l->user, &u) != 0) {
		login_fail(l, AUTH_FAIL_TEMP, "user changed during login", 0);
		return;
	}
	if (kind == CAND_RECOVERY && timingsafe_eq(u.recovery[l->recovery],
	    zero, 32))
		l->recovery = -1;
	why = login_second(l, txn, &u, kind, &how);
	if (why == NULL)
		login_ok(l, how);
	else
		login_fail(l, AUTH_FAIL_PERM, why, kind == CAND_TOTP ||
		    kind == CAND_RECOVERY || kind == CAND_BADRECOVERY);
	explicit_bzero(&u, sizeof(u));
}

void
login_finished(struct worker_job *done)
{
	struct worker_job *next;
	struct login *l;

	for (; done != NULL; done = next) {
		next = done->next;
		l = done->owner;
		worker_job_wipe(done);
		sched_done(l);
		login_finish(l);
		explicit_bzero(l, sizeof(*l));
		free(l);
	}
}

void
login_schedule(void)
{
	struct login *l;

	while (worker_idle() > 0 && (l = sched_next()) != NULL) {
		if (!server_conn_closed(l->conn)) {
			worker_submit(&l->job);
			continue;
		}
		/* Nobody waits for this answer: spend no hashing on it. */
		worker_job_wipe(&l->job);
		sched_done(l);
		server_audit(l->service, l->mech, l->user, l->address,
		    "tempfail", "client left before verification", l->session);
		login_answer(l, AUTH_FAIL_TEMP, "", 0);
		explicit_bzero(l, sizeof(*l));
		free(l);
	}
}

int
login_bancheck(struct conn *c, struct frame *f)
{
	struct auth_addr_req r;
	struct auth_status_ans a;
	char addr[AUTH_ADDR_MAX];
	struct frame out;
	int64_t until;
	MDB_txn *txn;
	int rc;

	if (authproto_addr_req_decode(f, &r) == -1)
		return -1;
	a.id = r.id;
	if (netaddr_normalize(r.address, addr, sizeof(addr)) == -1)
		a.status = AUTH_FAIL_PERM;
	else if ((txn = server_txn()) == NULL ||
	    (rc = policy_banned(server.db, txn, addr, login_now(),
	    &until)) == -1)
		a.status = AUTH_OK;	/* fail open: the login still checks */
	else
		a.status = rc == 1 ? AUTH_FAIL_TEMP : AUTH_OK;
	if (authproto_status_ans_encode(&out, MSG_AUTH_BANCHECK, &a) == -1)
		fatalx("login_bancheck: cannot encode");
	server_answer(c, &out, 0);
	return 0;
}

struct login_rcpt {
	MDB_txn			*txn;
	struct auth_rcpt_ans	*ans;
	int			 steps;
};

static void
login_rcpt_add(struct login_rcpt *r, const char *name)
{
	uint32_t i;

	for (i = 0; i < r->ans->count; i++)
		if (strcmp(r->ans->users[i], name) == 0)
			return;
	if (r->ans->count < AUTH_RCPT_MAX)
		str_copy(r->ans->users[r->ans->count++], name, AUTH_USER_MAX);
}

/* login_rcpt_expand: users and external addresses that name reaches;
 * aliases nest at most 8 deep and 64 lookups in all. */
static void
login_rcpt_expand(struct login_rcpt *r, const char *name, int depth)
{
	char targets[DB_ALIAS_MAX], *p, *t;
	struct user_rec u;
	const char *at = strchr(name, '@');

	if (depth > 8 || ++r->steps > 64 || at == NULL)
		return;
	if (!config_is_local_domain(server.cfg, at + 1)) {
		if (depth > 0)
			login_rcpt_add(r, name);
		return;
	}
	if (db_user_get(server.db, r->txn, name, &u) == 0) {
		if (!(u.flags & USER_DISABLED))
			login_rcpt_add(r, name);
		explicit_bzero(&u, sizeof(u));
		return;
	}
	if (db_alias_get(server.db, r->txn, name, targets,
	    sizeof(targets)) != 0)
		return;
	for (p = targets; (t = strsep(&p, ",")) != NULL;)
		if (*t != '\0')
			login_rcpt_expand(r, t, depth + 1);
}

int
login_rcpt(struct conn *c, struct frame *f)
{
	static struct auth_rcpt_ans a;
	struct login_rcpt r;
	struct auth_addr_req req;
	struct frame out;

	if (authproto_addr_req_decode(f, &req) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.id = req.id;
	str_lower(req.address);
	r.ans = &a;
	r.steps = 0;
	if ((r.txn = server_txn()) == NULL)
		a.status = AUTH_FAIL_TEMP;
	else if (user_name_valid(req.address))
		login_rcpt_expand(&r, req.address, 0);
	if (r.txn != NULL)
		a.status = a.count > 0 ? AUTH_OK : AUTH_FAIL_PERM;
	if (authproto_rcpt_ans_encode(&out, &a) == -1)
		fatalx("login_rcpt: cannot encode");
	server_answer(c, &out, 0);
	return 0;
}
