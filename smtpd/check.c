/*
 * check.c: smtpd's check role (check.h): its start (resolver and Public
 * Suffix List before the chroot, the relay uid, the sandbox), its loop
 * over the brokers' connections, and the listening socket the parent
 * makes for it.  Runs as the relay user chrooted to the empty directory;
 * trusts its configuration and root's files read before the chroot,
 * nothing a broker sends (decoded with checkproto.h) and nothing DNS
 * answers.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dkim.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/privsep.h"
#include "common/skel.h"
#include "common/util.h"
#include "smtpd/check.h"

int
check_listen(const struct config *cfg)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    cfg->spool_dir, CHECK_SOCKET) >= (int)sizeof(sun.sun_path)) {
		log_warnx("the spool path %s is too long for the check "
		    "role's socket", cfg->spool_dir);
		return -1;
	}
	if (unlink(sun.sun_path) == -1 && errno != ENOENT) {
		log_warn("cannot remove the stale %s", sun.sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("cannot create the check role's socket");
		return -1;
	}
	/* Root's alone from the start (umask 077): never a moment open. */
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 64) == -1) {
		(void)umask(old);
		log_warn("cannot listen on %s", sun.sun_path);
		close(fd);
		return -1;
	}
	(void)umask(old);
	return fd;
}

/*
 * check_sandbox: the one function that builds the check role's sandbox:
 * chroot to the empty directory, the relay uid, no new privileges, and
 * the system calls of its clients, and the resolver's: dns.h's
 * dns_syscalls, the sockets, UDP and TCP, libunbound's lookups make
 * (the DNS helper keeps that list).  No file is opened after this.
 * Each entry of our own says why it is there.
 */
static void
check_sandbox(const struct config *cfg, uid_t uid, gid_t gid)
{
	static const struct sandbox_rule own[] = {
		/* the brokers' connections, syslog */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(sendto),		/* syslog */
		SANDBOX_ALLOW(accept4),		/* check.sock's clients */
		SANDBOX_ALLOW(poll),
		SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(close),
		/* the resolver's UDP and TCP sockets, of no other family */
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET, 0)),
		SANDBOX_ALLOW_IF(socket, SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0)),
		/* memory: never executable (the resolver's too) */
		SANDBOX_ALLOW(brk),
		SANDBOX_ALLOW_IF2(mmap, SANDBOX_NOEXEC, SANDBOX_MAP_ANON),
		SANDBOX_ALLOW(munmap),
		SANDBOX_ALLOW(mremap),
		SANDBOX_MADVISE(MADV_DONTNEED),
		/* DKIM's t= and x=, DMARC's pct= sample, log time stamps */
		SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday),
		SANDBOX_ALLOW(getpid),
		SANDBOX_ALLOW(rt_sigreturn),
		SANDBOX_ALLOW(exit),
		SANDBOX_ALLOW(exit_group),
	};
	struct sandbox_rule *all;
	size_t i, n = sizeof(own) / sizeof(own[0]);

	if ((all = calloc(n + dns_nsyscalls, sizeof(*all))) == NULL)
		fatal("out of memory for the sandbox");
	memcpy(all, own, sizeof(own));
	for (i = 0; i < dns_nsyscalls; i++)
		all[n + i].sc = dns_syscalls[i];
	if (uid != (uid_t)-1)
		privsep_drop(cfg->empty_dir, uid, gid);
	skel_role_tie();
	sandbox_limits(CHECK_CLIENTS_MAX + 32, 0);
	sandbox_seccomp(all, n + dns_nsyscalls, 1);
	free(all);
}

/* The role's state: its resolver, the list, and its clients. */
static struct {
	const struct config *cfg;
	struct dns	*dns;
	struct psl	*psl;
	const char	*broken;	/* not NULL: why nothing is checked */
	int		 lfd;
	int		 fds[CHECK_CLIENTS_MAX];
	size_t		 nfds;
} chk;

/* check_read: the next frame of a request, of type want; -1 (logged)
 * when it does not come in time or is another. */
static int
check_read(int fd, struct frame *f, int want, int64_t deadline)
{
	if (frame_read(fd, f, deadline) == -1) {
		if (errno != ECONNRESET)
			log_warn("a broker's request broke off");
		return -1;
	}
	if (f->type != want) {
		log_warnx("a broker sent %s where %s was due",
		    msg_name(f->type), msg_name(want));
		return -1;
	}
	return 0;
}

/*
 * check_until: when the lookups for m end (check.h's CHECK_TIME_MS): its
 * broker's wait less one lookup, and never later than a whole wait from
 * now (the broker's clock is its own word).
 */
static int64_t
check_until(const struct check_msg *m, int64_t now)
{
	int64_t until = m->until;

	if (until > now + CHECK_WAIT_MS)
		until = now + CHECK_WAIT_MS;
	return until - CHECK_DNS_TIMEOUT_MS;
}

/* check_judge: the checks of m and its signatures, into r; lookups until
 * until only (logged when some were not made). */
static void
check_judge(const struct check_msg *m, struct dkim_sig *sigs, int64_t until,
    struct check_result *r)
{
	static struct check_dkim dk[DKIM_SIGS_MAX];
	struct check_env env;
	uint32_t sample;
	unsigned skipped;

	random_bytes(&sample, sizeof(sample));
	memset(&env, 0, sizeof(env));
	env.lookup = dns_query;
	env.arg = chk.dns;
	env.until = until;
	env.psl = chk.psl;
	env.hostname = chk.cfg->hostname;
	env.dmarc_reject = chk.cfg->smtp_dmarc_reject;
	env.dmarc_junk = chk.cfg->smtp_dmarc_quarantine_junk;
	env.sample = sample % 100;
	skipped = check_dkim_finish(&env, sigs, m->nsig, dk);
	skipped += check_eval(&env, m, dk, m->nsig, r);
	if (skipped > 0)
		log_warnx("the checks of the message from %s <%s> ran out of "
		    "time (%d s): %u lookup%s not made, their results are "
		    "temperror", m->address, m->sender,
		    CHECK_TIME_MS / 1000, skipped, skipped == 1 ? "" : "s");
}

/* check_serve: one request of the broker on fd, and the answer.  -1
 * when the connection is to be closed. */
static int
check_serve(int fd)
{
	static struct frame f;
	static struct check_msg m;
	static struct dkim_sig sigs[DKIM_SIGS_MAX];
	static struct check_result r;
	int64_t now, deadline = mono_ms() + CHECK_REQUEST_MS;
	size_t i;

	if (check_read(fd, &f, MSG_CHECK_MSG, deadline) == -1)
		return -1;
	if (checkproto_msg_decode(&f, &m) == -1) {
		log_warnx("a broker sent a malformed request");
		return -1;
	}
	for (i = 0; i < m.nsig; i++)
		if (check_read(fd, &f, MSG_CHECK_SIG, deadline) == -1 ||
		    checkproto_sig_decode(&f, &sigs[i]) == -1) {
			log_warnx("a broker sent a malformed signature");
			return -1;
		}
	if (check_read(fd, &f, MSG_CHECK_RUN, deadline) == -1 ||
	    f.len != FRAME_HDR + 1)
		return -1;
	now = mono_ms();
	if (chk.broken != NULL)
		checkproto_unchecked(&r, chk.cfg->hostname, m.checks,
		    chk.broken);
	else if (check_until(&m, now) <= now) {
		/* Queued behind other messages until its broker (nearly)
		 * gave up: no lookup could end in time. */
		log_warnx("the message from %s <%s> waited too long for its "
		    "checks: none made, their results are temperror",
		    m.address, m.sender);
		checkproto_unchecked(&r, chk.cfg->hostname, m.checks,
		    "the time allowed for the checks ran out");
	} else
		check_judge(&m, sigs, check_until(&m, now), &r);
	r.id = m.id;
	log_info("message from %s <%s>: %s", m.address, m.sender, r.authres);
	/* A broker that gave up waiting is gone: its write fails (EPIPE,
	 * SIGPIPE ignored) and it is closed. */
	if (checkproto_result_encode(&f, &r) == -1)
		fatalx("an answer does not fit a frame");
	return frame_write(fd, &f);
}

/* check_accept: a broker's new connection (another process of the pool
 * may have taken it first). */
static void
check_accept(void)
{
	int fd;

	if ((fd = accept4(chk.lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNABORTED && errno != EINTR)
			log_warn("cannot accept a broker's connection");
		return;
	}
	if (chk.nfds == CHECK_CLIENTS_MAX) {
		log_warnx("more than %d brokers at once; one refused",
		    CHECK_CLIENTS_MAX);
		close(fd);
		return;
	}
	chk.fds[chk.nfds++] = fd;
}

static void __attribute__((noreturn))
check_loop(void)
{
	static struct pollfd pfd[1 + CHECK_CLIENTS_MAX];
	size_t i, n;

	for (;;) {
		pfd[0].fd = chk.lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < chk.nfds; i++) {
			pfd[1 + i].fd = chk.fds[i];
			pfd[1 + i].events = POLLIN;
		}
		n = chk.nfds;
		if (poll(pfd, 1 + n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* From the last, so that a closed one can take its place. */
		for (i = n; i-- > 0;) {
			if (pfd[1 + i].revents == 0)
				continue;
			if (check_serve(chk.fds[i]) == -1) {
				close(chk.fds[i]);
				chk.fds[i] = chk.fds[--chk.nfds];
			}
		}
		if (pfd[0].revents & POLLIN)
			check_accept();
	}
}

void
check_main(const struct config *cfg, int lfd)
{
	char err[256];
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	log_set_role("check");
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&chk, 0, sizeof(chk));
	chk.cfg = cfg;
	chk.lfd = lfd;
	if (!privsep_is_dev() &&
	    privsep_user(cfg->users[ROLE_RELAY], &uid, &gid) == -1)
		exit(1);
	/* Without its files the role still answers, temperror for every
	 * message: mail goes on, and no crash loop takes the queue (which
	 * is restarted with it) down. */
	if ((chk.dns = dns_open_config(cfg, CHECK_DNS_TIMEOUT_MS, err,
	    sizeof(err))) == NULL) {
		log_warnx("the mail checks have no resolver: %s; every "
		    "message on port 25 gets temperror results", err);
		chk.broken = "the check service has no resolver";
	} else if ((chk.psl = psl_load(cfg->psl_file, err, sizeof(err))) ==
	    NULL) {
		log_warnx("the mail checks have no Public Suffix List: %s; "
		    "every message on port 25 gets temperror results", err);
		chk.broken = "the check service has no public suffix list";
	}
	check_sandbox(cfg, uid, gid);
	check_loop();
}
