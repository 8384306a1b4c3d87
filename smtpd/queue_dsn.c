/*
 * queue_dsn.c: the queue's bounces and delay notices (queue_int.h's
 * qdsn_send): which recipients get one (NOTIFY, the null sender), the
 * original's first bytes read from the spool, the notice built by dsn.h
 * and queued like any message, from the null sender, through the
 * qwriter.  Runs in the queue role.  The original message is hostile and
 * read bounded; dsn_build copies it with bounds of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

/* qdsn_wanted: whether r's sender asked (or did not refuse) action. */
static int
qdsn_wanted(const struct qrcpt *r, enum dsn_action action)
{
	if (r->notify == 0)
		return 1;
	if (r->notify & QUEUE_NOTIFY_NEVER)
		return 0;
	return (r->notify & (action == DSN_FAILED ? QUEUE_NOTIFY_FAILURE :
	    QUEUE_NOTIFY_DELAY)) != 0;
}

/* qdsn_original: the first bytes of m's message into a new buffer
 * (*len), all of it (*complete) when RET=FULL and small enough, else
 * enough for the header.  NULL when unreadable (logged). */
static char *
qdsn_original(const struct qmsg *m, size_t *len, int *complete)
{
	uint64_t want;
	size_t off = 0;
	ssize_t r;
	char *buf;
	int fd;

	want = (m->flags & QUEUE_F_RET_FULL) && m->size <= DSN_FULL_MAX ?
	    m->size : m->size < DSN_HDRS_MAX ? m->size : DSN_HDRS_MAX;
	if ((fd = spool_msg_open(m->id)) == -1) {
		log_warn("cannot open the message file of %s for its notice",
		    m->id);
		return NULL;
	}
	if ((buf = malloc((size_t)want + 1)) == NULL) {
		(void)close(fd);
		log_warnx("out of memory for the notice of %s", m->id);
		return NULL;
	}
	while (off < (size_t)want) {
		r = pread(fd, buf + off, (size_t)want - off, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	(void)close(fd);
	*len = off;
	*complete = off == m->size;
	return buf;
}

/* qdsn_queue: the notice text into the queue, to sender. */
static int
qdsn_queue(const struct qmsg *m, const struct strbuf *sb, int eightbit,
    enum dsn_action action)
{
	char received[512], id[QUEUE_ID_LEN + 1];
	struct qwriter w;
	int rc;

	if (qwriter_start(&w, "") == -1)
		return -1;
	(void)snprintf(received, sizeof(received), "Received: by %s "
	    "(postern) id %s", queue.cfg->hostname, w.m->id);
	if (qwriter_header(&w, received) == -1) {
		qwriter_abort(&w);
		return -1;
	}
	if (w.max < DSN_MAX)
		w.max = DSN_MAX;
	w.m->body = eightbit ? QUEUE_BODY_8BITMIME : QUEUE_BODY_7BIT;
	(void)snprintf(w.m->origin, sizeof(w.m->origin), "%s of %s",
	    action == DSN_FAILED ? "bounce" : "delay notice", m->id);
	if ((rc = intake_expand(&w, m->sender)) != 0) {
		qwriter_abort(&w);
		if (rc == 1) {
			log_warnx("message %s: the sender <%s> is unknown: no "
			    "%s", m->id, m->sender, action == DSN_FAILED ?
			    "bounce" : "delay notice");
			return 0;
		}
		return -1;
	}
	if (qwriter_data(&w, sb->buf, sb->len, 0) == -1 ||
	    qwriter_commit(&w, id) == -1) {
		log_warnx("message %s: cannot queue its %s: %s", m->id,
		    action == DSN_FAILED ? "bounce" : "delay notice", w.why);
		qwriter_abort(&w);
		return -1;
	}
	log_info("message %s: %s %s queued to <%s>", m->id,
	    action == DSN_FAILED ? "bounce" : "delay notice", id, m->sender);
	return 0;
}

int
qdsn_send(struct qmsg *m, const size_t *idx, size_t n,
    enum dsn_action action)
{
	struct dsn_rcpt *dr;
	struct dsn_msg d;
	struct strbuf sb;
	size_t i, k = 0, origlen = 0;
	char *orig;
	int complete = 0, eightbit, rc;

	if (m->sender[0] == '\0') {
		for (i = 0; i < n && action == DSN_FAILED; i++)
			log_warnx("message %s from <> to %s failed: no "
			    "bounce for a bounce, dropped", m->id,
			    m->rcpts[idx[i]].dest);
		return 0;
	}
	if ((dr = calloc(n > 0 ? n : 1, sizeof(*dr))) == NULL)
		return -1;
	for (i = 0; i < n && k < DSN_RCPT_MAX; i++) {
		const struct qrcpt *r = &m->rcpts[idx[i]];

		if (!qdsn_wanted(r, action))
			continue;
		dr[k].final = r->dest;
		dr[k].orcpt = r->orcpt;
		dr[k].code = r->code;
		dr[k].status = r->dsn;
		dr[k].host = r->host;
		dr[k].text = r->error;
		dr[k].last_attempt = r->attempts > 0 ? r->last : 0;
		k++;
	}
	if (k == 0) {
		free(dr);
		return 0;
	}
	if ((orig = qdsn_original(m, &origlen, &complete)) == NULL) {
		free(dr);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.hostname = queue.cfg->hostname;
	d.id = m->id;
	d.sender = m->sender;
	d.envid = m->envid;
	d.arrival = m->arrival;
	d.now = now_us() / 1000000;
	d.action = action;
	d.retry_until = m->arrival + queue.cfg->relay_lifetime;
	d.ret_full = (m->flags & QUEUE_F_RET_FULL) != 0;
	d.rcpts = dr;
	d.nrcpt = k;
	d.orig = orig;
	d.origlen = origlen;
	d.orig_complete = complete;
	strbuf_init(&sb, DSN_MAX);
	rc = dsn_build(&d, &sb, &eightbit);
	free(orig);
	free(dr);
	if (rc == -1) {
		log_warnx("message %s: cannot build its %s", m->id,
		    action == DSN_FAILED ? "bounce" : "delay notice");
		strbuf_free(&sb);
		return -1;
	}
	rc = qdsn_queue(m, &sb, eightbit, action);
	strbuf_free(&sb);
	return rc;
}
