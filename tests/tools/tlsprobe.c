/*
 * tlsprobe.c: a test client for the TLS client side of common/tls.c, run
 * by tests/integration/test_tls_client.py:
 *
 *	tlsprobe [-m none|ca|dane] [-c cafile] [-s sni] [-n name]...
 *	    [-t "usage selector mtype hex"]... ADDR PORT
 *	tlsprobe -F domain -c cafile [-T ms] ADDR PORT
 *	tlsprobe -S [policy options as above] ADDR PORT
 *
 * The first form connects to ADDR PORT, does a TLS handshake (no
 * STARTTLS) with that policy, and prints one line: "handshake ok:
 * verified HOW (SUITE)" or "handshake ok: unverified WHY (SUITE)" (exit
 * 0), or "handshake failed: WHY" (exit 1).  The second fetches domain's
 * MTA-STS policy from ADDR PORT (common/https.c) and prints "policy
 * mode=M max_age=N mx=P,P..." (exit 0) or "fetch failed: WHY" (exit 1).
 * The third speaks SMTP first (tls_conn_client_plain): reads the "220"
 * greeting, sends STARTTLS, reads its "220" line, tls_starttls, and once
 * the handshake is done sends QUIT and prints the handshake line and
 * "reply: LINE" with the server's answer to QUIT inside TLS.
 * Usage errors exit 2.  A test tool: no sandbox.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dnsrr.h"
#include "common/https.h"
#include "common/log.h"
#include "common/tls.h"

#define PROBE_MAX	8
#define PROBE_WAIT_MS	10000

static int probe_wait = PROBE_WAIT_MS;
static struct dnsrr_tlsa probe_tlsa[PROBE_MAX];
static unsigned char probe_tlsa_data[PROBE_MAX][64];

static void
usage(void)
{
	fprintf(stderr, "usage: tlsprobe [-m none|ca|dane] [-c cafile] "
	    "[-s sni] [-n name]... [-t \"u s m hex\"]... addr port\n"
	    "       tlsprobe -F domain -c cafile [-T ms] addr port\n"
	    "       tlsprobe -S [policy options] addr port\n");
	exit(2);
}

/* probe_tlsa_parse: "3 1 1 <hex>" into probe_tlsa[i]. */
static int
probe_tlsa_parse(const char *s, size_t i)
{
	unsigned u, sel, mt;
	char hex[2 * 64 + 1];
	size_t n, j;

	if (sscanf(s, "%u %u %u %128s", &u, &sel, &mt, hex) != 4 ||
	    u > 255 || sel > 255 || mt > 255 || (n = strlen(hex)) % 2 != 0)
		return -1;
	for (j = 0; j < n / 2; j++)
		if (sscanf(hex + 2 * j, "%2hhx", &probe_tlsa_data[i][j]) != 1)
			return -1;
	probe_tlsa[i].usage = (uint8_t)u;
	probe_tlsa[i].selector = (uint8_t)sel;
	probe_tlsa[i].mtype = (uint8_t)mt;
	probe_tlsa[i].data = probe_tlsa_data[i];
	probe_tlsa[i].len = n / 2;
	return 0;
}

/* probe_fetch: the -F form. */
static int
probe_fetch(const char *domain, const struct tls_anchors *a,
    const char *addr, const char *port)
{
	static struct http_resp r;
	static const char *modes[] = { "none", "testing", "enforce" };
	struct mtasts_policy p;
	char err[512];
	size_t i;
	int fd;

	if ((fd = https_connect(addr, (uint16_t)atoi(port), probe_wait,
	    err, sizeof(err))) == -1 ||
	    https_mtasts_fetch(fd, domain, a, probe_wait, &r, &p, err,
	    sizeof(err)) == -1) {
		printf("fetch failed: %s\n", err);
		if (fd != -1)
			close(fd);
		return 1;
	}
	close(fd);
	printf("policy mode=%s max_age=%u mx=", modes[p.mode], p.max_age);
	for (i = 0; i < p.nmx; i++)
		printf("%s%s", i ? "," : "", p.mx[i]);
	printf("\n");
	return 0;
}

static int
probe_connect(const char *addr, const char *port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		printf("handshake failed: cannot connect\n");
		exit(1);
	}
	return fd;
}

/* probe_line: one line from t into buf, consumed exactly (the rest stays
 * for tls_starttls to throw away); 0 or -1. */
static int
probe_line(struct tls_conn *t, int fd, char *buf, size_t cap)
{
	struct pollfd pfd;
	unsigned char *p, *nl;
	size_t len, n;

	for (;;) {
		if ((p = tls_read_buf(t, &len)) != NULL &&
		    (nl = memchr(p, '\n', len)) != NULL) {
			n = (size_t)(nl - p) + 1;
			if (n >= cap)
				return -1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			buf[strcspn(buf, "\r\n")] = '\0';
			tls_read_ack(t, n);
			return 0;
		}
		pfd.fd = fd;
		if ((pfd.events = tls_events(t)) == 0 ||
		    poll(&pfd, 1, PROBE_WAIT_MS) <= 0 ||
		    tls_io(t, pfd.revents) == -1)
			return -1;
	}
}

/* probe_write: s into t, sent out; 0 or -1. */
static int
probe_write(struct tls_conn *t, int fd, const char *s)
{
	struct pollfd pfd;
	unsigned char *w;
	size_t room, n = strlen(s);

	if ((w = tls_write_buf(t, &room)) == NULL || room < n)
		return -1;
	memcpy(w, s, n);
	tls_write_ack(t, n);
	tls_flush(t);
	while ((pfd.events = tls_events(t)) & POLLOUT) {
		pfd.fd = fd;
		if (poll(&pfd, 1, PROBE_WAIT_MS) <= 0 ||
		    tls_io(t, pfd.revents) == -1)
			return -1;
	}
	return 0;
}

/* probe_smtp: the plaintext part up to tls_starttls; 0 or -1. */
static int
probe_smtp(struct tls_conn *t, int fd)
{
	char line[512];

	if (probe_line(t, fd, line, sizeof(line)) == -1 ||
	    strncmp(line, "220", 3) != 0 ||
	    probe_write(t, fd, "STARTTLS\r\n") == -1 ||
	    probe_line(t, fd, line, sizeof(line)) == -1 ||
	    strncmp(line, "220", 3) != 0)
		return -1;
	return tls_starttls(t);
}

/* probe_handshake: drive t until the handshake is done; 0 or -1. */
static int
probe_handshake(struct tls_conn *t, int fd)
{
	struct pollfd pfd;

	while (!tls_handshake_done(t)) {
		pfd.fd = fd;
		pfd.events = tls_events(t);
		if (pfd.events == 0)
			return -1;
		if (poll(&pfd, 1, PROBE_WAIT_MS) <= 0)
			return -1;
		if (tls_io(t, pfd.revents) == -1)
			return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct tls_client_policy p;
	struct tls_anchors *anchors = NULL;
	const char *names[PROBE_MAX];
	struct tls_conn *t;
	char err[256], how[128];
	const char *fetch = NULL;
	char reply[512];
	int ch, fd, rc, v, smtp = 0;

	memset(&p, 0, sizeof(p));
	log_init("tlsprobe", 1, 0);
	while ((ch = getopt(argc, argv, "F:ST:c:m:n:s:t:")) != -1) {
		switch (ch) {
		case 'F':
			fetch = optarg;
			break;
		case 'S':
			smtp = 1;
			break;
		case 'T':
			probe_wait = atoi(optarg);
			break;
		case 'c':
			if ((anchors = tls_anchors_load(optarg, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "tlsprobe: %s\n", err);
				return 2;
			}
			break;
		case 'm':
			if (strcmp(optarg, "none") == 0)
				p.mode = TLS_VERIFY_NONE;
			else if (strcmp(optarg, "ca") == 0)
				p.mode = TLS_VERIFY_CA;
			else if (strcmp(optarg, "dane") == 0)
				p.mode = TLS_VERIFY_DANE;
			else
				usage();
			break;
		case 'n':
			if (p.nnames == PROBE_MAX)
				usage();
			names[p.nnames++] = optarg;
			break;
		case 's':
			p.sni = optarg;
			break;
		case 't':
			if (p.ntlsa == PROBE_MAX ||
			    probe_tlsa_parse(optarg, p.ntlsa) == -1)
				usage();
			p.ntlsa++;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (fetch != NULL) {
		rc = probe_fetch(fetch, anchors, argv[optind],
		    argv[optind + 1]);
		tls_anchors_free(anchors);
		return rc;
	}
	p.anchors = anchors;
	p.names = names;
	p.tlsa = probe_tlsa;
	fd = probe_connect(argv[optind], argv[optind + 1]);
	t = smtp ? tls_conn_client_plain(fd, &p) : tls_conn_client(fd, &p);
	if (t == NULL)
		return 2;
	if (smtp && probe_smtp(t, fd) == -1) {
		printf("smtp failed before TLS\n");
		rc = 1;
	} else if (probe_handshake(t, fd) == -1) {
		printf("handshake failed: %s\n", tls_why(t, err, sizeof(err)));
		rc = 1;
	} else {
		v = tls_peer_verified(t, how, sizeof(how));
		printf("handshake ok: %s %s (%s)\n", v == 1 ? "verified" :
		    "unverified", how, tls_suite_name(tls_suite(t)));
		if (smtp && (probe_write(t, fd, "QUIT\r\n") == -1 ||
		    probe_line(t, fd, reply, sizeof(reply)) == -1))
			printf("no reply in TLS\n");
		else if (smtp)
			printf("reply: %s\n", reply);
		tls_close(t);
		(void)tls_io(t, POLLOUT);
		rc = 0;
	}
	fflush(stdout);
	tls_conn_free(t);
	close(fd);
	tls_anchors_free(anchors);
	return rc;
}
