/*
 * queue_relay.c: the queue's side of outbound delivery (queue.h says the
 * policy): remote recipients grouped by destination domain into jobs for
 * the relay processes (relayproto.h), their answers applied to the
 * envelope (sent, retried with backoff, failed), the memory of
 * destinations that were down, and the notices to the sender (bounces,
 * delay notices) through queue_dsn.c.  Runs in the queue role.  A relay
 * process talks to the Internet: its frames are decoded as hostile, and
 * one that breaks the protocol or hangs up loses its link (what it had
 * answered is applied, its other recipients stay queued, retried later;
 * the parent restarts the roles).  A recipient the remote took is
 * written to the spool the moment its RESULT arrives, before the rest
 * of the answer: the message must not go out twice.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

#define QRELAY_READ_MS		5000		/* the rest of a frame */
#define QRELAY_NOTICE_PAUSE	60		/* s, after a failed notice */

/* Backoff after the nth temporary failure, in seconds; then the last,
 * until "relay lifetime". */
static const int64_t qrelay_backoff[] = { 5 * 60, 15 * 60, 30 * 60,
	60 * 60, 2 * 60 * 60, 4 * 60 * 60 };

int64_t
qrelay_delay(uint32_t attempts)
{
	size_t nb = sizeof(qrelay_backoff) / sizeof(qrelay_backoff[0]);

	if (attempts == 0)
		return 0;
	return qrelay_backoff[attempts <= nb ? attempts - 1 : nb - 1];
}

const char *
qrelay_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

/* qrelay_down_find: the memory of domain, or NULL. */
static struct qdown *
qrelay_down_find(const char *domain)
{
	size_t i;

	for (i = 0; i < queue.ndown; i++)
		if (strcasecmp(queue.down[i].domain, domain) == 0)
			return &queue.down[i];
	return NULL;
}

int64_t
qrelay_down_until(const char *domain)
{
	const struct qdown *d = qrelay_down_find(domain);

	return d != NULL ? d->until : 0;
}

/* qrelay_down_mark: domain was down: its messages wait until until. */
static void
qrelay_down_mark(const char *domain, int64_t until)
{
	struct qdown *d;
	size_t i;

	if ((d = qrelay_down_find(domain)) == NULL) {
		if (queue.ndown < QUEUE_DOWN_MAX)
			d = &queue.down[queue.ndown++];
		else {
			/* full: the one that waits least is forgotten */
			d = &queue.down[0];
			for (i = 1; i < queue.ndown; i++)
				if (queue.down[i].until < d->until)
					d = &queue.down[i];
		}
		(void)str_copy(d->domain, domain, sizeof(d->domain));
	}
	d->until = until;
}

void
qrelay_forget_down(void)
{
	queue.ndown = 0;
}

/* qrelay_expired: drop memories whose time has come. */
static void
qrelay_down_expire(int64_t now)
{
	size_t i = 0;

	while (i < queue.ndown) {
		if (queue.down[i].until <= now)
			queue.down[i] = queue.down[--queue.ndown];
		else
			i++;
	}
}

/* qrelay_due: recipient r waits for a relay job now. */
static int
qrelay_due(const struct qrcpt *r, int64_t now)
{
	return !r->local && r->state == QRCPT_PENDING && !r->inflight &&
	    r->next <= now && qrelay_down_until(qrelay_domain(r->dest)) <= now;
}

static struct qrelay *
qrelay_idle(void)
{
	size_t k;

	for (k = 0; k < queue.nrl; k++)
		if (queue.rl[k].fd != -1 && queue.rl[k].msg == NULL)
			return &queue.rl[k];
	return NULL;
}

/*
 * qrelay_signable: 1 when m may be DKIM-signed with our keys: it was
 * submitted by a logged-in user (origin "smtp ADDR SESSION user U"),
 * handed over locally ("local uid N") or made here (a bounce); 0 when
 * it came from another server on port 25 (origin "smtp ADDR SESSION",
 * no login there), which an alias forwards: signing that would vouch
 * with our domain for whatever a stranger wrote in its From.
 */
static uint32_t
qrelay_signable(const struct qmsg *m)
{
	return strncmp(m->origin, "smtp ", 5) != 0 ||
	    strstr(m->origin, " user ") != NULL;
}

/* qrelay_send: the job of rl (msg, domain, idx set) to its process.
 * 0 sent; 1 not (the message file: logged); -1 the link broke (closed;
 * nothing was counted). */
static int
qrelay_send(struct qrelay *rl)
{
	struct qmsg *m = rl->msg;
	struct relay_job job;
	struct relay_rcpt rr;
	struct frame f;
	size_t i;
	int fd, rc;

	memset(&job, 0, sizeof(job));
	(void)str_copy(job.id, m->id, sizeof(job.id));
	(void)str_copy(job.sender, m->sender, sizeof(job.sender));
	(void)str_copy(job.envid, m->envid, sizeof(job.envid));
	job.body = m->body;
	job.flags = m->flags;
	for (i = 0; rl->domain[i] != '\0' && i < sizeof(job.domain) - 1; i++)
		job.domain[i] = (char)tolower((unsigned char)rl->domain[i]);
	job.size = m->size;
	job.nrcpt = (uint32_t)rl->n;
	job.attempt = m->rcpts[rl->idx[0]].attempts;
	if (m->authres != NULL)
		(void)str_copy(job.authres, m->authres, sizeof(job.authres));
	job.sign = qrelay_signable(m);
	if (relayproto_job_encode(&f, &job) == -1) {
		log_warnx("message %s: the relay job for %s does not fit a "
		    "frame", m->id, rl->domain);
		return 1;
	}
	if ((fd = spool_msg_open(m->id)) == -1) {
		log_warn("cannot open the message file of %s", m->id);
		return 1;
	}
	/* counted before the relay can see it: a stop from here waits */
	queue.relay_jobs++;
	rc = queueproto_send_fd(rl->fd, &f, fd);
	(void)close(fd);
	for (i = 0; rc == 0 && i < rl->n; i++) {
		const struct qrcpt *r = &m->rcpts[rl->idx[i]];

		memset(&rr, 0, sizeof(rr));
		(void)str_copy(rr.address, r->dest, sizeof(rr.address));
		(void)str_copy(rr.orcpt, r->orcpt, sizeof(rr.orcpt));
		rr.notify = r->notify;
		rc = relayproto_rcpt_encode(&f, &rr) == -1 ? -1 :
		    frame_write(rl->fd, &f);
	}
	if (rc == 0)
		rc = relayproto_go_encode(&f) == -1 ? -1 :
		    frame_write(rl->fd, &f);
	if (rc == -1) {
		queue.relay_jobs--;
		log_warnx("cannot hand message %s to a relay process: its "
		    "link is closed", m->id);
		(void)close(rl->fd);
		rl->fd = -1;
		return -1;
	}
	for (i = 0; i < rl->n; i++)
		m->rcpts[rl->idx[i]].inflight = 1;
	m->relaying++;
	rl->nres = 0;
	rl->since = mono_ms();
	log_debug("message %s: %zu recipient%s at %s handed to the relay",
	    m->id, rl->n, rl->n == 1 ? "" : "s", rl->domain);
	return 0;
}

void
qrelay_sched(struct qmsg *m, int64_t now)
{
	struct qrelay *rl;
	const char *dom;
	size_t i, j;
	int rc;

	while ((rl = qrelay_idle()) != NULL) {
		for (i = 0; i < m->nrcpt && !qrelay_due(&m->rcpts[i], now); i++)
			;
		if (i == m->nrcpt)
			return;
		dom = qrelay_domain(m->rcpts[i].dest);
		rl->msg = m;
		(void)str_copy(rl->domain, dom, sizeof(rl->domain));
		rl->n = 0;
		for (j = i; j < m->nrcpt && rl->n < RELAY_RCPT_MAX; j++)
			if (qrelay_due(&m->rcpts[j], now) &&
			    strcasecmp(qrelay_domain(m->rcpts[j].dest), dom) ==
			    0)
				rl->idx[rl->n++] = j;
		if ((rc = qrelay_send(rl)) == 0)
			continue;
		rl->msg = NULL;
		rl->n = 0;
		if (rc == 1)
			return;
	}
}

/* qrelay_temp: a temporary failure of r: the next attempt, or the end at
 * the lifetime. */
static void
qrelay_temp(struct qmsg *m, struct qrcpt *r, int64_t now)
{
	int64_t deadline = m->arrival + queue.cfg->relay_lifetime;

	if (now >= deadline) {
		r->state = QRCPT_FAILED;
		log_warnx("message %s to %s: gave up after %" PRIu32
		    " attempts (relay lifetime): %s", m->id, r->dest,
		    r->attempts, r->error);
		return;
	}
	r->next = now + qrelay_delay(r->attempts);
	if (r->next > deadline)
		r->next = deadline;
	log_warnx("message %s to %s deferred (attempt %" PRIu32 ", next in "
	    "%" PRId64 "s): %s%s%s", m->id, r->dest, r->attempts,
	    r->next - now, r->host, r->host[0] != '\0' ? ": " : "", r->error);
}

/* qrelay_apply: one recipient's result. */
static void
qrelay_apply(struct qmsg *m, struct qrcpt *r,
    const struct relay_rcpt_result *res, const struct relay_done *done,
    int64_t now)
{
	r->inflight = 0;
	r->attempts++;
	r->last = now;
	r->code = res->code;
	(void)str_copy(r->dsn, res->dsn, sizeof(r->dsn));
	(void)str_copy(r->host, done != NULL ? done->host : "",
	    sizeof(r->host));
	(void)str_copy(r->error, res->text, sizeof(r->error));
	if (done != NULL && done->policy[0] != '\0')
		(void)snprintf(r->tls, sizeof(r->tls), "%s, %s", done->policy,
		    done->tls);
	switch (res->status) {
	case RELAY_SENT:
		r->state = QRCPT_DELIVERED;
		if (done != NULL)
			log_info("message %s delivered to %s via %s [%s] (%s, "
			    "%s): %" PRIu32 " %s", m->id, r->dest, done->host,
			    done->addr, done->policy, done->tls, res->code,
			    res->text);
		else
			log_info("message %s delivered to %s: %" PRIu32 " %s",
			    m->id, r->dest, res->code, res->text);
		break;
	case RELAY_PERM:
		r->state = QRCPT_FAILED;
		log_warnx("message %s to %s failed: %s%s%s", m->id, r->dest,
		    r->host, r->host[0] != '\0' ? ": " : "", r->error);
		break;
	default:
		qrelay_temp(m, r, now);
		break;
	}
}

/* qrelay_end: the job of rl is over: results applied, the envelope
 * saved (or the message removed when done), the link idle. */
static void
qrelay_end(struct qrelay *rl, const struct relay_done *done,
    const char *why)
{
	struct relay_rcpt_result lost;
	struct qmsg *m = rl->msg;
	int64_t now = now_us() / 1000000, until = 0;
	size_t i;

	memset(&lost, 0, sizeof(lost));
	lost.status = RELAY_TEMP;
	(void)str_copy(lost.dsn, "4.3.0", sizeof(lost.dsn));
	(void)str_copy(lost.text, why != NULL ? why : "", sizeof(lost.text));
	for (i = 0; i < rl->n; i++) {
		struct qrcpt *r = &m->rcpts[rl->idx[i]];

		qrelay_apply(m, r, i < rl->nres ? &rl->res[i] : &lost,
		    i < rl->nres ? done : NULL, now);
		if (r->state == QRCPT_PENDING && (until == 0 || r->next <
		    until))
			until = r->next;
	}
	if (done != NULL && done->dest_down && until > now) {
		qrelay_down_mark(rl->domain, until);
		log_info("destination %s is down: its messages wait until "
		    "the next retry, in %" PRId64 "s", rl->domain,
		    until - now);
	}
	m->relaying--;
	queue.relay_jobs--;
	rl->msg = NULL;
	rl->n = rl->nres = 0;
	(void)sched_save(m);
	queue.sched_kick = 1;
}

/* qrelay_lost: rl's process hung up or broke the protocol: what it had
 * answered counts, the rest is a temporary failure; the link closes. */
static void
qrelay_lost(struct qrelay *rl, const char *why)
{
	log_warnx("relay process: %s: its link is closed", why);
	(void)close(rl->fd);
	rl->fd = -1;
	if (rl->msg == NULL)
		return;
	/* results without their DONE: no host known; SENT is still SENT */
	qrelay_end(rl, NULL, "the relay process ended during the delivery");
}

/* qrelay_sent_now: the relay says recipient i of rl's job was taken by
 * the remote: that is written durably at once, before the rest of the
 * job's answer (a crash of the queue from here on no longer sends the
 * message twice).  The full result (attempts, the host, the log line)
 * is applied with the others when the job ends. */
static void
qrelay_sent_now(struct qrelay *rl, size_t i)
{
	struct qmsg *m = rl->msg;
	struct qrcpt *r = &m->rcpts[rl->idx[i]];
	const struct relay_rcpt_result *res = &rl->res[i];

	r->state = QRCPT_DELIVERED;
	r->code = res->code;
	(void)str_copy(r->dsn, res->dsn, sizeof(r->dsn));
	(void)str_copy(r->error, res->text, sizeof(r->error));
	(void)spool_env_write(m);
}

void
sched_relay_answer(struct qrelay *rl)
{
	struct relay_done done;
	struct frame f;

	if (frame_read(rl->fd, &f, mono_ms() + QRELAY_READ_MS) == -1) {
		qrelay_lost(rl, errno == ECONNRESET ? "it hung up" :
		    "its answer cannot be read");
		return;
	}
	if (rl->msg == NULL) {
		qrelay_lost(rl, "it spoke unasked");
		return;
	}
	if (f.type == MSG_RELAY_RESULT && rl->nres < rl->n &&
	    relayproto_result_decode(&f, &rl->res[rl->nres]) == 0) {
		if (rl->res[rl->nres].status == RELAY_SENT)
			qrelay_sent_now(rl, rl->nres);
		rl->nres++;
		return;
	}
	if (f.type == MSG_RELAY_DONE && rl->nres == rl->n &&
	    relayproto_done_decode(&f, &done) == 0) {
		qrelay_end(rl, &done, NULL);
		return;
	}
	qrelay_lost(rl, "malformed or unexpected answer");
}

void
qrelay_check(void)
{
	size_t k;

	qrelay_down_expire(now_us() / 1000000);
	for (k = 0; k < queue.nrl; k++)
		if (queue.rl[k].fd != -1 && queue.rl[k].msg != NULL &&
		    mono_ms() - queue.rl[k].since >
		    relay_job_ms(queue.rl[k].msg->size))
			qrelay_lost(&queue.rl[k], "no answer within the "
			    "job's time");
}

int
qrelay_busy(void)
{
	size_t k;

	for (k = 0; k < queue.nrl; k++)
		if (queue.rl[k].fd != -1 && queue.rl[k].msg != NULL)
			return 1;
	return 0;
}

size_t
qrelay_links(void)
{
	size_t k, n = 0;

	for (k = 0; k < queue.nrl; k++)
		if (queue.rl[k].fd != -1)
			n++;
	return n;
}

/* qrelay_notice_due: r (remote, in state want) still needs notice bit. */
static int
qrelay_notice_due(const struct qrcpt *r, uint32_t bit,
    enum qrcpt_state want)
{
	return !r->local && !(r->noticed & bit) && !r->inflight &&
	    r->state == want;
}

/* qrelay_notice: one notice of action for the recipients of m that
 * match; 1 when the envelope changed. */
static int
qrelay_notice(struct qmsg *m, enum dsn_action action, int64_t now)
{
	uint32_t bit = action == DSN_FAILED ? QRCPT_NOTICED_FAILURE :
	    QRCPT_NOTICED_DELAY;
	enum qrcpt_state want = action == DSN_FAILED ? QRCPT_FAILED :
	    QRCPT_PENDING;
	size_t *idx, i, n = 0;
	int rc;

	if (action == DSN_DELAYED && (queue.cfg->relay_delay_notice == 0 ||
	    now - m->arrival < queue.cfg->relay_delay_notice))
		return 0;
	/* most passes find nothing: count before allocating */
	for (i = 0; i < m->nrcpt; i++)
		n += qrelay_notice_due(&m->rcpts[i], bit, want);
	if (n == 0 || (idx = calloc(n, sizeof(*idx))) == NULL)
		return 0;
	for (i = 0, n = 0; i < m->nrcpt; i++)
		if (qrelay_notice_due(&m->rcpts[i], bit, want))
			idx[n++] = i;
	rc = qdsn_send(m, idx, n, action);
	for (i = 0; rc == 0 && i < n; i++)
		m->rcpts[idx[i]].noticed |= bit;
	free(idx);
	if (rc == -1)
		m->notice_next = now + QRELAY_NOTICE_PAUSE;
	return rc == 0;
}

int
qrelay_notices(struct qmsg *m, int64_t now)
{
	int changed;

	if (m->notice_next > now)
		return 0;
	changed = qrelay_notice(m, DSN_FAILED, now);
	changed |= qrelay_notice(m, DSN_DELAYED, now);
	return changed;
}
