/*
 * login.h: authd's request handlers: logins, ban checks, recipient
 * lookups, and the fair scheduler that feeds the verification threads.
 *
 * Runs in authd's main thread.  The requests come from clients that
 * passed the SO_PEERCRED check, but every field is still hostile: names
 * are validated, addresses normalised, and an answer never says why a
 * login failed (the audit log does).  Order of the checks in a login:
 * ban and per-address queue limit first (cheap, before any hashing), then
 * lockout, then the password (scrypt, in a thread), then 2FA, account
 * state, service and network.
 */
#ifndef POSTERN_LOGIN_H
#define POSTERN_LOGIN_H

#include <stdint.h>
#include <sys/types.h>

#include "authd/worker.h"
#include "common/authproto.h"
#include "common/frame.h"

struct conn;
struct sched_queue;

/* One login between its request and its answer. */
struct login {
	struct worker_job	 job;		/* job.owner points here */
	struct login		*qnext;		/* sched.c's queue */
	struct sched_queue	*queue;
	struct conn		*conn;
	uint32_t		 id;
	unsigned		 service_bit;
	int			 user_exists;
	int			 known;		/* pair logged in before */
	const char		*prefail;	/* failure known before hashing */
	int			 kind[WORKER_CANDIDATES];
	int			 recovery;	/* recovery code index, or -1 */
	char			 code[7];	/* the 2FA code, if any */
	char			 service[AUTH_SERVICE_MAX];
	char			 mech[AUTH_MECH_MAX];
	char			 user[AUTH_USER_MAX];
	char			 address[AUTH_ADDR_MAX];
	char			 session[AUTH_SESSION_MAX];
};

/* login_init: remember which peer uids may connect (root, our own uid,
 * and the uids given, -1 entries ignored). */
void	login_init(const uid_t *uids, int n);

/* login_peer_allowed: non-zero when uid may talk to authd. */
int	login_peer_allowed(uid_t uid);

/* Request handlers: each decodes f, answers through server_answer (now or
 * later) and returns 0; -1 means the frame was malformed and the client
 * must be dropped (nothing was answered). */
int	login_request(struct conn *c, struct frame *f);
int	login_bancheck(struct conn *c, struct frame *f);
int	login_rcpt(struct conn *c, struct frame *f);

/* login_finished: finish the verifications in the list worker_done gave. */
void	login_finished(struct worker_job *done);

/* login_schedule: hand queued logins to idle threads, round-robin over
 * client addresses, at most max(1, threads - 1) at a time per address, so
 * one address can never occupy every thread. */
void	login_schedule(void);

#endif
