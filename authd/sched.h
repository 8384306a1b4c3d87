/*
 * sched.h: the fair queue in front of authd's verification threads, and
 * the rule that makes the lockout hold under concurrency.
 *
 * Runs in authd's main thread.  Logins wait in one FIFO per client
 * address key (an IPv6 client's /64) and lane; sched_next serves the
 * queues round-robin and lets no address have more than
 * max(1, threads - 1) verifications running, so a flood from one address
 * leaves a thread free for everybody else; at most SCHED_PER_ADDRESS
 * logins of one address and lane may wait at all.  Logins of a (user,
 * address) pair that logged in before go first, in a lane of their own:
 * an attack spread over many addresses makes new addresses wait, not the
 * office's own users.
 *
 * Serialisation: of the logins for one user name, at most one per
 * address key runs at a time, and at most one from all the addresses the
 * user never logged in from.  The next one starts only after the previous
 * one's verdict has been counted, and login_recheck then sees any lock it
 * set.  So the number of passwords judged for a pair, or for an account
 * from unknown addresses, never exceeds the lockout limits, however many
 * connections and addresses try at once.  The rule applies to every name
 * alike, whether the account exists, is disabled or locked: otherwise
 * parallel guesses for a made-up name would be answered sooner than for
 * a real one, and the answer times would enumerate accounts.
 */
#ifndef POSTERN_SCHED_H
#define POSTERN_SCHED_H

#include "authd/login.h"

#define SCHED_PER_ADDRESS	32
#define SCHED_ADDRESSES		4096

/* sched_init: set the number of verification threads. */
void	sched_init(int threads);

/* sched_enqueue: queue l under l->key and l->known; -1 when that queue
 * (or the table of queues) is full. */
int	sched_enqueue(struct login *l);

/* sched_waiting: the logins of key in the lane of unknown addresses,
 * queued or running. */
int	sched_waiting(const char *key);

/* sched_next: the next login to verify, or NULL when none may run now.
 * It counts as running until sched_done. */
struct login *sched_next(void);

/* sched_done: l's verification finished (or was skipped) and its verdict
 * is counted; free its slot. */
void	sched_done(struct login *l);

#endif
