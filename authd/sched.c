/*
 * sched.c: per-address fair queueing and per-account serialisation of
 * logins (see sched.h).  Runs in authd's main thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "authd/sched.h"
#include "common/log.h"
#include "common/util.h"

struct sched_queue {
	char		 key[AUTH_ADDR_MAX];
	int		 known;		/* the lane of known (user, address) */
	struct login	*head, *tail;
	int		 queued;
	int		 running;
};

static struct sched_queue *sched_q[SCHED_ADDRESSES];
static int	sched_nq;
static int	sched_cursor[2];
static int	sched_cap = 1;
/* The running logins; never more than the threads, so a scan is cheap. */
static struct login **sched_run;
static int	sched_nrun, sched_maxrun;

void
sched_init(int threads)
{
	sched_cap = threads > 1 ? threads - 1 : 1;
	sched_maxrun = threads;
	if ((sched_run = calloc((size_t)threads, sizeof(*sched_run))) == NULL)
		fatal("out of memory for the login scheduler");
}

static struct sched_queue *
sched_find(const char *key, int known, int create)
{
	struct sched_queue *q;
	int i;

	for (i = 0; i < sched_nq; i++)
		if (sched_q[i]->known == known &&
		    strcmp(sched_q[i]->key, key) == 0)
			return sched_q[i];
	if (!create || sched_nq == SCHED_ADDRESSES ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	str_copy(q->key, key, sizeof(q->key));
	q->known = known;
	sched_q[sched_nq++] = q;
	return q;
}

static void
sched_forget(struct sched_queue *q)
{
	int i;

	if (q->queued > 0 || q->running > 0)
		return;
	for (i = 0; i < sched_nq; i++)
		if (sched_q[i] == q) {
			sched_q[i] = sched_q[--sched_nq];
			break;
		}
	free(q);
}

int
sched_enqueue(struct login *l)
{
	struct sched_queue *q;

	if ((q = sched_find(l->key, l->known, 1)) == NULL)
		return -1;
	if (q->queued >= SCHED_PER_ADDRESS) {
		sched_forget(q);
		return -1;
	}
	l->queue = q;
	l->qnext = NULL;
	if (q->tail)
		q->tail->qnext = l;
	else
		q->head = l;
	q->tail = l;
	q->queued++;
	return 0;
}

int
sched_waiting(const char *key)
{
	struct sched_queue *q = sched_find(key, 0, 0);

	return q == NULL ? 0 : q->queued + q->running;
}

/*
 * sched_blocked: a login for the same user name from the same address
 * key, or from an unknown address when l is from one, is running.  The
 * rule looks at names only, never at whether the account exists, is
 * locked or was decided before hashing: logins for a made-up name queue
 * exactly as those for a real one, so the answer times under concurrency
 * do not tell them apart.
 */
static int
sched_blocked(const struct login *l)
{
	const struct login *r;
	int i;

	for (i = 0; i < sched_nrun; i++) {
		r = sched_run[i];
		if (strcmp(r->user, l->user) != 0)
			continue;
		if (strcmp(r->key, l->key) == 0 || (!l->known && !r->known))
			return 1;
	}
	return 0;
}

/* sched_unlink: take the first login of q that is not blocked. */
static struct login *
sched_unlink(struct sched_queue *q)
{
	struct login *l, *prev = NULL;

	for (l = q->head; l != NULL; prev = l, l = l->qnext)
		if (!sched_blocked(l))
			break;
	if (l == NULL)
		return NULL;
	if (prev != NULL)
		prev->qnext = l->qnext;
	else
		q->head = l->qnext;
	if (q->tail == l)
		q->tail = prev;
	q->queued--;
	q->running++;
	return l;
}

/* sched_pick: the next runnable login of one lane, round-robin over the
 * queues, first come first served within one. */
static struct login *
sched_pick(int known)
{
	struct sched_queue *q;
	struct login *l;
	int i, *cur = &sched_cursor[known];

	for (i = 0; i < sched_nq; i++) {
		if (*cur >= sched_nq)
			*cur = 0;
		q = sched_q[(*cur)++];
		if (q->known != known || q->head == NULL ||
		    q->running >= sched_cap)
			continue;
		if ((l = sched_unlink(q)) != NULL)
			return l;
	}
	return NULL;
}

struct login *
sched_next(void)
{
	struct login *l;

	if (sched_nrun == sched_maxrun)
		return NULL;
	if ((l = sched_pick(1)) == NULL && (l = sched_pick(0)) == NULL)
		return NULL;
	sched_run[sched_nrun++] = l;
	return l;
}

void
sched_done(struct login *l)
{
	struct sched_queue *q = l->queue;
	int i;

	if (q == NULL || q->running <= 0)
		fatalx("internal error: a login finished that was not running");
	for (i = 0; i < sched_nrun && sched_run[i] != l; i++)
		;
	if (i == sched_nrun)
		fatalx("internal error: a login finished that was not running");
	sched_run[i] = sched_run[--sched_nrun];
	q->running--;
	l->queue = NULL;
	sched_forget(q);
}
