/*
 * relay_tls.c: relay_tls.h on common/tls.h's client (BearSSL): the
 * handshake, reads and writes made blocking with poll(2) and a timeout.
 * Runs in the relay role; the server's bytes are parsed by BearSSL, and
 * its certificate checked by tls_conn_client's policy.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "common/tls.h"
#include "common/util.h"
#include "smtpd/relay_tls.h"

struct relay_tls {
	struct tls_conn	*conn;
	int		 fd;
};

void *
relay_tls_anchors_load(const char *pem_file, char *err, size_t errlen)
{
	return tls_anchors_load(pem_file, err, errlen);
}

/* relay_tls_pump: wait for the socket as the engine asks, then let it
 * read and write; 0, or -1 (ETIMEDOUT, or EIO once it is closed). */
static int
relay_tls_pump(struct relay_tls *t, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	pfd.fd = t->fd;
	pfd.events = tls_events(t->conn);
	if (pfd.events == 0) {
		errno = EIO;
		return -1;
	}
	left = deadline - mono_ms();
	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	if (n == -1 && errno == EINTR)
		return 0;
	if (n == -1)
		return -1;
	if (n == 0)
		return 0;
	if (tls_io(t->conn, pfd.revents) == -1) {
		errno = EIO;
		return -1;
	}
	return 0;
}

struct relay_tls *
relay_tls_start(int fd, const struct relay_tls_req *r, int64_t timeout_ms,
    char *err, size_t errlen)
{
	static struct relay_tls t;
	struct tls_client_policy p;
	int64_t deadline = mono_ms() + timeout_ms;
	char why[160];

	memset(&p, 0, sizeof(p));
	p.mode = r->mode == RELAY_VERIFY_DANE ? TLS_VERIFY_DANE :
	    r->mode == RELAY_VERIFY_CA ? TLS_VERIFY_CA : TLS_VERIFY_NONE;
	p.anchors = r->anchors;
	p.sni = r->sni;
	p.names = r->names;
	p.nnames = r->nnames;
	p.tlsa = r->tlsa;
	p.ntlsa = r->ntlsa;
	t.fd = fd;
	if ((t.conn = tls_conn_client(fd, &p)) == NULL) {
		(void)snprintf(err, errlen, "the TLS client could not start");
		return NULL;
	}
	while (!tls_handshake_done(t.conn))
		if (relay_tls_pump(&t, deadline) == -1) {
			(void)snprintf(err, errlen, "%s", errno == ETIMEDOUT ?
			    "timeout in the TLS handshake" :
			    tls_why(t.conn, why, sizeof(why)));
			tls_conn_free(t.conn);
			t.conn = NULL;
			return NULL;
		}
	return &t;
}

ssize_t
relay_tls_read(struct relay_tls *t, void *buf, size_t len,
    int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	unsigned char *p;
	size_t n;

	for (;;) {
		p = tls_read_buf(t->conn, &n);
		if (p != NULL && n > 0) {
			if (n > len)
				n = len;
			memcpy(buf, p, n);
			tls_read_ack(t->conn, n);
			return (ssize_t)n;
		}
		if (relay_tls_pump(t, deadline) == -1) {
			if (errno == EIO && tls_error(t->conn) == 0)
				return 0;
			return -1;
		}
	}
}

int
relay_tls_write(struct relay_tls *t, const void *p, size_t len,
    int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	const unsigned char *s = p;
	unsigned char *w;
	size_t room;

	while (len > 0) {
		w = tls_write_buf(t->conn, &room);
		if (w != NULL && room > 0) {
			if (room > len)
				room = len;
			memcpy(w, s, room);
			tls_write_ack(t->conn, room);
			s += room;
			len -= room;
			continue;
		}
		if (relay_tls_pump(t, deadline) == -1)
			return -1;
	}
	tls_flush(t->conn);
	while (tls_events(t->conn) & POLLOUT)
		if (relay_tls_pump(t, deadline) == -1)
			return -1;
	return 0;
}

int
relay_tls_verified(struct relay_tls *t)
{
	char how[64];

	return tls_peer_verified(t->conn, how, sizeof(how)) == 1;
}

void
relay_tls_describe(struct relay_tls *t, char *buf, size_t len)
{
	char how[128];
	unsigned v = tls_version(t->conn);
	const char *ver = v == 0x0304 ? "TLSv1.3" : v == 0x0303 ? "TLSv1.2" :
	    v == 0x0302 ? "TLSv1.1" : "TLS";
	int ok = tls_peer_verified(t->conn, how, sizeof(how)) == 1;

	(void)snprintf(buf, len, "%s %s %s%s%s%s", ver,
	    tls_suite_name(tls_suite(t->conn)), ok ? how : "unverified",
	    ok ? " verified" : " (", ok ? "" : how, ok ? "" : ")");
}

void
relay_tls_end(struct relay_tls *t)
{
	int64_t deadline;

	if (t == NULL || t->conn == NULL)
		return;
	deadline = mono_ms() + 1000;
	tls_close(t->conn);
	while (tls_events(t->conn) & POLLOUT)
		if (relay_tls_pump(t, deadline) == -1)
			break;
	tls_conn_free(t->conn);
	t->conn = NULL;
}
