/*
 * worker.h: authd's pool of verification threads.
 *
 * Runs in authd.  The threads do one thing: scrypt, which is slow on
 * purpose; everything else (database, policy, sockets) stays in the main
 * thread, so the threads share no state but the two job lists here.  The
 * main thread decides what runs next (per-address fairness, server.c);
 * this module only runs what it is handed, never more jobs than threads.
 * A job holds secrets: the main thread MUST wipe it after reading the
 * result (worker_job_wipe).
 */
#ifndef POSTERN_WORKER_H
#define POSTERN_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "authd/db.h"
#include "common/authproto.h"

#define WORKER_CANDIDATES	2

/* Is one of the candidates the password of mcf?  Every candidate is
 * hashed, with no early exit, and every login hands in exactly
 * WORKER_CANDIDATES of them, so every login costs the same (login.h). */
struct worker_job {
	struct worker_job *next;
	char	 mcf[DB_HASH_MAX];
	struct {
		uint8_t	pw[AUTH_SECRET_MAX];
		size_t	len;
	} cand[WORKER_CANDIDATES];
	int	 matched;	/* out: index of the first match, or -1 */
	void	*owner;		/* the caller's, untouched */
};

/*
 * worker_start: start n threads (n >= 1).  Returns the read end of a
 * non-blocking pipe that becomes readable when jobs finish.  Fatal on
 * failure (start-up only).
 */
int	worker_start(int n);

/* worker_submit: hand a job to an idle thread; the caller MUST NOT submit
 * more jobs than worker_idle() said were free. */
void	worker_submit(struct worker_job *job);

/* worker_idle: the number of threads without a job. */
int	worker_idle(void);

/* worker_done: drain the pipe and return the finished jobs (a list linked
 * by next), or NULL. */
struct worker_job *worker_done(void);

/* worker_wake: make the pipe readable, so the main thread's poll()
 * returns.  Async-signal-safe: a signal handler, which may run in any
 * thread that does not block the signal (a sanitizer's or libfaketime's
 * own), uses it so the main thread sees the signal at once. */
void	worker_wake(void);

/* worker_job_wipe: erase the secrets of a job. */
void	worker_job_wipe(struct worker_job *job);

#endif
