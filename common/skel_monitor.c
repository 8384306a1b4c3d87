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
#include "common/rolemsg.h"
#include "common/skel.h"
#include "common/util.h"

/* monitor_login: ask authd about the net child's login l; returns the
 * status, and the canonical user and mail dir on success.  The login
 * opens a session: on success *afd is the connection to authd that the
 * session keeps (authc.h); else it is closed and -1. */
static uint32_t
monitor_login(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_client *cl, const struct role_login *l,
    struct auth_login_ans *ans, int *afd)
{
	static struct auth_login_req req;

	*afd = -1;
	memset(&req, 0, sizeof(req));
	str_copy(req.mech, l->mech, sizeof(req.mech));
	str_copy(req.user, l->user, sizeof(req.user));
	memcpy(req.secret, l->secret, l->secretlen);
	req.secretlen = l->secretlen;
	str_copy(req.service, d->service, sizeof(req.service));
	str_copy(req.address, cl->address, sizeof(req.address));
	str_copy(req.session, cl->session, sizeof(req.session));
	req.port = cl->port;
	req.opens = 1;
	if ((*afd = authc_connect(cfg->auth_socket)) == -1)
		ans->status = AUTH_FAIL_TEMP;
	else if (authc_login(*afd, &req, ans) == -1 ||
	    ans->status != AUTH_OK) {
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
	    rolemsg_verdict_decode(&f, &v) == -1) {
		log_warnx("%s: the parent did not answer whether the "
		    "session may start", user);
		return ADMIT_INVALID;
	}
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

void
skel_monitor_main(const struct skel_daemon *d, const struct config *cfg,
    const struct skel_ids *ids, const struct tls_chain *chain,
    struct skel_client *cl)
{
	static struct frame f;
	static struct role_login l;
	struct auth_login_ans ans;
	int sp[2], status, failures = 0, afd, admit = ADMIT_INVALID;
	int64_t deadline;
	uint32_t st;
	pid_t net, self = getpid();

	deadline = mono_ms() + cfg->login_grace * 1000;
	log_set_role("monitor");
	log_set_session(cl->address, cl->session);
	log_info("connection to port %u", cl->port);
	if (monitor_banned(cfg, cl->address)) {
		log_info("address banned; closing");
		_exit(0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("cannot make the net child's socket pair");
	if ((net = fork()) == -1)
		fatal("cannot fork the net child");
	if (net == 0) {
		close(sp[0]);
		monitor_net(d, cfg, ids, chain, cl, sp[1], self);
	}
	close(sp[1]);
	close(cl->fd);
	close(cl->keyfd);
	while (monitor_read(sp[0], &f, &l, deadline, net) == 0) {
		if (failures >= d->preauth->max_failures) {
			rolemsg_login_wipe(&l);
			log_warnx("the net child asked for a login after %d "
			    "failures; closing", failures);
			monitor_end(net);
		}
		st = monitor_login(d, cfg, cl, &l, &ans, &afd);
		explicit_bzero(l.secret, sizeof(l.secret));
		l.secretlen = 0;
		if (st == AUTH_OK &&
		    (admit = monitor_admit(cl, ans.user)) == ADMIT_OK) {
			close(cl->parentfd);
			monitor_answer(sp[0], AUTH_OK);
			skel_mail_main(d, cfg, ids, sp[0], &ans, net, afd,
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
		monitor_answer(sp[0], st == AUTH_OK ? AUTH_FAIL_TEMP : st);
	}
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	log_child_status("net", (long)net, NULL, NULL, status);
	log_info("disconnected before login (%d failed login%s)", failures,
	    failures == 1 ? "" : "s");
	_exit(0);
}
