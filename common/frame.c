/*
 * frame.c: length-prefixed typed frames for UNIX sockets (see frame.h).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/util.h"

void
frame_init(struct frame *f, uint8_t type)
{
	f->len = FRAME_HDR + 1;
	f->pos = 0;
	f->error = 0;
	f->type = type;
	f->buf[FRAME_HDR] = type;
}

static void
frame_put(struct frame *f, const void *p, size_t n)
{
	if (f->error || n > FRAME_MAX - f->len) {
		f->error = 1;
		return;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
}

void
frame_add_u32(struct frame *f, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	frame_put(f, b, sizeof(b));
}

void
frame_add_u64(struct frame *f, uint64_t v)
{
	frame_add_u32(f, (uint32_t)(v >> 32));
	frame_add_u32(f, (uint32_t)v);
}

void
frame_add_bytes(struct frame *f, const void *p, size_t len)
{
	uint8_t b[2] = { len >> 8, len };

	if (len > 0xffff || len + 2 > FRAME_MAX - f->len) {
		f->error = 1;
		return;
	}
	frame_put(f, b, sizeof(b));
	frame_put(f, p, len);
}

void
frame_add_str(struct frame *f, const char *s)
{
	frame_add_bytes(f, s, strlen(s));
}

int
frame_finish(struct frame *f)
{
	size_t n = f->len - FRAME_HDR;

	if (f->error)
		return -1;
	f->buf[0] = n >> 24;
	f->buf[1] = n >> 16;
	f->buf[2] = n >> 8;
	f->buf[3] = n;
	return 0;
}

long
frame_complete(const uint8_t *buf, size_t len)
{
	uint32_t n;

	if (len < FRAME_HDR)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > FRAME_MAX - FRAME_HDR)
		return -1;
	if (len < FRAME_HDR + n)
		return 0;
	return (long)(FRAME_HDR + n);
}

int
frame_parse(struct frame *f, const uint8_t *buf, size_t len)
{
	if (len < FRAME_HDR + 1 || len > FRAME_MAX ||
	    frame_complete(buf, len) != (long)len)
		return -1;
	memcpy(f->buf, buf, len);
	f->len = len;
	f->pos = FRAME_HDR + 1;
	f->error = 0;
	f->type = buf[FRAME_HDR];
	return 0;
}

int
frame_get_u32(struct frame *f, uint32_t *v)
{
	const uint8_t *b = f->buf + f->pos;

	if (f->len - f->pos < 4)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	f->pos += 4;
	return 0;
}

int
frame_get_u64(struct frame *f, uint64_t *v)
{
	uint32_t hi, lo;

	if (frame_get_u32(f, &hi) == -1 || frame_get_u32(f, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
frame_get_bytes(struct frame *f, const uint8_t **p, size_t *len)
{
	size_t n;

	if (f->len - f->pos < 2)
		return -1;
	n = (size_t)f->buf[f->pos] << 8 | f->buf[f->pos + 1];
	if (f->len - f->pos - 2 < n)
		return -1;
	*p = f->buf + f->pos + 2;
	*len = n;
	f->pos += 2 + n;
	return 0;
}

int
frame_get_str(struct frame *f, char *out, size_t outlen)
{
	const uint8_t *p;
	size_t n;
	size_t save = f->pos;

	if (frame_get_bytes(f, &p, &n) == -1)
		return -1;
	if (n >= outlen || memchr(p, '\0', n) != NULL) {
		f->pos = save;
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
frame_end(const struct frame *f)
{
	return f->pos == f->len ? 0 : -1;
}

void
frame_wipe(struct frame *f)
{
	explicit_bzero(f, sizeof(*f));
}

int
frame_write(int fd, const struct frame *f)
{
	size_t off = 0;
	ssize_t n;

	struct pollfd pfd = { fd, POLLOUT, 0 };

	while (off < f->len) {
		n = write(fd, f->buf + off, f->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		/* A non-blocking socket that is full: wait for room. */
		if (n == -1 && errno == EAGAIN && (poll(&pfd, 1, -1) >= 0 ||
		    errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
frame_read_wait(int fd, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = deadline == FRAME_FOREVER ? -1 : deadline - mono_ms();
		if (deadline != FRAME_FOREVER && left < 0)
			left = 0;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0 && left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
frame_read_exact(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if (frame_read_wait(fd, deadline) == -1)
			return -1;
		n = read(fd, p + off, len - off);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
frame_read(int fd, struct frame *f, int64_t deadline)
{
	long total;

	if (frame_read_exact(fd, f->buf, FRAME_HDR, deadline) == -1)
		return -1;
	total = frame_complete(f->buf, FRAME_MAX);
	if (total <= 0) {
		errno = EPROTO;
		return -1;
	}
	if (frame_read_exact(fd, f->buf + FRAME_HDR, total - FRAME_HDR,
	    deadline) == -1)
		return -1;
	f->len = (size_t)total;
	f->pos = FRAME_HDR + 1;
	f->error = 0;
	f->type = f->buf[FRAME_HDR];
	return 0;
}
