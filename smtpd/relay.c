/*
 * relay.c: smtpd's relay role (relay.h): its start (what it reads before
 * the chroot), its sandbox, and its conversation with the queue: one job
 * in (JOB with the message file, the RCPTs, GO), its answers out (a
 * RESULT per recipient, DONE).  Runs as the relay user in the empty
 * directory.  The queue is trusted to send well-formed frames (a
 * malformed one is fatal); the delivery itself is relay_deliver.c's.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/privsep.h"
#include "common/skel.h"
#include "common/util.h"
#include "smtpd/queueproto.h"
#include "smtpd/relay.h"
#include "smtpd/relay_dns.h"
#include "smtpd/relay_tls.h"

#define RELAY_CONNECT_MS	(30 * 1000)
#define RELAY_HOLD_S		30	/* a stop waits for an answer */
#define RELAY_FRAME_MS		(10 * 1000)	/* the RCPTs and GO after JOB */
#define RELAY_RULES_MAX		96

/*
 * relay_sandbox: the one function that builds the relay's sandbox: the
 * empty directory as root, the relay uid, no new privileges, and the
 * system calls of its work: the queue's socket pair (the message file
 * comes with recvmsg, is read with pread), the keyholder's DKIM channel
 * (the same calls), TCP to the remote servers
 * (socket, connect, poll, send/recv: sendto/recvfrom; getsockopt for the
 * connect's result), BearSSL (getrandom, nothing else: it does no
 * I/O of its own), and the resolver's own list (relay_dns_syscalls:
 * libunbound's blocking lookups build an event base, bind random source
 * ports, and talk UDP and TCP).  No file is opened after the start (open
 * fails with EACCES), nothing is executed or forked, no memory is
 * executable.  Each entry says why it is there.
 */
static void
relay_sandbox(const struct config *cfg, uid_t uid, gid_t gid)
{
	static const struct sandbox_rule base[] = {
		/* the queue's socket pair, the keyholder's DKIM channel
		 * (send, poll, read), syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(recvmsg),		/* the message file's fd */
		SANDBOX_ALLOW(sendto),		/* syslog, send(2) */
		SANDBOX_ALLOW(recvfrom),	/* recv(2) */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(pread64),		/* the message file */
		/* TCP to the remote servers (and syslog's reconnect) */
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET, 0)),
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0)),
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0)),
		SANDBOX_ALLOW(connect),
		SANDBOX_ALLOW(getsockopt),	/* SO_ERROR after connect */
		/* setsockopt (TCP_NODELAY): in the resolver's list below */
		/* memory: malloc only, never executable */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),
		SANDBOX_MADVISE(MADV_DONTNEED),	/* free of a large chunk */
		/* TLS and MX randomness, time stamps, log prefix */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		/* returning from a signal handler, restarting its call;
		 * the bound on a stop that waits for an answer */
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(alarm),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};
	struct sandbox_rule rules[RELAY_RULES_MAX];
	const int *dns;
	size_t i, n = sizeof(base) / sizeof(base[0]), ndns;

	memcpy(rules, base, sizeof(base));
	dns = relay_dns_syscalls(&ndns);
	if (n + ndns > RELAY_RULES_MAX)
		fatalx("the relay's seccomp list is too long");
	for (i = 0; i < ndns; i++) {
		memset(&rules[n], 0, sizeof(rules[n]));
		rules[n++].sc = dns[i];
	}
	if (uid == (uid_t)-1) {
		if (chdir(cfg->empty_dir) == -1 && chdir("/") == -1)
			fatal("cannot enter a directory");
	} else
		privsep_drop(cfg->empty_dir, uid, gid);
	skel_role_tie();
	/* the queue, a message file, a connection, the resolver's own */
	sandbox_limits(64, 0);
	sandbox_seccomp(rules, n, 1);
}

/*
 * A stop (SIGTERM: the parent restarts the roles when one of them ended)
 * ends the relay at once, unless the message is with a remote host and
 * its answer not yet with the queue (relay_hold): then the relay reads
 * the answer and writes it first, for at most RELAY_HOLD_S seconds (the
 * alarm's default action ends it after that).
 */
static volatile sig_atomic_t relay_holding, relay_stopping;

static void
relay_on_term(int sig)
{
	(void)sig;
	if (!relay_holding)
		_exit(0);
	if (!relay_stopping) {
		relay_stopping = 1;
		(void)alarm(RELAY_HOLD_S);
	}
}

void
relay_hold(void)
{
	relay_holding = 1;
}

/* relay_release: the answer is written (or cannot be): a stop that came
 * meanwhile ends the relay now. */
static void
relay_release(void)
{
	relay_holding = 0;
	if (relay_stopping)
		_exit(0);
}

/* relay_cred_parse: "user password" (one line, two words, nothing
 * else) into c. */
static int
relay_cred_parse(char *buf, size_t len, struct relay_cred *c)
{
	char *user, *pass, *end, *save = NULL;

	buf[len] = '\0';
	if ((end = strchr(buf, '\n')) != NULL) {
		if (end[1] != '\0')
			return -1;
		*end = '\0';
	}
	if ((user = strtok_r(buf, " \t", &save)) == NULL ||
	    (pass = strtok_r(NULL, " \t", &save)) == NULL ||
	    strtok_r(NULL, " \t", &save) != NULL)
		return -1;
	if (str_copy(c->user, user, sizeof(c->user)) == -1 ||
	    str_copy(c->pass, pass, sizeof(c->pass)) == -1)
		return -1;
	return 0;
}

void
relay_creds_load(struct relay_ctx *x)
{
	char buf[2 * RELAY_CRED_MAX + 4];
	const char *path;
	struct stat st;
	ssize_t n;
	int i, fd;

	for (i = 0; i < x->cfg->nrelay_via; i++) {
		path = x->cfg->relay_via[i].credentials;
		memset(&x->cred[i], 0, sizeof(x->cred[i]));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
		    -1) {
			log_warn("cannot read the smarthost credentials %s",
			    path);
			continue;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (st.st_mode & (S_IROTH | S_IWOTH))) {
			log_warnx("the smarthost credentials %s must be a "
			    "file that others cannot read or write (chmod "
			    "600); not used", path);
			(void)close(fd);
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (n <= 0 || st.st_size >= (off_t)sizeof(buf) ||
		    relay_cred_parse(buf, (size_t)n, &x->cred[i]) == -1) {
			explicit_bzero(&x->cred[i], sizeof(x->cred[i]));
			log_warnx("the smarthost credentials %s must be one "
			    "line \"user password\"", path);
		} else
			x->cred[i].ok = 1;
		explicit_bzero(buf, sizeof(buf));
	}
}

/* relay_recv: the next frame of the job, of type want. */
static void
relay_recv(int qfd, struct frame *f, uint8_t want)
{
	if (frame_read(qfd, f, mono_ms() + RELAY_FRAME_MS) == -1)
		fatal("cannot read a job from the queue");
	if (f->type != want)
		fatalx("unexpected %s from the queue in a job",
		    msg_name(f->type));
}

/* relay_log_result: one line per recipient: what became of it, and the
 * remote's words (which hold their enhanced code) or ours. */
static void
relay_log_result(const struct relay_job *job, const struct relay_rcpt *r,
    const struct relay_rcpt_result *res, const struct relay_done *done)
{
	const char *what = res->status == RELAY_SENT ? "sent" :
	    res->status == RELAY_TEMP ? "deferred" : "failed";

	if (res->code != 0)
		log_info("%s to <%s>: %s: %s said %u %s", job->id, r->address,
		    what, done->host, res->code, res->text);
	else
		log_info("%s to <%s>: %s: %s %s", job->id, r->address, what,
		    res->dsn, res->text);
}

void
relay_answer(struct relay_ctx *x, const struct relay_job *job,
    const struct relay_rcpt *rcpt, const struct relay_rcpt_result *res,
    const struct relay_done *done)
{
	struct frame f;
	uint32_t i, sent = 0;

	if (x->answered != 0)
		return;
	x->answered = 1;
	for (i = 0; i < job->nrcpt && x->answered == 1; i++)
		if (relayproto_result_encode(&f, &res[i]) == -1 ||
		    frame_write(x->qfd, &f) == -1)
			x->answered = -1;
	if (x->answered == 1 && (relayproto_done_encode(&f, done) == -1 ||
	    frame_write(x->qfd, &f) == -1))
		x->answered = -1;
	for (i = 0; i < job->nrcpt; i++) {
		relay_log_result(job, &rcpt[i], &res[i], done);
		sent += res[i].status == RELAY_SENT;
	}
	if (x->answered == -1)
		log_warnx("%s to %s: the queue went away before it had the "
		    "results: it will try again%s", job->id, job->domain,
		    sent > 0 ? " and the remote gets the message twice" : "");
	relay_release();
}

int
relay_serve(struct relay_ctx *x, int qfd)
{
	static struct relay_rcpt rcpt[RELAY_RCPT_MAX];
	static struct relay_rcpt_result res[RELAY_RCPT_MAX];
	static struct relay_job job;
	struct relay_done done;
	struct frame f;
	uint32_t i;
	int msgfd;

	if (queueproto_recv_fd(qfd, &f, &msgfd, FRAME_FOREVER) == -1) {
		if (errno == ECONNRESET)
			return -1;
		fatal("cannot read from the queue");
	}
	if (f.type != MSG_RELAY_JOB || msgfd == -1 ||
	    relayproto_job_decode(&f, &job) == -1)
		fatalx("malformed job from the queue (%s)", msg_name(f.type));
	for (i = 0; i < job.nrcpt; i++) {
		relay_recv(qfd, &f, MSG_RELAY_RCPT);
		if (relayproto_rcpt_decode(&f, &rcpt[i]) == -1)
			fatalx("malformed recipient from the queue");
	}
	relay_recv(qfd, &f, MSG_RELAY_GO);
	if (relayproto_go_decode(&f) == -1)
		fatalx("malformed GO from the queue");
	x->qfd = qfd;
	x->answered = 0;
	relay_deliver(x, &job, rcpt, msgfd, res, &done);
	(void)close(msgfd);
	relay_answer(x, &job, rcpt, res, &done);
	return x->answered == 1 ? 0 : -1;
}

void
relay_run(struct relay_ctx *x, int queuefd, uid_t uid, gid_t gid)
{
	relay_sandbox(x->cfg, uid, gid);
	for (;;)
		if (relay_serve(x, queuefd) == -1)
			_exit(0);
}

void
relay_main(const struct config *cfg, int queuefd, int dkimfd, uid_t uid,
    gid_t gid)
{
	static struct relay_ctx x;
	static struct relay_sts_cache sts;
	struct sigaction sa;
	char err[256];

	log_set_role("relay");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = relay_on_term;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		fatal("cannot catch SIGTERM");
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.port = cfg->relay_port;
	x.connect_ms = RELAY_CONNECT_MS;
	x.session_ms = RELAY_SESSION_MS;
	x.sts_fetch_ms = RELAY_STS_FETCH_MS;
	x.lookup = relay_dns_lookup;
	x.sts = &sts;
	x.dkim_fd = dkimfd;
	if (dkimfd == -1)
		log_warnx("the relay has no DKIM channel to the keyholder; "
		    "mail goes out unsigned");
	relay_creds_load(&x);
	if ((x.lookup_arg = relay_dns_open(cfg, err, sizeof(err))) == NULL)
		log_warnx("the relay has no resolver: %s; mail to other "
		    "domains waits in the queue", err);
	if ((x.anchors = relay_tls_anchors_load(cfg->relay_ca_file, err,
	    sizeof(err))) == NULL)
		log_warnx("the relay cannot verify certificates: %s", err);
	relay_run(&x, queuefd, uid, gid);
}
