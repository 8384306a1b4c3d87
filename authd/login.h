/*
 * login.h: authd's login decisions.  Returns verdicts; never audits,
 * answers, delays or touches the event loop (dispatch.c does all that).
 *
 * Runs in authd's main thread, inside the caller's write transaction.
 * The request comes from a process that passed the SO_PEERCRED check, but
 * every field is still hostile: the user name is validated, the address
 * normalised, and a verdict's reason is for the audit log only.
 *
 * A login goes through three steps:
 *   login_admit   on arrival: the checks that need no hash (ban, user,
 *                 account state, service, networks, app password) and the
 *                 choice of the one secret to hash;
 *   login_recheck when the scheduler picks it: ban and locks again, since
 *                 earlier logins of the same pair or account may have
 *                 locked it while this one waited;
 *   login_judge   after the hash: the verdict.
 * Every login that is not refused outright costs exactly two scrypt runs
 * (WORKER_CANDIDATES), both always computed, whatever the account and
 * secret.  A user with TOTP may need both: "password + code" where the
 * code is wrong and the bare secret (so the audit log can tell a wrong
 * code from a forgotten one); a valid code or recovery code is checked
 * before hashing and fixes where the password ends; every other login
 * fills the second slot with a candidate that is never taken, and an
 * unknown user, a locked pair or a disabled account hash against a dummy
 * hash of the same cost.  So neither the work nor the answer tells an
 * account with 2FA, a right password with a wrong code, or a lock from a
 * wrong password.
 */
#ifndef POSTERN_LOGIN_H
#define POSTERN_LOGIN_H

#include <stdint.h>

#include "authd/db.h"
#include "authd/worker.h"
#include "common/authproto.h"
#include "common/config.h"

struct sched_queue;

/* Which counters a refusal adds to (policy.h). */
enum login_count {
	LOGIN_COUNT_NONE,	/* bans, overload, our own faults */
	LOGIN_COUNT_ADDRESS,	/* unknown user, locks, account state */
	LOGIN_COUNT_ALL,	/* a judged wrong secret: pair, account, address */
};

struct login_verdict {
	uint32_t	 status;	/* AUTH_OK, AUTH_FAIL_PERM, _TEMP */
	enum login_count count;
	char		 reason[160];	/* audit only: why, or how it was made */
};

/* One login between its request and its answer.  The fields up to
 * quota are login.c's; the rest belong to the named module. */
struct login {
	struct worker_job	 job;		/* job.owner points here */
	uint32_t		 id;
	unsigned		 service_bit;
	int			 user_exists;	/* 0 also for refused names */
	int			 known;		/* address known to this user */
	int			 decided;	/* verdict known before hashing */
	struct login_verdict	 pre;		/* that verdict */
	int			 kind[WORKER_CANDIDATES];	/* what each
							 * candidate is */
	int			 recovery;	/* recovery code index, or -1 */
	char			 code[7];	/* the TOTP code, if any */
	char			 label[DB_LABEL_MAX];	/* app password */
	char			 service[AUTH_SERVICE_MAX];
	char			 mech[AUTH_MECH_MAX];
	char			 user[AUTH_USER_MAX];
	char			 address[AUTH_ADDR_MAX];	/* as given */
	char			 key[AUTH_ADDR_MAX];	/* policy_addr_key */
	char			 session[AUTH_SESSION_MAX];
	uint64_t		 quota;		/* effective, once judged ok */
	struct login		*qnext;		/* sched.c */
	struct sched_queue	*queue;		/* sched.c */
	void			*conn;		/* dispatch.c */
	int			 opens;		/* dispatch.c: a session login */
	int64_t			 arrived;	/* dispatch.c: mono_ms */
};

/* login_init: make the dummy hash unknown users are checked against, at
 * the configured scrypt cost.  Call once, before the first login. */
void	login_init(const struct config *cfg);

/*
 * login_admit: fill l from the request r (which the caller wipes) and
 * decide what needs no hash.  Returns 1 when l goes on to the scheduler
 * (its job holds one candidate; l->decided may already be set), or 0 when
 * *v is final and nothing is to be hashed (a banned or invalid address,
 * an unknown service, a database error).  The caller MUST wipe l->job
 * when done (worker_job_wipe).
 */
int	login_admit(struct login *l, struct db *db, MDB_txn *txn,
	    const struct config *cfg, const struct auth_login_req *r,
	    struct login_verdict *v);

/* login_recheck: as login_admit's return, at the moment l is picked to
 * run: 0 (with *v) when its address is banned now; otherwise 1, with
 * l->decided set when the pair or account is locked now. */
int	login_recheck(struct login *l, struct db *db, MDB_txn *txn,
	    struct login_verdict *v);

/* login_judge: the verdict once l's hash is done (l->job.matched).  On
 * success it has used up the code, opened the trust window in txn and
 * set l->quota to the user's effective quota (db_quota_effective with
 * cfg's default quota); a quota it cannot read fails the login for now,
 * since 0 would mean no limit. */
void	login_judge(struct login *l, struct db *db, MDB_txn *txn,
	    const struct config *cfg, struct login_verdict *v);

#endif
