/*
 * daemon.h: going to the background, for every daemon's parent.
 *
 * Runs in the parent process at start-up, as root, before any role is
 * started.  daemon_detach forks; the original process waits until the
 * daemon calls daemon_ready, so start-up errors (written to stderr, which
 * is a pipe to the waiting process until then) still reach the terminal
 * and decide the exit status, which is what service managers expect.
 */
#ifndef POSTERN_DAEMON_H
#define POSTERN_DAEMON_H

/*
 * daemon_detach: fork; the caller's process waits and exits 0 once the
 * child calls daemon_ready, or 1 after printing what the child wrote to
 * stderr.  In the child: new session, stdin and stdout on /dev/null.
 * Returns (in the child) a handle for daemon_ready.  Fatal on failure.
 * Call it before opening anything that must not cross a fork (LMDB).
 */
int	daemon_detach(void);

/* daemon_ready: switch logging to syslog, tell the waiting process that
 * start-up worked, put stderr on /dev/null. */
void	daemon_ready(int handle);

/* daemon_pidfile: write getpid() to dir/name.pid.  Fatal on failure. */
void	daemon_pidfile(const char *dir, const char *name);

#endif
