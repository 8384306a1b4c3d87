/*
 * authd.c: authd's entry point and its server role.
 *
 * authd starts as root (or, in development mode, as the invoking user),
 * reads and checks the configuration, detaches unless -d (writing
 * <runtime>/authd.pid), binds <runtime>/authd.sock and forks: the parent
 * (parent.c) stays root outside the chroot to reload the policy on SIGHUP
 * and remove the socket at the end; the server opens the environment in
 * <state>/auth (after the fork, never across it), chroots there, drops
 * to the auth user and enters its seccomp sandbox before it reads a
 * single request.  It trusts the configuration file and nothing that
 * arrives on the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <seccomp.h>

#include "authd/db.h"
#include "authd/dispatch.h"
#include "authd/notice.h"
#include "authd/parent.h"
#include "authd/reload.h"
#include "authd/sched.h"
#include "authd/server.h"
#include "authd/worker.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/preflight.h"
#include "common/privsep.h"
#include "common/version.h"

static struct config	authd_cfg;
static struct db	authd_db;

static const struct option authd_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* authd_usage: on stdout with status 0 for --help, else on stderr. */
static void __attribute__((noreturn))
authd_usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: authd [-dnv] [-f file] "
	    "[--help] [--version]\n");
	exit(status);
}

/*
 * authd_listen: bind the socket, mode 0660, group cfg->group (as root),
 * owned by the auth user uid so that authctl, which drops to that user,
 * may connect (and list and end sessions as authd's own user).
 * A socket file that still answers belongs to a running authd: refuse to
 * take it over.  One that refuses connections is stale and replaced.
 */
static int
authd_listen(const struct config *cfg, uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cfg->auth_socket) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", cfg->auth_socket);
	strcpy(sun.sun_path, cfg->auth_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("cannot make the authd socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("another authd is already serving %s",
		    cfg->auth_socket);
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("cannot make the authd socket");
	if (unlink(cfg->auth_socket) == -1 && errno != ENOENT)
		fatal("unlink %s", cfg->auth_socket);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", cfg->auth_socket);
	if (gid != (gid_t)-1 && chown(cfg->auth_socket, uid, gid) == -1)
		fatal("chown %s", cfg->auth_socket);
	if (chmod(cfg->auth_socket, 0660) == -1)
		fatal("chmod %s", cfg->auth_socket);
	if (listen(fd, 128) == -1)
		fatal("cannot listen on the authd socket");
	return fd;
}

/*
 * authd_sandbox: the one function that builds authd's sandbox: no new
 * privileges, no core files, and a syscall allow-list for LMDB (mmap,
 * pwrite, fdatasync), the poll loop, the verification threads and syslog;
 * no executable memory, and socket and connect fail (EACCES), so a
 * compromised authd cannot reach out.  Each entry says why it is there.
 */
static void
authd_sandbox(void)
{
	const struct sandbox_rule allow[] = {
		/* the clients' sockets, the worker pipe, syslog (send) */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),
		SANDBOX_ALLOW(close),
		/* the event loop: new clients and who they are */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(accept4),
		SANDBOX_ALLOW(getsockopt),	/* SO_PEERCRED */
		SANDBOX_ALLOW(fcntl),		/* O_NONBLOCK; LMDB's locks */
		/* LMDB: page I/O, the durable commit, growing the file */
		SANDBOX_ALLOW(pread64),
		SANDBOX_ALLOW(pwrite64),
		SANDBOX_ALLOW(writev),
		SANDBOX_ALLOW(lseek),
		SANDBOX_ALLOW(fsync),
		SANDBOX_ALLOW(fdatasync),
		SANDBOX_ALLOW(msync),
		SANDBOX_ALLOW(ftruncate),
		SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat),	/* glibc's fstat */
		/* memory: malloc in every thread's arena (heaps grow with
		 * mprotect) and LMDB's shared map; never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF(mmap, SANDBOX_NOEXEC),
		SANDBOX_ALLOW_IF(mprotect, SANDBOX_NOEXEC),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),		/* realloc of a mapped chunk */
		SANDBOX_ALLOW(madvise),		/* free in a thread's arena */
		/* glibc's qsort asks how much memory the machine has before
		 * it sorts 60 known addresses or more (lookup_known) */
		SANDBOX_ALLOW(sysinfo),
		/* the verification threads: their queue's mutex and
		 * condition variable, LMDB's reader table mutexes */
		SANDBOX_ALLOW(futex),
		SANDBOX_ALLOW(sched_yield),
		SANDBOX_ALLOW(rseq),
		SANDBOX_ALLOW(set_robust_list),
		SANDBOX_ALLOW(gettid),
		/* salts and TOTP randomness; time for delays and records */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(clock_nanosleep),
		SANDBOX_ALLOW(nanosleep),
		SANDBOX_ALLOW(getpid),		/* the log prefix */
		/* server_run's SIGTERM handler (installed after this) */
		SANDBOX_ALLOW(rt_sigaction),
		SANDBOX_ALLOW(rt_sigprocmask),
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),		/* a thread's end */
		SANDBOX_ALLOW(exit_group),
	};

	sandbox_limits(1100, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/* authd_own: as root, hand dir/name to the auth user (DESIGN.md §4). */
static void
authd_own(const char *dir, const char *name, uid_t uid, gid_t gid)
{
	char path[CONFIG_PATH_MAX + 32];

	if (snprintf(path, sizeof(path), "%s%s", dir, name) >=
	    (int)sizeof(path))
		fatalx("state path too long");
	if (chown(path, uid, gid) == -1)
		fatal("chown %s", path);
}

/* authd_open_db: open <state>/auth, creating it for the auth user (uid
 * -1 in development mode: the invoking user keeps it). */
static void
authd_open_db(const struct config *cfg, char *dir, size_t len, uid_t uid,
    gid_t gid)
{
	if (snprintf(dir, len, "%s/auth", cfg->state_dir) >= (int)len)
		fatalx("state path too long");
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (db_open(&authd_db, dir) == -1)
		fatalx("cannot open the credential database in %s", dir);
	if (uid != (uid_t)-1) {
		authd_own(dir, "", uid, gid);
		authd_own(dir, "/data.mdb", uid, gid);
		authd_own(dir, "/lock.mdb", uid, gid);
	}
}

/* authd_peers: who may ask authd questions besides root: its own user
 * (authctl) and smtpd's queue (recipient lookups).  The net processes'
 * user is not among them: a compromised net process must not submit
 * logins with an address of its choosing. */
static void
authd_peers(const struct config *cfg, uid_t self)
{
	uid_t queue = (uid_t)-1;
	gid_t gid;

	if (privsep_is_dev()) {
		server_peers(getuid(), (uid_t)-1);
		return;
	}
	if (getpwnam(cfg->users[ROLE_QUEUE]) != NULL)
		privsep_user(cfg->users[ROLE_QUEUE], &queue, &gid);
	server_peers(self, queue);
}

/* authd_preflight: what start-up would reject, for -n and at start: the
 * auth user and the socket's group, the state and runtime directories. */
static int
authd_preflight(const char *conf)
{
	static const enum config_role roles[] = { ROLE_AUTH };
	int rv = 0;

	if (preflight_users(&authd_cfg, conf, roles, 1, 1) == -1)
		rv = -1;
	if (preflight_dir(conf, "state", authd_cfg.state_dir) == -1)
		rv = -1;
	if (preflight_dir(conf, "runtime", authd_cfg.runtime_dir) == -1)
		rv = -1;
	return rv;
}

/*
 * authd_serve: the server process, forked by the parent with the bound
 * socket lfd and its channel ctl: open the database (after the fork,
 * never across it), chroot and drop, start the verification threads,
 * report readiness, enter the sandbox and serve.
 */
static void __attribute__((noreturn))
authd_serve(int lfd, int ctl, int notices, uid_t uid, gid_t gid)
{
	char dir[CONFIG_PATH_MAX + 8];
	struct sigaction sa;
	int threads, wfd;

	/* SIGHUP is the parent's: a reload arrives as a message. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	authd_peers(&authd_cfg, uid);
	authd_open_db(&authd_cfg, dir, sizeof(dir),
	    privsep_is_dev() ? (uid_t)-1 : uid, gid);
	dispatch_init(&authd_db, &authd_cfg);
	notice_init(notices, &authd_cfg);
	if (!privsep_is_dev())
		privsep_drop(dir, uid, gid);
	threads = authd_cfg.auth_workers > 0 ? authd_cfg.auth_workers :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	sched_init(threads);
	wfd = worker_start(threads);
	reload_ready(ctl);
	daemon_child();
	authd_sandbox();
	log_info("serving %s with %d verification threads",
	    authd_cfg.auth_socket, threads);
	server_run(lfd, wfd, ctl, &authd_db, &authd_cfg);
	db_close(&authd_db);
	/* _exit: the sandbox has no room for exit-time work (LeakSanitizer's
	 * ptrace in instrumented builds); everything is committed and closed. */
	_exit(0);
}

/* authd_check: -n: the file, then what start-up checks. */
static int
authd_check(const char *conf)
{
	if (authd_preflight(conf) == -1)
		return 1;
	printf("authd will serve %s\n", authd_cfg.auth_socket);
	printf("%s: configuration OK\n", conf);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *conf = CONFIG_PATH_DEFAULT;
	int ch, debug = 0, check = 0, verbose = 0, lfd, ctl[2], notices[2];
	int ready = -1;
	sigset_t set;
	pid_t pid;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, sockgid = (gid_t)-1;

	while ((ch = getopt_long(argc, argv, "df:nv", authd_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'f': conf = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': authd_usage(0);
		case 'V': fputs(VERSION_LINE("authd"), stdout); exit(0);
		default: authd_usage(2);
		}
	}
	if (optind != argc)
		authd_usage(2);
	daemon_close_inherited(STDERR_FILENO);
	log_init("authd", 1, verbose);
	/* The parent takes these with a signalfd (parent.c); the server
	 * unblocks SIGTERM and SIGINT in server_run. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (config_load(&authd_cfg, conf) == -1)
		exit(1);
	if (check)
		exit(authd_check(conf));
	if (privsep_is_dev() && !debug)
		fatalx("not root: run as root, or with -d for "
		    "development mode");
	if (authd_preflight(conf) == -1)
		exit(1);
	if (!privsep_is_dev() &&
	    (privsep_user(authd_cfg.users[ROLE_AUTH], &uid, &gid) == -1 ||
	    privsep_group(authd_cfg.group, &sockgid) == -1))
		exit(1);
	if (!debug) {
		log_init("authd", 0, verbose);	/* syslog, opened before chroot */
		log_set_target(1);
		ready = daemon_detach();
		daemon_pidfile(authd_cfg.runtime_dir, "authd");
	}
	if (privsep_is_dev())
		privsep_dev_warning("authd");
	lfd = authd_listen(&authd_cfg, uid, sockgid);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) == -1)
		fatal("cannot make the channel to the server process");
	/* Datagrams: the server sends a notice whole or not at all, and
	 * never waits for the parent (notice.h). */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, notices) == -1)
		fatal("cannot make the notice channel to the server process");
	if ((pid = fork()) == -1)
		fatal("cannot start the server process");
	if (pid == 0) {
		close(ctl[0]);
		close(notices[0]);
		if (ready != -1)
			close(ready);	/* the parent reports readiness */
		authd_serve(lfd, ctl[1], notices[1], uid, gid);
	}
	close(lfd);
	close(ctl[1]);
	close(notices[1]);
	parent_notices(notices[0], uid, gid);
	exit(parent_run(pid, ctl[0], ready, &authd_cfg, conf));
}
