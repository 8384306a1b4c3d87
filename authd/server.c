/*
 * server.c: authd's event loop and transport (see server.h).  One poll()
 * loop in the main thread accepts clients, reads their frames and hands
 * them to dispatch.c, collects finished verifications, commits the
 * round's write transaction, and only then releases the round's answers,
 * each at its due time.
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "authd/audit.h"
#include "authd/dispatch.h"
#include "authd/notice.h"
#include "authd/reload.h"
#include "authd/server.h"
#include "authd/worker.h"
#include "common/log.h"
#include "common/util.h"

#define SERVER_MAX_CONNS	1024
#define SERVER_MAX_PENDING	64	/* requests in flight per client */
#define SERVER_MAX_ANSWERS	(SERVER_MAX_CONNS * SERVER_MAX_PENDING)
#define SERVER_OUT_MAX		(64 * 1024)
#define SERVER_AUDIT_BATCH	256
#define SERVER_PRUNE_MS		(3600 * 1000)

/* The buffers come last and are not cleared when a client connects: a
 * session's connection stays open for the session's life, and only the
 * pages it writes should cost memory (one or two, not 68 KB). */
struct conn {
	int	 fd;
	int	 dead;
	int	 gone;		/* dispatch_closed was told */
	int	 pending;
	unsigned peer;
	size_t	 inlen;
	size_t	 outlen;
	size_t	 outhigh;	/* the most out ever held: wiped at the end */
	uint8_t	 in[FRAME_MAX];
	uint8_t	 out[SERVER_OUT_MAX];
};

/* An answer between its handler and the wire: staged until the commit,
 * then due (a heap ordered by due time) until its time comes. */
struct answer {
	struct answer	*next;		/* the staged list */
	struct conn	*conn;
	int64_t		 due;
	size_t		 len, altlen;	/* buf holds the frame, then alt */
	uint8_t		 buf[];
};

static struct conn	*server_conns[SERVER_MAX_CONNS];
static int		 server_nconns;
static struct answer	*server_staged, **server_staged_tail = &server_staged;
static struct answer	*server_due[SERVER_MAX_ANSWERS];
static int		 server_ndue;
static struct db	*server_db;
static struct config	*server_cfg;
static MDB_txn		*server_wtxn;
static char		 server_lines[SERVER_AUDIT_BATCH][1024];
static int		 server_nlines;
static long		 server_failed_rounds;
static uid_t		 server_self_uid = (uid_t)-1, server_queue_uid = (uid_t)-1;
static volatile sig_atomic_t server_quit;

static void	server_commit(void);

static void
server_sig(int sig)
{
	(void)sig;
	server_quit = 1;
	worker_wake();
}

void
server_peers(uid_t self, uid_t queue)
{
	server_self_uid = self;
	server_queue_uid = queue;
}

static unsigned
server_peer_of(uid_t uid)
{
	if (uid == 0)
		return PEER_MONITOR;
	if (uid == server_self_uid)
		return PEER_SELF;
	if (uid == server_queue_uid)
		return PEER_QUEUE;
	return 0;
}

/* server_fault: a write that failed; said once per burst of failures,
 * until a commit succeeds again. */
static void
server_fault(const char *what, int rc)
{
	if (server_failed_rounds++ == 0)
		log_warnx("cannot %s the database (%s): audit records "
		    "and counters are lost, and every login is answered with "
		    "a temporary failure until it works again", what,
		    mdb_strerror(rc));
}

MDB_txn *
server_txn(void)
{
	int rc;

	if (server_wtxn == NULL &&
	    (rc = db_begin(server_db, 1, &server_wtxn)) != 0) {
		server_wtxn = NULL;
		server_fault("write to", rc);
	}
	return server_wtxn;
}

int
server_audit(const char *service, const char *mech, const char *user,
    const char *address, const char *result, const char *reason,
    const char *session)
{
	struct audit_event ev = { service, mech, user, address, result,
	    reason, session };
	MDB_txn *txn;

	/* A full line buffer commits early; the rule holds all the same,
	 * since what was answered so far is recorded by then. */
	if (server_nlines == SERVER_AUDIT_BATCH)
		server_commit();
	if ((txn = server_txn()) == NULL ||
	    audit_append(server_db, txn, now_us(), &ev,
	    server_lines[server_nlines], sizeof(server_lines[0])) == -1)
		return -1;
	server_nlines++;
	return 0;
}

static void
server_queue_out(struct conn *c, const uint8_t *p, size_t len)
{
	c->pending--;
	if (c->dead)
		return;
	if (len > SERVER_OUT_MAX - c->outlen) {
		log_warnx("client does not read its answers; "
		    "closing it");
		c->dead = 1;
		return;
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
	if (c->outlen > c->outhigh)
		c->outhigh = c->outlen;
}

void
server_answer(struct conn *c, const struct frame *f, const struct frame *alt,
    int64_t due_ms)
{
	struct answer *a;
	size_t altlen = alt != NULL ? alt->len : 0;

	if ((a = malloc(sizeof(*a) + f->len + altlen)) == NULL)
		fatal("out of memory for an answer");
	a->next = NULL;
	a->conn = c;
	a->due = due_ms;
	a->len = f->len;
	a->altlen = altlen;
	memcpy(a->buf, f->buf, f->len);
	if (alt != NULL)
		memcpy(a->buf + f->len, alt->buf, altlen);
	*server_staged_tail = a;
	server_staged_tail = &a->next;
}

void
server_send(struct conn *c, const struct frame *f)
{
	/* Counted as a request in flight, so that c outlives it. */
	c->pending++;
	server_answer(c, f, NULL, 0);
}

/* server_due_push, server_due_pop: the heap of released answers. */
static void
server_due_push(struct answer *a)
{
	int i = server_ndue++, p;

	while (i > 0 && server_due[p = (i - 1) / 2]->due > a->due) {
		server_due[i] = server_due[p];
		i = p;
	}
	server_due[i] = a;
}

static struct answer *
server_due_pop(void)
{
	struct answer *top = server_due[0], *last;
	int i = 0, c;

	last = server_due[--server_ndue];
	while ((c = 2 * i + 1) < server_ndue) {
		if (c + 1 < server_ndue &&
		    server_due[c + 1]->due < server_due[c]->due)
			c++;
		if (last->due <= server_due[c]->due)
			break;
		server_due[i] = server_due[c];
		i = c;
	}
	server_due[i] = last;
	return top;
}

/* server_release: the staged answers after a commit; ok says whether it
 * succeeded, and picks each answer's frame. */
static void
server_release(int ok)
{
	struct answer *a, *next;

	for (a = server_staged; a != NULL; a = next) {
		next = a->next;
		if (!ok && a->altlen > 0) {
			memmove(a->buf, a->buf + a->len, a->altlen);
			a->len = a->altlen;
		}
		a->altlen = 0;
		if (server_ndue == SERVER_MAX_ANSWERS)
			fatalx("internal error: more answers than requests");
		server_due_push(a);
	}
	server_staged = NULL;
	server_staged_tail = &server_staged;
}

static void
server_commit(void)
{
	int i, rc, ok = 1;

	if (server_wtxn != NULL) {
		if ((rc = db_commit(server_wtxn)) != 0) {
			server_fault("commit to", rc);
			ok = 0;
		} else if (server_failed_rounds > 0 && server_nlines > 0) {
			/* A round with records in it: one that wrote, unlike
			 * a round that only read. */
			log_warnx("the database takes writes again "
			    "after %ld failures", server_failed_rounds);
			server_failed_rounds = 0;
		}
		server_wtxn = NULL;
	}
	if (ok)
		for (i = 0; i < server_nlines; i++)
			log_auth("%s", server_lines[i]);
	server_nlines = 0;
	notice_release(ok);
	server_release(ok);
}

static void
server_fire_due(void)
{
	struct answer *a;
	int64_t now = mono_ms();

	while (server_ndue > 0 && server_due[0]->due <= now) {
		a = server_due_pop();
		server_queue_out(a->conn, a->buf, a->len);
		free(a);
	}
}

int
server_conn_closed(const struct conn *c)
{
	return c->dead;
}

unsigned
server_conn_peer(const struct conn *c)
{
	return c->peer;
}

static void
server_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	unsigned peer;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &len) == -1 || (peer = server_peer_of(cred.uid)) == 0) {
			log_warnx("refusing client uid %d pid %d",
			    (int)cred.uid, (int)cred.pid);
			close(fd);
			continue;
		}
		if (server_nconns == SERVER_MAX_CONNS ||
		    (c = malloc(sizeof(*c))) == NULL) {
			log_warnx("too many clients");
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->peer = peer;
		server_conns[server_nconns++] = c;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("cannot accept a client");
}

/* server_request: hand one complete frame of c to dispatch. */
static int
server_request(struct conn *c, const uint8_t *buf, size_t len)
{
	static struct frame f;
	int rc;

	if (c->pending >= SERVER_MAX_PENDING) {
		log_warnx("client has too many requests in flight");
		return -1;
	}
	if (frame_parse(&f, buf, len) == -1)
		return -1;
	c->pending++;
	if ((rc = dispatch_request(c, &f)) == -1)
		c->pending--;
	frame_wipe(&f);
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
			log_warnx("malformed request; "
			    "closing client");
			c->dead = 1;
			break;
		}
		memmove(c->in, c->in + flen, c->inlen - (size_t)flen);
		c->inlen -= (size_t)flen;
	}
	if (flen == -1) {
		log_warnx("bad frame length; closing client");
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

/* server_closed: tell dispatch of the clients gone since the last round,
 * so that what it writes about them joins this round's commit. */
static void
server_closed(void)
{
	int i;

	for (i = 0; i < server_nconns; i++)
		if (server_conns[i]->dead && !server_conns[i]->gone) {
			server_conns[i]->gone = 1;
			dispatch_closed(server_conns[i]);
		}
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
		if (c->pending > 0 || !c->gone)
			continue;
		explicit_bzero(c->in, sizeof(c->in));
		explicit_bzero(c->out, c->outhigh);
		explicit_bzero(c, offsetof(struct conn, in));
		free(c);
		/* Keep the order of arrival: clients are read in it. */
		memmove(&server_conns[i], &server_conns[i + 1],
		    (size_t)(--server_nconns - i) * sizeof(server_conns[0]));
		i--;
	}
}

static void
server_prune(void)
{
	MDB_txn *txn;
	long n;

	if ((txn = server_txn()) == NULL)
		return;
	n = audit_prune(server_db, txn,
	    now_us() - server_cfg->audit_retention * 1000000);
	if (n > 0)
		log_info("pruned %ld audit records older than the "
		    "retention time", n);
}

static int
server_timeout(int64_t next_prune)
{
	int64_t now = mono_ms(), t = next_prune - now;
	int i;

	/* A client that died after the last poll: no wait before dispatch
	 * hears of it. */
	for (i = 0; i < server_nconns; i++)
		if (server_conns[i]->dead && !server_conns[i]->gone)
			return 0;
	if (server_ndue > 0 && server_due[0]->due - now < t)
		t = server_due[0]->due - now;
	return t < 0 ? 0 : (int)t;
}

static void
server_poll(int lfd, int wfd, int ctl, int64_t next_prune)
{
	static struct pollfd pfd[SERVER_MAX_CONNS + 3];
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
	pfd[n + 2].fd = ctl;
	pfd[n + 2].events = POLLIN;
	pfd[n + 2].revents = 0;
	if (poll(pfd, (nfds_t)n + 3, server_timeout(next_prune)) == -1) {
		if (errno != EINTR)
			fatal("poll");
		return;
	}
	/* A policy applies between rounds: no login is half judged. */
	if (pfd[n + 2].revents && reload_recv(ctl, server_cfg) == 0)
		server_quit = 1;
	if (pfd[1].revents & POLLIN)
		dispatch_verified(worker_done());
	/* Writable clients are flushed by server_run, after the commit. */
	for (i = 0; i < n; i++)
		if (!server_conns[i]->dead &&
		    (pfd[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
			server_read(server_conns[i]);
	if (pfd[0].revents & POLLIN)
		server_accept(lfd);
}

static void
server_signals(void)
{
	struct sigaction sa;
	sigset_t set;

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
}

void
server_run(int lfd, int wfd, int ctl, struct db *db, struct config *cfg)
{
	int64_t next_prune = 0;
	int i;

	server_db = db;
	server_cfg = cfg;
	server_signals();
	while (!server_quit) {
		server_poll(lfd, wfd, ctl, next_prune);
		server_closed();
		if (mono_ms() >= next_prune) {
			server_prune();
			next_prune = mono_ms() + SERVER_PRUNE_MS;
		}
		dispatch_schedule();
		server_commit();
		server_fire_due();
		for (i = 0; i < server_nconns; i++)
			server_flush(server_conns[i]);
		server_reap();
	}
	server_commit();
	log_info("exiting on signal");
}
