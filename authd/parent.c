/*
 * parent.c: authd's parent process (see parent.h).  Runs as root for the
 * daemon's life, outside the chroot: it waits for signals and for its
 * server process, and does nothing a client can reach.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authd/notice.h"
#include "authd/parent.h"
#include "authd/reload.h"
#include "common/daemon.h"
#include "common/intake.h"
#include "common/log.h"
#include "common/privsep.h"

static pid_t		 parent_server;
static struct config	*parent_cfg;
static const char	*parent_conf;
static int		 parent_notice_fd = -1;
static uid_t		 parent_uid = (uid_t)-1;
static gid_t		 parent_gid = (gid_t)-1;
static int		 parent_writers;
static int		 parent_no_intake;	/* said that it is missing */

void
parent_notices(int fd, uid_t uid, gid_t gid)
{
	parent_notice_fd = fd;
	parent_uid = uid;
	parent_gid = gid;
}

/* parent_write: in a writer child, as the auth user: one notice into
 * the intake.  Never returns. */
static void __attribute__((noreturn))
parent_write(const char *rcpt, const uint8_t *msg, size_t len)
{
	char err[INTAKE_ERR_MAX];
	const char *rcpts[1] = { rcpt };

	if (parent_uid != (uid_t)-1)
		privsep_drop(NULL, parent_uid, parent_gid);
	if (intake_write(parent_cfg->spool_dir, "", rcpts, 1, msg, len, err,
	    sizeof(err)) == -1) {
		log_warnx("cannot write the login notice to %s: %s", rcpt,
		    err);
		_exit(1);
	}
	_exit(0);
}

/* parent_notice: one datagram from the server: a notice to write. */
static void
parent_notice(void)
{
	static uint8_t buf[FRAME_MAX];
	static struct frame f;
	char rcpt[AUTH_USER_MAX], dir[CONFIG_PATH_MAX + 16];
	const uint8_t *msg;
	struct stat st;
	size_t len;
	ssize_t n;
	pid_t pid;

	if ((n = recv(parent_notice_fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
		return;
	if (notice_decode(&f, buf, (size_t)n, rcpt, &msg, &len) == -1) {
		log_warnx("a malformed login notice from the server process");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", parent_cfg->spool_dir, INTAKE_DIR);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		if (!parent_no_intake++)
			log_warnx("login notices are dropped while %s does "
			    "not exist (smtpd creates it)", dir);
		return;
	}
	parent_no_intake = 0;
	if (parent_writers >= PARENT_WRITERS) {
		log_warnx("login notice to %s dropped: %d are being written "
		    "already", rcpt, parent_writers);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("login notice to %s dropped", rcpt);
		return;
	}
	if (pid == 0)
		parent_write(rcpt, msg, len);
	parent_writers++;
}

/* parent_reload: SIGHUP: check the whole file, then send the policy. */
static void
parent_reload(int ctl)
{
	static struct config fresh;
	char err[512], restart[512];

	if (config_load_err(&fresh, parent_conf, err, sizeof(err)) == -1) {
		log_warnx("reload failed, keeping the old settings: %s",
		    err);
		return;
	}
	reload_restart_needed(parent_cfg, &fresh, restart, sizeof(restart));
	if (reload_send(ctl, &fresh) == -1)
		return;
	if (restart[0] != '\0')
		log_warnx("%s: changed %s; these take effect only when "
		    "authd restarts", parent_conf, restart);
	/* Only what the server applied: the rest stays as it started. */
	parent_cfg->auth_failure_delay = fresh.auth_failure_delay;
	parent_cfg->lockout_pair_failures = fresh.lockout_pair_failures;
	parent_cfg->lockout_pair_window = fresh.lockout_pair_window;
	parent_cfg->lockout_pair_duration = fresh.lockout_pair_duration;
	parent_cfg->lockout_account_failures = fresh.lockout_account_failures;
	parent_cfg->lockout_account_window = fresh.lockout_account_window;
	parent_cfg->lockout_known = fresh.lockout_known;
	parent_cfg->ban_failures = fresh.ban_failures;
	parent_cfg->ban_window = fresh.ban_window;
	parent_cfg->ban_duration = fresh.ban_duration;
	parent_cfg->ban_max = fresh.ban_max;
	parent_cfg->totp_trust = fresh.totp_trust;
	parent_cfg->totp_window = fresh.totp_window;
	parent_cfg->audit_retention = fresh.audit_retention;
	parent_cfg->smtp_send_limit = fresh.smtp_send_limit;
	parent_cfg->login_notices = fresh.login_notices;
}

/* parent_reaped: the server's exit status, logged unless it was clean. */
static int
parent_reaped(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("the server process (pid %ld) was killed by "
		    "signal %d (%s)", (long)parent_server, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		log_warnx("the server process (pid %ld) exited with "
		    "status %d", (long)parent_server, WEXITSTATUS(status));
	return 1;
}

/* parent_stop: end the server (SIGTERM) and wait for it. */
static int
parent_stop(void)
{
	int status;

	if (kill(parent_server, SIGTERM) == -1 && errno != ESRCH)
		log_warn("stopping the server process");
	while (waitpid(parent_server, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waiting for the server process");
	return parent_reaped(status);
}

/* parent_signal: 0 to go on, else 1 + the exit status. */
static int
parent_signal(int sfd, int ctl)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		fatal("reading a signal");
	switch (si.ssi_signo) {
	case SIGHUP:
		parent_reload(ctl);
		return 0;
	case SIGCHLD:
		/* Notice writers, which logged their own failures, and the
		 * server, whose end ends authd. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == parent_server)
				return 1 + parent_reaped(status);
			parent_writers--;
		}
		return 0;
	default:
		return 1 + parent_stop();
	}
}

int
parent_run(pid_t server, int ctl, int ready, struct config *cfg,
    const char *conf)
{
	struct pollfd pfd[3];
	sigset_t set;
	int sfd, rv = 0;

	parent_server = server;
	parent_cfg = cfg;
	parent_conf = conf;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if (reload_wait_ready(ctl) == -1) {
		rv = 1 + parent_stop();
		rv = rv > 1 ? rv : 2;
	} else if (ready != -1)
		daemon_ready(ready);
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ctl;
	pfd[1].events = POLLIN;
	pfd[2].fd = parent_notice_fd;
	pfd[2].events = POLLIN;
	pfd[2].revents = 0;
	while (rv == 0) {
		if (poll(pfd, parent_notice_fd != -1 ? 3 : 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[2].revents & POLLIN)
			parent_notice();
		if (pfd[0].revents & POLLIN)
			rv = parent_signal(sfd, ctl);
		else if (pfd[1].revents)	/* the server never writes again */
			rv = 1 + parent_stop();
	}
	if (unlink(cfg->auth_socket) == -1 && errno != ENOENT)
		log_warn("removing %s", cfg->auth_socket);
	log_info("exiting");
	return rv - 1;
}
