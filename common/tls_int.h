/*
 * tls_int.h: internal to the TLS code: the connection object that the
 * server side (tls.c) and the client side (tls_client.c) share.  One
 * engine, server or client; the buffer interface of tls.h drives both
 * through the engine pointer.  Not for callers outside common/tls*.c.
 */
#ifndef POSTERN_TLS_INT_H
#define POSTERN_TLS_INT_H

#include <bearssl.h>

#include "common/tls.h"
#include "common/tls_verify.h"

#define TLS_SEED_BYTES	32

struct tls_policy {
	const br_ssl_server_policy_class *vtable;
	struct tls_conn	*t;
};

/* The client side of a connection (tls_conn_client): the certificate
 * check that the engine calls, and what it concluded. */
struct tls_client {
	br_ssl_client_context	 cc;
	struct tls_verify	 verify;
	const struct tls_client_policy *policy;
};

struct tls_conn {
	br_ssl_engine_context	*eng;		/* &sc.eng or &client->cc.eng */
	br_ssl_server_context	 sc;		/* server side only */
	struct tls_policy	 policy;
	const struct tls_chain	*chain;
	br_x509_certificate	 certs[TLS_MAX_CHAIN];
	size_t			 ncerts;
	int			 fd;
	int			 keyfd;
	int			 done;
	int			 dead;		/* socket error or EOF */
	int			 heard;		/* the peer sent a byte */
	unsigned char		 first;		/* and this was the first */
	struct tls_plain	*plain;		/* before STARTTLS, else NULL */
	struct tls_client	*client;	/* client side, else NULL */
	unsigned char		 iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* tls_plain_new: the buffers of a plaintext phase (NULL: no memory). */
struct tls_plain *tls_plain_new(void);

/* tls_client_start: seed and reset the client engine of t (tls_client.c);
 * 0, or -1 (logged). */
int	tls_client_start(struct tls_conn *t);

/* tls_alert_text: a TLS alert number in words, or NULL. */
const char *tls_alert_text(int alert);

/* tls_client_strerror: tls_error's code on a client connection in words
 * (the peer is the server; a refused certificate is said as the
 * certificate check saw it), written into buf and returned. */
const char *tls_client_strerror(struct tls_conn *t, int err, char *buf,
	    size_t len);

#endif
