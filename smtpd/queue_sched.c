/*
 * queue_sched.c: the queue's scheduler (queue.h says the policy): the
 * pass over the queue (expiry, notices, relay jobs through
 * queue_relay.c), which local recipient goes to the deliver role next,
 * what its answer does to the envelope, when a message is done; the ROOM
 * question; and what authctl sees (list, show, remove, flush).  Runs in
 * the queue role; trusts the deliver role's answers only as far as the
 * decoder checks them (a bad one is fatal: the parent restarts the
 * roles).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

#define SCHED_DELIVER_MS	(10 * 60 * 1000)	/* one delivery's bound */

/* Backoff after the nth temporary failure, in seconds; then "queue
 * retry". */
static const int64_t sched_backoff[] = { 60, 5 * 60, 15 * 60, 30 * 60,
	60 * 60 };

static int64_t
sched_now(void)
{
	return now_us() / 1000000;
}

void
sched_add(struct qmsg *m)
{
	m->next = queue.msgs;
	queue.msgs = m;
	queue.nmsgs++;
	queue.sched_kick = 1;
}

/* sched_unlink: take m off the list and free it. */
static void
sched_drop(struct qmsg *m)
{
	struct qmsg **pp;

	for (pp = &queue.msgs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			queue.nmsgs--;
			break;
		}
	spool_msg_free(m);
}

/* sched_done: all recipients delivered or failed (and the sender told
 * of remote failures), nothing in flight: remove m, not durably (queue.h
 * says why that is safe) unless a remote host took a copy: no key finds
 * that one again, so its removal is made durable. */
static int
sched_done(struct qmsg *m)
{
	size_t i, ok = 0, failed = 0;
	int sent = 0;

	if (m->busy || m->relaying)
		return 0;
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpts[i].state == QRCPT_PENDING)
			return 0;
		if (m->rcpts[i].state == QRCPT_FAILED && !m->rcpts[i].local &&
		    !(m->rcpts[i].noticed & QRCPT_NOTICED_FAILURE))
			return 0;
		if (m->rcpts[i].state == QRCPT_DELIVERED) {
			ok++;
			sent |= !m->rcpts[i].local;
		} else
			failed++;
	}
	if (spool_remove(m->id, sent) == -1)
		return 0;
	log_info("message %s done: %zu delivered, %zu failed", m->id, ok,
	    failed);
	sched_drop(m);
	return 1;
}

void
sched_save(struct qmsg *m)
{
	if (!sched_done(m))
		(void)spool_env_write(m);
}

/* sched_expire: recipients past their lifetime ("queue lifetime" for
 * local ones, "relay lifetime" for remote ones) fail; 1 when m
 * changed. */
static int
sched_expire(struct qmsg *m, int64_t now)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < m->nrcpt; i++) {
		struct qrcpt *r = &m->rcpts[i];

		if (r->state != QRCPT_PENDING || r->inflight ||
		    (m->busy && r->local) || now - m->arrival <
		    (r->local ? queue.cfg->queue_lifetime :
		    queue.cfg->relay_lifetime))
			continue;
		log_warnx("message %s to %s: gave up after %" PRIu32
		    " attempts (%s lifetime): %s", m->id, r->dest,
		    r->attempts, r->local ? "queue" : "relay",
		    r->error[0] != '\0' ? r->error : "no attempt");
		if (r->error[0] == '\0')
			(void)str_copy(r->error, r->local ? "no attempt" :
			    "no relay process took it in time",
			    sizeof(r->error));
		r->state = QRCPT_FAILED;
		changed = 1;
	}
	return changed;
}

static void	sched_result(struct qmsg *, size_t, uint32_t, const char *);

/* sched_idle: a deliver process with nothing in flight, or NULL. */
static struct qdeliver *
sched_idle(void)
{
	size_t k;

	for (k = 0; k < queue.ndl; k++)
		if (queue.dl[k].state == QD_IDLE)
			return &queue.dl[k];
	return NULL;
}

/* sched_send: hand recipient i of m to the deliver process d. */
static int
sched_send(struct qdeliver *d, struct qmsg *m, size_t i)
{
	static struct deliver_req req;
	struct frame f;
	int fd, rc;

	memset(&req, 0, sizeof(req));
	(void)snprintf(req.key, sizeof(req.key), "%s-%zu", m->id, i);
	(void)str_copy(req.user, m->rcpts[i].dest, sizeof(req.user));
	(void)str_copy(req.sender, m->sender, sizeof(req.sender));
	(void)str_copy(req.rcpt, m->rcpts[i].address[0] != '\0' ?
	    m->rcpts[i].address : m->rcpts[i].dest, sizeof(req.rcpt));
	req.recovering = m->recovering ? 1 : 0;
	req.size = m->size;
	if (m->authres != NULL)
		(void)str_copy(req.authres, m->authres, sizeof(req.authres));
	req.junk = m->junk;
	if ((fd = spool_msg_open(m->id)) == -1) {
		log_warn("cannot open the message file of %s", m->id);
		sched_result(m, i, DELIVER_TEMP, "the queue cannot open the "
		    "message file");
		return -1;
	}
	if (queueproto_deliver_encode(&f, &req) == -1)
		fatalx("a delivery request does not fit a frame");
	rc = queueproto_send_fd(d->fd, &f, fd);
	(void)close(fd);
	if (rc == -1)
		fatal("cannot reach the deliver role");
	d->state = QD_MSG;
	d->msg = m;
	d->rcpt = i;
	d->since = mono_ms();
	m->busy = 1;
	return 0;
}

void
sched_run(void)
{
	struct qdeliver *d;
	struct qmsg *m, *next;
	int64_t now = sched_now();
	size_t i, k;
	int changed;

	for (k = 0; k < queue.ndl; k++)
		if (queue.dl[k].state != QD_IDLE &&
		    mono_ms() - queue.dl[k].since > SCHED_DELIVER_MS)
			fatalx("the deliver role did not answer within %d "
			    "minutes", SCHED_DELIVER_MS / 60000);
	qrelay_check();
	if (!queue.sched_kick && mono_ms() < queue.sched_next)
		return;
	queue.sched_kick = 0;
	queue.sched_next = mono_ms() + 1000;
	for (m = queue.msgs; m != NULL; m = next) {
		next = m->next;
		if (sched_done(m))
			continue;
		changed = sched_expire(m, now);
		changed |= qrelay_notices(m, now);
		if (changed)
			(void)spool_env_write(m);
		/* Also a message loaded with every recipient done: the
		 * queue died between its last envelope and its removal. */
		if (sched_done(m))
			continue;
		qrelay_sched(m, now);
		if (m->busy || (d = sched_idle()) == NULL)
			continue;
		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpts[i].state == QRCPT_PENDING &&
			    m->rcpts[i].local && m->rcpts[i].next <= now)
				break;
		if (i < m->nrcpt)
			(void)sched_send(d, m, i);
	}
}

int64_t
sched_timeout(void)
{
	size_t k;

	for (k = 0; k < queue.ndl; k++)
		if (queue.dl[k].state != QD_IDLE)
			return 250;
	return qrelay_busy() ? 250 : 1000;
}

void
sched_forget(int clientfd)
{
	size_t k;

	for (k = 0; k < queue.ndl; k++)
		if (queue.dl[k].state == QD_ROOM &&
		    queue.dl[k].room_fd == clientfd)
			queue.dl[k].room_fd = -1;
}

/* sched_result: apply the deliver role's answer to the recipient. */
static void
sched_result(struct qmsg *m, size_t i, uint32_t status, const char *text)
{
	struct qrcpt *r = &m->rcpts[i];
	size_t nb = sizeof(sched_backoff) / sizeof(sched_backoff[0]);
	int64_t delay;

	r->attempts++;
	(void)str_copy(r->error, text, sizeof(r->error));
	switch (status) {
	case DELIVER_OK:
		r->state = QRCPT_DELIVERED;
		r->error[0] = '\0';
		log_info("message %s delivered to %s%s", m->id, r->dest,
		    text[0] != '\0' ? " (found already delivered)" : "");
		break;
	case DELIVER_PERM:
		r->state = QRCPT_FAILED;
		log_warnx("message %s to %s failed: %s", m->id, r->dest, text);
		break;
	default:
		delay = r->attempts <= nb ? sched_backoff[r->attempts - 1] :
		    queue.cfg->queue_retry;
		if (delay > queue.cfg->queue_retry && r->attempts > 1)
			delay = queue.cfg->queue_retry;
		r->next = sched_now() + delay;
		log_warnx("message %s to %s deferred (attempt %" PRIu32
		    ", next in %" PRId64 "s): %s", m->id, r->dest, r->attempts,
		    delay, text);
		break;
	}
	/* Done: removed without recording the result (queue.h). */
	sched_save(m);
	queue.sched_kick = 1;
}

void
sched_deliver_answer(struct qdeliver *d)
{
	char text[QUEUE_TEXT_MAX];
	uint32_t status;
	struct frame f, out;
	struct qmsg *m;

	if (frame_read(d->fd, &f, mono_ms() + 5000) == -1) {
		if (errno == ECONNRESET)
			queue_stop(1, "the deliver role hung up");
		fatal("cannot read the deliver role's answer");
	}
	if (d->state == QD_MSG && f.type == MSG_DELIVER_MSG) {
		if (queueproto_result_decode(&f, DELIVER_QUOTA, &status, text,
		    sizeof(text)) == -1)
			fatalx("malformed answer from the deliver role");
		m = d->msg;
		d->state = QD_IDLE;
		d->msg = NULL;
		m->busy = 0;
		sched_result(m, d->rcpt, status, text);
		return;
	}
	if (d->state == QD_ROOM && f.type == MSG_DELIVER_ROOM) {
		if (queueproto_result_decode(&f, QUEUE_ROOM_UNKNOWN, &status,
		    text, sizeof(text)) == -1)
			fatalx("malformed answer from the deliver role");
		d->state = QD_IDLE;
		if (d->room_fd != -1 &&
		    queueproto_result_encode(&out, MSG_QUEUE_ROOM, status, "")
		    == 0)
			(void)frame_write(d->room_fd, &out);
		d->room_fd = -1;
		queue.sched_kick = 1;
		return;
	}
	fatalx("unexpected %s from the deliver role", msg_name(f.type));
}

int
sched_room(int clientfd, const struct queue_room *r)
{
	struct qdeliver *d;
	struct frame f;

	if ((d = sched_idle()) == NULL)
		return -1;
	if (queueproto_droom_encode(&f, r->user, r->quota, r->size) == -1)
		return -1;
	if (frame_write(d->fd, &f) == -1)
		fatal("cannot reach the deliver role");
	d->state = QD_ROOM;
	d->room_fd = clientfd;
	d->since = mono_ms();
	return 0;
}

/* ---- authctl ---------------------------------------------------------- */

struct sched_buf {
	char	*p;
	size_t	 len, cap;
	int	 nomem;
};

static void
sched_printf(struct sched_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sched_printf(struct sched_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	for (;;) {
		if (b->nomem)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->nomem = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (b->cap > (64U << 20) ||
		    (p = realloc(b->p, b->cap * 2 + (size_t)n)) == NULL) {
			b->nomem = 1;
			return;
		}
		b->p = p;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void
sched_age(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		(void)snprintf(buf, len, "%" PRId64 "s", secs);
	else if (secs < 2 * 3600)
		(void)snprintf(buf, len, "%" PRId64 "m", secs / 60);
	else if (secs < 2 * 86400)
		(void)snprintf(buf, len, "%" PRId64 "h", secs / 3600);
	else
		(void)snprintf(buf, len, "%" PRId64 "d", secs / 86400);
}

/* sched_in_flight: recipient i of m is with a deliver process. */
static int
sched_in_flight(const struct qmsg *m, size_t i)
{
	size_t k;

	for (k = 0; k < queue.ndl; k++)
		if (queue.dl[k].state == QD_MSG && queue.dl[k].msg == m &&
		    queue.dl[k].rcpt == i)
			return 1;
	return 0;
}

/* sched_when: t (unix seconds) for a listing. */
static void
sched_when(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)snprintf(buf, len, "%" PRId64, t);
}

/* sched_remote_text: the state of remote recipient r. */
static void
sched_remote_text(struct sched_buf *b, const struct qmsg *m,
    const struct qrcpt *r, int64_t now, int full)
{
	int64_t down = qrelay_down_until(qrelay_domain(r->dest)), at;
	char next[32], when[40], code[16];
	const char *dsn;

	if (r->state == QRCPT_DELIVERED)
		sched_printf(b, ": sent%s%s", r->host[0] != '\0' ? " to " : "",
		    r->host);
	else if (r->state == QRCPT_FAILED)
		sched_printf(b, ": failed after %" PRIu32 " attempt%s, %s",
		    r->attempts, r->attempts == 1 ? "" : "s",
		    (r->noticed & QRCPT_NOTICED_FAILURE) ? "sender told" :
		    "bounce pending");
	else if (r->inflight)
		sched_printf(b, ": in delivery (attempt %" PRIu32 ")",
		    r->attempts + 1);
	else {
		at = down > r->next ? down : r->next;
		sched_age(next, sizeof(next), at - now);
		sched_printf(b, ": waiting, %" PRIu32 " attempt%s, next "
		    "%s%s%s%s", r->attempts, r->attempts == 1 ? "" : "s",
		    at <= now ? "now" : "in ", at <= now ? "" : next,
		    down > r->next ? " (destination down)" : "",
		    qrelay_links() == 0 ? " (no relay process runs)" : "");
	}
	/* A remote text starts with its enhanced code already. */
	dsn = r->dsn[0] != '\0' && strncmp(r->error, r->dsn,
	    strlen(r->dsn)) != 0 ? r->dsn : "";
	if (r->code != 0 || r->host[0] != '\0') {
		if (r->code != 0)
			(void)snprintf(code, sizeof(code), "%" PRIu32 " ",
			    r->code);
		else
			code[0] = '\0';
		sched_printf(b, "\n      last answer%s%s: %s%s%s%s",
		    r->host[0] != '\0' ? " from " : "", r->host, code, dsn,
		    dsn[0] != '\0' ? " " : "", r->error);
	} else if (r->error[0] != '\0')
		sched_printf(b, "\n      last error: %s%s%s", dsn,
		    dsn[0] != '\0' ? " " : "", r->error);
	if (full && r->last != 0) {
		sched_when(when, sizeof(when), r->last);
		sched_printf(b, "\n      last attempt %s", when);
	}
	if (full && r->tls[0] != '\0')
		sched_printf(b, "\n      TLS policy %s", r->tls);
	if (full && r->state == QRCPT_PENDING) {
		sched_when(when, sizeof(when), m->arrival +
		    queue.cfg->relay_lifetime);
		sched_printf(b, "\n      retried until %s%s", when,
		    (r->noticed & QRCPT_NOTICED_DELAY) ? ", delay notice sent" :
		    "");
	}
}

static void
sched_rcpt_text(struct sched_buf *b, const struct qmsg *m, size_t i,
    int64_t now, int full)
{
	const struct qrcpt *r = &m->rcpts[i];
	char next[32];

	sched_printf(b, "  %s %s", r->local ? "local " : "remote", r->dest);
	if (full && r->address[0] != '\0' && strcmp(r->address, r->dest) != 0)
		sched_printf(b, " (as given: %s)", r->address);
	if (!r->local)
		sched_remote_text(b, m, r, now, full);
	else if (r->state == QRCPT_DELIVERED)
		sched_printf(b, ": delivered");
	else if (r->state == QRCPT_FAILED)
		sched_printf(b, ": failed after %" PRIu32 " attempts", r->attempts);
	else if (m->busy && sched_in_flight(m, i))
		sched_printf(b, ": being delivered");
	else {
		sched_age(next, sizeof(next), r->next - now);
		sched_printf(b, ": pending, %" PRIu32 " attempts, next %s%s",
		    r->attempts, r->next <= now ? "now" : "in ",
		    r->next <= now ? "" : next);
	}
	if (r->local && r->error[0] != '\0')
		sched_printf(b, ": %s", r->error);
	if (full && r->orcpt[0] != '\0')
		sched_printf(b, "\n      orcpt %s", r->orcpt);
	if (full && r->notify != 0)
		sched_printf(b, "\n      notify 0x%" PRIx32, r->notify);
	sched_printf(b, "\n");
}

static void
sched_msg_text(struct sched_buf *b, const struct qmsg *m, int64_t now,
    int full)
{
	char age[32], when[40];
	size_t i;

	sched_age(age, sizeof(age), now - m->arrival);
	sched_printf(b, "%s  %" PRIu64 " bytes  %s old  from <%s>\n", m->id,
	    m->size, age, m->sender);
	sched_when(when, sizeof(when), m->arrival);
	if (full)
		sched_printf(b, "  origin %s\n  arrival %s\n  body %" PRIu32
		    " flags 0x%" PRIx32 " envid %s\n", m->origin, when,
		    m->body, m->flags, m->envid[0] != '\0' ? m->envid : "-");
	for (i = 0; i < m->nrcpt; i++)
		sched_rcpt_text(b, m, i, now, full);
}

char *
sched_text(const char *id, size_t *len, int *nomem)
{
	struct sched_buf b = { NULL, 0, 4096, 0 };
	const struct qmsg *m;
	int64_t now = sched_now();
	int found = 0;

	*nomem = 0;
	if ((b.p = malloc(b.cap)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	b.p[0] = '\0';
	if (id[0] == '\0')
		sched_printf(&b, "%zu message%s in the queue\n", queue.nmsgs,
		    queue.nmsgs == 1 ? "" : "s");
	for (m = queue.msgs; m != NULL; m = m->next) {
		if (id[0] != '\0' && strcmp(m->id, id) != 0)
			continue;
		found = 1;
		sched_msg_text(&b, m, now, id[0] != '\0');
	}
	if (b.nomem || (id[0] != '\0' && !found)) {
		*nomem = b.nomem;
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static struct qmsg *
sched_find(const char *id)
{
	struct qmsg *m;

	for (m = queue.msgs; m != NULL; m = m->next)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

uint32_t
sched_remove(const char *id, char *text, size_t len)
{
	struct qmsg *m;

	if (id[0] == '\0' || (m = sched_find(id)) == NULL) {
		(void)snprintf(text, len, "no message %s in the queue", id);
		return QUEUE_NOTFOUND;
	}
	if (m->busy || m->relaying) {
		(void)snprintf(text, len, "message %s is being delivered; try "
		    "again in a moment", id);
		return QUEUE_TEMP;
	}
	if (spool_remove(id, 1) == -1) {
		(void)snprintf(text, len, "cannot remove message %s from the "
		    "spool (the queue's log says why)", id);
		return QUEUE_TEMP;
	}
	log_info("message %s removed by the administrator", id);
	sched_drop(m);
	(void)snprintf(text, len, "message %s removed", id);
	return QUEUE_OK;
}

uint32_t
sched_flush(const char *id, char *text, size_t len)
{
	struct qmsg *m;
	size_t i, n = 0;

	if (id[0] != '\0' && sched_find(id) == NULL) {
		(void)snprintf(text, len, "no message %s in the queue", id);
		return QUEUE_NOTFOUND;
	}
	for (m = queue.msgs; m != NULL; m = m->next) {
		if (id[0] != '\0' && strcmp(m->id, id) != 0)
			continue;
		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpts[i].state == QRCPT_PENDING &&
			    !m->rcpts[i].inflight) {
				m->rcpts[i].next = 0;
				n++;
			}
	}
	qrelay_forget_down();
	queue.sched_kick = 1;
	log_info("queue flushed by the administrator: %zu recipient%s to "
	    "try now", n, n == 1 ? "" : "s");
	(void)snprintf(text, len, "%zu recipient%s to try now%s", n,
	    n == 1 ? "" : "s", qrelay_links() == 0 ?
	    " (remote ones wait: no relay process runs)" : "");
	return QUEUE_OK;
}
