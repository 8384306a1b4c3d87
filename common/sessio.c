/*
 * sessio.c: a session engine's output and waits (see sessio.h).  Runs
 * in the mail process of pop3d and imapd.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/sessio.h"
#include "common/util.h"

void
sessio_init(struct sessio *io, int fd, int endfd, char *buf, size_t size)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->endfd = endfd;
	io->buf = buf;
	io->size = size;
}

int
sessio_wait(struct sessio *io, short events, int timeout_ms, int *ready)
{
	struct pollfd pfd[2];
	int n;

	pfd[0].fd = io->fd;
	pfd[0].events = events;
	pfd[0].revents = 0;
	pfd[1].fd = io->endfd;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	*ready = 0;
	for (;;) {
		n = poll(pfd, io->endfd == -1 ? 1 : 2, timeout_ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("cannot wait for the client");
			io->ioerr = 1;
			return -1;
		}
		if (pfd[1].revents != 0) {
			io->ended = 1;
			return -1;
		}
		*ready = pfd[0].revents != 0;
		return 0;
	}
}

int
sessio_check(struct sessio *io)
{
	struct pollfd pfd[2];

	if (io->ioerr || io->ended)
		return -1;
	pfd[0].fd = io->fd;
	pfd[0].events = 0;		/* hang-ups and errors only */
	pfd[1].fd = io->endfd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	if (poll(pfd, io->endfd == -1 ? 1 : 2, 0) > 0) {
		if (pfd[1].revents != 0)
			io->ended = 1;
		else if (pfd[0].revents & (POLLHUP | POLLERR))
			io->ioerr = 1;
		if (io->ioerr || io->ended)
			return -1;
	}
	if (io->len > 0 && mono_ms() - io->since >= SESSIO_HOLD_MS)
		return sessio_flush(io);
	return 0;
}

int
sessio_flush(struct sessio *io)
{
	size_t off = 0;
	ssize_t n;
	int ready;

	while (off < io->len && !io->ioerr && !io->ended) {
		if (sessio_wait(io, POLLOUT, -1, &ready) == -1)
			break;
		n = send(io->fd, io->buf + off, io->len - off, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("cannot send to the net process");
			io->ioerr = 1;
			break;
		}
		off += (size_t)n;
	}
	io->len = 0;
	return io->ioerr || io->ended ? -1 : 0;
}

void
sessio_put(struct sessio *io, const char *p, size_t n)
{
	size_t k;

	while (n > 0 && !io->ioerr && !io->ended) {
		if (io->len == io->size && sessio_flush(io) == -1)
			return;
		if (io->len == 0)
			io->since = mono_ms();
		k = io->size - io->len;
		if (k > n)
			k = n;
		memcpy(io->buf + io->len, p, k);
		io->len += k;
		p += k;
		n -= k;
	}
}

void
sessio_vprintf(struct sessio *io, const char *fmt, va_list ap)
{
	char buf[4096];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fatalx("internal error: a response part too long");
	sessio_put(io, buf, (size_t)n);
}

void
sessio_printf(struct sessio *io, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sessio_vprintf(io, fmt, ap);
	va_end(ap);
}
