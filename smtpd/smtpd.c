/*
 * smtpd.c: smtpd on the daemon skeleton (common/skel.h): its table, and
 * its own long-lived roles.
 *
 * Listeners of two kinds: submissions (465, implicit TLS, AUTH before
 * anything) and smtp (25, plaintext with STARTTLS, no AUTH).  The net
 * role runs the SMTP engine (engine.c) for the whole connection; the
 * monitor is the broker (broker.c), which decides and writes into the
 * queue.  The parent starts the queue role (smtpd -R queue: the spool)
 * three deliver processes (smtpd -R deliver: the Maildirs) and "relay
 * processes" relay processes (smtpd -R relay: other mail servers) as one
 * group, each deliver and relay process connected to the queue by a
 * socket pair, and the queue with its own connection to authd; when any
 * of the checks of inbound mail is on ("smtp spf|dkim|dmarc check"),
 * also "smtp check processes" check processes (smtpd -R check) sharing the
 * listening socket <spool>/check.sock the parent binds for them; all run
 * sandboxed under their own uids (queue.c, deliver.c, relay.c, check.c).
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
#include "smtpd/broker_check.h"
#include "smtpd/check.h"
#include "smtpd/engine.h"
#include "smtpd/queue.h"
#include "smtpd/relay.h"

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

/* The queue's descriptors: authd on 3, the deliver processes on 4, 5,
 * 6, the relay processes from 7 on ("relay processes" of them). */
#define SMTP_QUEUE_FD_AUTH	3
#define SMTP_QUEUE_FDS	(1 + SMTP_DELIVER_PROCS + CONFIG_MAX_RELAY_PROCS)

/* smtp_roles_pair: one socket pair, the queue's end into *q, the role's
 * into *r. */
static int
smtp_roles_pair(int *q, int *r)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("cannot make the queue's socket pairs");
		return -1;
	}
	*q = sp[0];
	*r = sp[1];
	return 0;
}

/* smtp_checks_start: the check processes (the listening socket on 3),
 * when a check is configured. */
static int
smtp_checks_start(const struct config *cfg, pid_t *pids, size_t max,
    size_t *n)
{
	int lfd, i, ok = 1;

	if (broker_check_bits(cfg) == 0)
		return 0;
	if (*n + (size_t)cfg->smtp_check_processes > max ||
	    (lfd = check_listen(cfg)) == -1)
		return -1;
	for (i = 0; i < cfg->smtp_check_processes && ok; i++)
		if ((ok = (pids[*n] = skel_spawn("check", &lfd, 1)) != -1))
			(*n)++;
	close(lfd);
	return ok ? 0 : -1;
}

/* smtp_roles_spawn: deliver or relay process i (the queue on 3; a relay
 * also gets a DKIM channel to the keyholder on 4, so that it signs
 * outbound mail: relay_dkim.h). */
static pid_t
smtp_roles_spawn(size_t i, int rfd)
{
	int fds[2];
	pid_t pid;

	if (i <= SMTP_DELIVER_PROCS)
		return skel_spawn("deliver", &rfd, 1);
	fds[0] = rfd;
	if ((fds[1] = skel_dkim_channel()) == -1)
		return -1;
	pid = skel_spawn("relay", fds, 2);
	close(fds[1]);
	return pid;
}

/* smtp_roles_start: the queue (see above), each deliver process and each
 * relay process, the check processes. */
static int
smtp_roles_start(const struct config *cfg, pid_t *pids, size_t max,
    size_t *n)
{
	int qfds[SMTP_QUEUE_FDS], rfds[SMTP_QUEUE_FDS];
	size_t i, made = 0, nrelay = (size_t)cfg->relay_processes;
	size_t nfds = 1 + SMTP_DELIVER_PROCS + nrelay;
	int ok = 0;

	*n = 0;
	if (max < nfds || nrelay > CONFIG_MAX_RELAY_PROCS)
		return -1;
	if ((qfds[0] = authc_connect(cfg->auth_socket)) == -1) {
		log_warnx("the queue needs authd, which cannot be reached");
		return -1;
	}
	for (made = 1; made < nfds; made++)
		if (smtp_roles_pair(&qfds[made], &rfds[made]) == -1)
			goto done;
	if ((pids[*n] = skel_spawn("queue", qfds, (int)nfds)) == -1)
		goto done;
	(*n)++;
	for (i = 1; i < nfds; i++) {
		if ((pids[*n] = smtp_roles_spawn(i, rfds[i])) == -1)
			goto done;
		(*n)++;
	}
	ok = smtp_checks_start(cfg, pids, max, n) == 0;
done:
	close(qfds[0]);
	for (i = 1; i < made; i++) {
		close(qfds[i]);
		close(rfds[i]);
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
		for (nrelay = 0; nrelay < (size_t)cfg->relay_processes &&
		    nrelay < QUEUE_RELAY_MAX; nrelay++)
			rfds[nrelay] = SMTP_QUEUE_FD_AUTH + 1 +
			    SMTP_DELIVER_PROCS + (int)nrelay;
		queue_main(cfg, SMTP_QUEUE_FD_AUTH, dfds, SMTP_DELIVER_PROCS,
		    rfds, nrelay, ids->queue_uid, ids->queue_gid);
	}
	if (strcmp(role, "deliver") == 0)
		deliver_main(cfg, 3, ids->mail_uid, ids->mail_gid);
	if (strcmp(role, "relay") == 0)
		relay_main(cfg, 3, 4, ids->relay_uid, ids->relay_gid);
	if (strcmp(role, "check") == 0)
		check_main(cfg, 3);
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
