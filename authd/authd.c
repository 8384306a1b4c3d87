/*
 * authd.c: authd's entry point and its one role function.
 *
 * authd starts as root (or, in development mode, as the invoking user),
 * reads the configuration, detaches unless -d (writing <runtime>/authd.pid;
 * the LMDB environment is opened after that fork, never across it), opens
 * the environment in <state>/auth, binds <runtime>/authd.sock, then
 * chroots to <state>/auth, drops to the auth user and enters its seccomp
 * sandbox before it reads a single request.  It trusts the configuration
 * file and nothing that arrives on the socket.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "authd/login.h"
#include "authd/password.h"
#include "authd/sched.h"
#include "authd/server.h"
#include "authd/worker.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/privsep.h"

static struct config	authd_cfg;
static struct db	authd_db;

static void __attribute__((noreturn))
authd_usage(void)
{
	fprintf(stderr, "usage: authd [-dnv] [-f file]\n");
	exit(2);
}

/*
 * authd_listen: bind the socket, mode 0660, group cfg->group (as root).
 * A socket file that still answers belongs to a running authd: refuse to
 * take it over.  One that refuses connections is stale and replaced.
 */
static int
authd_listen(const struct config *cfg, gid_t gid)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cfg->auth_socket) >= sizeof(sun.sun_path))
		fatalx("authd: socket path too long: %s", cfg->auth_socket);
	strcpy(sun.sun_path, cfg->auth_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("authd: socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("authd: another authd is already serving %s",
		    cfg->auth_socket);
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("authd: socket");
	if (unlink(cfg->auth_socket) == -1 && errno != ENOENT)
		fatal("authd: unlink %s", cfg->auth_socket);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("authd: bind %s", cfg->auth_socket);
	if (gid != (gid_t)-1 && chown(cfg->auth_socket, 0, gid) == -1)
		fatal("authd: chown %s", cfg->auth_socket);
	if (chmod(cfg->auth_socket, 0660) == -1)
		fatal("authd: chmod %s", cfg->auth_socket);
	if (listen(fd, 128) == -1)
		fatal("authd: listen");
	return fd;
}

/*
 * authd_sandbox: the one function that builds authd's sandbox: no new
 * privileges, no core files, and a syscall allow-list for LMDB (mmap,
 * pwrite, fdatasync), the poll loop, the verification threads and syslog.
 */
static void
authd_sandbox(void)
{
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
		SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(writev),
		SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(msync),
		SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
		SCMP_SYS(ftruncate), SCMP_SYS(fcntl),
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),
		SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(brk),
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(accept4),
		SCMP_SYS(getsockopt), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
		SCMP_SYS(connect), SCMP_SYS(socket),
		SCMP_SYS(futex), SCMP_SYS(getrandom),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(rt_sigaction), SCMP_SYS(sched_yield),
		SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
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
		fatalx("authd: state path too long");
	if (chown(path, uid, gid) == -1)
		fatal("authd: chown %s", path);
}

/* authd_open_db: open <state>/auth, creating it for the auth user (uid
 * -1 in development mode: the invoking user keeps it). */
static void
authd_open_db(const struct config *cfg, char *dir, size_t len, uid_t uid,
    gid_t gid)
{
	if (snprintf(dir, len, "%s/auth", cfg->state_dir) >= (int)len)
		fatalx("authd: state path too long");
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("authd: mkdir %s", dir);
	if (db_open(&authd_db, dir) == -1)
		fatalx("authd: cannot open the credential database in %s", dir);
	if (uid != (uid_t)-1) {
		authd_own(dir, "", uid, gid);
		authd_own(dir, "/data.mdb", uid, gid);
		authd_own(dir, "/lock.mdb", uid, gid);
	}
}

/* authd_peer_uids: the privsep users that may ask authd questions. */
static void
authd_peer_uids(const struct config *cfg)
{
	static const int roles[] = { ROLE_NET, ROLE_MAIL, ROLE_QUEUE };
	uid_t uids[3];
	gid_t gid;
	size_t i;

	for (i = 0; i < 3; i++) {
		uids[i] = (uid_t)-1;
		if (!privsep_is_dev() && getpwnam(cfg->users[roles[i]]))
			privsep_user(cfg->users[roles[i]], &uids[i], &gid);
	}
	login_init(uids, 3);
}

int
main(int argc, char *argv[])
{
	const char *conf = CONFIG_PATH_DEFAULT;
	int ch, debug = 0, check = 0, verbose = 0, lfd, wfd, threads;
	int ready = -1;
	char dir[CONFIG_PATH_MAX + 8];
	sigset_t set;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, sockgid = (gid_t)-1;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'f': conf = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		default: authd_usage();
		}
	}
	if (optind != argc)
		authd_usage();
	log_init("authd", 1, verbose);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (config_load(&authd_cfg, conf) == -1)
		exit(1);
	if (check) {
		printf("%s: configuration OK\n", conf);
		exit(0);
	}
	if (privsep_is_dev() && !debug)
		fatalx("authd: not root: run as root, or with -d for "
		    "development mode");
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
	authd_peer_uids(&authd_cfg);
	authd_open_db(&authd_cfg, dir, sizeof(dir),
	    privsep_is_dev() ? (uid_t)-1 : uid, gid);
	lfd = authd_listen(&authd_cfg, sockgid);
	server.db = &authd_db;
	server.cfg = &authd_cfg;
	password_dummy(authd_cfg.auth_scrypt_cost, server.dummy_hash);
	if (!privsep_is_dev())
		privsep_drop(dir, uid, gid);
	threads = authd_cfg.auth_workers > 0 ? authd_cfg.auth_workers :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	server.workers = threads;
	sched_init(threads);
	wfd = worker_start(threads);
	if (ready != -1)
		daemon_ready(ready);
	authd_sandbox();
	log_info("authd: serving %s with %d verification threads",
	    authd_cfg.auth_socket, threads);
	server_run(lfd, wfd);
	db_close(&authd_db);
	/* _exit: the sandbox has no room for exit-time work (LeakSanitizer's
	 * ptrace in instrumented builds); everything is committed and closed. */
	_exit(0);
}
