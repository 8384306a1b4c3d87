/*
 * queueproto.c: the codecs of the queue's protocols (queueproto.h).
 * Runs in the queue, the broker, authctl and the deliver role; every
 * decoder treats the frame as hostile: each field bounded, no NUL in a
 * string, no trailing byte, no unknown bit.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "smtpd/queueproto.h"

int
queueproto_id_valid(const char *id)
{
	size_t i;

	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[QUEUE_ID_LEN] == '\0';
}

int
queueproto_env_encode(struct frame *f, const struct queue_env *e)
{
	frame_init(f, MSG_QUEUE_ENV);
	frame_add_str(f, e->sender);
	frame_add_u32(f, e->body);
	frame_add_u32(f, e->flags);
	frame_add_str(f, e->envid);
	frame_add_str(f, e->helo);
	frame_add_str(f, e->address);
	frame_add_str(f, e->auth_user);
	frame_add_str(f, e->tls);
	frame_add_str(f, e->proto);
	frame_add_str(f, e->session);
	frame_add_u32(f, e->port);
	frame_add_u32(f, e->received_addr);
	return frame_finish(f);
}

int
queueproto_env_decode(struct frame *f, struct queue_env *e)
{
	if (frame_get_str(f, e->sender, sizeof(e->sender)) == -1 ||
	    frame_get_u32(f, &e->body) == -1 ||
	    frame_get_u32(f, &e->flags) == -1 ||
	    frame_get_str(f, e->envid, sizeof(e->envid)) == -1 ||
	    frame_get_str(f, e->helo, sizeof(e->helo)) == -1 ||
	    frame_get_str(f, e->address, sizeof(e->address)) == -1 ||
	    frame_get_str(f, e->auth_user, sizeof(e->auth_user)) == -1 ||
	    frame_get_str(f, e->tls, sizeof(e->tls)) == -1 ||
	    frame_get_str(f, e->proto, sizeof(e->proto)) == -1 ||
	    frame_get_str(f, e->session, sizeof(e->session)) == -1 ||
	    frame_get_u32(f, &e->port) == -1 ||
	    frame_get_u32(f, &e->received_addr) == -1 || frame_end(f) == -1)
		return -1;
	if (e->body > QUEUE_BODY_BINARYMIME || (e->flags & ~QUEUE_F_ALL) ||
	    e->port > 65535 || e->received_addr > 1)
		return -1;
	return 0;
}

int
queueproto_rcpt_encode(struct frame *f, const struct queue_rcpt *r)
{
	frame_init(f, MSG_QUEUE_RCPT);
	frame_add_str(f, r->address);
	frame_add_str(f, r->orcpt);
	frame_add_u32(f, r->notify);
	frame_add_u32(f, r->local);
	frame_add_str(f, r->dest);
	return frame_finish(f);
}

int
queueproto_rcpt_decode(struct frame *f, struct queue_rcpt *r)
{
	if (frame_get_str(f, r->address, sizeof(r->address)) == -1 ||
	    frame_get_str(f, r->orcpt, sizeof(r->orcpt)) == -1 ||
	    frame_get_u32(f, &r->notify) == -1 ||
	    frame_get_u32(f, &r->local) == -1 ||
	    frame_get_str(f, r->dest, sizeof(r->dest)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if ((r->notify & ~QUEUE_NOTIFY_ALL) || r->local > 1 ||
	    r->dest[0] == '\0')
		return -1;
	return 0;
}

int
queueproto_data_encode(struct frame *f, const void *p, size_t len)
{
	if (len == 0 || len > QUEUE_DATA_MAX)
		return -1;
	frame_init(f, MSG_QUEUE_DATA);
	frame_add_bytes(f, p, len);
	return frame_finish(f);
}

int
queueproto_data_decode(struct frame *f, const uint8_t **p, size_t *len)
{
	if (frame_get_bytes(f, p, len) == -1 || frame_end(f) == -1 ||
	    *len == 0 || *len > QUEUE_DATA_MAX)
		return -1;
	return 0;
}

int
queueproto_empty_encode(struct frame *f, uint8_t type)
{
	frame_init(f, type);
	return frame_finish(f);
}

int
queueproto_empty_decode(struct frame *f)
{
	return frame_end(f);
}

int
queueproto_result_encode(struct frame *f, uint8_t type, uint32_t status,
    const char *text)
{
	frame_init(f, type);
	frame_add_u32(f, status);
	frame_add_str(f, text);
	return frame_finish(f);
}

int
queueproto_result_decode(struct frame *f, uint32_t max, uint32_t *status,
    char *text, size_t textlen)
{
	if (frame_get_u32(f, status) == -1 ||
	    frame_get_str(f, text, textlen) == -1 || frame_end(f) == -1 ||
	    *status > max)
		return -1;
	return 0;
}

int
queueproto_room_encode(struct frame *f, const struct queue_room *r)
{
	frame_init(f, MSG_QUEUE_ROOM);
	frame_add_str(f, r->user);
	frame_add_u64(f, r->quota);
	frame_add_u64(f, r->size);
	return frame_finish(f);
}

int
queueproto_room_decode(struct frame *f, struct queue_room *r)
{
	if (frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_u64(f, &r->quota) == -1 ||
	    frame_get_u64(f, &r->size) == -1 || frame_end(f) == -1 ||
	    r->user[0] == '\0')
		return -1;
	return 0;
}

/* queueproto_id_ok: "" or a queue id. */
static int
queueproto_id_ok(const char *id)
{
	return id[0] == '\0' || queueproto_id_valid(id);
}

int
queueproto_page_req_encode(struct frame *f, uint8_t type, const char *id,
    uint32_t offset)
{
	frame_init(f, type);
	frame_add_str(f, id);
	frame_add_u32(f, offset);
	return frame_finish(f);
}

int
queueproto_page_req_decode(struct frame *f, char *id, size_t idlen,
    uint32_t *offset)
{
	if (frame_get_str(f, id, idlen) == -1 ||
	    frame_get_u32(f, offset) == -1 || frame_end(f) == -1 ||
	    !queueproto_id_ok(id))
		return -1;
	return 0;
}

int
queueproto_page_ans_encode(struct frame *f, uint8_t type, uint32_t status,
    uint32_t total, const void *p, size_t len)
{
	if (len > QUEUE_DATA_MAX)
		return -1;
	frame_init(f, type);
	frame_add_u32(f, status);
	frame_add_u32(f, total);
	frame_add_bytes(f, p, len);
	return frame_finish(f);
}

int
queueproto_page_ans_decode(struct frame *f, uint32_t *status,
    uint32_t *total, const uint8_t **p, size_t *len)
{
	if (frame_get_u32(f, status) == -1 || frame_get_u32(f, total) == -1 ||
	    frame_get_bytes(f, p, len) == -1 || frame_end(f) == -1 ||
	    *status > QUEUE_NOTFOUND || *len > *total)
		return -1;
	return 0;
}

int
queueproto_id_encode(struct frame *f, uint8_t type, const char *id)
{
	frame_init(f, type);
	frame_add_str(f, id);
	return frame_finish(f);
}

int
queueproto_id_decode(struct frame *f, char *id, size_t idlen)
{
	if (frame_get_str(f, id, idlen) == -1 || frame_end(f) == -1 ||
	    !queueproto_id_ok(id))
		return -1;
	return 0;
}

int
queueproto_deliver_encode(struct frame *f, const struct deliver_req *r)
{
	frame_init(f, MSG_DELIVER_MSG);
	frame_add_str(f, r->key);
	frame_add_str(f, r->user);
	frame_add_str(f, r->sender);
	frame_add_str(f, r->rcpt);
	frame_add_u32(f, r->recovering);
	frame_add_u64(f, r->size);
	frame_add_str(f, r->authres);
	frame_add_u32(f, r->junk);
	return frame_finish(f);
}

int
queueproto_deliver_decode(struct frame *f, struct deliver_req *r)
{
	if (frame_get_str(f, r->key, sizeof(r->key)) == -1 ||
	    frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_str(f, r->sender, sizeof(r->sender)) == -1 ||
	    frame_get_str(f, r->rcpt, sizeof(r->rcpt)) == -1 ||
	    frame_get_u32(f, &r->recovering) == -1 ||
	    frame_get_u64(f, &r->size) == -1 ||
	    frame_get_str(f, r->authres, sizeof(r->authres)) == -1 ||
	    frame_get_u32(f, &r->junk) == -1 || frame_end(f) == -1 ||
	    r->recovering > 1 || r->key[0] == '\0' || r->user[0] == '\0' ||
	    r->junk > 1 ||
	    (r->authres[0] != '\0' && !queueproto_authres_valid(r->authres)))
		return -1;
	return 0;
}

int
queueproto_authres_valid(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == ' ')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return i < QUEUE_AUTHRES_MAX;
}

int
queueproto_authres_field(char *out, size_t outlen, const char *value,
    int crlf)
{
	static const char name[] = "Authentication-Results: ";
	size_t o = 0, line = sizeof(name) - 1, i;
	int quoted = 0, escaped = 0, depth = 0, fold;
	char c;

	if (outlen < sizeof(name))
		return -1;
	memcpy(out, name, sizeof(name) - 1);
	o = sizeof(name) - 1;
	for (i = 0; value[i] != '\0'; i++) {
		c = value[i];
		fold = 0;
		if (escaped)
			escaped = 0;
		else if (c == '\\' && (quoted || depth > 0))
			escaped = 1;
		else if (c == '"' && depth == 0)
			quoted = !quoted;
		else if (c == '(' && !quoted)
			depth++;
		else if (c == ')' && !quoted && depth > 0)
			depth--;
		else if (c == ' ' && !quoted && depth == 0 && i > 0 &&
		    value[i - 1] == ';')
			fold = 1;
		else if (c == ' ' && line > 900)
			fold = 1;
		/* A fold is "\r\n\t" for the blank: two bytes more. */
		if (o + 4 >= outlen)
			return -1;
		if (fold) {
			if (crlf)
				out[o++] = '\r';
			out[o++] = '\n';
			out[o++] = '\t';
			line = 1;
			continue;
		}
		out[o++] = c;
		line++;
	}
	if (o + 3 > outlen)
		return -1;
	if (crlf)
		out[o++] = '\r';
	out[o++] = '\n';
	out[o] = '\0';
	return 0;
}

int
queueproto_checks_encode(struct frame *f, const struct queue_checks *c)
{
	frame_init(f, MSG_QUEUE_CHECKS);
	frame_add_str(f, c->authres);
	frame_add_u32(f, c->junk);
	return frame_finish(f);
}

int
queueproto_checks_decode(struct frame *f, struct queue_checks *c)
{
	if (frame_get_str(f, c->authres, sizeof(c->authres)) == -1 ||
	    frame_get_u32(f, &c->junk) == -1 || frame_end(f) == -1 ||
	    c->junk > 1 || !queueproto_authres_valid(c->authres))
		return -1;
	return 0;
}

int
queueproto_droom_encode(struct frame *f, const char *user, uint64_t quota,
    uint64_t size)
{
	frame_init(f, MSG_DELIVER_ROOM);
	frame_add_str(f, user);
	frame_add_u64(f, quota);
	frame_add_u64(f, size);
	return frame_finish(f);
}

int
queueproto_droom_decode(struct frame *f, char *user, size_t userlen,
    uint64_t *quota, uint64_t *size)
{
	if (frame_get_str(f, user, userlen) == -1 ||
	    frame_get_u64(f, quota) == -1 ||
	    frame_get_u64(f, size) == -1 || frame_end(f) == -1 ||
	    user[0] == '\0')
		return -1;
	return 0;
}

int
queueproto_send_fd(int sock, const struct frame *f, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)f->buf;
	iov.iov_len = f->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n < f->len)
		return write_all(sock, f->buf + n, f->len - (size_t)n);
	return 0;
}

/* queueproto_recv_some: one recvmsg into p, taking a descriptor. */
static ssize_t
queueproto_recv_some(int sock, uint8_t *p, size_t len, int *fdp)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	ssize_t n;
	int fd;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		if (c->cmsg_len != CMSG_LEN(sizeof(int)) || *fdp != -1) {
			errno = EPROTO;
			return -1;
		}
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		*fdp = fd;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		errno = EPROTO;
		return -1;
	}
	return n;
}

int
queueproto_recv_fd(int sock, struct frame *f, int *fdp, int64_t deadline)
{
	size_t off = 0, want = FRAME_HDR;
	long total;
	ssize_t n;

	*fdp = -1;
	while (off < want) {
		if (frame_read_wait(sock, deadline) == -1)
			goto fail;
		n = queueproto_recv_some(sock, f->buf + off, want - off, fdp);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
		if (off == FRAME_HDR && want == FRAME_HDR) {
			total = frame_complete(f->buf, FRAME_MAX);
			if (total <= 0) {
				errno = EPROTO;
				goto fail;
			}
			want = (size_t)total;
		}
	}
	f->len = want;
	f->pos = FRAME_HDR + 1;
	f->error = 0;
	f->type = f->buf[FRAME_HDR];
	return 0;
fail:
	if (*fdp != -1) {
		n = errno;
		(void)close(*fdp);
		errno = (int)n;
		*fdp = -1;
	}
	return -1;
}
