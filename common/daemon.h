/*
 * daemon.h: going to the background, for every daemon's parent.
 *
 * Runs in the parent process at start-up, as root, before any role is
 * started (daemon_close_inherited also in each exec'd role).
 * daemon_detach forks; the original process waits until the daemon calls
 * daemon_ready, so start-up errors (written to stderr, which is a pipe to
 * the waiting process until then) still reach the terminal and decide
 * the exit status, which is what service managers expect.
 */
#ifndef POSTERN_DAEMON_H
#define POSTERN_DAEMON_H

/*
 * daemon_close_inherited: the first thing every daemon and every exec'd
 * role does, right after reading its options: close each descriptor
 * above keep (STDERR_FILENO, or the highest one the role was started
 * with, such as the keyholder's control channel on 3) that the starting
 * process left open, so that no pipe or socket of the caller's reaches
 * the roles forked later (OpenSSH's closefrom).  Descriptors 0, 1 and 2
 * that are closed are opened on /dev/null, so that no socket opened
 * later lands on 2 and receives log lines (OpenSSH's sanitise_stdfd).
 * Opens nothing else and needs no privilege; any failure is fatal.
 */
void	daemon_close_inherited(int keep);

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

/*
 * daemon_child: in every process forked from the daemon's parent, first
 * thing: close the pid file's descriptor (the parent's keeps the lock; a
 * child that drops privileges must not be able to write the file a
 * service manager reads a pid to kill from).  Forked after daemon_detach
 * but before daemon_ready, it also logs to syslog from then on and puts
 * stderr on /dev/null, so the waiting process sees the pipe's end; call
 * it there only once the child has nothing more to report on stderr.
 */
void	daemon_child(void);

/*
 * daemon_pidfile: take dir/name.pid for this process: create or open it,
 * lock it (flock, held by an open descriptor for the process's life) and
 * write getpid().  When another instance holds the lock, exit 1 with
 * "another NAME is already running (pid N, ...)" and leave the file as it
 * is.  At exit (exit(3) or fatal, not _exit) the file is removed, by the
 * process that wrote it only: a failed start removes it, a forked child
 * never does.  Fatal on any other failure.
 */
void	daemon_pidfile(const char *dir, const char *name);

#endif
