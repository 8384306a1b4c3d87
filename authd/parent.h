/*
 * parent.h: authd's parent process.
 *
 * authd runs as two processes: this parent, root and outside any chroot,
 * which holds the pid file and the socket path, rereads postern.conf on
 * SIGHUP and removes the socket when authd stops; and the server
 * (authd.c, server.c), which opens the credential database after the
 * fork, chroots, drops to the auth user and serves.  The parent never
 * opens the database and never reads a request; it trusts the
 * configuration file and its server.
 *
 * It also writes the server's login notices (notice.h), which the
 * chrooted server cannot: for each one it forks a writer that drops to
 * the auth user (no chroot: it needs <spool>/intake) and calls
 * intake_write, at most PARENT_WRITERS at a time (more are dropped,
 * logged).  What the server sends is checked as a frame; the writer
 * only copies it into the intake, which any local user may write to.
 * While <spool>/intake does not exist (smtpd never ran) notices are
 * dropped, said once.
 */
#ifndef POSTERN_AUTHD_PARENT_H
#define POSTERN_AUTHD_PARENT_H

#include <sys/types.h>

#include "common/config.h"

/*
 * parent_run: the parent's life after it forked the server (pid server,
 * channel ctl, see reload.h).  SIGHUP, SIGTERM, SIGINT and SIGCHLD MUST
 * be blocked in the caller (they are taken with a signalfd).  Waits for
 * the server's readiness, then calls daemon_ready(ready) unless ready is
 * -1 (foreground); SIGHUP rereads conf, logs what changed and sends the
 * new policy (a file with errors keeps the old one, logged with the first
 * error); SIGTERM or SIGINT stops the server.  cfg is the configuration
 * the server started with; a reload updates it.  Returns the exit status
 * for authd: 0 after a clean stop, 1 when the server failed to start or
 * died.  The socket cfg->auth_socket, which the caller bound, is removed
 * before returning.
 */
int	parent_run(pid_t server, int ctl, int ready, struct config *cfg,
	    const char *conf);

/* parent_notices: before parent_run, the parent's end of the notice
 * socket (a datagram socketpair) and the auth user's ids for the
 * writers ((uid_t)-1: development mode, no drop). */
#define PARENT_WRITERS	8
void	parent_notices(int fd, uid_t uid, gid_t gid);

#endif
