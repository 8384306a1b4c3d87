/*
 * https.c: the MTA-STS policy fetch over HTTPS (https.h): a TCP connect
 * with a deadline, our TLS client in CA mode, one GET, and the response
 * through httpresp.c.  Runs in the relay processes; the server and all
 * it sends are hostile: the response parser is bounded and every wait
 * has the caller's deadline.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/https.h"
#include "common/util.h"

#define HTTPS_REQ_MAX	1024

/* connect_wait: the non-blocking connect on fd, until deadline. */
static int
connect_wait(int fd, int64_t deadline, char *err, size_t errlen)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int64_t left;
	int rc, soerr = 0;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		left = deadline - mono_ms();
		rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
	} while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		snprintf(err, errlen, "no connection within the time allowed");
		return -1;
	}
	if (rc == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
	    -1 || soerr != 0) {
		snprintf(err, errlen, "cannot connect: %s",
		    strerror(soerr ? soerr : errno));
		return -1;
	}
	return 0;
}

int
https_connect(const char *addr, uint16_t port, int timeout_ms, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, fl;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "not an IP address: %s", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    (errno != EINPROGRESS ||
	    connect_wait(fd, mono_ms() + timeout_ms, err, errlen) == -1)) {
		if (errno != EINPROGRESS)
			snprintf(err, errlen, "cannot connect: %s",
			    strerror(errno));
		close(fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* request_ok: host is a DNS name, path a plain absolute path: nothing
 * that could end the request line or a header. */
static int
request_ok(const char *host, const char *path)
{
	const char *s;

	if (*host == '\0' || strlen(host) > 253 || path[0] != '/')
		return 0;
	for (s = host; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return 0;
	for (s = path; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* get_send: as much of the request as the engine takes. */
static void
get_send(struct tls_conn *t, const char *req, size_t reqlen, size_t *sent)
{
	unsigned char *w;
	size_t room;

	if (*sent == reqlen || (w = tls_write_buf(t, &room)) == NULL)
		return;
	if (room > reqlen - *sent)
		room = reqlen - *sent;
	memcpy(w, req + *sent, room);
	tls_write_ack(t, room);
	*sent += room;
	if (*sent == reqlen)
		tls_flush(t);
}

/* get_recv: what the engine decrypted, into the parser: 1 done, 0, -1. */
static int
get_recv(struct tls_conn *t, struct http_resp *r)
{
	unsigned char *p;
	size_t len;
	int rc = 0;

	while (rc == 0 && (p = tls_read_buf(t, &len)) != NULL) {
		rc = http_resp_feed(r, p, len);
		tls_read_ack(t, len);
	}
	return rc;
}

/* get_closed: the connection ended: does that complete r? */
static int
get_closed(struct tls_conn *t, struct http_resp *r, char *err,
    size_t errlen)
{
	char why[256];

	if (!tls_handshake_done(t) || (tls_error(t) != 0 &&
	    (tls_error(t) != BR_ERR_IO || r->state == HTTP_BODY))) {
		snprintf(err, errlen, "%s", tls_why(t, why, sizeof(why)));
		return -1;
	}
	if (http_resp_eof(r) == -1) {
		snprintf(err, errlen, "%s", r->err);
		return -1;
	}
	return 0;
}

/* get_loop: drive t until r is complete, the end, or the deadline. */
static int
get_loop(int fd, struct tls_conn *t, const char *req, size_t reqlen,
    int64_t deadline, struct http_resp *r, char *err, size_t errlen)
{
	struct pollfd pfd;
	size_t sent = 0;
	int64_t left;
	int rc;

	for (;;) {
		if (tls_handshake_done(t))
			get_send(t, req, reqlen, &sent);
		if ((rc = get_recv(t, r)) != 0)
			break;
		pfd.fd = fd;
		if ((pfd.events = tls_events(t)) == 0)
			return get_closed(t, r, err, errlen);
		if ((left = deadline - mono_ms()) <= 0) {
			snprintf(err, errlen, "no complete answer within the "
			    "time allowed");
			return -1;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (tls_io(t, pfd.revents) == -1 && (rc = get_recv(t, r)) == 0)
			return get_closed(t, r, err, errlen);
		if (rc != 0)
			break;
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s", r->err);
		return -1;
	}
	return 0;
}

int
https_get(int fd, const char *host, const char *path,
    const struct tls_anchors *anchors, int timeout_ms, struct http_resp *r,
    char *err, size_t errlen)
{
	struct tls_client_policy p;
	const char *names[1];
	struct tls_conn *t;
	char req[HTTPS_REQ_MAX];
	int n, rc;

	if (!request_ok(host, path) || (n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/plain\r\n"
	    "Connection: close\r\nUser-Agent: postern\r\n\r\n", path, host))
	    < 0 || (size_t)n >= sizeof(req)) {
		snprintf(err, errlen, "a malformed request for %s", host);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	names[0] = host;
	p.mode = TLS_VERIFY_CA;
	p.anchors = anchors;
	p.sni = host;
	p.names = names;
	p.nnames = 1;
	http_resp_init(r);
	if ((t = tls_conn_client(fd, &p)) == NULL) {
		snprintf(err, errlen, "cannot start TLS");
		return -1;
	}
	rc = get_loop(fd, t, req, (size_t)n, mono_ms() + timeout_ms, r, err,
	    errlen);
	tls_conn_free(t);
	return rc;
}

int
https_mtasts_fetch(int fd, const char *domain,
    const struct tls_anchors *anchors, int timeout_ms, struct http_resp *r,
    struct mtasts_policy *p, char *err, size_t errlen)
{
	char host[DNS_NAME_MAX + 1], why[256];
	int n;

	n = snprintf(host, sizeof(host), "mta-sts.%s", domain);
	if (n < 0 || (size_t)n >= sizeof(host)) {
		snprintf(err, errlen, "a domain name too long: %s", domain);
		return -1;
	}
	if (https_get(fd, host, "/.well-known/mta-sts.txt", anchors,
	    timeout_ms, r, err, errlen) == -1)
		return -1;
	if (mtasts_policy_parse(r->body, r->bodylen, p, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "the MTA-STS policy of %s: %s", domain,
		    why);
		return -1;
	}
	return 0;
}
