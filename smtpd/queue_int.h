/*
 * queue_int.h: what the queue role's files share (internal to
 * queue*.c): the role's state, the scheduler, the intake pickup and the
 * message writer used by both the broker's transactions and the intake.
 * Runs in the queue process only.
 */
#ifndef POSTERN_QUEUE_INT_H
#define POSTERN_QUEUE_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/dsn.h"
#include "smtpd/queue.h"
#include "smtpd/relayproto.h"

/* One deliver process's link: one request in flight at a time on each;
 * the queue spreads messages over all of them (queue.h). */
enum qdeliver_state { QD_IDLE, QD_MSG, QD_ROOM };

struct qdeliver {
	int		 fd;
	enum qdeliver_state state;
	struct qmsg	*msg;		/* QD_MSG: the message and */
	size_t		 rcpt;		/* recipient in flight */
	int		 room_fd;	/* QD_ROOM: the client waiting */
	int64_t		 since;		/* mono_ms() of the request */
};

/* One relay process's link: one job in flight at a time on each (the
 * recipients of one message for one destination domain). */
struct qrelay {
	int		 fd;		/* -1: the link is gone */
	struct qmsg	*msg;		/* the job's message, NULL: idle */
	char		 domain[QUEUE_HOST_MAX];
	size_t		 idx[RELAY_RCPT_MAX];	/* its recipients in msg */
	size_t		 n;
	struct relay_rcpt_result res[RELAY_RCPT_MAX];	/* RESULTs so far */
	size_t		 nres;
	int64_t		 since;		/* mono_ms() of the job */
};

/* The memory of a destination that was down (no host answered): its
 * messages wait until "until" (unix seconds), the next retry of the
 * message whose job found it down. */
struct qdown {
	char		 domain[QUEUE_HOST_MAX];
	int64_t		 until;
};

#define QUEUE_DOWN_MAX	256	/* domains remembered; the oldest go */

struct queue_state {
	const struct config *cfg;
	int		 authfd;
	uint32_t	 authid;	/* the last authd request id */
	struct qmsg	*msgs;		/* every queued message */
	size_t		 nmsgs;
	struct qdeliver	 dl[QUEUE_DELIVER_MAX];
	size_t		 ndl;
	struct qrelay	 rl[QUEUE_RELAY_MAX];
	size_t		 nrl;
	struct qdown	 down[QUEUE_DOWN_MAX];
	size_t		 ndown;
	int64_t		 intake_next;	/* mono_ms() of the next scan */
	int64_t		 sched_next;	/* mono_ms() of the next pass */
	int		 sched_kick;	/* something changed: pass now */
	/* Relay jobs handed out and not yet answered: read by the SIGTERM
	 * handler (queue.c), which then waits for their answers. */
	volatile sig_atomic_t relay_jobs;
};

extern struct queue_state queue;

/*
 * queue_stop (queue.c): the queue ends, on a stop (SIGTERM, status 0) or
 * because its deliver role is gone (status 1, why logged): the relay
 * jobs still out are waited for first, at most 35 seconds, and their
 * answers recorded (a message the remote has is not sent again after
 * the restart); then _exit(status).
 */
void	queue_stop(int status, const char *why) __attribute__((noreturn));

/* A message being written: the broker's transaction or an intake file. */
struct qwriter {
	struct qmsg	*m;		/* rcpts grow as they come */
	size_t		 cap;
	int		 fd;		/* queue/.<id>.msg.tmp, -1 none */
	uint64_t	 bytes;		/* message bytes so far */
	uint64_t	 max;		/* the bound on them */
	char		 last;		/* the last byte given (crlf) */
	int		 failed;	/* refused: COMMIT answers the reason */
	char		 why[QUEUE_TEXT_MAX];
};

/*
 * qwriter_start: a new message with a fresh id (w->m->id) and its tmp
 * file open.  0 or -1 (logged; w->why says why in words for the client,
 * w is then empty).  qwriter_header: write the Received header first:
 * received is its text without the date and line end (queue_received_*,
 * made with the id).  0, or -1 (w->failed set).
 */
int	qwriter_start(struct qwriter *w, const char *sender);
int	qwriter_header(struct qwriter *w, const char *received);
/* qwriter_rcpt: add one destination.  0, or -1 (too many: w->failed). */
int	qwriter_rcpt(struct qwriter *w, const struct qrcpt *r);
/* qwriter_data: add message bytes (crlf: turn bare LF into CRLF, for the
 * intake).  0, or -1 (w->failed set, the reason in w->why). */
int	qwriter_data(struct qwriter *w, const void *p, size_t len, int crlf);
/* qwriter_commit: durably queue it (spool_commit) and hand it to the
 * scheduler; the id in w->m->id stays readable in id.  0, or -1 with the
 * reason in w->why.  qwriter_abort: forget it.  Both leave w empty. */
int	qwriter_commit(struct qwriter *w, char *id);
void	qwriter_abort(struct qwriter *w);

/* queue_received_smtp / _local: the Received text for a message. */
void	queue_received_smtp(char *buf, size_t len, const struct queue_env *e,
	    const char *id);
void	queue_received_local(char *buf, size_t len, unsigned long uid,
	    const char *id);

/* Scheduler (queue_sched.c).  sched_run makes a pass over the queue
 * once a second, or at once after sched_add, a delivery's answer or a
 * flush, and hands a message to each idle deliver process.
 * sched_deliver_answer reads the answer of d (which must be busy).
 * sched_room asks an idle deliver process; -1 when none is (the caller
 * answers "unknown" at once).  sched_forget: the client fd closed. */
void	sched_add(struct qmsg *m);
void	sched_run(void);
void	sched_deliver_answer(struct qdeliver *d);
int	sched_room(int clientfd, const struct queue_room *r);
int64_t	sched_timeout(void);
void	sched_forget(int clientfd);

/* The listing for authctl: the whole queue (id "") or one message, as
 * text in a new buffer.  Returns NULL when id is not queued (or no
 * memory: *nomem set). */
char	*sched_text(const char *id, size_t *len, int *nomem);
/* REMOVE and FLUSH: status (QUEUE_*) and words into text. */
uint32_t sched_remove(const char *id, char *text, size_t len);
uint32_t sched_flush(const char *id, char *text, size_t len);

/* sched_save: after a change to m: m removed when it is done
 * (sched_done), else its envelope rewritten durably.  m may be freed. */
void	sched_save(struct qmsg *m);

/*
 * Relay jobs (queue_relay.c).  qrelay_sched hands the due remote
 * recipients of m, grouped by domain (up to RELAY_RCPT_MAX a job), to
 * idle relay processes.  qrelay_check: jobs past their bound lose their
 * link; expired memories of down domains go.  qrelay_busy: a job is in
 * flight; qrelay_links: relay processes still linked.  qrelay_notices:
 * the bounce and delay notices m's remote recipients are due; 1 when
 * m's envelope changed (the caller saves it).  qrelay_delay: the wait
 * after the nth failed attempt; qrelay_domain: the domain of an
 * address; qrelay_down_until: when a down domain may be tried again (0:
 * not down); qrelay_forget_down: forget every down domain (a flush).
 */
void	qrelay_sched(struct qmsg *m, int64_t now);
void	qrelay_check(void);
int	qrelay_busy(void);
size_t	qrelay_links(void);
int	qrelay_notices(struct qmsg *m, int64_t now);
int64_t	qrelay_delay(uint32_t attempts);
const char *qrelay_domain(const char *addr);
int64_t	qrelay_down_until(const char *domain);
void	qrelay_forget_down(void);

/* sched_relay_answer: read what relay process r sent (poll said
 * readable); a relay that hangs up or breaks the protocol loses its link
 * (what it had answered is applied, the rest stays queued). */
void	sched_relay_answer(struct qrelay *r);

/* Intake (queue_intake.c): pick up what intake/ holds. */
void	intake_scan(void);
/* intake_expand: the destinations of recipient rcpt (qualified with the
 * first domain when it has no '@'; a local one expanded by authd) into
 * w.  0, 1 when authd does not know it (nothing added), -1 when authd
 * cannot answer now. */
int	intake_expand(struct qwriter *w, const char *rcpt);

/*
 * Notices to the sender (queue_dsn.c): qdsn_send queues, durably,
 * one notice (dsn.h) of action for the recipients idx[0..n-1] of m, to
 * m's sender, from the null sender, through the qwriter like any
 * message (so it is delivered locally or relayed).  A null-sender m gets
 * none (logged), nor do recipients whose NOTIFY excludes it.  Returns 0
 * when done (queued, or nothing to send), -1 when it cannot be queued
 * now (authd or the spool failed, logged): the caller tries again later.
 */
int	qdsn_send(struct qmsg *m, const size_t *idx, size_t n,
	    enum dsn_action action);

#endif
