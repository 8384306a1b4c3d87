/*
 * skel_roles.c: starting the long-lived roles of a daemon (skel.h): the
 * keyholder, and a daemon's own group (smtpd's queue and deliver).
 *
 * Runs in the parent, as root.  Every role is a fork + exec of this
 * program with a role flag, so no role inherits the parent's memory.  A
 * daemon's group is supervised as one: when one of its processes ends,
 * the others are stopped, and the group starts again after a pause that
 * grows while it keeps exiting soon after its start (250 ms to 60 s), so
 * a role that cannot start does not spin.  It trusts the daemon's start function.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/skel.h"
#include "common/skel_roles.h"
#include "common/util.h"

/* smtpd: the queue, 3 deliver, 4 relay and 8 check processes */
#define ROLES_MAX		16
#define ROLES_FDS_MAX		8	/* descriptors 3..10 */
#define ROLES_PAUSE_MIN_MS	250
#define ROLES_PAUSE_MAX_MS	60000
#define ROLES_YOUNG_MS		2000	/* a role that ends sooner died young */

static const char	*roles_self, *roles_conf, *roles_name;
static int		 roles_debug, roles_verbose;

static const struct skel_roles *group;
static const struct config *group_cfg;
static pid_t		 pids[ROLES_MAX];
static size_t		 npids;
static int64_t		 started, restart_at, pause_ms;

void
skel_roles_init(const char *name, const char *self, const char *conf,
    int debug, int verbose)
{
	roles_name = name;
	roles_self = self;
	roles_conf = conf;
	roles_debug = debug;
	roles_verbose = verbose;
}

/* roles_exec: in the child: fds to 3, 4, ... then the program with
 * flag (and arg). */
static void __attribute__((noreturn))
roles_exec(const char *flag, const char *arg, const int *fds, int nfds)
{
	char *argv[9];
	int high[ROLES_FDS_MAX], i, n = 0, null;

	/* First out of the way, so that 3.. can be written in any order. */
	for (i = 0; i < nfds; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64)) == -1)
			fatal("cannot hand a role its descriptors");
	for (i = 0; i < nfds; i++)
		if (dup2(high[i], 3 + i) == -1)
			fatal("cannot hand a role its descriptors");
	/* Detached, stderr is the pipe the starting process reads until
	 * the daemon is ready: a role must not hold it open. */
	if (!roles_debug && (null = open("/dev/null", O_WRONLY)) != -1 &&
	    dup2(null, STDERR_FILENO) == -1)
		fatal("cannot hand a role /dev/null");
	argv[n++] = (char *)roles_name;
	argv[n++] = (char *)flag;
	if (arg != NULL)
		argv[n++] = (char *)arg;
	argv[n++] = "-f";
	argv[n++] = (char *)roles_conf;
	if (roles_debug)
		argv[n++] = "-d";
	if (roles_verbose)
		argv[n++] = "-v";
	argv[n] = NULL;
	execv(roles_self, argv);
	fatal("cannot start %s", roles_self);
}

/* roles_spawn: fork, then roles_exec in the child; the pid or -1. */
static pid_t
roles_spawn(const char *flag, const char *arg, const int *fds, int nfds)
{
	pid_t pid;

	if (nfds > ROLES_FDS_MAX)
		fatalx("a role takes at most %d descriptors", ROLES_FDS_MAX);
	if ((pid = fork()) == -1) {
		log_warn("cannot fork the %s role", arg != NULL ? arg :
		    "keyholder");
		return -1;
	}
	if (pid == 0)
		roles_exec(flag, arg, fds, nfds);
	return pid;
}

static pid_t	role_parent;	/* in a spawned role: who spawned it */

void
skel_roles_child(pid_t parent)
{
	role_parent = parent;
}

void
skel_role_tie(void)
{
	if (role_parent == 0)
		return;		/* not spawned by skel_spawn: a test */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("cannot tie this role to its parent");
	if (getppid() != role_parent)
		_exit(0);
}

pid_t
skel_spawn(const char *role, const int *fds, int nfds)
{
	return roles_spawn("-R", role, fds, nfds);
}

pid_t
skel_roles_keyholder(int fd)
{
	return roles_spawn("-K", NULL, &fd, 1);
}

/* roles_start: the group's start; on failure, stop what started and
 * try again later. */
static void
roles_start(void)
{
	size_t i;

	npids = 0;
	started = mono_ms();
	restart_at = 0;
	if (group->start(group_cfg, pids, ROLES_MAX, &npids) == 0)
		return;
	log_warnx("the daemon's roles could not start; trying again");
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGTERM);
	restart_at = mono_ms() + pause_ms;
}

void
skel_roles_start(const struct skel_roles *r, const struct config *cfg)
{
	group = r;
	group_cfg = cfg;
	pause_ms = ROLES_PAUSE_MIN_MS;
	if (group != NULL)
		roles_start();
}

int
skel_roles_reaped(pid_t pid, int status)
{
	size_t i;
	int mine = 0;

	for (i = 0; i < npids; i++)
		if (pids[i] == pid) {
			log_child_status("role", (long)pid, NULL, NULL,
			    status);
			pids[i] = pids[--npids];
			mine = 1;
			break;
		}
	if (!mine)
		return 0;
	/* The group is one: stop the rest, start all again later. */
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGTERM);
	/* Only a role that ended by itself soon after its start grows the
	 * pause: it cannot start.  One killed from outside (an operator,
	 * the OOM killer) comes back at once. */
	if (restart_at == 0) {
		pause_ms = mono_ms() - started < ROLES_YOUNG_MS &&
		    WIFEXITED(status) ?
		    (pause_ms * 2 > ROLES_PAUSE_MAX_MS ? ROLES_PAUSE_MAX_MS :
		    pause_ms * 2) : ROLES_PAUSE_MIN_MS;
		restart_at = mono_ms() + pause_ms;
		log_warnx("restarting the daemon's roles in %lld s",
		    (long long)(pause_ms / 1000));
	}
	return 1;
}

int64_t
skel_roles_due(void)
{
	return group != NULL && restart_at != 0 ? restart_at : -1;
}

void
skel_roles_tick(void)
{
	/* All of the old group must be gone before a new one starts. */
	if (group == NULL || restart_at == 0 || mono_ms() < restart_at ||
	    npids > 0)
		return;
	roles_start();
}

void
skel_roles_stop(void)
{
	size_t i;

	for (i = 0; i < npids; i++)
		kill(pids[i], SIGTERM);
}
