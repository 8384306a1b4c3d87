/*
 * queue_msg.c: writing one message into the spool (queue_int.h's
 * qwriter), for the broker's transactions and for intake files alike,
 * and the Received header the queue puts first.  Runs in the queue role.
 * The bytes come from root's monitors (an SMTP client's message) or from
 * any local user (intake): they are stored, bounded, never interpreted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

/* queue_date: an RFC 5322 date, in UTC (the chroot has no zone files). */
static void
queue_date(char *buf, size_t len)
{
	time_t t = (time_t)(now_us() / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		(void)str_copy(buf, "Thu, 01 Jan 1970 00:00:00 +0000", len);
}

void
queue_received_smtp(char *buf, size_t len, const struct queue_env *e,
    const char *id)
{
	char from[QUEUE_HELO_MAX + AUTH_ADDR_MAX + AUTH_USER_MAX + 48];
	char tls[QUEUE_TLS_MAX + 16];
	int n;

	if (e->received_addr)
		n = snprintf(from, sizeof(from), "%s ([%s])", e->helo,
		    e->address);
	else
		n = snprintf(from, sizeof(from), "%s", e->helo);
	/* Submission: who sent it, as Postfix's smtpd_sasl_authenticated
	 * header says it. */
	if (e->auth_user[0] != '\0' && n > 0 && (size_t)n < sizeof(from))
		(void)snprintf(from + n, sizeof(from) - (size_t)n,
		    "\r\n\t(Authenticated sender: %s)", e->auth_user);
	tls[0] = '\0';
	if (e->tls[0] != '\0')
		(void)snprintf(tls, sizeof(tls), "\r\n\t(%s)", e->tls);
	(void)snprintf(buf, len, "Received: from %s\r\n\tby %s (postern) "
	    "with %s id %s%s", from, queue.cfg->hostname, e->proto, id, tls);
}

void
queue_received_local(char *buf, size_t len, unsigned long uid,
    const char *id)
{
	(void)snprintf(buf, len, "Received: (from local uid %lu)\r\n\tby %s "
	    "(postern) id %s", uid, queue.cfg->hostname, id);
}

int
qwriter_start(struct qwriter *w, const char *sender)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->max = queue.cfg->smtp_max_message_size + 65536;
	if ((w->m = calloc(1, sizeof(*w->m))) == NULL) {
		(void)str_copy(w->why, "out of memory", sizeof(w->why));
		return -1;
	}
	if ((w->fd = spool_new_id(w->m->id)) == -1) {
		(void)str_copy(w->why, "cannot write to the spool",
		    sizeof(w->why));
		free(w->m);
		w->m = NULL;
		return -1;
	}
	w->m->arrival = now_us() / 1000000;
	(void)str_copy(w->m->sender, sender, sizeof(w->m->sender));
	return 0;
}

int
qwriter_header(struct qwriter *w, const char *received)
{
	char line[2048], date[64];
	int n;

	queue_date(date, sizeof(date));
	n = snprintf(line, sizeof(line), "%s;\r\n\t%s\r\n", received, date);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    write_all(w->fd, line, (size_t)n) == -1) {
		log_warn("cannot write the message file of %s", w->m->id);
		(void)str_copy(w->why, "cannot write to the spool",
		    sizeof(w->why));
		w->failed = 1;
		return -1;
	}
	w->m->size = (uint64_t)n;
	return 0;
}

int
qwriter_rcpt(struct qwriter *w, const struct qrcpt *r)
{
	struct qrcpt *v;

	if (w->failed)
		return -1;
	if (w->m->nrcpt == QUEUE_RCPTS_MAX) {
		w->failed = 1;
		(void)snprintf(w->why, sizeof(w->why), "more than %d "
		    "destinations", QUEUE_RCPTS_MAX);
		return -1;
	}
	if (w->m->nrcpt == w->cap) {
		w->cap = w->cap == 0 ? 4 : w->cap * 2;
		if ((v = reallocarray(w->m->rcpts, w->cap, sizeof(*v))) ==
		    NULL) {
			w->failed = 1;
			(void)str_copy(w->why, "out of memory", sizeof(w->why));
			return -1;
		}
		w->m->rcpts = v;
	}
	w->m->rcpts[w->m->nrcpt++] = *r;
	return 0;
}

/* qwriter_crlf: write p with each bare LF made CRLF. */
static int
qwriter_crlf(struct qwriter *w, const char *p, size_t len)
{
	char buf[8192];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i > 0 ? p[i - 1] : w->last) != '\r')
			buf[n++] = '\r';
		buf[n++] = p[i];
		if (n >= sizeof(buf) - 2) {
			if (write_all(w->fd, buf, n) == -1)
				return -1;
			w->m->size += n;
			n = 0;
		}
	}
	if (len > 0)
		w->last = p[len - 1];
	if (write_all(w->fd, buf, n) == -1)
		return -1;
	w->m->size += n;
	return 0;
}

int
qwriter_data(struct qwriter *w, const void *p, size_t len, int crlf)
{
	if (w->failed)
		return -1;
	if (len > w->max - w->bytes) {
		w->failed = 1;
		(void)snprintf(w->why, sizeof(w->why), "message bigger than "
		    "%llu bytes", (unsigned long long)w->max);
		return -1;
	}
	w->bytes += len;
	if (crlf ? qwriter_crlf(w, p, len) == -1 :
	    write_all(w->fd, p, len) == -1) {
		log_warn("cannot write the message file of %s", w->m->id);
		w->failed = 1;
		(void)str_copy(w->why, "cannot write to the spool",
		    sizeof(w->why));
		return -1;
	}
	if (!crlf)
		w->m->size += len;
	return 0;
}

int
qwriter_commit(struct qwriter *w, char *id)
{
	char err[QUEUE_TEXT_MAX];
	struct qmsg *m = w->m;

	if (w->failed || m == NULL || m->nrcpt == 0) {
		if (!w->failed && m != NULL)
			(void)str_copy(w->why, "no recipient", sizeof(w->why));
		qwriter_abort(w);
		return -1;
	}
	if (spool_commit(m, w->fd, err, sizeof(err)) == -1) {
		log_warnx("message %s not queued: %s", m->id, err);
		(void)str_copy(w->why, "cannot write to the spool",
		    sizeof(w->why));
		w->fd = -1;
		qwriter_abort(w);
		return -1;
	}
	(void)str_copy(id, m->id, QUEUE_ID_LEN + 1);
	w->fd = -1;
	w->m = NULL;
	sched_add(m);
	return 0;
}

void
qwriter_abort(struct qwriter *w)
{
	if (w->fd != -1) {
		(void)close(w->fd);
		w->fd = -1;
	}
	if (w->m != NULL) {
		spool_tmp_discard(w->m->id);
		spool_msg_free(w->m);
		w->m = NULL;
	}
	w->cap = 0;
	w->bytes = 0;
}
