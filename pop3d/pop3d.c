/*
 * pop3d.c: pop3d on the daemon skeleton (common/skel.h): its table, its
 * pre-auth engine's entry points (preauth.c), and the session's start in
 * the mail role: the exclusive maildrop lock of RFC 1939, then the
 * TRANSACTION and UPDATE states (session.c).
 *
 * The table runs in every role; pop3_session runs in the mail role,
 * chrooted to the user's Maildir as the mail uid, sandboxed, and trusts
 * nothing the client sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/skel.h"
#include "pop3d/preauth.h"
#include "pop3d/session.h"

#define POP3_LOCK	"postern-pop3.lock"

static void
pop3_pa_init(void *p)
{
	preauth_init(p);
}

static size_t
pop3_pa_feed(void *p, const unsigned char *in, size_t len, int *action)
{
	return preauth_feed(p, in, len, action);
}

static const struct role_login *
pop3_pa_login(void *p)
{
	return &((struct preauth *)p)->cred;
}

static int
pop3_pa_result(void *p, uint32_t status)
{
	return preauth_login_result(p, status);
}

static const char *
pop3_pa_output(void *p, size_t *len)
{
	return preauth_output(p, len);
}

static void
pop3_pa_wipe(void *p)
{
	preauth_wipe(p);
}

static const struct skel_preauth pop3_preauth = {
	.state_size = sizeof(struct preauth),
	.out_max = PREAUTH_OUT_MAX,
	.max_failures = PREAUTH_MAX_FAILURES,
	.init = pop3_pa_init,
	.feed = pop3_pa_feed,
	.login = pop3_pa_login,
	.login_result = pop3_pa_result,
	.output = pop3_pa_output,
	.wipe = pop3_pa_wipe,
};

/* pop3_lock: the exclusive maildrop lock: its descriptor; -1 when the
 * maildrop is in use; -2 when the lock file cannot be opened (why). */
static int
pop3_lock(const char *maildir, char *why, size_t whylen)
{
	int fd;

	if ((fd = open(POP3_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		snprintf(why, whylen, "%s/%s: %s", maildir, POP3_LOCK,
		    strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* pop3_ready: session_run's hook: authd records the session. */
static int
pop3_ready(void *arg)
{
	struct skel_mail *m = arg;

	return m->ready(m);
}

static int
pop3_session(struct skel_mail *m)
{
	struct session_ctl ctl;
	char why[CONFIG_PATH_MAX + 600];
	int lockfd;

	if ((lockfd = pop3_lock(m->maildir, why, sizeof(why))) == -2)
		m->refuse(m, why, "-ERR [SYS/TEMP] mailbox unavailable\r\n");
	if (lockfd == -1)
		m->refuse(m, "the maildrop is locked by another session",
		    "-ERR [IN-USE] maildrop already locked by another "
		    "session\r\n");
	ctl.lockfd = lockfd;
	ctl.endfd = m->endfd;
	ctl.ready = pop3_ready;
	ctl.arg = m;
	return session_run(m->fd, m->store, m->cfg, &ctl);
}

static size_t
pop3_refuse(const uint8_t *handover, size_t handoverlen, char *buf,
    size_t len)
{
	return (size_t)snprintf(buf, len,
	    "-ERR [SYS/TEMP] mailbox unavailable\r\n");
}

/* pop3_summary: the session's last line: what it did, how it ended. */
static void
pop3_summary(const char *user, int end, const char *why)
{
	struct session_stats st;

	session_stats_get(&st);
	log_info("%s %s: retrieved %lu message%s (%llu bytes), deleted %lu%s",
	    user, end == SKEL_END_LOGOUT ? "logged out with QUIT" :
	    end == SKEL_END_GONE ? "disconnected without QUIT" :
	    end == SKEL_END_AUTHD ? why : "session ended by an error",
	    st.retrieved, st.retrieved == 1 ? "" : "s", st.bytes, st.deleted,
	    st.marked > st.deleted ? " (marked deletions not applied)" : "");
}

static int64_t
pop3_idle(const struct config *cfg)
{
	return cfg->pop3_idle_timeout;
}

static const struct skel_daemon pop3d = {
	.name = "pop3d",
	.service = "pop3",
	.listen = LISTEN_POP3S,
	.listen_word = "pop3s",
	.port = 995,
	.idle_preauth = pop3_idle,
	.idle_session = pop3_idle,
	.preauth = &pop3_preauth,
	.session = pop3_session,
	.refuse = pop3_refuse,
	.summary = pop3_summary,
};

int
main(int argc, char *argv[])
{
	return skel_main(&pop3d, argc, argv);
}
