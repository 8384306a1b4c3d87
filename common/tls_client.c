/*
 * tls_client.c: the client side of TLS on BearSSL (tls.h): one client
 * engine per outbound connection of the relay (SMTP after STARTTLS, the
 * MTA-STS policy fetch), restricted to TLS 1.2 and the suites tls.h
 * lists per policy, with the server's certificate judged by our X.509
 * check (tls_verify.c).  The buffer interface is tls.c's.  Runs in the
 * relay processes; every byte from the server is hostile and parsed by
 * BearSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "common/log.h"
#include "common/tls.h"
#include "common/tls_int.h"
#include "common/util.h"

/* Verified policies: the server side's ECDHE + AEAD suites, then ECDHE
 * with AES-CBC and a SHA-2 MAC (forward secrecy kept). */
static const uint16_t client_suites_strong[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
};

/* Opportunistic: the same, then what older MTAs offer in TLS 1.2 (the
 * alternative is plaintext): ECDHE with AES-CBC-SHA1, and the RSA key
 * exchange (no forward secrecy) with AES-GCM and AES-CBC. */
static const uint16_t client_suites_any[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
};

#define NSUITES(a)	(sizeof(a) / sizeof((a)[0]))

/* client_alloc: a client connection on fd with policy p, not started;
 * with plain, in its plaintext phase (tls_conn_client_plain). */
static struct tls_conn *
client_alloc(int fd, const struct tls_client_policy *p, int plain)
{
	struct tls_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->client = calloc(1, sizeof(*t->client))) == NULL ||
	    (plain && (t->plain = tls_plain_new()) == NULL)) {
		log_warn("out of memory for a TLS connection");
		if (t != NULL)
			free(t->client);
		free(t);
		return NULL;
	}
	t->fd = fd;
	t->keyfd = -1;
	t->client->policy = p;
	/* Only the buffer interface of a plaintext phase needs it now. */
	t->eng = &t->client->cc.eng;
	return t;
}

int
tls_client_start(struct tls_conn *t)
{
	struct tls_client *c = t->client;
	const struct tls_client_policy *p = c->policy;
	unsigned char seed[TLS_SEED_BYTES];
	br_ssl_engine_context *eng = &c->cc.eng;

	/* Every implementation BearSSL has; then only what we allow. */
	br_ssl_client_init_full(&c->cc, &c->verify.chain, NULL, 0);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	if (p->mode == TLS_VERIFY_NONE)
		br_ssl_engine_set_suites(eng, client_suites_any,
		    NSUITES(client_suites_any));
	else
		br_ssl_engine_set_suites(eng, client_suites_strong,
		    NSUITES(client_suites_strong));
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	tls_verify_init(&c->verify, p);
	br_ssl_engine_set_x509(eng, &c->verify.vtable);
	br_ssl_engine_set_buffer(eng, t->iobuf, sizeof(t->iobuf), 1);
	random_bytes(seed, sizeof(seed));
	br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_client_reset(&c->cc, p->sni, 0)) {
		log_warnx("cannot start TLS to %s (BearSSL error %d)",
		    p->sni != NULL ? p->sni : "a server",
		    br_ssl_engine_last_error(eng));
		return -1;
	}
	return 0;
}

struct tls_conn *
tls_conn_client(int fd, const struct tls_client_policy *p)
{
	struct tls_conn *t;

	if ((t = client_alloc(fd, p, 0)) == NULL)
		return NULL;
	if (tls_client_start(t) == -1) {
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

struct tls_conn *
tls_conn_client_plain(int fd, const struct tls_client_policy *p)
{
	return client_alloc(fd, p, 1);
}

int
tls_peer_verified(struct tls_conn *t, char *how, size_t howlen)
{
	if (t->client == NULL) {
		snprintf(how, howlen, "not a client connection");
		return -1;
	}
	snprintf(how, howlen, "%s", t->client->verify.how);
	return t->client->verify.verified;
}

/* client_engine_why: the engine's own errors, said of the server. */
static const char *
client_engine_why(int err)
{
	switch (err) {
	case BR_ERR_UNSUPPORTED_VERSION:
		return "the server does not speak TLS 1.2";
	case BR_ERR_BAD_VERSION:
	case BR_ERR_BAD_LENGTH:
	case BR_ERR_UNKNOWN_TYPE:
	case BR_ERR_TOO_LARGE:
		return "the server sent something that is not TLS";
	case BR_ERR_BAD_MAC:
		return "a record from the server failed its integrity check";
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_INVALID_ALGORITHM:
		return "the server chose a cipher suite or signature "
		    "algorithm we did not offer";
	case BR_ERR_BAD_SIGNATURE:
		return "the server's key exchange signature did not verify";
	case BR_ERR_WRONG_KEY_USAGE:
		return "the server's certificate key usage forbids this key "
		    "exchange";
	case BR_ERR_BAD_FINISHED:
		return "the server's Finished message did not verify";
	case BR_ERR_IO:
		return "the server closed or reset the connection without a "
		    "TLS close_notify";
	case BR_ERR_UNEXPECTED:
	case BR_ERR_BAD_CCS:
	case BR_ERR_BAD_ALERT:
	case BR_ERR_BAD_HANDSHAKE:
	case BR_ERR_OVERSIZED_ID:
	case BR_ERR_BAD_COMPRESSION:
	case BR_ERR_BAD_FRAGLEN:
	case BR_ERR_BAD_SECRENEG:
	case BR_ERR_EXTRA_EXTENSION:
	case BR_ERR_BAD_SNI:
	case BR_ERR_BAD_HELLO_DONE:
	case BR_ERR_LIMIT_EXCEEDED:
	case BR_ERR_RESUME_MISMATCH:
		return "the server sent a malformed or unexpected handshake "
		    "message";
	}
	return NULL;
}

const char *
tls_client_strerror(struct tls_conn *t, int err, char *buf, size_t len)
{
	const char *text;

	if (err >= BR_ERR_SEND_FATAL_ALERT) {
		text = tls_alert_text(err - BR_ERR_SEND_FATAL_ALERT);
		snprintf(buf, len, "we sent the server the fatal alert %d (%s)",
		    err - BR_ERR_SEND_FATAL_ALERT, text ? text : "unknown");
	} else if (err >= BR_ERR_RECV_FATAL_ALERT) {
		text = tls_alert_text(err - BR_ERR_RECV_FATAL_ALERT);
		snprintf(buf, len, "the server sent the fatal alert %d (%s)",
		    err - BR_ERR_RECV_FATAL_ALERT, text ? text : "unknown");
	} else if (err > BR_ERR_X509_OK && err <= BR_ERR_X509_NOT_TRUSTED)
		snprintf(buf, len, "the server's certificate was refused: %s",
		    t->client->verify.how);
	else if ((text = client_engine_why(err)) != NULL)
		snprintf(buf, len, "%s", text);
	else
		tls_strerror(err, buf, len);
	return buf;
}
