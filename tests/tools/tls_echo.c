/*
 * tls_echo.c: a test server for common/tls.c and common/keyholder.c, run
 * by tests/integration/test_tls.py:
 *
 *	tls_echo -c cert.pem -k key.pem -p PORT [-v]
 *
 * binds 127.0.0.1:PORT, forks a keyholder and hands it the key and
 * certificate as descriptors (this process never reads the key), prints
 * "ready" on stdout, then forks one child per connection that speaks TLS
 * through tls_conn_new and echoes each line back until the client
 * closes.  SIGHUP reloads the certificate and key (a failure keeps the old
 * pair and logs why); SIGTERM stops.  Logs go to stderr.  A test tool:
 * the children run without a sandbox, as the invoking user.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/keyholder.h"
#include "common/log.h"
#include "common/tls.h"

#define ECHO_IDLE_MS	(5 * 60 * 1000)

static volatile sig_atomic_t echo_hup, echo_term, echo_chld;
static struct tls_chain echo_chain, echo_next;
static const char *echo_cert, *echo_key;
static pid_t echo_keyholder;

static void
echo_signal(int sig)
{
	if (sig == SIGHUP)
		echo_hup = 1;
	else if (sig == SIGCHLD)
		echo_chld = 1;
	else
		echo_term = 1;
}

static void
echo_usage(void)
{
	fprintf(stderr, "usage: tls_echo -c cert.pem -k key.pem -p port "
	    "[-v]\n");
	exit(2);
}

/* echo_copy: move complete or partial lines from input to output; flush
 * at each end of line. */
static void
echo_copy(struct tls_conn *t)
{
	unsigned char *in, *out, *nl;
	size_t rlen, wlen, n;

	for (;;) {
		if ((in = tls_read_buf(t, &rlen)) == NULL ||
		    (out = tls_write_buf(t, &wlen)) == NULL)
			return;
		n = rlen < wlen ? rlen : wlen;
		if ((nl = memchr(in, '\n', n)) != NULL)
			n = (size_t)(nl - in) + 1;
		memcpy(out, in, n);
		tls_write_ack(t, n);
		tls_read_ack(t, n);
		if (nl != NULL)
			tls_flush(t);
	}
}

static void echo_conn(int, int) __attribute__((noreturn));

static void
echo_conn(int fd, int keyfd)
{
	struct tls_conn *t;
	struct pollfd pfd;
	int n;

	if ((t = tls_conn_new(fd, &echo_chain, keyfd)) == NULL)
		_exit(1);
	for (;;) {
		echo_copy(t);
		pfd.fd = fd;
		pfd.events = tls_events(t);
		if ((n = poll(&pfd, 1, ECHO_IDLE_MS)) == -1 && errno != EINTR)
			fatal("tls_echo: poll");
		if (n == 0) {
			log_warnx("tls_echo: idle client");
			break;
		}
		if (tls_io(t, pfd.revents) == -1)
			break;
	}
	if (tls_error(t) != 0)
		log_info("tls_echo: connection closed, error %d",
		    tls_error(t));
	else if (tls_handshake_done(t))
		log_info("tls_echo: TLS 0x%04x suite 0x%04x closed cleanly",
		    tls_version(t), (unsigned)tls_suite(t));
	tls_conn_free(t);
	_exit(0);
}

/* echo_child_setup: what every forked child does first. */
static void
echo_child_setup(void)
{
	sigset_t none;

	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		fatal("tls_echo: prctl");
}

static void
echo_accept(int lfd, int ctlfd)
{
	int fd, keyfd, one = 1;
	pid_t pid;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			log_warn("tls_echo: accept");
		return;
	}
	/* as pop3d does: records are flushed on purpose, Nagle would delay
	 * the handshake's last flight */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("tls_echo: TCP_NODELAY");
	if ((keyfd = keyholder_channel(ctlfd)) == -1) {
		close(fd);
		return;
	}
	if ((pid = fork()) == -1)
		log_warn("tls_echo: fork");
	else if (pid == 0) {
		echo_child_setup();
		close(lfd);
		close(ctlfd);
		echo_conn(fd, keyfd);
	}
	close(fd);
	close(keyfd);
}

/* echo_load: hand the key and certificate files to the keyholder. */
static int
echo_load(int ctlfd, char *err, size_t errlen)
{
	int keyfd, certfd, rc;

	if ((keyfd = open(echo_key, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", echo_key, strerror(errno));
		return -1;
	}
	if ((certfd = open(echo_cert, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", echo_cert, strerror(errno));
		close(keyfd);
		return -1;
	}
	rc = keyholder_load(ctlfd, keyfd, certfd, err, errlen);
	close(keyfd);
	close(certfd);
	return rc;
}

/* echo_reload: the new pair, or the old one and a line saying why. */
static void
echo_reload(int ctlfd)
{
	char err[512];

	if (tls_chain_load(echo_cert, &echo_next, err, sizeof(err)) == -1) {
		log_warnx("tls_echo: reload: %s; keeping the old certificate "
		    "and key", err);
		return;
	}
	if (echo_load(ctlfd, err, sizeof(err)) == -1) {
		log_warnx("tls_echo: reload: key: %s; keeping the old "
		    "certificate and key", err);
		return;
	}
	/* A copy by value is fine: see struct tls_chain. */
	echo_chain = echo_next;
	log_info("tls_echo: reloaded %s and %s", echo_cert, echo_key);
}

static void
echo_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == echo_keyholder)
			fatalx("tls_echo: the keyholder died (status 0x%x)",
			    status);
}

static int
echo_listen(const char *port)
{
	struct sockaddr_in sin;
	int fd, on = 1;
	char *end;
	long p;

	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
		fatalx("tls_echo: bad port %s", port);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("tls_echo: socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("tls_echo: setsockopt");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal("tls_echo: bind 127.0.0.1:%ld", p);
	if (listen(fd, 64) == -1)
		fatal("tls_echo: listen");
	return fd;
}

static int
echo_start_keyholder(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("tls_echo: socketpair");
	if ((echo_keyholder = fork()) == -1)
		fatal("tls_echo: fork");
	if (echo_keyholder == 0) {
		echo_child_setup();
		close(sv[0]);
		keyholder_main(sv[1], NULL, -1, -1);
	}
	close(sv[1]);
	return sv[0];
}

static void
echo_signals(sigset_t *old)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	/* Blocked except inside ppoll: no race between a flag and poll. */
	if (sigprocmask(SIG_BLOCK, &block, old) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("tls_echo: signals");
}

static void
echo_loop(int lfd, int ctlfd, const sigset_t *mask)
{
	struct pollfd pfd;

	while (!echo_term) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (ppoll(&pfd, 1, NULL, mask) == -1 && errno != EINTR)
			fatal("tls_echo: ppoll");
		if (echo_chld) {
			echo_chld = 0;
			echo_reap();
		}
		if (echo_hup) {
			echo_hup = 0;
			echo_reload(ctlfd);
		}
		if (pfd.revents & POLLIN)
			echo_accept(lfd, ctlfd);
	}
}

int
main(int argc, char *argv[])
{
	const char *port = NULL;
	char err[512];
	int ch, lfd, ctlfd, verbose = 0;
	sigset_t mask;

	while ((ch = getopt(argc, argv, "c:k:p:v")) != -1) {
		switch (ch) {
		case 'c':
			echo_cert = optarg;
			break;
		case 'k':
			echo_key = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			echo_usage();
		}
	}
	if (echo_cert == NULL || echo_key == NULL || port == NULL ||
	    optind != argc)
		echo_usage();
	log_init("tls_echo", 1, verbose);
	if (tls_chain_load(echo_cert, &echo_chain, err, sizeof(err)) == -1)
		fatalx("tls_echo: %s", err);
	echo_signals(&mask);
	ctlfd = echo_start_keyholder();
	if (echo_load(ctlfd, err, sizeof(err)) == -1)
		fatalx("tls_echo: key: %s", err);
	lfd = echo_listen(port);
	printf("ready\n");
	fflush(stdout);
	echo_loop(lfd, ctlfd, &mask);
	log_info("tls_echo: stopping");
	close(ctlfd);
	return 0;
}
