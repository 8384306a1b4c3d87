/*
 * smtpd.c: smtpd on the daemon skeleton (common/skel.h): its table, and
 * its own long-lived roles.
 *
 * Listeners of two kinds: submissions (465, implicit TLS, AUTH before
 * anything) and smtp (25, plaintext with STARTTLS, no AUTH).  The net
 * role runs the SMTP engine (engine.c) for the whole connection; the
 * monitor is the broker (broker.c), which decides and writes into the
 * queue.  The parent starts the queue role (smtpd -R queue: the spool)
 * and the deliver role (smtpd -R deliver: the Maildirs) as one group,
 * connected by a socket pair, and the queue with its own connection to
 * authd; both run sandboxed under their own uids (queue.c, deliver.c).
 * The table runs in every role.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/authc.h"
#include "common/log.h"
#include "common/skel.h"
#include "smtpd/broker.h"
#include "smtpd/engine.h"
#include "smtpd/queue.h"

static int64_t
smtp_idle(const struct config *cfg)
{
	return cfg->smtp_idle_timeout;
}

static int
smtp_message_rate(const struct config *cfg)
{
	return cfg->smtp_message_rate;
}

static int64_t
smtp_greet_delay(const struct config *cfg)
{
	return cfg->smtp_greeting_delay;
}

/* smtp_roles_start: the queue (authd on 3, deliver on 4) and deliver
 * (the queue on 3). */
static int
smtp_roles_start(const struct config *cfg, pid_t *pids, size_t max,
    size_t *n)
{
	int afd, sp[2], qfds[2];

	*n = 0;
	if (max < 2)
		return -1;
	if ((afd = authc_connect(cfg->auth_socket)) == -1) {
		log_warnx("the queue needs authd, which cannot be reached");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("cannot make the queue's socket pair");
		close(afd);
		return -1;
	}
	qfds[0] = afd;
	qfds[1] = sp[0];
	if ((pids[*n] = skel_spawn("queue", qfds, 2)) != -1)
		(*n)++;
	if (*n == 1 && (pids[*n] = skel_spawn("deliver", &sp[1], 1)) != -1)
		(*n)++;
	close(afd);
	close(sp[0]);
	close(sp[1]);
	return *n == 2 ? 0 : -1;
}

static void __attribute__((noreturn))
smtp_roles_main(const char *role, const struct config *cfg,
    const struct skel_ids *ids, int debug)
{
	if (strcmp(role, "queue") == 0)
		queue_main(cfg, 3, 4, ids->queue_uid, ids->queue_gid);
	if (strcmp(role, "deliver") == 0)
		deliver_main(cfg, 3, ids->mail_uid, ids->mail_gid);
	fatalx("no role %s", role);
}

static const struct skel_roles smtp_roles = {
	.start = smtp_roles_start,
	.main = smtp_roles_main,
};

static const struct skel_daemon smtpd = {
	.name = "smtpd",
	.service = "smtp",
	.listen = LISTEN_SUBMISSIONS,
	.listen_word = "submissions",
	.port = 465,
	.listen_plain = LISTEN_SMTP,
	.listen_plain_word = "smtp",
	.port_plain = 25,
	.greet_delay = smtp_greet_delay,
	.early_talker = "554 5.5.0 Protocol error: talked before the "
	    "greeting\r\n",
	.idle_preauth = smtp_idle,
	.idle_session = smtp_idle,
	.preauth = &smtp_engine,
	.broker = &smtp_broker,
	.roles = &smtp_roles,
	.message_rate = smtp_message_rate,
};

int
main(int argc, char *argv[])
{
	return skel_main(&smtpd, argc, argv);
}
