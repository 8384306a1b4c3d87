/*
 * relay_net.c: the relay's TCP connection (relay_net.h).  Runs in the
 * relay role; the addresses come from relay_mx.c (refused ones already
 * dropped), the bytes read are handed unparsed to the SMTP client engine.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "smtpd/relay_net.h"

/* relay_net_wait: poll fd for events until deadline; 0 ready, -1 with
 * errno (ETIMEDOUT). */
static int
relay_net_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		p.fd = fd;
		p.events = events;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n > 0)
			return 0;
	}
}

int
relay_net_connect(struct relay_net *n, const struct relay_addr *a, int port,
    int64_t timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl, el = sizeof(int);
	int fd, e = 0;

	memset(&ss, 0, sizeof(ss));
	n->fd = -1;
	n->tls = NULL;
	if (a->family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
		e = inet_pton(AF_INET6, a->text, &s6->sin6_addr) == 1 ? 0 : 1;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
		e = inet_pton(AF_INET, a->text, &s4->sin_addr) == 1 ? 0 : 1;
	}
	if (e) {
		(void)snprintf(err, errlen, "not a numeric address");
		return -1;
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		(void)snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Without it Nagle holds the TLS client's Finished and the final
	 * "." for the server's delayed ACK: two 40 ms stalls per session. */
	e = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &e, sizeof(e));
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		if (relay_net_wait(fd, POLLOUT, mono_ms() + timeout_ms) ==
		    -1) {
			e = errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
		if (e != 0)
			goto fail;
	}
	n->fd = fd;
	return 0;
fail:
	(void)snprintf(err, errlen, "%s", e == ETIMEDOUT ?
	    "connection timed out" : strerror(e));
	(void)close(fd);
	return -1;
}

ssize_t
relay_net_read(struct relay_net *n, void *buf, size_t len,
    int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	ssize_t r;

	if (n->tls != NULL)
		return relay_tls_read(n->tls, buf, len, timeout_ms);
	for (;;) {
		if (relay_net_wait(n->fd, POLLIN, deadline) == -1)
			return -1;
		r = recv(n->fd, buf, len, MSG_DONTWAIT);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return r;
	}
}

int
relay_net_write(struct relay_net *n, const void *p, size_t len,
    int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	const char *s = p;
	ssize_t w;

	if (n->tls != NULL)
		return relay_tls_write(n->tls, p, len, timeout_ms);
	while (len > 0) {
		w = send(n->fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			if (relay_net_wait(n->fd, POLLOUT, deadline) == -1)
				return -1;
			continue;
		}
		if (w == -1)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

void
relay_net_close(struct relay_net *n)
{
	if (n->tls != NULL) {
		relay_tls_end(n->tls);
		n->tls = NULL;
	}
	if (n->fd != -1)
		(void)close(n->fd);
	n->fd = -1;
}
