/*
 * sched.c: per-address fair queueing of logins (see sched.h).  Runs in
 * authd's main thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "authd/sched.h"
#include "common/log.h"
#include "common/util.h"

struct sched_queue {
	char		 address[AUTH_ADDR_MAX];
	int		 known;		/* the lane of known (user, address) */
	struct login	*head, *tail;
	int		 queued;
	int		 running;
};

static struct sched_queue *sched_q[SCHED_ADDRESSES];
static int	sched_nq;
static int	sched_cursor[2];
static int	sched_cap = 1;

void
sched_init(int threads)
{
	sched_cap = threads > 1 ? threads - 1 : 1;
}

static struct sched_queue *
sched_find(const char *address, int known)
{
	struct sched_queue *q;
	int i;

	for (i = 0; i < sched_nq; i++)
		if (sched_q[i]->known == known &&
		    strcmp(sched_q[i]->address, address) == 0)
			return sched_q[i];
	if (sched_nq == SCHED_ADDRESSES ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	str_copy(q->address, address, sizeof(q->address));
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

	if ((q = sched_find(l->address, l->known)) == NULL)
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

/* sched_pick: the next runnable login of one lane, round-robin. */
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
		l = q->head;
		q->head = l->qnext;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued--;
		q->running++;
		return l;
	}
	return NULL;
}

struct login *
sched_next(void)
{
	struct login *l;

	if ((l = sched_pick(1)) == NULL)
		l = sched_pick(0);
	return l;
}

void
sched_done(struct login *l)
{
	struct sched_queue *q = l->queue;

	if (q == NULL || q->running <= 0)
		fatalx("sched_done: login was not running");
	q->running--;
	l->queue = NULL;
	sched_forget(q);
}
