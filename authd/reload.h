/*
 * reload.h: the channel between authd's parent and its server process:
 * readiness at start, and the policy the parent rereads on SIGHUP.
 *
 * The parent (root, outside the chroot) is the only process that can
 * still read postern.conf once the server has chrooted to <state>/auth,
 * so it reads and checks the file and sends the server the statements
 * that are safe to change while logins run (validate, then swap: the
 * server applies a policy only when the whole frame parsed).  The server
 * trusts its parent; anything malformed on the channel is fatal.
 *
 *   MSG_AUTHD_READY   server -> parent, once: the server is sandboxed and
 *                     serves; the parent then reports the start as done
 *   MSG_AUTHD_POLICY  parent -> server: auth failure delay, lockout pair
 *                     (failures, window, duration), lockout account
 *                     (failures, window), lockout known, ban (failures,
 *                     window, duration, max), totp trust, totp window,
 *                     smtp send limit, login notices, audit retention,
 *                     default quota; each a u64
 *
 * Each side writes a frame with one write(2) on a stream socketpair.
 */
#ifndef POSTERN_AUTHD_RELOAD_H
#define POSTERN_AUTHD_RELOAD_H

#include "common/config.h"
#include "common/msg.h"


/* What a reload changes, for the log line and authd.8. */
#define RELOAD_WHAT	"auth failure delay, lockout, ban, totp trust, " \
			"totp window, smtp send limit, login notices, " \
			"audit retention and default quota"

/*
 * reload_restart_needed: the names of the statements that differ between
 * old and fresh and take effect only at a restart (paths, users, group,
 * auth socket, auth workers, auth scrypt cost, hostname, domains), comma
 * separated, into buf (len bytes); "" when none differ.
 */
void	reload_restart_needed(const struct config *old,
	    const struct config *fresh, char *buf, size_t len);

/* reload_send: in the parent, send fresh's policy to the server on fd.
 * Returns 0, or -1 (logged) when the write failed. */
int	reload_send(int fd, const struct config *fresh);

/*
 * reload_recv: in the server, read one frame from the parent on fd (which
 * poll said is readable) and apply it to cfg.  Returns 1 after applying a
 * policy (logged), 0 when the parent has gone (the server should stop).
 * A malformed or unexpected frame is fatal.
 */
int	reload_recv(int fd, struct config *cfg);

/* reload_ready: in the server, tell the parent it serves.  Fatal on a
 * failed write. */
void	reload_ready(int fd);

/* reload_wait_ready: in the parent, the server's MSG_AUTHD_READY on fd.
 * Returns 0, or -1 when the server died first (it said why on stderr). */
int	reload_wait_ready(int fd);

#endif
