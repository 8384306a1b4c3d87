/*
 * dispatch.h: what authd does with each request: the table of message
 * types (decoder and handler, and which peers may send each), and the
 * life of a login from admission through the scheduler and the hash to
 * its verdict, which is counted, audited and answered here and nowhere
 * else.
 *
 * Runs in authd's main thread; server.c calls in, and dispatch.c uses
 * login.c (verdicts), lookup.c (ban checks, recipients), policy.c
 * (counting), sched.c and worker.c (hashing), live.c (the live mail
 * sessions: their login records, open, end, who and kick), sendlimit.c
 * (smtpd's sending limit), notice.c (the login notices a verdict calls
 * for), and server.c's answer and audit calls.  Timing rule: every refusal is answered at the same fixed
 * time after its request arrived ("auth failure delay"), whatever the
 * reason; a success is answered as soon as it is committed.
 */
#ifndef POSTERN_DISPATCH_H
#define POSTERN_DISPATCH_H

#include "authd/db.h"
#include "authd/worker.h"
#include "common/config.h"
#include "common/frame.h"

struct conn;

/* dispatch_init: the database and configuration every handler uses. */
void	dispatch_init(struct db *db, const struct config *cfg);

/* dispatch_request: handle one frame of c.  Returns 0, or -1 when the
 * frame is malformed, of an unknown type, or not allowed from c's peer
 * role (the caller closes c; nothing was answered). */
int	dispatch_request(struct conn *c, struct frame *f);

/* dispatch_closed: c has hung up or was dropped: a session it announced
 * is forgotten, and one that never opened is audited as such. */
void	dispatch_closed(struct conn *c);

/* dispatch_schedule: hand waiting logins to idle verification threads. */
void	dispatch_schedule(void);

/* dispatch_verified: give the verdicts of the finished jobs in the list
 * worker_done returned. */
void	dispatch_verified(struct worker_job *done);

#endif
