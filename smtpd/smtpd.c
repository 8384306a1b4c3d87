/*
 * smtpd.c: smtpd on the daemon skeleton (common/skel.h): its table, and
 * its own long-lived roles.
 *
 * Listeners of two kinds: submissions (465, implicit TLS, AUTH before
 * anything) and smtp (25, plaintext with STARTTLS, no AUTH).  The net
 * role runs the SMTP engine (engine.c) for the whole connection; the
 * monitor is the broker (broker.c), which decides and writes into the
 * queue.  The parent starts the queue role (smtpd -R queue: the spool)
 * and three deliver processes (smtpd -R deliver: the Maildirs) as one
 * group, each deliver process connected to the queue by a socket pair,
 * and the queue with its own connection to authd; all run sandboxed
 * under their own uids (queue.c, deliver.c).
 * The table runs in every role.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <string.h>
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

/*
 * SMTP_DELIVER_PROCS deliver processes, so that delivery keeps up with
 * many submitting clients: a delivery mostly waits for its two fsyncs,
 * so more of them than CPUs still helps; the skeleton's four descriptors
 * per role (authd, then one socket pair per deliver process) bound them.
 */
#define SMTP_DELIVER_PROCS	QUEUE_DELIVER_MAX

/*
 * Descriptors of the roles (skel_spawn hands them from 3 on):
 *   queue    3 authd, 4 5 6 the deliver processes, then 7 to 10 the relay
 *            processes (as many as run, up to QUEUE_RELAY_MAX: the queue
 *            takes the sockets it finds there, smtp_relay_fds)
 *   deliver  3 the queue
 */
#define SMTP_RELAY_FD0	(4 + SMTP_DELIVER_PROCS)

/* smtp_relay_fds: in the queue role, the relay processes' sockets the
 * parent handed it (SMTP_RELAY_FD0 on, each a socket, the first gap
 * ends them) into fds; how many. */
static size_t
smtp_relay_fds(int *fds)
{
	struct stat st;
	size_t n;

	for (n = 0; n < QUEUE_RELAY_MAX; n++) {
		if (fstat(SMTP_RELAY_FD0 + (int)n, &st) == -1 ||
		    !S_ISSOCK(st.st_mode))
			break;
		fds[n] = SMTP_RELAY_FD0 + (int)n;
	}
	return n;
}

/* smtp_roles_start: the queue and each deliver process (the
 * descriptors above). */
static int
smtp_roles_start(const struct config *cfg, pid_t *pids, size_t max,
    size_t *n)
{
	int qfds[1 + SMTP_DELIVER_PROCS], dfds[SMTP_DELIVER_PROCS], sp[2];
	size_t i, made = 0;
	int ok = 0;

	*n = 0;
	if (max < 1 + SMTP_DELIVER_PROCS)
		return -1;
	if ((qfds[0] = authc_connect(cfg->auth_socket)) == -1) {
		log_warnx("the queue needs authd, which cannot be reached");
		return -1;
	}
	for (made = 0; made < SMTP_DELIVER_PROCS; made++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
		    -1) {
			log_warn("cannot make the queue's socket pairs");
			goto done;
		}
		qfds[1 + made] = sp[0];
		dfds[made] = sp[1];
	}
	if ((pids[*n] = skel_spawn("queue", qfds, 1 + SMTP_DELIVER_PROCS)) ==
	    -1)
		goto done;
	(*n)++;
	for (i = 0; i < SMTP_DELIVER_PROCS; i++) {
		if ((pids[*n] = skel_spawn("deliver", &dfds[i], 1)) == -1)
			goto done;
		(*n)++;
	}
	ok = 1;
done:
	close(qfds[0]);
	for (i = 0; i < made; i++) {
		close(qfds[1 + i]);
		close(dfds[i]);
	}
	return ok ? 0 : -1;
}

static void __attribute__((noreturn))
smtp_roles_main(const char *role, const struct config *cfg,
    const struct skel_ids *ids, int debug)
{
	static const int dfds[SMTP_DELIVER_PROCS] = { 4, 5, 6 };
	int rfds[QUEUE_RELAY_MAX];
	size_t nrelay;

	if (strcmp(role, "queue") == 0) {
		nrelay = smtp_relay_fds(rfds);
		queue_main(cfg, 3, dfds, SMTP_DELIVER_PROCS, rfds, nrelay,
		    ids->queue_uid, ids->queue_gid);
	}
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
	.dkim = 1,
};

int
main(int argc, char *argv[])
{
	return skel_main(&smtpd, argc, argv);
}
