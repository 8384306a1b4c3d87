/*
 * sched.h: the fair queue in front of authd's verification threads.
 *
 * Runs in authd's main thread.  Logins wait in one FIFO per client
 * address; sched_next serves the addresses round-robin and lets no
 * address have more than max(1, threads - 1) verifications running, so a
 * flood of wrong passwords from one address leaves a thread free for
 * everybody else, and at most SCHED_PER_ADDRESS logins of one address may
 * wait at all: beyond that they are refused before any hashing.  Logins of
 * a (user, address) pair that logged in successfully before go first, in
 * a lane of their own: an attack spread over many addresses makes new
 * addresses wait, not the office's own users.
 */
#ifndef POSTERN_SCHED_H
#define POSTERN_SCHED_H

#include "authd/login.h"

#define SCHED_PER_ADDRESS	32
#define SCHED_ADDRESSES		4096

/* sched_init: set the number of verification threads. */
void	sched_init(int threads);

/* sched_enqueue: queue l under l->address; -1 when that address (or the
 * whole queue) is full. */
int	sched_enqueue(struct login *l);

/* sched_next: the next login to verify, or NULL when none may run now. */
struct login *sched_next(void);

/* sched_done: l's verification finished; free its slot. */
void	sched_done(struct login *l);

#endif
