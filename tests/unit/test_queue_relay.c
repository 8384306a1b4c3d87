/*
 * test_queue_relay.c: the queue's side of outbound delivery, run for
 * real (the queue and one deliver process in development mode,
 * sandboxed, in child processes) with this program playing authd and
 * one relay process (relayproto.h over the socket pair the queue gets):
 * - loaded from the spool: a remote recipient past "relay lifetime"
 *   bounces (RFC 3464 report, delivered to the local sender), one with
 *   NOTIFY=NEVER and one of a null-sender message do not; recipients
 *   waiting past "relay delay notice" get one delay notice, recorded,
 *   unless their NOTIFY leaves DELAY out;
 * - recipients grouped by domain into jobs (the message file rides
 *   along); SENT done, TEMP retried in 5 minutes with its last answer
 *   shown and kept in the envelope, PERM bounced;
 * - a job carries whether it may be DKIM-signed (submitted, not from
 *   port 25) and the Authentication-Results of a checked message;
 * - a domain reported down holds another message for it until a flush;
 * - a relay process that dies mid-job: what it answered counts, the rest
 *   stays queued (one attempt); after a kill -9 of the queue the state is
 *   loaded again and only the waiting recipient is tried.
 * Runs as a plain program.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/queue.h"
#include "smtpd/relayproto.h"
#include "tests/unit/check.h"

static struct config cfg;
static char root[256];
static int authfd = -1, relayfd = -1;
static pid_t qpid = -1, dpid = -1;

static void
start_roles(void)
{
	int au[2], dv[2], rl[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, au) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dv) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rl) == -1)
		exit(1);
	if ((dpid = fork()) == 0) {
		close(au[0]);
		close(au[1]);
		close(dv[0]);
		close(rl[0]);
		close(rl[1]);
		deliver_main(&cfg, dv[1], (uid_t)-1, (gid_t)-1);
	}
	if ((qpid = fork()) == 0) {
		close(au[0]);
		close(dv[1]);
		close(rl[1]);
		queue_main(&cfg, au[1], &dv[0], 1, &rl[0], 1, (uid_t)-1,
		    (gid_t)-1);
	}
	close(au[1]);
	close(dv[0]);
	close(dv[1]);
	close(rl[0]);
	authfd = au[0];
	relayfd = rl[1];
}

static void
stop_roles(int sig)
{
	int st;

	if (sig != 0)
		kill(qpid, sig);
	close(authfd);
	if (relayfd != -1)
		close(relayfd);
	relayfd = -1;
	waitpid(qpid, &st, 0);
	waitpid(dpid, &st, 0);
}

static int
qconnect(void)
{
	struct sockaddr_un sun;
	int fd, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/queue.sock",
	    cfg.spool_dir) >= (int)sizeof(sun.sun_path))
		return -1;
	for (i = 0; i < 100; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(50000);
	}
	return -1;
}

/* serve_auth: answer one MSG_AUTH_RCPT waiting on authfd: an address of
 * example.test is itself, anything else unknown. */
static void
serve_auth(void)
{
	struct auth_addr_req req;
	struct auth_rcpt_ans ans;
	struct frame f;

	if (frame_read(authfd, &f, mono_ms() + 5000) == -1 ||
	    f.type != MSG_AUTH_RCPT ||
	    authproto_addr_req_decode(&f, &req) == -1)
		return;
	memset(&ans, 0, sizeof(ans));
	ans.id = req.id;
	if (strstr(req.address, "@example.test") != NULL) {
		ans.status = AUTH_OK;
		ans.count = 1;
		snprintf(ans.users[0], sizeof(ans.users[0]), "%s", req.address);
	} else
		ans.status = AUTH_FAIL_PERM;
	authproto_rcpt_ans_encode(&f, &ans);
	frame_write(authfd, &f);
}

/* pump: serve authd for ms; 1 when the relay link has something to read
 * (then at once), else 0. */
static int
pump(int ms)
{
	struct pollfd p[2];
	int64_t end = mono_ms() + ms;

	for (;;) {
		p[0] = (struct pollfd){ authfd, POLLIN, 0 };
		p[1] = (struct pollfd){ relayfd, POLLIN, 0 };
		if (mono_ms() >= end)
			return 0;
		if (poll(p, 2, (int)(end - mono_ms())) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			serve_auth();
		if (p[1].revents != 0)
			return 1;
	}
}

/* A job as the relay process reads it. */
struct job {
	struct relay_job	j;
	struct relay_rcpt	r[RELAY_RCPT_MAX];
	char			msg[4096];	/* the file's first bytes */
};

/* get_job: the next job within ms; 0, or -1 when none came. */
static int
get_job(struct job *jb, int ms)
{
	struct frame f;
	uint32_t i;
	ssize_t n;
	int fd;

	memset(jb, 0, sizeof(*jb));
	if (!pump(ms) || queueproto_recv_fd(relayfd, &f, &fd,
	    mono_ms() + 5000) == -1 || f.type != MSG_RELAY_JOB ||
	    relayproto_job_decode(&f, &jb->j) == -1 || fd == -1)
		return -1;
	n = pread(fd, jb->msg, sizeof(jb->msg) - 1, 0);
	close(fd);
	if (n < 0)
		return -1;
	jb->msg[(size_t)n < jb->j.size ? (size_t)n : jb->j.size] = '\0';
	for (i = 0; i < jb->j.nrcpt; i++)
		if (frame_read(relayfd, &f, mono_ms() + 5000) == -1 ||
		    f.type != MSG_RELAY_RCPT ||
		    relayproto_rcpt_decode(&f, &jb->r[i]) == -1)
			return -1;
	if (frame_read(relayfd, &f, mono_ms() + 5000) == -1 ||
	    f.type != MSG_RELAY_GO || relayproto_go_decode(&f) == -1)
		return -1;
	return 0;
}

static void
answer(uint32_t status, uint32_t code, const char *dsn, const char *text)
{
	struct relay_rcpt_result r;
	struct frame f;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.code = code;
	snprintf(r.dsn, sizeof(r.dsn), "%s", dsn);
	snprintf(r.text, sizeof(r.text), "%s", text);
	relayproto_result_encode(&f, &r);
	frame_write(relayfd, &f);
}

static void
done(const char *host, uint32_t down)
{
	struct relay_done d;
	struct frame f;

	memset(&d, 0, sizeof(d));
	snprintf(d.host, sizeof(d.host), "%s", host);
	snprintf(d.addr, sizeof(d.addr), "%s", host[0] != '\0' ?
	    "192.0.2.25" : "");
	snprintf(d.tls, sizeof(d.tls), "none");
	snprintf(d.policy, sizeof(d.policy), "opportunistic");
	d.dest_down = down;
	relayproto_done_encode(&f, &d);
	frame_write(relayfd, &f);
}

/* commit_as: one message from sender to the remote dests[0..n-1],
 * submitted by user ("": from another server on port 25), with the
 * checks' Authentication-Results value authres (NULL: none). */
static int
commit_as(int fd, const char *user, const char *authres, const char *sender,
    const char *const *dests, size_t n, char *id)
{
	static const char body[] = "From: someone\r\nSubject: out\r\n\r\n"
	    "the body\r\n";
	struct queue_env e;
	struct queue_rcpt r;
	struct frame f;
	uint32_t st = 99;
	size_t i;

	memset(&e, 0, sizeof(e));
	snprintf(e.sender, sizeof(e.sender), "%s", sender);
	strcpy(e.helo, "client.example.net");
	strcpy(e.address, "192.0.2.7");
	strcpy(e.proto, "ESMTPA");
	strcpy(e.session, "sess1");
	snprintf(e.auth_user, sizeof(e.auth_user), "%s", user);
	e.port = user[0] != '\0' ? 465 : 25;
	queueproto_env_encode(&f, &e);
	frame_write(fd, &f);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.address, sizeof(r.address), "%s", dests[i]);
		snprintf(r.dest, sizeof(r.dest), "%s", dests[i]);
		queueproto_rcpt_encode(&f, &r);
		frame_write(fd, &f);
	}
	queueproto_data_encode(&f, body, sizeof(body) - 1);
	frame_write(fd, &f);
	if (authres != NULL) {
		struct queue_checks k;

		memset(&k, 0, sizeof(k));
		snprintf(k.authres, sizeof(k.authres), "%s", authres);
		queueproto_checks_encode(&f, &k);
		frame_write(fd, &f);
	}
	queueproto_empty_encode(&f, MSG_QUEUE_COMMIT);
	frame_write(fd, &f);
	if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
	    f.type != MSG_QUEUE_COMMIT ||
	    queueproto_result_decode(&f, QUEUE_TEMP, &st, id,
	    QUEUE_TEXT_MAX) == -1)
		return -1;
	return st == QUEUE_OK ? 0 : -1;
}

/* commit: as commit_as, from another server on port 25, unchecked. */
static int
commit(int fd, const char *sender, const char *const *dests, size_t n,
    char *id)
{
	return commit_as(fd, "", NULL, sender, dests, n, id);
}

/* page: the whole LIST or SHOW text into buf. */
static int
page(int fd, uint8_t type, const char *id, char *buf, size_t size)
{
	struct frame f;
	uint32_t st, total, off = 0;
	const uint8_t *p;
	size_t len;

	buf[0] = '\0';
	do {
		queueproto_page_req_encode(&f, type, id, off);
		frame_write(fd, &f);
		if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
		    queueproto_page_ans_decode(&f, &st, &total, &p, &len) == -1)
			return -1;
		if (st != QUEUE_OK)
			return (int)st;
		if (off + len >= size)
			return -1;
		memcpy(buf + off, p, len);
		off += (uint32_t)len;
	} while (off < total && len > 0);
	buf[off] = '\0';
	return 0;
}

static uint32_t
flush(int fd)
{
	char text[QUEUE_TEXT_MAX];
	struct frame f;
	uint32_t st = 99;

	queueproto_id_encode(&f, MSG_QUEUE_FLUSH, "");
	frame_write(fd, &f);
	if (frame_read(fd, &f, mono_ms() + 5000) == -1 ||
	    queueproto_result_decode(&f, QUEUE_NOTFOUND, &st, text,
	    sizeof(text)) == -1)
		return 99;
	return st;
}

/* mails: the messages in user's new/ (concatenated into buf), waiting
 * (and serving authd) up to 5 s for at least want. */
static int
mails(const char *user, int want, char *buf, size_t size)
{
	char path[1200], file[1600];
	struct dirent *e;
	size_t off;
	ssize_t r;
	DIR *d;
	int i, n = 0, fd;

	snprintf(path, sizeof(path), "%s/example.test/%s/new", cfg.mail_dir,
	    user);
	for (i = 0; i < 100; i++) {
		n = 0;
		off = 0;
		buf[0] = '\0';
		if ((d = opendir(path)) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if (e->d_name[0] == '.')
					continue;
				n++;
				snprintf(file, sizeof(file), "%s/%s", path,
				    e->d_name);
				if ((fd = open(file, O_RDONLY)) == -1)
					continue;
				r = read(fd, buf + off, size - off - 1);
				close(fd);
				if (r > 0)
					off += (size_t)r;
				buf[off] = '\0';
			}
			closedir(d);
		}
		if (n >= want)
			return n;
		(void)pump(50);
	}
	return n;
}

static int
slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd == -1)
		return -1;
	r = read(fd, buf, size - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* plant: a queued message as an older run left it. */
static void
plant(const char *id, const char *sender, int64_t arrival,
    const char *rcpts)
{
	static const char msg[] = "Received: x\r\nSubject: old\r\n\r\nold\r\n";
	char path[1400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/queue/%s.msg", cfg.spool_dir, id);
	f = fopen(path, "w");
	fputs(msg, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/queue/%s.env", cfg.spool_dir, id);
	f = fopen(path, "w");
	fprintf(f, "postern-envelope 2\nid %s\narrival %lld\nsize %zu\n"
	    "from <%s>\norigin local uid 0\nbody 0 flags 0 envid -\n%s", id,
	    (long long)arrival, sizeof(msg) - 1, sender, rcpts);
	fclose(f);
}

static void
test_loaded(void)
{
	char buf[65536], path[1400];
	time_t now = time(NULL);
	char line[512];
	int n;

	mkdir(cfg.spool_dir, 0755);
	snprintf(path, sizeof(path), "%s/queue", cfg.spool_dir);
	mkdir(path, 0700);
	/* 6 days old: past the lifetime; old2 asked for no notice */
	snprintf(line, sizeof(line), "rcpt pending 3 %lld remote 0 "
	    "old1@remote.test - - connection refused\nanswer 451 4.4.1 "
	    "mx.remote.test 0 %lld\nrcpt pending 3 %lld remote 1 "
	    "old2@remote.test - - connection refused\n",
	    (long long)now + 3600, (long long)now - 600,
	    (long long)now + 3600);
	plant("00000001aaaaaaaa", "alice@example.test", now - 6 * 86400, line);
	/* a bounce that cannot be delivered: no bounce of it */
	snprintf(line, sizeof(line), "rcpt pending 3 %lld remote 0 "
	    "old3@remote.test - - connection refused\n",
	    (long long)now + 3600);
	plant("00000002bbbbbbbb", "", now - 6 * 86400, line);
	/* 5 hours old, waiting: one delay notice */
	snprintf(line, sizeof(line), "rcpt pending 2 %lld remote 0 "
	    "slow@remote.test - - greylisted\nrcpt pending 2 %lld remote 4 "
	    "fail-only@remote.test - - greylisted\nrcpt pending 2 %lld "
	    "remote 8 delay@remote.test - - greylisted\n",
	    (long long)now + 3600, (long long)now + 3600,
	    (long long)now + 3600);
	plant("00000003cccccccc", "alice@example.test", now - 5 * 3600, line);

	start_roles();
	n = mails("alice", 2, buf, sizeof(buf));
	CHECK_INT_EQ(n, 2, "a bounce and a delay notice delivered to alice");
	CHECK_TRUE(strstr(buf, "Return-Path: <>\n") != NULL,
	    "from the null sender");
	CHECK_TRUE(strstr(buf, "Subject: Undelivered Mail Returned to Sender")
	    != NULL, "the bounce");
	CHECK_TRUE(strstr(buf, "Final-Recipient: rfc822; old1@remote.test\n"
	    "Action: failed\nStatus: 4.4.1\nRemote-MTA: dns; mx.remote.test\n"
	    "Diagnostic-Code: smtp; 451 connection refused\n") != NULL,
	    "old1 failed at the lifetime, with its last answer");
	CHECK_TRUE(strstr(buf, "old2@remote.test") == NULL,
	    "NOTIFY=NEVER: not in it");
	CHECK_TRUE(strstr(buf, "old3@remote.test") == NULL,
	    "no bounce for a null-sender message");
	CHECK_TRUE(strstr(buf, "Subject: Delayed Mail (still being retried)")
	    != NULL, "the delay notice");
	CHECK_TRUE(strstr(buf, "Final-Recipient: rfc822; slow@remote.test\n"
	    "Action: delayed\n") != NULL, "for slow, delayed");
	CHECK_TRUE(strstr(buf, "Will-Retry-Until: ") != NULL,
	    "Will-Retry-Until");
	CHECK_TRUE(strstr(buf, "Final-Recipient: rfc822; delay@remote.test\n"
	    "Action: delayed\n") != NULL, "NOTIFY=DELAY: in it");
	CHECK_TRUE(strstr(buf, "fail-only@remote.test") == NULL,
	    "NOTIFY=FAILURE: not in the delay notice");
	CHECK_TRUE(strstr(buf, "Content-Type: text/rfc822-headers\n"
	    "Content-Description: Undelivered message header\n\n"
	    "Received: x\nSubject: old\n\n--") != NULL,
	    "the original header, not its body");
	snprintf(path, sizeof(path), "%s/queue/00000001aaaaaaaa.msg",
	    cfg.spool_dir);
	(void)pump(300);
	CHECK_TRUE(access(path, F_OK) == -1, "the bounced message is gone");
	snprintf(path, sizeof(path), "%s/queue/00000002bbbbbbbb.msg",
	    cfg.spool_dir);
	CHECK_TRUE(access(path, F_OK) == -1, "the failed bounce is gone");
	snprintf(path, sizeof(path), "%s/queue/00000003cccccccc.env",
	    cfg.spool_dir);
	CHECK_INT_EQ(slurp(path, buf, sizeof(buf)), 0, "the envelope");
	CHECK_TRUE(strstr(buf, "slow@remote.test - - greylisted\nanswer 0 - - "
	    "1 0\n") != NULL, "the delay notice is recorded: once");
	CHECK_TRUE(strstr(buf, "fail-only@remote.test - - greylisted\nanswer "
	    "0 - - 1 0\n") != NULL, "also where none was wanted");
}

static void
test_jobs(int fd)
{
	static const char *const three[] = { "bob@remote.test",
		"carol@Remote.TEST", "dan@other.test" };
	char id[QUEUE_TEXT_MAX], buf[65536], path[2048];
	struct job jb;

	CHECK_INT_EQ(commit(fd, "alice@example.test", three, 3, id), 0,
	    "three remote recipients committed");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "a job");
	CHECK_STR_EQ(jb.j.id, id, "for the message");
	CHECK_STR_EQ(jb.j.domain, "remote.test", "for one domain, lowercase");
	CHECK_INT_EQ(jb.j.nrcpt, 2, "with both its recipients");
	CHECK_STR_EQ(jb.r[0].address, "bob@remote.test", "bob");
	CHECK_STR_EQ(jb.r[1].address, "carol@Remote.TEST", "carol");
	CHECK_STR_EQ(jb.j.sender, "alice@example.test", "sender");
	CHECK_INT_EQ(jb.j.attempt, 0, "first attempt");
	CHECK_INT_EQ(jb.j.sign, 0, "from port 25: not to be signed");
	CHECK_TRUE(strncmp(jb.msg, "Received: from client.example.net",
	    33) == 0 && strstr(jb.msg, "\r\n\r\nthe body\r\n") != NULL &&
	    strlen(jb.msg) == jb.j.size, "the message file came along");
	answer(RELAY_SENT, 250, "2.0.0", "ok queued as X");
	/* as servers answer: the text starts with its enhanced code */
	answer(RELAY_TEMP, 451, "4.7.1", "4.7.1 greylisted, come back later");
	done("mx.remote.test", 0);
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "the second domain's job");
	CHECK_STR_EQ(jb.j.domain, "other.test", "other.test");
	CHECK_INT_EQ(jb.j.nrcpt, 1, "one recipient");
	answer(RELAY_PERM, 550, "5.1.1", "no such user here");
	done("mx.other.test", 0);

	CHECK_INT_EQ(mails("alice", 3, buf, sizeof(buf)), 3, "a bounce");
	CHECK_TRUE(strstr(buf, "Final-Recipient: rfc822; dan@other.test\n"
	    "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.other.test\n"
	    "Diagnostic-Code: smtp; 550 no such user here\n") != NULL,
	    "dan bounced with the remote's answer");
	CHECK_TRUE(strstr(buf, "<dan@other.test>:\n    host mx.other.test "
	    "said: 550 no such user here\n") != NULL, "in words too");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_SHOW, id, buf, sizeof(buf)), 0,
	    "show");
	CHECK_TRUE(strstr(buf, "remote bob@remote.test: sent to "
	    "mx.remote.test\n") != NULL, "bob sent");
	CHECK_TRUE(strstr(buf, "remote carol@Remote.TEST: waiting, 1 attempt, "
	    "next in ") != NULL, "carol waits");
	CHECK_TRUE(strstr(buf, "last answer from mx.remote.test: 451 4.7.1 "
	    "greylisted, come back later\n") != NULL,
	    "her last answer, its enhanced code once");
	CHECK_TRUE(strstr(buf, "remote dan@other.test: failed after 1 attempt, "
	    "sender told\n") != NULL, "dan failed, the sender told");
	snprintf(path, sizeof(path), "%s/queue/%s.env", cfg.spool_dir, id);
	CHECK_INT_EQ(slurp(path, buf, sizeof(buf)), 0, "the envelope");
	CHECK_TRUE(strstr(buf, "rcpt pending 1 ") != NULL &&
	    strstr(buf, "\nanswer 451 4.7.1 mx.remote.test 0 ") != NULL,
	    "carol's attempt and answer are durable");
	CHECK_TRUE(strstr(buf, "rcpt delivered 1 ") != NULL, "bob's too");
}

/* A job says whether its message may be DKIM-signed (submitted by a
 * user, not received from another server) and carries the
 * Authentication-Results of a checked message. */
static void
test_sign_authres(int fd)
{
	static const char *const gil[] = { "gil@signed.test" };
	static const char *const hal[] = { "hal@forward.test" };
	static const char ar[] = "localhost; spf=pass smtp.mailfrom="
	    "x@elsewhere.test";
	char id[QUEUE_TEXT_MAX];
	struct job jb;

	CHECK_INT_EQ(commit_as(fd, "alice@example.test", NULL,
	    "alice@example.test", gil, 1, id), 0, "submitted by alice");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "its job");
	CHECK_INT_EQ(jb.j.sign, 1, "may be signed");
	CHECK_STR_EQ(jb.j.authres, "", "no Authentication-Results");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	done("mx.signed.test", 0);
	CHECK_INT_EQ(commit_as(fd, "", ar, "x@elsewhere.test", hal, 1, id), 0,
	    "received on port 25, checked, forwarded");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "its job");
	CHECK_INT_EQ(jb.j.sign, 0, "is never signed");
	CHECK_STR_EQ(jb.j.authres, ar, "and carries its checks");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	done("mx.forward.test", 0);
}

static void
test_down(int fd)
{
	static const char *const eve[] = { "eve@down.test" };
	static const char *const fay[] = { "fay@down.test" };
	char id1[QUEUE_TEXT_MAX], id2[QUEUE_TEXT_MAX], buf[65536];
	struct job jb;
	int i, seen = 0, remote = 0;
	uint32_t k;

	CHECK_INT_EQ(commit(fd, "alice@example.test", eve, 1, id1), 0,
	    "eve committed");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "eve's job");
	answer(RELAY_TEMP, 0, "4.4.1", "no MX host of down.test answered");
	done("", 1);
	(void)pump(300);
	CHECK_INT_EQ(commit(fd, "alice@example.test", fay, 1, id2), 0,
	    "fay committed");
	CHECK_INT_EQ(get_job(&jb, 1500), -1,
	    "no job for fay: her domain is down");
	CHECK_INT_EQ(page(fd, MSG_QUEUE_SHOW, id2, buf, sizeof(buf)), 0,
	    "show");
	CHECK_TRUE(strstr(buf, "waiting, 0 attempts, next in ") != NULL &&
	    strstr(buf, "(destination down)") != NULL, "fay waits for it");
	CHECK_INT_EQ(flush(fd), QUEUE_OK, "flush");
	for (i = 0; i < 5 && get_job(&jb, 2000) == 0; i++) {
		if (strcmp(jb.j.domain, "down.test") == 0)
			seen++;
		if (strcmp(jb.j.domain, "remote.test") == 0)
			remote++;
		for (k = 0; k < jb.j.nrcpt; k++)
			answer(RELAY_SENT, 250, "2.0.0", "ok");
		done("mx.down.test", 0);
	}
	CHECK_INT_EQ(seen, 2, "after the flush: eve and fay tried");
	CHECK_INT_EQ(remote, 2, "and carol and slow, whose retries were not "
	    "due");
	for (i = 0; i < 40; i++) {
		if (page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)) == 0 &&
		    strstr(buf, "0 messages") != NULL)
			break;
		(void)pump(50);
	}
	CHECK_TRUE(strstr(buf, "0 messages in the queue") != NULL,
	    "every message done");
}

static void
test_relay_death(void)
{
	static const char *const two[] = { "gus@dead.test", "hal@dead.test" };
	char id[QUEUE_TEXT_MAX], buf[65536];
	struct job jb;
	int fd, i;

	fd = qconnect();
	CHECK_INT_EQ(commit(fd, "alice@example.test", two, 2, id), 0,
	    "two recipients committed");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "their job");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	close(relayfd);
	relayfd = -1;
	for (i = 0; i < 40; i++) {
		if (page(fd, MSG_QUEUE_SHOW, id, buf, sizeof(buf)) == 0 &&
		    strstr(buf, "in delivery") == NULL)
			break;
		usleep(50000);
	}
	CHECK_TRUE(strstr(buf, "remote gus@dead.test: sent\n") != NULL,
	    "what the relay answered counts");
	CHECK_TRUE(strstr(buf, "remote hal@dead.test: waiting, 1 attempt, "
	    "next in ") != NULL && strstr(buf, "(no relay process runs)") !=
	    NULL, "the rest waits, one attempt counted");
	CHECK_TRUE(strstr(buf, "last error: 4.3.0 the relay process ended "
	    "during the delivery") != NULL, "and says why");
	close(fd);
	stop_roles(SIGKILL);
	start_roles();
	fd = qconnect();
	CHECK_INT_EQ(page(fd, MSG_QUEUE_SHOW, id, buf, sizeof(buf)), 0,
	    "show after a kill -9 and a restart");
	CHECK_TRUE(strstr(buf, "remote hal@dead.test: waiting, 1 attempt, "
	    "next in ") != NULL, "hal's state was kept");
	CHECK_INT_EQ(flush(fd), QUEUE_OK, "flush");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "a job");
	CHECK_INT_EQ(jb.j.nrcpt, 1, "for one recipient");
	CHECK_STR_EQ(jb.r[0].address, "hal@dead.test",
	    "hal only: gus is not sent twice");
	CHECK_INT_EQ(jb.j.attempt, 1, "the second attempt");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	done("mx.dead.test", 0);
	for (i = 0; i < 40; i++) {
		if (page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)) == 0 &&
		    strstr(buf, "0 messages") != NULL)
			break;
		(void)pump(50);
	}
	CHECK_TRUE(strstr(buf, "0 messages in the queue") != NULL, "done");
	close(fd);
}

/* env_has: within ms, the envelope of id holds what. */
static int
env_has(const char *id, const char *what, int ms)
{
	char path[2048], buf[65536];
	int64_t end = mono_ms() + ms;

	snprintf(path, sizeof(path), "%s/queue/%s.env", cfg.spool_dir, id);
	do {
		if (slurp(path, buf, sizeof(buf)) == 0 &&
		    strstr(buf, what) != NULL)
			return 1;
		(void)pump(20);
	} while (mono_ms() < end);
	return 0;
}

/* A SENT result is in the spool before the rest of the answer: a kill -9
 * of the queue then does not send that recipient again.  A stop
 * (SIGTERM) with a job out waits for its answer and records it. */
static void
test_sent_at_once(void)
{
	static const char *const two[] = { "ivy@far.test", "jo@far.test" };
	static const char *const one[] = { "kim@far.test" };
	char id[QUEUE_TEXT_MAX], id2[QUEUE_TEXT_MAX], buf[65536];
	struct job jb;
	int fd, st, i;

	fd = qconnect();
	CHECK_INT_EQ(commit(fd, "alice@example.test", two, 2, id), 0,
	    "two recipients committed");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "their job");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	CHECK_TRUE(env_has(id, "rcpt delivered", 3000),
	    "ivy's SENT is in the spool before the rest of the answer");
	close(fd);
	stop_roles(SIGKILL);
	start_roles();
	fd = qconnect();
	CHECK_INT_EQ(flush(fd), QUEUE_OK, "flush");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "a job after the kill -9");
	CHECK_INT_EQ(jb.j.nrcpt, 1, "for one recipient");
	CHECK_STR_EQ(jb.r[0].address, "jo@far.test",
	    "jo only: ivy is not sent twice");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	done("mx.far.test", 0);

	CHECK_INT_EQ(commit(fd, "alice@example.test", one, 1, id2), 0,
	    "one more committed");
	CHECK_INT_EQ(get_job(&jb, 3000), 0, "its job");
	close(fd);
	kill(qpid, SIGTERM);
	usleep(200000);
	CHECK_INT_EQ(waitpid(qpid, &st, WNOHANG), 0,
	    "a stop waits for the job's answer");
	answer(RELAY_SENT, 250, "2.0.0", "ok");
	done("mx.far.test", 0);
	for (i = 0; i < 100 && waitpid(qpid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	CHECK_TRUE(i < 100 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "then the queue ends");
	stop_roles(0);
	start_roles();
	fd = qconnect();
	for (i = 0; i < 40; i++) {
		if (page(fd, MSG_QUEUE_LIST, "", buf, sizeof(buf)) == 0 &&
		    strstr(buf, "0 messages") != NULL)
			break;
		(void)pump(50);
	}
	CHECK_TRUE(strstr(buf, "0 messages in the queue") != NULL,
	    "the answer given during the stop counted: nothing is left");
	close(fd);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[400];
	int fd, rc;

	log_init("test_queue_relay", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(root, sizeof(root), "%s/test_queue_relay.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(root) == NULL)
		return 1;
	config_defaults(&cfg);
	snprintf(cfg.spool_dir, sizeof(cfg.spool_dir), "%s/spool", root);
	snprintf(cfg.mail_dir, sizeof(cfg.mail_dir), "%s/mail", root);
	strcpy(cfg.hostname, "mx.example.test");
	strcpy(cfg.domains[0], "example.test");
	cfg.ndomains = 1;
	if (mkdir(cfg.mail_dir, 0755) == -1)
		return 1;
	test_loaded();
	fd = qconnect();
	CHECK_TRUE(fd != -1, "queue.sock answers");
	test_jobs(fd);
	test_sign_authres(fd);
	test_down(fd);
	close(fd);
	test_relay_death();
	test_sent_at_once();
	stop_roles(0);
	rc = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
