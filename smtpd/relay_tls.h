/*
 * relay_tls.h: the relay's TLS client, as the relay uses it: a blocking
 * handshake on a connected socket after STARTTLS's 220, then blocking
 * reads and writes with a timeout, and what the handshake showed (the
 * protocol, the suite, whether and how the server's certificate was
 * verified).  Runs in the relay role.
 *
 * The implementation is a thin layer over common/tls.h's client
 * (tls_conn_client, tls_peer_verified; BearSSL).
 */
#ifndef POSTERN_RELAY_TLS_H
#define POSTERN_RELAY_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/dnsrr.h"

/* relay_tls_anchors_load: the CA bundle pem_file, before the chroot;
 * an opaque handle, or NULL with the reason in err. */
void	*relay_tls_anchors_load(const char *pem_file, char *err,
	    size_t errlen);

enum relay_tls_mode {
	RELAY_VERIFY_NONE,	/* opportunistic: check, record, go on */
	RELAY_VERIFY_CA,	/* a chain to anchors, one of names */
	RELAY_VERIFY_DANE	/* one of the TLSA records matches */
};

struct relay_tls_req {
	enum relay_tls_mode	 mode;
	const void		*anchors;	/* relay_tls_anchors_load's */
	const char		*sni;		/* the host name */
	const char *const	*names;
	size_t			 nnames;
	const struct dnsrr_tlsa	*tlsa;
	size_t			 ntlsa;
};

struct relay_tls;

/*
 * relay_tls_start: the handshake on fd (connected; STARTTLS was
 * answered 220), by timeout_ms.  r and what it points to MUST outlive
 * the connection.  The connection, or NULL with the reason in err (a
 * certificate that fails a CA or DANE check fails the handshake).
 */
struct relay_tls *relay_tls_start(int fd, const struct relay_tls_req *r,
	    int64_t timeout_ms, char *err, size_t errlen);

/* relay_tls_read: up to len bytes of plaintext; >0, 0 at the end of the
 * connection, -1 (errno ETIMEDOUT after timeout_ms, else EIO). */
ssize_t	relay_tls_read(struct relay_tls *t, void *buf, size_t len,
	    int64_t timeout_ms);
/* relay_tls_write: all of p, by timeout_ms; 0 or -1 (errno as above). */
int	relay_tls_write(struct relay_tls *t, const void *p, size_t len,
	    int64_t timeout_ms);

/* relay_tls_describe: "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 CA verified"
 * or "... unverified (self-signed)", printable ASCII, into buf. */
void	relay_tls_describe(struct relay_tls *t, char *buf, size_t len);
/* relay_tls_verified: 1 when the certificate verified, else 0. */
int	relay_tls_verified(struct relay_tls *t);

/* relay_tls_end: close_notify (best effort, short wait) and free; the
 * socket stays open.  NULL is fine. */
void	relay_tls_end(struct relay_tls *t);

#endif
