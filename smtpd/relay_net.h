/*
 * relay_net.h: the relay's connection to a remote SMTP server: a TCP
 * connect bounded by a timeout, then blocking reads and writes bounded by
 * the SMTP client engine's timeouts, in plaintext or, after STARTTLS,
 * through relay_tls.h.  Runs in the relay role.
 */
#ifndef POSTERN_RELAY_NET_H
#define POSTERN_RELAY_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "smtpd/relay_mx.h"
#include "smtpd/relay_tls.h"

struct relay_net {
	int		 fd;
	struct relay_tls *tls;		/* NULL: plaintext */
};

/* relay_net_connect: a non-blocking TCP socket connected to a (numeric)
 * on port, by timeout_ms.  0 with n filled, or -1 with the reason in
 * err ("connection refused", "timeout"...). */
int	relay_net_connect(struct relay_net *n, const struct relay_addr *a,
	    int port, int64_t timeout_ms, char *err, size_t errlen);

/* relay_net_read: up to len bytes: >0, 0 at the end of the connection,
 * -1 (errno ETIMEDOUT after timeout_ms, or the socket's). */
ssize_t	relay_net_read(struct relay_net *n, void *buf, size_t len,
	    int64_t timeout_ms);
/* relay_net_write: all of p by timeout_ms: 0, or -1 with errno. */
int	relay_net_write(struct relay_net *n, const void *p, size_t len,
	    int64_t timeout_ms);

/* relay_net_close: end TLS (if any) and close the socket. */
void	relay_net_close(struct relay_net *n);

#endif
