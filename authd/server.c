/*
 * server.c: authd's event loop (see server.h).  One poll() loop in the
 * main thread accepts clients, reads their frames, hands logins to the
 * scheduler, collects finished verifications, commits the iteration's
 * write transaction, and only then writes the answers out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/login.h"
#include "authd/server.h"
#include "authd/worker.h"
#include "common/authproto.h"
#include "common/log.h"
#include "common/util.h"

#define SERVER_MAX_CONNS	1024
#define SERVER_MAX_PENDING	64	/* requests in flight per client */
#define SERVER_OUT_MAX		(64 * 1024)
#define SERVER_MAX_DEFERRED	65536
#define SERVER_AUDIT_BATCH	256
#define SERVER_PRUNE_MS		(3600 * 1000)

struct conn {
	int	 fd;
	int	 dead;
	int	 pending;
	uint8_t	 in[FRAME_MAX];
	size_t	 inlen;
	uint8_t	 out[SERVER_OUT_MAX];
	size_t	 outlen;
};

struct deferred {
	struct deferred	*next;
	struct conn	*conn;
	int64_t		 due;
	size_t		 len;
	uint8_t		 buf[];
};

struct server_env server;

static struct conn	*server_conns[SERVER_MAX_CONNS];
static int		 server_nconns;
static struct deferred	*server_dhead, *server_dtail;
static int		 server_ndeferred;
static MDB_txn		*server_wtxn;
static char		 server_lines[SERVER_AUDIT_BATCH][1024];
static int		 server_nlines;
static volatile sig_atomic_t server_quit;

static void
server_sig(int sig)
{
	(void)sig;
	server_quit = 1;
	worker_wake();
}

MDB_txn *
server_txn(void)
{
	if (server_wtxn == NULL && db_begin(server.db, 1, &server_wtxn) == -1)
		server_wtxn = NULL;
	return server_wtxn;
}

static void
server_commit(void)
{
	int i;

	if (server_wtxn == NULL)
		return;
	if (db_commit(server_wtxn) == -1) {
		/* Nothing of this round is on disk: its answers must not go
		 * out.  Dropping the clients makes their monitors answer
		 * "try again later". */
		log_warnx("server_commit: audit records and counters of this "
		    "round are lost; dropping the clients it answered");
		for (i = 0; i < server_nconns; i++)
			if (server_conns[i]->outlen > 0)
				server_conns[i]->dead = 1;
	} else
		for (i = 0; i < server_nlines; i++)
			log_auth("%s", server_lines[i]);
	server_wtxn = NULL;
	server_nlines = 0;
}

void
server_audit(const char *service, const char *mech, const char *user,
    const char *address, const char *result, const char *reason,
    const char *session)
{
	struct audit_event ev = { service, mech, user, address, result,
	    reason, session };
	MDB_txn *txn;

	if (server_nlines == SERVER_AUDIT_BATCH)
		server_commit();
	if ((txn = server_txn()) == NULL)
		return;
	if (audit_append(server.db, txn, now_us(), &ev,
	    server_lines[server_nlines], sizeof(server_lines[0])) == 0)
		server_nlines++;
}

static void
server_queue_out(struct conn *c, const uint8_t *p, size_t len)
{
	c->pending--;
	if (c->dead)
		return;
	if (len > SERVER_OUT_MAX - c->outlen) {
		log_warnx("server: client does not read its answers; "
		    "closing it");
		c->dead = 1;
		return;
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
}

int
server_conn_closed(const struct conn *c)
{
	return c->dead;
}

void
server_answer(struct conn *c, const struct frame *f, int64_t delay_ms)
{
	struct deferred *d;

	if (delay_ms <= 0 || server_ndeferred >= SERVER_MAX_DEFERRED ||
	    (d = malloc(sizeof(*d) + f->len)) == NULL) {
		server_queue_out(c, f->buf, f->len);
		return;
	}
	/* Every delay is the same configured one, so a FIFO stays sorted. */
	d->next = NULL;
	d->conn = c;
	d->due = mono_ms() + delay_ms;
	d->len = f->len;
	memcpy(d->buf, f->buf, f->len);
	if (server_dtail)
		server_dtail->next = d;
	else
		server_dhead = d;
	server_dtail = d;
	server_ndeferred++;
}

static void
server_fire_deferred(void)
{
	struct deferred *d;
	int64_t now = mono_ms();

	while ((d = server_dhead) != NULL && d->due <= now) {
		server_dhead = d->next;
		if (server_dhead == NULL)
			server_dtail = NULL;
		server_ndeferred--;
		server_queue_out(d->conn, d->buf, d->len);
		free(d);
	}
}

static void
server_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &len) == -1 || !login_peer_allowed(cred.uid)) {
			log_warnx("server: refusing client uid %d pid %d",
			    (int)cred.uid, (int)cred.pid);
			close(fd);
			continue;
		}
		if (server_nconns == SERVER_MAX_CONNS ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			log_warnx("server: too many clients");
			close(fd);
			continue;
		}
		c->fd = fd;
		server_conns[server_nconns++] = c;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("server: accept");
}

/* server_request: dispatch one complete frame of c. */
static int
server_request(struct conn *c, const uint8_t *buf, size_t len)
{
	static struct frame f;
	int rc = -1;

	if (c->pending >= SERVER_MAX_PENDING) {
		log_warnx("server: client has too many requests in flight");
		return -1;
	}
	if (frame_parse(&f, buf, len) == -1)
		return -1;
	c->pending++;
	switch (f.type) {
	case MSG_AUTH_LOGIN:
		rc = login_request(c, &f);
		break;
	case MSG_AUTH_BANCHECK:
		rc = login_bancheck(c, &f);
		break;
	case MSG_AUTH_RCPT:
		rc = login_rcpt(c, &f);
		break;
	default:
		log_warnx("server: unknown message type %u", f.type);
	}
	frame_wipe(&f);
	if (rc == -1)
		c->pending--;
	return rc;
}

static void
server_read(struct conn *c)
{
	ssize_t n;
	long flen;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->dead = 1;
		return;
	}
	c->inlen += (size_t)n;
	while ((flen = frame_complete(c->in, c->inlen)) > 0) {
		if (server_request(c, c->in, (size_t)flen) == -1) {
			log_warnx("server: malformed request; closing client");
			c->dead = 1;
			break;
		}
		memmove(c->in, c->in + flen, c->inlen - (size_t)flen);
		c->inlen -= (size_t)flen;
	}
	if (flen == -1) {
		log_warnx("server: bad frame length; closing client");
		c->dead = 1;
	}
	explicit_bzero(c->in + c->inlen, sizeof(c->in) - c->inlen);
}

static void
server_flush(struct conn *c)
{
	ssize_t n;

	if (c->dead || c->outlen == 0)
		return;
	n = write(c->fd, c->out, c->outlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->dead = 1;
		return;
	}
	memmove(c->out, c->out + n, c->outlen - (size_t)n);
	c->outlen -= (size_t)n;
}

/* server_reap: close dead clients; free them once nothing refers to them. */
static void
server_reap(void)
{
	struct conn *c;
	int i;

	for (i = 0; i < server_nconns; i++) {
		c = server_conns[i];
		if (!c->dead)
			continue;
		if (c->fd != -1) {
			close(c->fd);
			c->fd = -1;
		}
		if (c->pending > 0)
			continue;
		explicit_bzero(c, sizeof(*c));
		free(c);
		server_conns[i--] = server_conns[--server_nconns];
	}
}

static void
server_prune(void)
{
	MDB_txn *txn;
	long n;

	if ((txn = server_txn()) == NULL)
		return;
	n = audit_prune(server.db, txn,
	    now_us() - server.cfg->audit_retention * 1000000);
	if (n > 0)
		log_info("server: pruned %ld audit records older than the "
		    "retention time", n);
}

static int
server_timeout(int64_t next_prune)
{
	int64_t now = mono_ms(), t = next_prune - now;

	if (server_dhead != NULL && server_dhead->due - now < t)
		t = server_dhead->due - now;
	return t < 0 ? 0 : (int)t;
}

static void
server_poll(int lfd, int wfd, int64_t next_prune)
{
	static struct pollfd pfd[SERVER_MAX_CONNS + 2];
	int i, n;

	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = wfd;
	pfd[1].events = POLLIN;
	for (i = 0; i < server_nconns; i++) {
		pfd[i + 2].fd = server_conns[i]->fd;
		pfd[i + 2].events = POLLIN |
		    (server_conns[i]->outlen ? POLLOUT : 0);
		pfd[i + 2].revents = 0;
	}
	n = server_nconns;
	if (poll(pfd, (nfds_t)n + 2, server_timeout(next_prune)) == -1) {
		if (errno != EINTR)
			fatal("server_poll: poll");
		return;
	}
	if (pfd[1].revents & POLLIN)
		login_finished(worker_done());
	/* Writable clients are flushed by server_run, after the commit. */
	for (i = 0; i < n; i++)
		if (!server_conns[i]->dead &&
		    (pfd[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
			server_read(server_conns[i]);
	if (pfd[0].revents & POLLIN)
		server_accept(lfd);
}

void
server_run(int lfd, int wfd)
{
	struct sigaction sa;
	sigset_t set;
	int64_t next_prune = 0;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	while (!server_quit) {
		server_poll(lfd, wfd, next_prune);
		if (mono_ms() >= next_prune) {
			server_prune();
			next_prune = mono_ms() + SERVER_PRUNE_MS;
		}
		server_fire_deferred();
		login_schedule();
		server_commit();
		for (i = 0; i < server_nconns; i++)
			server_flush(server_conns[i]);
		server_reap();
	}
	server_commit();
	log_info("server: exiting on signal");
}
