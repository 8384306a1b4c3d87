/*
 * skel_monitor.c: a network daemon's per-connection monitor (skel.h).
 *
 * Runs as root, forked by the parent for one client.  It asks authd
 * whether the client's address is banned before any TLS byte is read,
 * forks the net child, and answers the child's login requests by asking
 * authd itself with the address the kernel reported: the child only
 * forwards the credentials it parsed.  It keeps the rules of the pre-auth
 * state itself rather than trusting the child to: the connection ends
 * when the login grace time is over, and when the child asks again after
 * the engine's max_failures failed logins (OpenSSH's monitor counts the
 * same way), so a compromised child cannot replay guesses for the life of
 * the connection.  After a successful login it asks the parent whether
 * the session budget has room (MSG_MONITOR_SESSION), then becomes the
 * mail role (skel_mail.c), which keeps the login's connection to authd so
 * that authd can end the session (authc.h).  It trusts authd's answers
 * and the parent's, and nothing its net child sends: a malformed message
 * from the child ends the connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/admission.h"
#include "common/authc.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/privsep.h"
#include "common/rolemsg.h"
#include "common/skel.h"
#include "common/util.h"

/* monitor_login: ask authd about the net child's login l; returns the
 * status, and the canonical user and mail dir on success.  With *afd
 * open (a broker's connection), the login is a plain one on it, which
 * stays open.  Else the login opens a session: on success *afd is the
 * connection to authd that the session keeps (authc.h); else it is
 * closed and -1. */
static uint32_t
monitor_login(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_client *cl, const struct role_login *l,
    struct auth_login_ans *ans, int *afd)
{
	static struct auth_login_req req;
	int keep = *afd != -1;

	memset(&req, 0, sizeof(req));
	str_copy(req.mech, l->mech, sizeof(req.mech));
	str_copy(req.user, l->user, sizeof(req.user));
	memcpy(req.secret, l->secret, l->secretlen);
	req.secretlen = l->secretlen;
	str_copy(req.service, d->service, sizeof(req.service));
	str_copy(req.address, cl->address, sizeof(req.address));
	str_copy(req.session, cl->session, sizeof(req.session));
	req.port = cl->port;
	req.opens = !keep;
	if (!keep && (*afd = authc_connect(cfg->auth_socket)) == -1)
		ans->status = AUTH_FAIL_TEMP;
	else if (authc_login(*afd, &req, ans) == -1)
		ans->status = AUTH_FAIL_TEMP;
	if (!keep && *afd != -1 && ans->status != AUTH_OK) {
		close(*afd);
		*afd = -1;
	}
	explicit_bzero(&req, sizeof(req));
	return ans->status;
}

static void
monitor_answer(int fd, uint32_t status)
{
	struct frame f;

	if (rolemsg_status_encode(&f, status) == -1 ||
	    frame_write(fd, &f) == -1)
		fatal("cannot answer the net child");
}

/* monitor_banned: ask authd before the handshake; fail open when authd
 * cannot be reached (the login asks again and fails closed). */
static int
monitor_banned(const struct config *cfg, const char *address)
{
	int fd, rc;

	if ((fd = authc_connect(cfg->auth_socket)) == -1)
		return 0;
	rc = authc_banned(fd, address);
	close(fd);
	return rc != 0;
}

/* monitor_admit: tell the parent who logged in; its verdict (ADMIT_*).
 * A parent that cannot be asked refuses. */
static int
monitor_admit(const struct skel_client *cl, const char *user)
{
	static struct frame f;
	uint32_t v;

	if (rolemsg_session_encode(&f, user) == -1 ||
	    frame_write(cl->parentfd, &f) == -1 ||
	    frame_read(cl->parentfd, &f, FRAME_FOREVER) == -1 ||
	    rolemsg_verdict_decode(&f, MSG_MONITOR_SESSION, &v) == -1) {
		log_warnx("%s: the parent did not answer whether the "
		    "session may start", user);
		return ADMIT_INVALID;
	}
	return (int)v;
}

int
skel_message_admit(const struct skel_client *cl)
{
	static struct frame f;
	uint32_t v;

	if (rolemsg_message_encode(&f) == -1 ||
	    frame_write(cl->parentfd, &f) == -1 ||
	    frame_read(cl->parentfd, &f, mono_ms() + 10000) == -1 ||
	    rolemsg_verdict_decode(&f, MSG_MONITOR_MESSAGE, &v) == -1)
		return ADMIT_INVALID;
	return (int)v;
}

/* monitor_end: end the connection: the net child holds the client's
 * socket, so it goes with the child. */
static void __attribute__((noreturn))
monitor_end(pid_t net)
{
	int status;

	kill(net, SIGKILL);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	_exit(0);
}

/* monitor_read: the net child's next login into l, by the grace time's
 * deadline (over: the connection ends); 0, or -1 when the child went
 * away.  A malformed login is fatal. */
static int
monitor_read(int fd, struct frame *f, struct role_login *l,
    int64_t deadline, pid_t net)
{
	int rc;

	rc = frame_read(fd, f, deadline);
	if (rc == -1 && errno == ETIMEDOUT) {
		log_info("login grace time over; closing");
		monitor_end(net);
	}
	if (rc == -1)
		return -1;
	rc = rolemsg_login_decode(f, l);
	frame_wipe(f);
	if (rc == -1)
		fatalx("malformed login message from the net child");
	return 0;
}

/* monitor_net: the net child's side of the fork. */
static void __attribute__((noreturn))
monitor_net(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl, int fd, pid_t monitor)
{
	/* The child dies with its monitor: nobody else would end it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != monitor)
		_exit(1);
	close(cl->parentfd);
	skel_net_main(d, cfg, ids, chain, cl, fd);
}

/* monitor_fork_net: the socket pair and the net child; the monitor's
 * end of the pair is returned, the child's pid in *net. */
static int
monitor_fork_net(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl, pid_t *net)
{
	pid_t self = getpid();
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("cannot make the net child's socket pair");
	if ((*net = fork()) == -1)
		fatal("cannot fork the net child");
	if (*net == 0) {
		close(sp[0]);
		monitor_net(d, cfg, ids, chain, cl, sp[1], self);
	}
	close(sp[1]);
	close(cl->fd);
	close(cl->keyfd);
	return sp[0];
}

/*
 * broker_sandbox: the one function that builds a broker's sandbox: the
 * empty directory as root, the queue uid, no new privileges, not
 * dumpable, and what relaying frames between sockets needs; the net
 * child dies with it (PR_SET_PDEATHSIG), so it needs no kill.  Each
 * entry says why it is there.
 */
static void
broker_sandbox(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids)
{
	static const struct sandbox_rule allow[] = {
		/* frames from and to the net child, authd, the queue and
		 * the parent; syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(poll),		/* frame_read's deadline */
		SANDBOX_ALLOW(ppoll),
		/* malloc: the heap and anonymous memory, never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),
		SANDBOX_MADVISE(MADV_DONTNEED),
		/* time stamps, the log prefix, reaping the net child */
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		SANDBOX_ALLOW(wait4),
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};
	struct sandbox_rule all[sizeof(allow) / sizeof(allow[0]) +
	    SKEL_MAIL_EXTRA_MAX];
	size_t n = sizeof(allow) / sizeof(allow[0]);

	if (d->broker->nextra > SKEL_MAIL_EXTRA_MAX)
		fatalx("too many extra system calls for the broker");
	memcpy(all, allow, sizeof(allow));
	if (d->broker->nextra > 0)
		memcpy(all + n, d->broker->extra,
		    d->broker->nextra * sizeof(*d->broker->extra));
	if (ids->queue_uid != (uid_t)-1)
		privsep_drop(cfg->empty_dir, ids->queue_uid, ids->queue_gid);
	sandbox_limits(16, 0);
	sandbox_seccomp(all, n + d->broker->nextra, 1);
}

/* broker_login: the net child's login l, on the broker's authd
 * connection; the status it answers. */
static uint32_t
broker_login(const struct skel_daemon *d, const struct config *cfg,
    struct skel_client *cl, struct role_login *l, int afd, void *state)
{
	struct auth_login_ans ans;
	uint32_t st;

	st = monitor_login(d, cfg, cl, l, &ans, &afd);
	rolemsg_login_wipe(l);
	if (st != AUTH_OK)
		return st;
	if (monitor_admit(cl, ans.user) != ADMIT_OK)
		return AUTH_FAIL_TEMP;
	log_info("%s logged in", ans.user);
	d->broker->logged_in(state, ans.user);
	return AUTH_OK;
}

/*
 * monitor_broker: the monitor of a daemon whose net role serves the
 * whole connection (skel_broker in skel.h).  The grace time holds until
 * the first login on a listener of the first kind (where nothing is
 * served before one); the net child's idle timeouts hold after it, and
 * on the plain kind, where no login is needed.
 */
static void __attribute__((noreturn))
monitor_broker(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl, int64_t deadline)
{
	static struct frame f, ans;
	static struct role_login l;
	void *state;
	int fd, afd, rc, failures = 0, authed = 0, status;
	pid_t net;

	/* The net child first, so that it never holds the broker's channels
	 * (authd, the queue, the checks): a compromised net process could
	 * otherwise speak to them as its broker. */
	fd = monitor_fork_net(d, cfg, ids, chain, cl, &net);
	if ((afd = authc_connect(cfg->auth_socket)) == -1) {
		log_warnx("authd cannot be reached; closing");
		_exit(1);
	}
	if ((state = calloc(1, d->broker->state_size)) == NULL)
		fatal("out of memory for the broker");
	if (d->broker->open(state, cfg, cl, afd) == -1)
		_exit(1);
	broker_sandbox(d, cfg, ids);
	for (;;) {
		rc = frame_read(fd, &f, authed || cl->starttls ?
		    FRAME_FOREVER : deadline);
		if (rc == -1 && errno == ETIMEDOUT)
			log_info("login grace time over; closing");
		if (rc == -1)
			break;
		if (f.type == MSG_NET_LOGIN) {
			rc = rolemsg_login_decode(&f, &l);
			frame_wipe(&f);
			if (rc == -1)
				fatalx("malformed login message from the "
				    "net child");
			if (failures >= d->preauth->max_failures) {
				rolemsg_login_wipe(&l);
				log_warnx("the net child asked for a login "
				    "after %d failures; closing", failures);
				break;
			}
			rc = (int)broker_login(d, cfg, cl, &l, afd, state);
			authed |= rc == AUTH_OK;
			failures += rc != AUTH_OK;
			monitor_answer(fd, (uint32_t)rc);
			continue;
		}
		if ((rc = d->broker->handle(state, &f, &ans)) == -1) {
			log_warnx("unexpected %s message from the net child; "
			    "closing", msg_name(f.type));
			break;
		}
		if (rc == 1 && frame_write(fd, &ans) == -1)
			break;
	}
	d->broker->close(state);
	close(fd);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	_exit(0);
}

void
skel_monitor_main(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl)
{
	static struct frame f;
	static struct role_login l;
	struct auth_login_ans ans;
	int sp, status, failures = 0, afd, admit = ADMIT_INVALID;
	int64_t deadline;
	uint32_t st;
	pid_t net;

	deadline = mono_ms() + cfg->login_grace * 1000;
	log_set_role("monitor");
	log_set_session(cl->address, cl->session);
	log_info("connection to port %u", cl->port);
	if (monitor_banned(cfg, cl->address)) {
		log_info("address banned; closing");
		_exit(0);
	}
	if (d->broker != NULL)
		monitor_broker(d, cfg, ids, chain, cl, deadline);
	sp = monitor_fork_net(d, cfg, ids, chain, cl, &net);
	while (monitor_read(sp, &f, &l, deadline, net) == 0) {
		if (failures >= d->preauth->max_failures) {
			rolemsg_login_wipe(&l);
			log_warnx("the net child asked for a login after %d "
			    "failures; closing", failures);
			monitor_end(net);
		}
		afd = -1;
		st = monitor_login(d, cfg, cl, &l, &ans, &afd);
		explicit_bzero(l.secret, sizeof(l.secret));
		l.secretlen = 0;
		if (st == AUTH_OK &&
		    (admit = monitor_admit(cl, ans.user)) == ADMIT_OK) {
			close(cl->parentfd);
			monitor_answer(sp, AUTH_OK);
			skel_mail_main(d, cfg, ids, sp, &ans, net, afd,
			    &l);
		}
		if (st == AUTH_OK) {
			(void)authc_open(afd, admit == ADMIT_INVALID ?
			    "the daemon could not ask for room" :
			    "the session limits are reached");
			close(afd);
		}
		rolemsg_login_wipe(&l);
		failures++;
		monitor_answer(sp, st == AUTH_OK ? AUTH_FAIL_TEMP : st);
	}
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	log_info("disconnected before login (%d failed login%s)", failures,
	    failures == 1 ? "" : "s");
	_exit(0);
}
