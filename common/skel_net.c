/*
 * skel_net.c: a network daemon's net role: TLS and the pre-auth engine
 * (skel.h).
 *
 * Forked by the monitor for one client; before it reads a byte it chroots
 * to the empty directory, drops to the net uid and enters its sandbox.  It
 * never sees the private key (the keyholder signs) and never talks to
 * authd: credentials go to the monitor, which answers with a status.  It
 * pumps decrypted bytes into the daemon's pre-auth engine, which owns the
 * framing; after a successful login it only relays bytes between the TLS
 * session and the mail role.  Everything the client sends is hostile; the
 * daemon's idle timeouts apply before and after the login.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/authproto.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/privsep.h"
#include "common/rolemsg.h"
#include "common/skel.h"
#include "common/tls.h"
#include "common/util.h"

#define NET_LINGER_MS	500	/* net_linger: how long, at most */
#define NET_LINGER_MAX	65536	/* and how much */

struct net {
	const struct skel_daemon *d;
	const struct skel_preauth *pa;
	void		*state;		/* the engine's */
	struct tls_conn	*tls;
	int		 clientfd;
	int		 monfd;
	int		 relay;		/* logged in: relay to the mail role */
	int		 closing;	/* quit or error: flush, then close */
	int		 close_sent;	/* close_notify queued */
	int		 starttls;	/* STARTTLS said: handshake once the
					 * plaintext reply is out */
	int		 greeted;	/* the engine runs (TLS is up or
					 * not wanted yet) */
	int		 inited;	/* the engine greeted */
	int64_t		 greet_at;	/* mono_ms(): the greeting's time */
};

/*
 * net_sandbox: the one function that builds the net role's sandbox: the
 * empty directory as root, the net uid, no new privileges, and an
 * allow-list of what TLS over two sockets needs; nothing can open a file,
 * map a file or make memory executable.  Each entry says why it is there.
 */
static void
net_sandbox(const struct config *cfg, const struct skel_ids *ids)
{
	const struct sandbox_rule allow[] = {
		/* the client's TLS bytes (recvfrom, sendto: tls.c uses recv
		 * and send), the monitor's frames, the keyholder's answers
		 * (read), the relay to the mail role (read, write) */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(recvfrom),
		SANDBOX_ALLOW(sendto),
		/* the keyholder channel after the handshake; the end */
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(shutdown),
		/* the event loop and the bounded wait for a signature */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(ppoll),
		/* malloc (tls_conn_new, syslog's buffer): the heap, and
		 * anonymous private memory, never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),		/* realloc of a mapped chunk */
		SANDBOX_MADVISE(MADV_DONTNEED),	/* free giving pages back */
		/* TLS randomness (tls_conn_new); there is no /dev/urandom */
		SANDBOX_ALLOW(getrandom),
		/* mono_ms, log time stamps (when the vDSO falls back) */
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),		/* the log prefix */
		/* returning from a signal handler and restarting the call
		 * it interrupted (a stop signal, a debugger) */
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};

	if (ids->net_uid != (uid_t)-1)
		privsep_drop(cfg->empty_dir, ids->net_uid, ids->net_gid);
	sandbox_limits(16, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/* net_send: queue text for the client; fatal for the session if the TLS
 * send buffer cannot take it (responses here are short). */
static int
net_send(struct net *n, const char *text, size_t len)
{
	unsigned char *buf;
	size_t room;

	while (len > 0) {
		if ((buf = tls_write_buf(n->tls, &room)) == NULL)
			return -1;
		if (room > len)
			room = len;
		memcpy(buf, text, room);
		tls_write_ack(n->tls, room);
		text += room;
		len -= room;
	}
	tls_flush(n->tls);
	return 0;
}

/* net_login: ask the monitor; the answer comes back as a status only. */
static uint32_t
net_login(struct net *n)
{
	static struct frame f;
	uint32_t status;
	int rc;

	rc = rolemsg_login_encode(&f, n->pa->login(n->state));
	if (rc == 0)
		rc = frame_write(n->monfd, &f);
	frame_wipe(&f);
	if (rc == -1)
		return AUTH_FAIL_TEMP;
	/* The monitor answers as a whole frame once authd has decided. */
	if (frame_read(n->monfd, &f, FRAME_FOREVER) == -1 ||
	    rolemsg_status_decode(&f, &status) == -1)
		fatalx("malformed login answer from the monitor");
	return status;
}

/* net_ask: send the engine's frame to the monitor; for SKEL_ASK its
 * answer goes back to the engine, whose next action is returned. */
static int
net_ask(struct net *n, int action)
{
	static struct frame f;

	if (frame_write(n->monfd, n->pa->ask(n->state)) == -1) {
		log_info("the monitor went away");
		n->closing = 1;
		return SKEL_MORE;
	}
	if (action == SKEL_TELL)
		return SKEL_MORE;
	if (frame_read(n->monfd, &f, FRAME_FOREVER) == -1) {
		log_info("the monitor went away");
		n->closing = 1;
		return SKEL_MORE;
	}
	return n->pa->answer(n->state, &f);
}

/* net_output: send what the engine has to say. */
static void
net_output(struct net *n)
{
	const char *out;
	size_t len;

	out = n->pa->output(n->state, &len);
	if (len > 0 && net_send(n, out, len) == -1)
		n->closing = 1;
}

/* net_act: act on what the engine said. */
static void
net_act(struct net *n, int action)
{
	if (action == SKEL_LOGIN)
		action = n->pa->login_result(n->state, net_login(n));
	if (action == SKEL_ASK || action == SKEL_TELL)
		action = net_ask(n, action);
	if (action == SKEL_MORE || n->closing)
		return;
	if (action == SKEL_STARTTLS) {
		/* The reply goes out in plaintext, then the handshake. */
		if (!tls_is_plain(n->tls))
			fatalx("the engine asked for STARTTLS under TLS");
		/* Before our answer goes: bytes after it are TLS. */
		tls_plain_hold(n->tls);
		n->starttls = 1;
	}
	if (action == SKEL_AUTHED) {
		n->relay = 1;
		return;
	}
	net_output(n);
	if (action == SKEL_QUIT)
		n->closing = 1;
}

/* net_can_reply: room for a whole reply in the TLS send buffer.  A
 * pipelining client's next command waits in the receive buffer until the
 * answer to the previous one has gone out. */
static int
net_can_reply(struct net *n)
{
	size_t room;

	return tls_write_buf(n->tls, &room) != NULL &&
	    room >= n->pa->out_max;
}

/*
 * net_preauth: pump decrypted bytes into the engine.  Bytes after the
 * command that logged in belong to the mail role (pipelining): the engine
 * leaves them unused, in the TLS buffer, and they are relayed from
 * there.  Any byte before the login may be part of a credential, so what
 * the engine used is wiped from the TLS buffer.
 */
static void
net_preauth(struct net *n)
{
	unsigned char *buf;
	size_t len, used;
	int action;

	while (!n->relay && !n->closing && !n->starttls &&
	    net_can_reply(n) && (buf = tls_read_buf(n->tls, &len)) != NULL) {
		used = n->pa->feed(n->state, buf, len, &action);
		if (used > len)
			fatalx("the pre-auth engine used more than it got");
		tls_read_wipe(n->tls, used);
		if (action != SKEL_MORE)
			net_act(n, action);
		else if (used == 0)
			break;
	}
}

/* net_relay_up: decrypted client bytes to the mail role. */
static int
net_relay_up(struct net *n)
{
	unsigned char *buf;
	size_t len;
	ssize_t w;

	if ((buf = tls_read_buf(n->tls, &len)) == NULL)
		return 0;
	w = write(n->monfd, buf, len);
	if (w == -1)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	tls_read_ack(n->tls, (size_t)w);
	return 0;
}

/* net_relay_down: the mail role's answers to the client. */
static int
net_relay_down(struct net *n)
{
	unsigned char *buf;
	size_t room;
	ssize_t r;

	if ((buf = tls_write_buf(n->tls, &room)) == NULL)
		return 0;
	r = read(n->monfd, buf, room);
	if (r == -1)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (r == 0)
		return -1;
	tls_write_ack(n->tls, (size_t)r);
	tls_flush(n->tls);
	return 0;
}

/* net_poll: one round of the loop; -1 when the session is over. */
static int
net_poll(struct net *n, int timeout_ms)
{
	struct pollfd pfd[2];
	size_t len;
	int nfd = 1, rc;

	pfd[0].fd = n->clientfd;
	pfd[0].events = tls_events(n->tls);
	pfd[0].revents = 0;
	/* Nothing to wait for on the socket: the connection is closed, or
	 * the engine holds decrypted bytes the mail role has not taken yet
	 * (a client sending faster than it writes: a large APPEND).  Then
	 * only the mail role's socket is waited for. */
	if (pfd[0].events == 0 && (!n->relay ||
	    tls_read_buf(n->tls, &len) == NULL))
		return -1;
	if (pfd[0].events == 0)
		pfd[0].fd = -1;
	if (n->relay) {
		pfd[1].fd = n->monfd;
		pfd[1].events = (tls_write_buf(n->tls, &len) ? POLLIN : 0) |
		    (tls_read_buf(n->tls, &len) ? POLLOUT : 0);
		pfd[1].revents = 0;
		/* No interest: ignore it, or a hang-up would wake poll
		 * again and again while the client drains its data. */
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		nfd = 2;
	} else {
		/* Before the relay the monitor speaks only when asked: a
		 * hang-up (or anything) from it means it is gone. */
		pfd[1].fd = n->monfd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nfd = 2;
	}
	if ((rc = poll(pfd, (nfds_t)nfd, timeout_ms)) == -1)
		return errno == EINTR ? 0 : -1;
	if (rc == 0) {
		log_info("idle timeout; closing");
		return -1;
	}
	if (pfd[0].revents && tls_io(n->tls, pfd[0].revents) == -1)
		return -1;
	if (!n->relay && pfd[1].revents) {
		log_info("the monitor went away");
		return -1;
	}
	if (nfd == 2 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
	    net_relay_down(n) == -1) {
		tls_close(n->tls);
		n->closing = 1;
	}
	return 0;
}

/*
 * net_begin: TLS is up, or the plaintext of a STARTTLS listener begins.
 * Under TLS the engine hears what was negotiated; after a STARTTLS it
 * already greeted, and does not again (RFC 3207).  In plaintext, a
 * client that talks before the greeting (during the daemon's greeting
 * delay, or already when the greeting would go) is an early talker: it
 * hears the daemon's line for them and the connection ends.
 */
static void
net_begin(struct net *n)
{
	struct pollfd pfd = { n->clientfd, POLLIN, 0 };
	char desc[96];
	int wait;

	n->greeted = 1;
	if (!tls_is_plain(n->tls)) {
		snprintf(desc, sizeof(desc), "TLSv1.2 %s",
		    tls_suite_name(tls_suite(n->tls)));
		log_info("%sTLS 1.2 handshake done, %s", n->inited ?
		    "STARTTLS: " : "", tls_suite_name(tls_suite(n->tls)));
		tls_drop_signer(n->tls);
		if (n->pa->tls_started != NULL)
			n->pa->tls_started(n->state, desc);
		if (n->inited)
			return;
	} else if (n->d->early_talker != NULL) {
		wait = (int)(n->greet_at - mono_ms());
		if (poll(&pfd, 1, wait < 0 ? 0 : wait) > 0 &&
		    (pfd.revents & POLLIN)) {
			log_info("the client talked before the greeting; "
			    "closing");
			(void)net_send(n, n->d->early_talker,
			    strlen(n->d->early_talker));
			n->closing = 1;
			return;
		}
	}
	n->pa->init(n->state);
	n->inited = 1;
	net_output(n);
}

/* net_starttls: once the plaintext reply to STARTTLS is out, begin
 * TLS; -1 when it cannot. */
static int
net_starttls(struct net *n)
{
	if (tls_events(n->tls) & POLLOUT)
		return 0;
	n->starttls = 0;
	n->greeted = 0;
	return tls_starttls(n->tls);
}

static void
net_run(struct net *n, int idle_pre_ms, int idle_ms)
{
	for (;;) {
		if (n->starttls && !n->closing && net_starttls(n) == -1)
			return;
		if (!n->greeted && !n->starttls &&
		    tls_handshake_done(n->tls))
			net_begin(n);
		if (n->greeted && !n->relay && !n->closing)
			net_preauth(n);
		if (n->relay && !n->closing && net_relay_up(n) == -1)
			return;
		if (n->closing && !n->close_sent) {
			tls_close(n->tls);
			n->close_sent = 1;
		}
		/* Once our last records are out, the client's close_notify is
		 * not worth waiting for. */
		if (n->close_sent && !(tls_events(n->tls) & POLLOUT))
			return;
		if (net_poll(n, n->relay ? idle_ms : idle_pre_ms) == -1)
			return;
	}
}

/*
 * net_linger: our last words are sent: say so (FIN) and read what the
 * client still sends for a moment.  Closing a socket with unread input
 * makes the kernel send a reset, which may destroy the last reply
 * before the client reads it (a refusal to an early talker, a 421).
 */
static void
net_linger(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	unsigned char junk[4096];
	int64_t end = mono_ms() + NET_LINGER_MS;
	size_t total = 0;
	int64_t left;
	ssize_t r;

	if (shutdown(fd, SHUT_WR) == -1)
		return;
	while (total < NET_LINGER_MAX && (left = end - mono_ms()) > 0 &&
	    poll(&pfd, 1, (int)left) > 0) {
		if ((r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT)) <= 0)
			break;
		total += (size_t)r;
	}
}

/* net_tls_end: how TLS ended, in one line when it failed: a handshake
 * that failed for any reason, or an error after it other than a client
 * that went away without close_notify (most do). */
static void
net_tls_end(struct tls_conn *t)
{
	char why[160];
	int err = tls_error(t);

	if (err == 0)
		return;
	tls_why(t, why, sizeof(why));
	if (!tls_heard(t))
		log_info("closed by the client before TLS began");
	else if (!tls_handshake_done(t))
		log_info("TLS handshake failed: %s", why);
	else if (err != BR_ERR_IO)
		log_warnx("TLS failed: %s", why);
	else
		log_debug("TLS: %s", why);
}

void
skel_net_main(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl, int monfd)
{
	static struct net n;

	log_set_role("net");
	if (fcntl(cl->fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(monfd, F_SETFL, O_NONBLOCK) == -1)
		fatal("cannot make the sockets non-blocking");
	memset(&n, 0, sizeof(n));
	n.d = d;
	n.pa = d->preauth;
	if ((n.state = calloc(1, n.pa->state_size)) == NULL)
		fatal("out of memory for the pre-auth engine");
	net_sandbox(cfg, ids);
	n.clientfd = cl->fd;
	n.monfd = monfd;
	if (n.pa->configure != NULL)
		n.pa->configure(n.state, cfg, !cl->starttls);
	if (cl->starttls)
		n.greet_at = mono_ms() + (d->greet_delay != NULL ?
		    d->greet_delay(cfg) : 0);
	if ((n.tls = cl->starttls ? tls_conn_plain(cl->fd, chain, cl->keyfd) :
	    tls_conn_new(cl->fd, chain, cl->keyfd)) == NULL)
		_exit(1);
	net_run(&n, (int)(d->idle_preauth(cfg) * 1000),
	    (int)(d->idle_session(cfg) * 1000));
	net_tls_end(n.tls);
	tls_conn_free(n.tls);
	net_linger(cl->fd);
	n.pa->wipe(n.state);
	explicit_bzero(n.state, n.pa->state_size);
	free(n.state);
	explicit_bzero(&n, sizeof(n));
	_exit(0);
}
