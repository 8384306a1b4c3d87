/*
 * authctl_session.c: authctl's commands for live mail sessions ("who",
 * "kick"), the sessions part of "user show", and the end of a user's
 * sessions after a change to the credentials (ctl_sessions_end).
 *
 * Runs in authctl after the drop to the auth user, which authd knows as
 * its own (PEER_SELF) and lets list and end sessions; authd keeps the
 * sessions and writes the audit records.  It trusts authd's answers as
 * far as their codec checks them, and checks every argument.  When authd
 * is not running, no session can be alive (a session ends when its
 * connection to authd closes), and the commands say so.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/authctl.h"
#include "common/authc.h"
#include "common/util.h"

/* session_connect: a connection to authd, or -1 with errno set. */
static int
session_connect(struct ctl *c)
{
	struct sockaddr_un sun;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, c->cfg.auth_socket,
	    sizeof(sun.sun_path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* session_down: the connect error means that authd is not running. */
static int
session_down(int err)
{
	return err == ENOENT || err == ECONNREFUSED;
}

/* session_kick: end the sessions of user or the one named session. */
static int
session_kick(struct ctl *c, int fd, const char *user, const char *session,
    const char *reason, uint32_t flags, uint32_t *count)
{
	struct auth_kick_req r;
	struct auth_kick_ans a;

	memset(&r, 0, sizeof(r));
	r.flags = flags;
	str_copy(r.user, user, sizeof(r.user));
	str_copy(r.session, session, sizeof(r.session));
	str_copy(r.reason, reason, sizeof(r.reason));
	str_copy(r.by, c->who, sizeof(r.by));
	if (authc_kick(fd, &r, &a) == -1)
		return -1;
	*count = a.count;
	return 0;
}

int
ctl_sessions_end(struct ctl *c, const char *user, const char *reason)
{
	uint32_t n;
	int fd, rc;

	if ((fd = session_connect(c)) == -1) {
		if (session_down(errno)) {
			ctl_err("authd is not running (%s): no live sessions "
			    "were ended", c->cfg.auth_socket);
			return CTL_OK;
		}
		ctl_err("%s: cannot reach authd: %s; the change is saved, but "
		    "live sessions of %s were not ended", c->cfg.auth_socket,
		    strerror(errno), user);
		return CTL_ERR;
	}
	rc = session_kick(c, fd, user, "", reason, 0, &n);
	close(fd);
	if (rc == -1) {
		ctl_err("authd did not answer; the change is saved, but live "
		    "sessions of %s may still be open", user);
		return CTL_ERR;
	}
	if (n > 0)
		fprintf(stderr, "authctl: ended %u live session%s of %s\n", n,
		    n == 1 ? "" : "s", user);
	return CTL_OK;
}

/*
 * session_list: every live session (of user, when not empty) through
 * fn, page by page; audit asks authd to record the listing.  Returns
 * the number listed, or -1 after an error line; -2 when authd is not
 * running.
 */
static long
session_list(struct ctl *c, const char *user, int audit,
    void (*fn)(const struct auth_who_entry *))
{
	static struct auth_who_ans a;
	struct auth_who_req r;
	uint32_t i, seen = 0;
	int fd;

	if ((fd = session_connect(c)) == -1) {
		if (session_down(errno))
			return -2;
		ctl_err("%s: cannot reach authd: %s", c->cfg.auth_socket,
		    strerror(errno));
		return -1;
	}
	memset(&r, 0, sizeof(r));
	str_copy(r.user, user, sizeof(r.user));
	str_copy(r.by, c->who, sizeof(r.by));
	r.flags = audit ? AUTH_FLAG_AUDIT : 0;
	do {
		r.offset = seen;
		if (authc_who(fd, &r, &a) == -1) {
			close(fd);
			ctl_err("authd did not list its sessions");
			return -1;
		}
		for (i = 0; i < a.count; i++)
			fn(&a.s[i]);
		seen += a.count;
	} while (a.count > 0 && seen < a.total);
	close(fd);
	return (long)seen;
}

static void
session_print(const struct auth_who_entry *e)
{
	char t[CTL_TIME_MAX];

	ctl_time((int64_t)e->since, t, sizeof(t));
	printf("%s %s %s %s %s\n", e->session, e->user, e->service,
	    e->address, t);
}

static void
session_show_one(const struct auth_who_entry *e)
{
	char t[CTL_TIME_MAX];

	ctl_time((int64_t)e->since, t, sizeof(t));
	printf("session: %s %s from %s since %s\n", e->session, e->service,
	    e->address, t);
}

void
ctl_sessions_show(struct ctl *c, const char *user)
{
	long n = session_list(c, user, 0, session_show_one);

	if (n == 0)
		printf("sessions: none\n");
	else if (n == -2)
		printf("sessions: none (authd is not running)\n");
	else if (n == -1)
		printf("sessions: unknown (authd did not answer)\n");
}

int
ctl_who(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], *pos[1];
	long n;
	int npos;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1)
		return ctl_usage(c);
	user[0] = '\0';
	if (npos == 1 && ctl_user_arg(c, pos[0], user) == -1)
		return CTL_ERR;
	if ((n = session_list(c, user, 1, session_print)) == -1)
		return CTL_ERR;
	if (n == -2)
		ctl_err("authd is not running (%s): no live sessions",
		    c->cfg.auth_socket);
	return CTL_OK;
}

/* session_id_arg: a session id as the daemons make them (letters,
 * digits, '-', '_', '.'), at most AUTH_SESSION_MAX-1 bytes. */
static int
session_id_arg(const char *arg)
{
	size_t i, n = strlen(arg);

	if (n == 0 || n >= AUTH_SESSION_MAX) {
		ctl_err("%s: not a session id (1 to %d characters)",
		    ctl_vis(arg), AUTH_SESSION_MAX - 1);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)arg[i]) && strchr("-_.",
		    arg[i]) == NULL) {
			ctl_err("%s: not a session id (letters, digits, '-', "
			    "'_' and '.'; a user is local@domain)",
			    ctl_vis(arg));
			return -1;
		}
	return 0;
}

int
ctl_kick(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], *pos[1];
	const char *session = "";
	uint32_t n;
	int fd, npos, rc;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1)
		return ctl_usage(c);
	if (npos == 0)
		return ctl_usage_why(c, "missing the user or session id");
	user[0] = '\0';
	if (strchr(pos[0], '@') != NULL) {
		if (ctl_user_arg(c, pos[0], user) == -1)
			return CTL_ERR;
	} else if (session_id_arg(pos[0]) == -1)
		return CTL_ERR;
	else
		session = pos[0];
	if ((fd = session_connect(c)) == -1) {
		ctl_err("%s: cannot reach authd: %s", c->cfg.auth_socket,
		    session_down(errno) ? "authd is not running, so no "
		    "session is live" : strerror(errno));
		return CTL_ERR;
	}
	rc = session_kick(c, fd, user, session, "kicked", AUTH_FLAG_AUDIT,
	    &n);
	close(fd);
	if (rc == -1) {
		ctl_err("authd did not answer; sessions may still be open");
		return CTL_ERR;
	}
	if (n == 0) {
		ctl_err("%s: no live session", user[0] ? user : session);
		return CTL_ERR;
	}
	fprintf(stderr, "authctl: ended %u live session%s\n", n,
	    n == 1 ? "" : "s");
	return CTL_OK;
}
