/*
 * queue_run.c: a test tool: runs smtpd's queue and deliver roles from a
 * configuration file, without privilege drop (uid -1: the roles only
 * change directory, but keep their sandboxes), and plays authd for the
 * queue: an address of a local domain expands to itself, lowercased;
 * any other is unknown.  Runs until SIGTERM or SIGINT, then hangs up on
 * the queue (which stops, and the deliver role with it) and exits 0 when
 * both stopped cleanly.  For the integration tests of sendmail(8) and
 * "authctl queue" until smtpd itself starts the roles.  Trusts its
 * configuration file and the queue.
 *
 * usage: queue_run postern.conf
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue.h"

static volatile sig_atomic_t queue_run_stop;

static void
queue_run_signal(int sig)
{
	queue_run_stop = sig;
}

/* queue_run_answer: one MSG_AUTH_RCPT of the queue. */
static int
queue_run_answer(const struct config *cfg, int fd)
{
	static struct auth_rcpt_ans ans;
	struct auth_addr_req req;
	struct frame f;
	const char *at;

	if (frame_read(fd, &f, mono_ms() + 5000) == -1)
		return -1;
	if (f.type != MSG_AUTH_RCPT || authproto_addr_req_decode(&f, &req) ==
	    -1)
		return -1;
	memset(&ans, 0, sizeof(ans));
	ans.id = req.id;
	ans.status = AUTH_FAIL_PERM;
	at = strrchr(req.address, '@');
	if (at != NULL && config_is_local_domain(cfg, at + 1)) {
		ans.status = AUTH_OK;
		ans.count = 1;
		(void)str_copy(ans.users[0], req.address, sizeof(ans.users[0]));
		str_lower(ans.users[0]);
	}
	if (authproto_rcpt_ans_encode(&f, &ans) == -1)
		return -1;
	return frame_write(fd, &f);
}

int
main(int argc, char *argv[])
{
	static struct config cfg;
	struct sigaction sa;
	struct pollfd pfd;
	pid_t qpid, dpid;
	int au[2], dv[2], st1, st2;

	if (argc != 2) {
		fprintf(stderr, "usage: queue_run postern.conf\n");
		return 2;
	}
	log_init("queue_run", 1, 1);
	if (config_load(&cfg, argv[1]) == -1)
		return 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, au) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv) == -1)
		fatal("socketpair");
	if ((dpid = fork()) == 0) {
		(void)close(au[0]);
		(void)close(au[1]);
		(void)close(dv[0]);
		deliver_main(&cfg, dv[1], (uid_t)-1, (gid_t)-1);
	}
	if ((qpid = fork()) == 0) {
		(void)close(au[0]);
		(void)close(dv[1]);
		queue_main(&cfg, au[1], &dv[0], 1, NULL, 0, (uid_t)-1,
		    (gid_t)-1);
	}
	if (dpid == -1 || qpid == -1)
		fatal("fork");
	(void)close(au[1]);
	(void)close(dv[0]);
	(void)close(dv[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = queue_run_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	pfd.fd = au[0];
	pfd.events = POLLIN;
	while (!queue_run_stop) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (queue_run_answer(&cfg, au[0]) == -1)
			break;
	}
	(void)close(au[0]);
	if (waitpid(qpid, &st1, 0) == -1 || waitpid(dpid, &st2, 0) == -1)
		fatal("waitpid");
	return WIFEXITED(st1) && WEXITSTATUS(st1) == 0 && WIFEXITED(st2) &&
	    WEXITSTATUS(st2) == 0 ? 0 : 1;
}
