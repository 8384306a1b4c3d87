/*
 * queue.c: smtpd's queue role (queue.h): set-up (spool directories, the
 * socket, chroot, privilege drop, sandbox), the event loop, and the
 * protocol of its clients on queue.sock (queueproto.h): root's
 * per-connection monitors (the broker) and authctl.  Runs as the queue
 * uid chrooted to the spool.  Peers are checked with SO_PEERCRED (root,
 * or the queue's own uid in development mode); what they send is still
 * decoded as hostile, and a malformed frame closes that client only.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privsep.h"
#include "common/skel.h"
#include "common/util.h"
#include "smtpd/queue_int.h"

struct queue_state queue;

/* A stop (SIGTERM: the parent restarts the roles when one of them
 * ended) ends the queue at once, unless relay jobs are out: then it
 * waits for their answers (a relay holds a stop until the answer of a
 * message that is with the remote host is written) for at most
 * QUEUE_STOP_MS, and records them, so that a restart does not send a
 * message twice. */
#define QUEUE_STOP_MS		(35 * 1000)

static volatile sig_atomic_t queue_stopping;

/* One client of queue.sock. */
struct qclient {
	int		fd;
	uint8_t		in[FRAME_MAX];
	size_t		inlen;
	int		in_tx;		/* ENV seen, COMMIT or ABORT not yet */
	struct qwriter	w;
	char		*page;		/* LIST/SHOW text of the last offset 0 */
	size_t		pagelen;
	uint8_t		pagetype;
	char		pageid[QUEUE_ID_LEN + 1];
};

static struct qclient	queue_clients[QUEUE_CLIENTS_MAX];
static uid_t		queue_uid;

/*
 * queue_sandbox: the one function that builds the queue's sandbox: chroot
 * to the spool, the queue uid, no new privileges, and the system calls of
 * its event loop and its spool files; no executable memory, no new
 * socket, no exec.  Each entry says why it is there.
 */
static void
queue_sandbox(const struct config *cfg, uid_t uid, gid_t gid)
{
	static const struct sandbox_rule allow[] = {
		/* clients, authd, the deliver role, syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),		/* syslog */
		SANDBOX_ALLOW(sendmsg),		/* message files to deliver */
		SANDBOX_ALLOW(accept4),		/* queue.sock's clients */
		SANDBOX_ALLOW(getsockopt),	/* SO_PEERCRED */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(fcntl),		/* O_NONBLOCK on clients */
		/* the spool: message files, envelopes, intake/ and bad/ */
		SANDBOX_ALLOW(openat),
		SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat),	/* stat, lstat, fstatat */
		SANDBOX_ALLOW(getdents64),	/* readdir of queue/, intake/ */
		SANDBOX_ALLOW(lseek),
		SANDBOX_ALLOW(pread64),		/* intake files */
		SANDBOX_ALLOW(rename),
		SANDBOX_ALLOW(renameat),
		SANDBOX_ALLOW(renameat2),
		SANDBOX_ALLOW(unlink),
		SANDBOX_ALLOW(unlinkat),
		SANDBOX_ALLOW(fsync),		/* nothing acknowledged early */
		/* memory: malloc only, never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),		/* realloc of a mapped chunk */
		/* queue ids, time stamps, log prefix */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		/* returning from a signal handler, restarting its call */
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};

	if (uid == (uid_t)-1) {
		if (chdir(cfg->spool_dir) == -1)
			fatal("cannot enter the spool %s", cfg->spool_dir);
	} else
		privsep_drop(cfg->spool_dir, uid, gid);
	skel_role_tie();
	/* each client may hold a message file open too */
	sandbox_limits(2 * QUEUE_CLIENTS_MAX + 16, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/* queue_listen: queue.sock in the spool (the cwd), mode 0600, owned by
 * the queue uid; runs before the chroot. */
static int
queue_listen(uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)str_copy(sun.sun_path, QUEUE_SOCKET, sizeof(sun.sun_path));
	if (unlink(QUEUE_SOCKET) == -1 && errno != ENOENT)
		fatal("cannot remove the stale %s", QUEUE_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("cannot create the queue's socket");
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("cannot bind the queue's socket %s", QUEUE_SOCKET);
	(void)umask(old);
	if (uid != (uid_t)-1 && chown(QUEUE_SOCKET, uid, gid) == -1)
		fatal("cannot give %s to the queue user", QUEUE_SOCKET);
	if (listen(fd, 64) == -1)
		fatal("cannot listen on the queue's socket");
	return fd;
}

/* queue_spool_prepare: the spool's directories, as root, given to the
 * queue user. */
/*
 * queue_spool_lock: one queue per spool: an exclusive lock on queue.lock,
 * held (the descriptor stays open) for the queue's life.  A queue that
 * outlived a killed parent dies with it (skel_role_tie), so the wait is
 * short; past QUEUE_LOCK_WAIT_MS this queue gives up and the parent
 * tries again later.
 */
static void
queue_spool_lock(const struct config *cfg)
{
	int64_t end = mono_ms() + QUEUE_LOCK_WAIT_MS;
	int fd;

	if ((fd = open(QUEUE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		fatal("cannot open %s/%s", cfg->spool_dir, QUEUE_LOCK);
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			fatal("cannot lock %s/%s", cfg->spool_dir, QUEUE_LOCK);
		if (mono_ms() > end)
			fatalx("another queue runs on the spool %s",
			    cfg->spool_dir);
		(void)usleep(50000);
	}
}

static void
queue_spool_prepare(const struct config *cfg, uid_t uid, gid_t gid)
{
	static const char *const dirs[] = { "intake", "queue", "bad" };
	size_t i;

	if (chdir(cfg->spool_dir) == -1)
		fatal("cannot enter the spool %s", cfg->spool_dir);
	queue_spool_lock(cfg);
	if (spool_setup() == -1)
		fatalx("cannot prepare the spool %s", cfg->spool_dir);
	for (i = 0; uid != (uid_t)-1 && i < sizeof(dirs) / sizeof(dirs[0]);
	    i++)
		if (chown(dirs[i], uid, gid) == -1)
			fatal("cannot give %s/%s to the queue user",
			    cfg->spool_dir, dirs[i]);
}

static void
queue_send(struct qclient *c, const struct frame *f)
{
	if (frame_write(c->fd, f) == -1)
		log_warn("cannot answer a client of the queue");
}

static void
queue_answer(struct qclient *c, uint8_t type, uint32_t status,
    const char *text)
{
	struct frame f;

	if (queueproto_result_encode(&f, type, status, text) == 0)
		queue_send(c, &f);
}

static void
queue_client_close(struct qclient *c)
{
	if (c->in_tx)
		qwriter_abort(&c->w);
	sched_forget(c->fd);
	free(c->page);
	(void)close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* queue_word_ok: s may be one word of an envelope line: no control
 * character, and no blank unless blank_ok; "" is fine. */
static int
queue_word_ok(const char *s, int blank_ok)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (*s == ' ' && !blank_ok))
			return 0;
	return 1;
}

/* queue_env_ok: what goes into the envelope and the Received header
 * cannot break a line of either. */
static int
queue_env_ok(const struct queue_env *e)
{
	return queue_word_ok(e->sender, 1) && strchr(e->sender, '>') ==
	    NULL && queue_word_ok(e->envid, 0) && queue_word_ok(e->helo, 1) &&
	    queue_word_ok(e->address, 0) && queue_word_ok(e->auth_user, 0) &&
	    queue_word_ok(e->tls, 1) && queue_word_ok(e->proto, 0) &&
	    queue_word_ok(e->session, 0);
}

/* queue_env: MSG_QUEUE_ENV starts a transaction. */
static int
queue_env(struct qclient *c, struct frame *f)
{
	static struct queue_env e;
	char received[2048];

	if (c->in_tx || queueproto_env_decode(f, &e) == -1)
		return -1;
	c->in_tx = 1;
	if (!queue_env_ok(&e)) {
		memset(&c->w, 0, sizeof(c->w));
		c->w.fd = -1;
		c->w.failed = 1;
		(void)str_copy(c->w.why, "a control character or misplaced "
		    "blank in the envelope", sizeof(c->w.why));
		log_warnx("refused a transaction from the broker: control "
		    "characters in its envelope");
		return 0;
	}
	if (qwriter_start(&c->w, e.sender) == -1) {
		c->w.failed = 1;
		return 0;
	}
	queue_received_smtp(received, sizeof(received), &e, c->w.m->id);
	(void)qwriter_header(&c->w, received);
	c->w.m->body = e.body;
	c->w.m->flags = e.flags;
	(void)str_copy(c->w.m->envid, e.envid, sizeof(c->w.m->envid));
	(void)snprintf(c->w.m->origin, sizeof(c->w.m->origin), "smtp %s %s%s%s",
	    e.address[0] != '\0' ? e.address : "-",
	    e.session[0] != '\0' ? e.session : "-",
	    e.auth_user[0] != '\0' ? " user " : "", e.auth_user);
	log_debug("message %s: transaction from %s", c->w.m->id, e.address);
	return 0;
}

static int
queue_rcpt(struct qclient *c, struct frame *f)
{
	struct queue_rcpt r;
	struct qrcpt q;

	if (!c->in_tx || queueproto_rcpt_decode(f, &r) == -1)
		return -1;
	if (c->w.failed || c->w.m == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.local = r.local;
	q.notify = r.notify;
	(void)str_copy(q.dest, r.dest, sizeof(q.dest));
	(void)str_copy(q.address, r.address, sizeof(q.address));
	(void)str_copy(q.orcpt, r.orcpt, sizeof(q.orcpt));
	if (!queue_word_ok(q.dest, 0) || !queue_word_ok(q.address, 0) ||
	    !queue_word_ok(q.orcpt, 0) || strcmp(q.address, "-") == 0 ||
	    strcmp(q.orcpt, "-") == 0) {
		c->w.failed = 1;
		(void)str_copy(c->w.why, "a blank or control character in a "
		    "recipient", sizeof(c->w.why));
		return 0;
	}
	(void)qwriter_rcpt(&c->w, &q);
	return 0;
}

/* queue_checks: MSG_QUEUE_CHECKS, once, before COMMIT: the checks'
 * results go into the envelope. */
static int
queue_checks(struct qclient *c, struct frame *f)
{
	static struct queue_checks k;

	if (!c->in_tx || queueproto_checks_decode(f, &k) == -1)
		return -1;
	if (c->w.failed || c->w.m == NULL)
		return 0;
	if (c->w.m->authres != NULL)
		return -1;
	if ((c->w.m->authres = strdup(k.authres)) == NULL) {
		c->w.failed = 1;
		(void)str_copy(c->w.why, "out of memory", sizeof(c->w.why));
		return 0;
	}
	c->w.m->junk = k.junk;
	return 0;
}

static int
queue_commit(struct qclient *c, struct frame *f)
{
	char id[QUEUE_ID_LEN + 1];

	if (!c->in_tx || queueproto_empty_decode(f) == -1)
		return -1;
	c->in_tx = 0;
	if (c->w.m == NULL || qwriter_commit(&c->w, id) == -1) {
		queue_answer(c, MSG_QUEUE_COMMIT, QUEUE_TEMP, c->w.why[0] !=
		    '\0' ? c->w.why : "cannot queue the message");
		qwriter_abort(&c->w);
		return 0;
	}
	log_info("message %s queued", id);
	queue_answer(c, MSG_QUEUE_COMMIT, QUEUE_OK, id);
	return 0;
}

/* queue_page: LIST and SHOW, a page of the text from offset on. */
static int
queue_page(struct qclient *c, struct frame *f)
{
	char id[QUEUE_ID_LEN + 1];
	struct frame out;
	uint32_t off;
	size_t n;
	int nomem;

	if (queueproto_page_req_decode(f, id, sizeof(id), &off) == -1 ||
	    (f->type == MSG_QUEUE_SHOW && id[0] == '\0'))
		return -1;
	if (off == 0) {
		free(c->page);
		c->page = sched_text(f->type == MSG_QUEUE_SHOW ? id : "",
		    &c->pagelen, &nomem);
		c->pagetype = f->type;
		(void)str_copy(c->pageid, id, sizeof(c->pageid));
		if (c->page == NULL) {
			if (nomem)
				return -1;
			return queueproto_page_ans_encode(&out, f->type,
			    QUEUE_NOTFOUND, 0, "", 0) == 0 ?
			    (queue_send(c, &out), 0) : -1;
		}
	}
	if (c->page == NULL || c->pagetype != f->type ||
	    strcmp(c->pageid, id) != 0 || off > c->pagelen ||
	    c->pagelen > UINT32_MAX)
		return -1;
	n = c->pagelen - off < QUEUE_DATA_MAX - 64 ? c->pagelen - off :
	    QUEUE_DATA_MAX - 64;
	if (queueproto_page_ans_encode(&out, f->type, QUEUE_OK,
	    (uint32_t)c->pagelen, c->page + off, n) == -1)
		return -1;
	queue_send(c, &out);
	return 0;
}

/* queue_dispatch: one frame from a client; -1 closes it. */
static int
queue_dispatch(struct qclient *c, struct frame *f)
{
	char id[QUEUE_ID_LEN + 1], text[QUEUE_TEXT_MAX];
	const uint8_t *p;
	struct queue_room r;
	size_t len;
	uint32_t st;

	switch (f->type) {
	case MSG_QUEUE_ENV:
		return queue_env(c, f);
	case MSG_QUEUE_RCPT:
		return queue_rcpt(c, f);
	case MSG_QUEUE_DATA:
		if (!c->in_tx || queueproto_data_decode(f, &p, &len) == -1)
			return -1;
		if (c->w.m != NULL)
			(void)qwriter_data(&c->w, p, len, 0);
		return 0;
	case MSG_QUEUE_CHECKS:
		return queue_checks(c, f);
	case MSG_QUEUE_COMMIT:
		return queue_commit(c, f);
	case MSG_QUEUE_ABORT:
		if (!c->in_tx || queueproto_empty_decode(f) == -1)
			return -1;
		qwriter_abort(&c->w);
		c->in_tx = 0;
		return 0;
	case MSG_QUEUE_ROOM:
		if (queueproto_room_decode(f, &r) == -1)
			return -1;
		if (sched_room(c->fd, &r) == -1)
			queue_answer(c, MSG_QUEUE_ROOM, QUEUE_ROOM_UNKNOWN, "");
		return 0;
	case MSG_QUEUE_LIST:
	case MSG_QUEUE_SHOW:
		return queue_page(c, f);
	case MSG_QUEUE_REMOVE:
	case MSG_QUEUE_FLUSH:
		if (queueproto_id_decode(f, id, sizeof(id)) == -1)
			return -1;
		st = f->type == MSG_QUEUE_REMOVE ?
		    sched_remove(id, text, sizeof(text)) :
		    sched_flush(id, text, sizeof(text));
		queue_answer(c, f->type, st, text);
		return 0;
	default:
		return -1;
	}
}

/* queue_client_read: read what is there, dispatch every whole frame. */
static void
queue_client_read(struct qclient *c)
{
	struct frame f;
	ssize_t n;
	long total;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		queue_client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	while ((total = frame_complete(c->in, c->inlen)) != 0) {
		if (total < 0 || frame_parse(&f, c->in, (size_t)total) == -1 ||
		    queue_dispatch(c, &f) == -1) {
			log_warnx("malformed request from a client of the "
			    "queue: connection closed");
			queue_client_close(c);
			return;
		}
		memmove(c->in, c->in + total, c->inlen - (size_t)total);
		c->inlen -= (size_t)total;
	}
}

static void
queue_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != queue_uid)) {
		log_warnx("refused a connection to the queue from uid %ld",
		    len == sizeof(cred) ? (long)cred.uid : -1L);
		(void)close(fd);
		return;
	}
	for (i = 0; i < QUEUE_CLIENTS_MAX; i++)
		if (queue_clients[i].fd == -1) {
			queue_clients[i].fd = fd;
			return;
		}
	log_warnx("refused a connection to the queue: %d clients already",
	    QUEUE_CLIENTS_MAX);
	(void)close(fd);
}

/* queue_authd_read: authd speaks only when asked; here it can only have
 * closed the connection. */
static void
queue_authd_read(void)
{
	char buf[256];
	ssize_t n;

	n = read(queue.authfd, buf, sizeof(buf));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		log_info("authd closed its connection: the queue stops");
		_exit(0);
	}
	if (n > 0)
		fatalx("unexpected bytes from authd");
}

static void
queue_on_term(int sig)
{
	(void)sig;
	if (queue.relay_jobs == 0)
		_exit(0);
	queue_stopping = 1;
}

/* queue_relay_wait: the answers of the relay jobs out that come within
 * ms (0: those there now), handled at once.  The loop calls it between
 * its clients' frames (which commit messages, with their fsyncs): a SENT
 * result waits for no one's fsync before its own. */
static void
queue_relay_wait(int ms)
{
	struct pollfd pfd[QUEUE_RELAY_MAX];
	size_t at[QUEUE_RELAY_MAX];
	size_t k, n;

	for (k = 0, n = 0; k < queue.nrl; k++)
		if (queue.rl[k].fd != -1 && queue.rl[k].msg != NULL) {
			pfd[n] = (struct pollfd){ queue.rl[k].fd, POLLIN, 0 };
			at[n++] = k;
		}
	if (n == 0)
		return;
	if (poll(pfd, n, ms) == -1) {
		if (errno == EINTR)
			return;
		fatal("poll");
	}
	for (k = 0; k < n; k++)
		if (pfd[k].revents != 0 && queue.rl[at[k]].fd != -1)
			sched_relay_answer(&queue.rl[at[k]]);
}

void
queue_stop(int status, const char *why)
{
	int64_t deadline = mono_ms() + QUEUE_STOP_MS, left;

	if (status != 0)
		log_warnx("%s", why);
	else
		log_info("%s", why);
	if (qrelay_busy())
		log_info("the queue waits for the answers of %d relay job%s",
		    (int)queue.relay_jobs, queue.relay_jobs == 1 ? "" : "s");
	while (qrelay_busy() && (left = deadline - mono_ms()) > 0)
		queue_relay_wait(left > 1000 ? 1000 : (int)left);
	if (qrelay_busy())
		log_warnx("the queue ends without the answers of %d relay "
		    "job%s", (int)queue.relay_jobs,
		    queue.relay_jobs == 1 ? "" : "s");
	_exit(status);
}

static void __attribute__((noreturn))
queue_loop(int lfd)
{
	struct pollfd pfd[QUEUE_CLIENTS_MAX + 2 + QUEUE_DELIVER_MAX +
	    QUEUE_RELAY_MAX];
	size_t i, k, n, first;

	for (;;) {
		if (queue_stopping)
			queue_stop(0, "the queue stops");
		intake_scan();
		sched_run();
		pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ queue.authfd, POLLIN, 0 };
		for (k = 0; k < queue.ndl; k++)
			pfd[2 + k] = (struct pollfd){ queue.dl[k].fd, POLLIN,
			    0 };
		/* a relay link that closed polls as -1: ignored */
		for (k = 0; k < queue.nrl; k++)
			pfd[2 + queue.ndl + k] = (struct pollfd){
			    queue.rl[k].fd, POLLIN, 0 };
		first = 2 + queue.ndl + queue.nrl;
		for (i = 0, n = first; i < QUEUE_CLIENTS_MAX; i++)
			pfd[n++] = (struct pollfd){ queue_clients[i].fd,
			    POLLIN, 0 };
		if (poll(pfd, n, (int)sched_timeout()) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents != 0)
			queue_authd_read();
		for (k = 0; k < queue.ndl; k++) {
			if (pfd[2 + k].revents == 0)
				continue;
			if (queue.dl[k].state == QD_IDLE)
				queue_stop(1, "the deliver role hung up or "
				    "spoke unasked");
			sched_deliver_answer(&queue.dl[k]);
		}
		for (k = 0; k < queue.nrl; k++)
			if (queue.rl[k].fd != -1 &&
			    pfd[2 + queue.ndl + k].revents != 0)
				sched_relay_answer(&queue.rl[k]);
		for (i = 0; i < QUEUE_CLIENTS_MAX; i++)
			if (queue_clients[i].fd != -1 &&
			    pfd[first + i].revents != 0) {
				queue_client_read(&queue_clients[i]);
				queue_relay_wait(0);
			}
		if (pfd[0].revents != 0)
			queue_accept(lfd);
	}
}

void
queue_main(const struct config *cfg, int authfd, const int *deliverfds,
    size_t ndeliver, const int *relayfds, size_t nrelay, uid_t uid,
    gid_t gid)
{
	struct qmsg *head, *m, *next;
	long n;
	struct sigaction sa;
	int lfd;
	size_t i;

	log_set_role("queue");
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = queue_on_term;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		fatal("cannot catch SIGTERM");
	memset(&queue, 0, sizeof(queue));
	queue.cfg = cfg;
	queue.authfd = authfd;
	if (ndeliver < 1 || ndeliver > QUEUE_DELIVER_MAX)
		fatalx("the queue needs 1 to %d deliver processes",
		    QUEUE_DELIVER_MAX);
	for (i = 0; i < ndeliver; i++) {
		queue.dl[i].fd = deliverfds[i];
		queue.dl[i].room_fd = -1;
	}
	queue.ndl = ndeliver;
	if (nrelay > QUEUE_RELAY_MAX)
		fatalx("the queue takes at most %d relay processes",
		    QUEUE_RELAY_MAX);
	for (i = 0; i < nrelay; i++)
		queue.rl[i].fd = relayfds[i];
	queue.nrl = nrelay;
	queue_uid = uid == (uid_t)-1 ? getuid() : uid;
	for (i = 0; i < QUEUE_CLIENTS_MAX; i++)
		queue_clients[i].fd = -1;
	if (cfg->ndomains < 1)
		fatalx("no \"domain\" in the configuration");
	queue_spool_prepare(cfg, uid, gid);
	lfd = queue_listen(uid, gid);
	queue_sandbox(cfg, uid, gid);
	if ((n = spool_load(&head)) == -1)
		fatalx("cannot load the queue from the spool");
	for (m = head; m != NULL; m = next) {
		next = m->next;
		sched_add(m);
	}
	log_info("queue started: %ld message%s in the spool", n,
	    n == 1 ? "" : "s");
	queue_loop(lfd);
}
