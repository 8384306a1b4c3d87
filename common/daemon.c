/*
 * daemon.c: a clean descriptor table at start, detaching with a
 * readiness handshake, and the pid file (see daemon.h).  Runs in each daemon's parent (and
 * in its exec'd roles) at start-up, before anything is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/log.h"

static int daemon_null = -1;	/* /dev/null, opened before the chroot */
static char daemon_pid_path[4096];
static pid_t daemon_pid_owner = -1;
static int daemon_pid_fd = -1;	/* holds the lock */

void
daemon_close_inherited(int keep)
{
	int fd, null;

	if (keep < STDERR_FILENO)
		fatalx("internal error: closing inherited descriptors would "
		    "close stdio");
	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself. */
		if ((null = open("/dev/null", O_RDWR)) == -1)
			fatal("cannot open /dev/null");
		if (null != fd)
			fatalx("/dev/null opened as %d, not %d", null,
			    fd);
	}
	if (close_range((unsigned)keep + 1, ~0U, 0) == -1)
		fatal("closing inherited descriptors");
}

/*
 * daemon_detach: go to the background.  The parent stays until the daemon
 * says it is ready, so start-up errors still reach the terminal and the
 * exit status (the daemon's stderr is a pipe to the parent until then).
 * Returns, in the daemon, the pipe to close with daemon_ready.
 */
int
daemon_detach(void)
{
	char buf[1024];
	int p[2];
	ssize_t n;
	size_t have = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("cannot make the readiness pipe");
	switch (fork()) {
	case -1:
		fatal("cannot fork to detach");
	case 0:
		break;
	default:
		close(p[1]);
		/* Keep the tail: the last message and the ready mark. */
		while ((n = read(p[0], buf + have, sizeof(buf) - 1 - have)) > 0)
			if ((have += (size_t)n) == sizeof(buf) - 1) {
				memmove(buf, buf + have / 2, have - have / 2);
				have -= have / 2;
			}
		buf[have] = '\0';
		if (have >= 6 && strcmp(buf + have - 6, "\001ready") == 0)
			_exit(0);
		fprintf(stderr, "%s", have ? buf : "failed to start\n");
		_exit(1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("cannot start a new session");
	if ((daemon_null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(daemon_null, STDIN_FILENO) == -1 ||
	    dup2(daemon_null, STDOUT_FILENO) == -1 ||
	    dup2(p[1], STDERR_FILENO) == -1)
		fatal("redirecting stdio");
	return p[1];
}

/* daemon_ready: tell the waiting parent that start-up worked. */
void
daemon_ready(int fd)
{
	log_set_target(0);
	if (write(fd, "\001ready", 6) != 6)
		log_warn("cannot report readiness");
	if (dup2(daemon_null, STDERR_FILENO) == -1)
		log_warn("dup2");
	close(daemon_null);
	daemon_null = -1;
	close(fd);
}

void
daemon_child(void)
{
	if (daemon_pid_fd != -1)
		close(daemon_pid_fd);
	daemon_pid_fd = -1;
	if (daemon_null == -1)
		return;
	log_set_target(0);
	if (dup2(daemon_null, STDERR_FILENO) == -1)
		fatal("cannot point standard error at /dev/null");
	close(daemon_null);
	daemon_null = -1;
}

/* daemon_pidfile_remove: at exit, in the process that wrote it only (a
 * forked child that calls exit must leave it). */
static void
daemon_pidfile_remove(void)
{
	if (getpid() == daemon_pid_owner)
		(void)unlink(daemon_pid_path);
}

void
daemon_pidfile(const char *dir, const char *name)
{
	char buf[32];
	ssize_t n;
	int fd, len;

	if (snprintf(daemon_pid_path, sizeof(daemon_pid_path), "%s/%s.pid",
	    dir, name) >= (int)sizeof(daemon_pid_path))
		fatalx("%s/%s.pid: path too long", dir, name);
	/* No O_TRUNC: the file may be a running instance's. */
	if ((fd = open(daemon_pid_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1)
		fatal("pid file %s", daemon_pid_path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal("pid file %s: lock", daemon_pid_path);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("another %s is already running (pid %s, pid file %s)",
		    name, buf[0] ? buf : "unknown", daemon_pid_path);
	}
	/* The lock stays held, by this descriptor, for the daemon's life. */
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, (size_t)len, 0) != len || fsync(fd) == -1)
		fatal("pid file %s: write", daemon_pid_path);
	daemon_pid_owner = getpid();
	daemon_pid_fd = fd;
	if (atexit(daemon_pidfile_remove) != 0)
		fatalx("pid file %s: atexit", daemon_pid_path);
}
