/*
 * test_relay_session.c: unit test of the deadline of a relay session
 * (smtpd/relay_session.c): the real session loop, client engine and
 * connection code against a scripted SMTP server in a child process on
 * a socket pair, which answers each command at once or drips one reply a
 * byte at a time (each reply well within its RFC 5321 timeout).  Covers:
 * a dripped EHLO answer cut by the session's deadline (4.4.2 "took
 * longer", the next host's turn) and the same session completing
 * without a deadline; the answer to the end of data dripped past the
 * deadline (the accepted recipient deferred, never sent; the refused one
 * keeps its 550); a deadline already passed.  Runs as a plain program.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "smtpd/relay_session.h"
#include "tests/unit/check.h"

/* What the scripted server drips (0: nothing), and how slowly. */
enum drip { DRIP_NONE, DRIP_EHLO, DRIP_DOT };

static const char msg[] = "Subject: t\r\n\r\nbody\r\n";

/* server_send: reply r, a byte every drip_ms when drip_ms > 0. */
static int
server_send(int fd, const char *r, int drip_ms)
{
	size_t i, len = strlen(r);

	if (drip_ms <= 0)
		return send(fd, r, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	for (i = 0; i < len; i++) {
		if (send(fd, r + i, 1, MSG_NOSIGNAL) != 1)
			return -1;
		(void)usleep((useconds_t)drip_ms * 1000);
	}
	return 0;
}

/* server_line: one line from the relay into buf (CRLF stripped). */
static int
server_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	char ch;

	for (;;) {
		if (read(fd, &ch, 1) != 1)
			return -1;
		if (ch == '\n')
			break;
		if (ch != '\r' && n < len - 1)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

/* server: the remote, on fd: no PIPELINING, the second RCPT refused. */
static void
server(int fd, enum drip drip, int drip_ms)
{
	char line[1024];
	int nrcpt = 0, rc = 0;

	if (server_send(fd, "220 mx.example.net ESMTP\r\n", 0) == -1)
		_exit(1);
	while (rc == 0 && server_line(fd, line, sizeof(line)) == 0) {
		if (strncmp(line, "EHLO", 4) == 0)
			rc = server_send(fd, "250-mx.example.net\r\n"
			    "250 8BITMIME\r\n",
			    drip == DRIP_EHLO ? drip_ms : 0);
		else if (strncmp(line, "MAIL", 4) == 0)
			rc = server_send(fd, "250 2.1.0 ok\r\n", 0);
		else if (strncmp(line, "RCPT", 4) == 0)
			rc = server_send(fd, nrcpt++ == 0 ? "250 2.1.5 ok\r\n" :
			    "550 5.1.1 no such user\r\n", 0);
		else if (strcmp(line, "DATA") == 0) {
			rc = server_send(fd, "354 go on\r\n", 0);
			while (rc == 0 && (rc = server_line(fd, line,
			    sizeof(line))) == 0 && strcmp(line, ".") != 0)
				;
			if (rc == 0)
				rc = server_send(fd, "250 2.0.0 queued\r\n",
				    drip == DRIP_DOT ? drip_ms : 0);
		} else if (strcmp(line, "QUIT") == 0) {
			(void)server_send(fd, "221 bye\r\n", 0);
			break;
		} else
			rc = server_send(fd, "500 what\r\n", 0);
	}
	_exit(0);
}

/* What one session gave. */
struct run {
	int			 outcome;
	int			 late;
	int			 data_sent;
	int64_t			 ms;	/* how long it lasted */
	struct relay_rcpt_result res[2];
};

/* run_session: a session for two recipients with the scripted server;
 * deadline_ms after the start (0: none), allowed_s for the words. */
static void
run_session(enum drip drip, int drip_ms, int64_t deadline_ms,
    int64_t allowed_s, struct run *out)
{
	static struct relay_job job;
	static struct relay_rcpt rcpt[2];
	struct relay_tls_req tls;
	struct client_params cp;
	struct relay_session s;
	struct relay_net net;
	struct client *c;
	FILE *f;
	int sp[2], status;
	int64_t start;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	memset(&job, 0, sizeof(job));
	memset(rcpt, 0, sizeof(rcpt));
	memset(&tls, 0, sizeof(tls));
	(void)str_copy(job.id, "0123456789abcdef", sizeof(job.id));
	(void)str_copy(job.sender, "alice@ours.test", sizeof(job.sender));
	(void)str_copy(job.domain, "example.net", sizeof(job.domain));
	job.size = sizeof(msg) - 1;
	job.nrcpt = 2;
	(void)str_copy(rcpt[0].address, "bob@example.net",
	    sizeof(rcpt[0].address));
	(void)str_copy(rcpt[1].address, "nobody@example.net",
	    sizeof(rcpt[1].address));
	if ((f = tmpfile()) == NULL || fwrite(msg, 1, sizeof(msg) - 1, f) !=
	    sizeof(msg) - 1 || fflush(f) != 0)
		fatal("tmpfile");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		(void)close(sp[0]);
		server(sp[1], drip, drip_ms);
	}
	(void)close(sp[1]);
	memset(&cp, 0, sizeof(cp));
	cp.helo = "relay.ours.test";
	cp.job = &job;
	cp.rcpt = rcpt;
	cp.tls = CLIENT_TLS_NO;
	if ((c = client_new(&cp)) == NULL)
		fatal("client_new");
	net.fd = sp[0];
	net.tls = NULL;
	memset(&s, 0, sizeof(s));
	s.net = &net;
	s.client = c;
	s.tls = &tls;
	s.msgfd = fileno(f);
	s.size = job.size;
	start = mono_ms();
	s.deadline = deadline_ms != 0 ? start + deadline_ms : 0;
	s.allowed_s = allowed_s;
	relay_session_run(&s);
	out->ms = mono_ms() - start;
	out->outcome = client_outcome(c);
	out->late = s.late;
	out->data_sent = client_data_sent(c);
	out->res[0] = *client_result(c, 0);
	out->res[1] = *client_result(c, 1);
	relay_net_close(&net);
	client_free(c);
	(void)fclose(f);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
}

static void
test_ehlo_dripped(void)
{
	struct run r;

	/* 34 bytes at 100 ms: 3.4 s, far within EHLO's 5 minutes. */
	run_session(DRIP_EHLO, 100, 1000, 1, &r);
	CHECK_TRUE(r.ms >= 900 && r.ms < 2500, "the deadline (1 s) ended "
	    "the session on time");
	CHECK_INT_EQ(r.outcome, CLIENT_NEXT, "before the transaction: the "
	    "next host's turn");
	CHECK_INT_EQ(r.late, 1, "the session says it was late");
	CHECK_INT_EQ(r.res[0].status, RELAY_TEMP, "the recipient waits");
	CHECK_STR_EQ(r.res[0].dsn, "4.4.2", "4.4.2");
	CHECK_TRUE(strstr(r.res[0].text, "the session took longer than the "
	    "1 s allowed while waiting for the EHLO answer") != NULL,
	    "in words");
	CHECK_INT_EQ(r.res[1].status, RELAY_TEMP, "the other one too");

	run_session(DRIP_EHLO, 100, 0, 0, &r);
	CHECK_TRUE(r.ms >= 3000, "without a deadline the drip is waited for");
	CHECK_INT_EQ(r.late, 0, "and the session is not late");
	CHECK_INT_EQ(r.res[0].status, RELAY_SENT, "the message went");
	CHECK_INT_EQ(r.res[1].status, RELAY_PERM, "the refused one failed");
}

static void
test_dot_dripped(void)
{
	struct run r;

	/* "250 2.0.0 queued\r\n" at 150 ms a byte: 2.7 s. */
	run_session(DRIP_DOT, 150, 1200, 1, &r);
	CHECK_TRUE(r.ms >= 1100 && r.ms < 2500, "the deadline ended the "
	    "wait for the answer to the end of data");
	CHECK_INT_EQ(r.data_sent, 1, "the end of data had gone out");
	CHECK_INT_EQ(r.outcome, CLIENT_DONE, "after the end of data: no "
	    "other host (the message may have been taken)");
	CHECK_INT_EQ(r.res[0].status, RELAY_TEMP, "the accepted recipient "
	    "is deferred, not sent");
	CHECK_STR_EQ(r.res[0].dsn, "4.4.2", "with 4.4.2");
	CHECK_INT_EQ(r.res[0].code, 0, "no code: the server did not answer");
	CHECK_TRUE(strstr(r.res[0].text, "took longer than the 1 s allowed "
	    "while waiting for the answer to the end of data") != NULL,
	    "in words");
	CHECK_INT_EQ(r.res[1].status, RELAY_PERM, "the refused recipient "
	    "keeps its answer");
	CHECK_INT_EQ(r.res[1].code, 550, "550");

	run_session(DRIP_DOT, 150, 10000, 10, &r);
	CHECK_INT_EQ(r.late, 0, "a deadline not reached changes nothing");
	CHECK_INT_EQ(r.res[0].status, RELAY_SENT, "the answer came: sent");
	CHECK_INT_EQ(r.res[0].code, 250, "250");
}

static void
test_passed(void)
{
	struct run r;

	run_session(DRIP_NONE, 0, -1, 7, &r);
	CHECK_INT_EQ(r.late, 1, "a deadline passed before the start");
	CHECK_INT_EQ(r.outcome, CLIENT_NEXT, "nothing was sent");
	CHECK_TRUE(strstr(r.res[0].text, "the 7 s allowed while waiting for "
	    "the greeting") != NULL, "the greeting was not waited for");
}

int
main(void)
{
	log_init("test_relay_session", 1, 0);
	test_ehlo_dripped();
	test_dot_dripped();
	test_passed();
	return check_done();
}
