/*
 * tls.c: the server side of TLS on BearSSL (see tls.h), for the net
 * processes: one engine per connection, restricted to TLS 1.2 and the
 * ECDHE + AEAD suites, driven from the caller's poll loop.  The private
 * key is not here: our policy object picks the suite and the hash, lets
 * the engine hash the ServerKeyExchange, and has the keyholder sign it
 * (do_sign); it refuses every other key exchange (do_keyx).  Every byte
 * from the client is hostile and is parsed by BearSSL only.  The buffer
 * interface (tls_events, tls_io, tls_read_buf, ..., and the plaintext
 * phase before STARTTLS) drives the client engine of tls_client.c too,
 * through the connection's engine pointer (tls_int.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/keyholder.h"
#include "common/log.h"
#include "common/tls.h"
#include "common/tls_int.h"
#include "common/util.h"

#define TLS_SIG_MAX	512	/* RSA-4096 */
#define TLS_PLAIN_IN	4096	/* an SMTP command line and then some */
#define TLS_PLAIN_OUT	4096

static const char *tls_suite_name_client(uint16_t);

/* The plaintext phase of a STARTTLS listener: the same buffer interface
 * over the bare socket, until tls_starttls. */
struct tls_plain {
	unsigned char	in[TLS_PLAIN_IN];
	size_t		inlen;
	unsigned char	out[TLS_PLAIN_OUT];
	size_t		outlen;
	int		closing;	/* tls_close: send what is left, end */
	int		hold;		/* tls_plain_hold: read nothing more */
};

/* Server preference: AES-128-GCM (fast with AES-NI), then AES-256-GCM,
 * then ChaCha20-Poly1305.  Nothing else is ever offered. */
static const uint16_t tls_suites_ecdsa[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t tls_suites_rsa[] = {
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/* The hashes we sign with, preferred first; SHA-1 is never used. */
static const int tls_sign_hashes[] = { br_sha256_ID, br_sha384_ID,
    br_sha512_ID };

/* tls_suite_ok: an ECDHE suite for our key type with an AEAD cipher. */
static int
tls_suite_ok(uint16_t tr, int keyx)
{
	unsigned enc = (tr >> 8) & 0xF, mac = (tr >> 4) & 0xF;

	return (int)(tr >> 12) == keyx && mac == BR_SSLMAC_AEAD &&
	    (enc == BR_SSLENC_AES128_GCM || enc == BR_SSLENC_AES256_GCM ||
	    enc == BR_SSLENC_CHACHA20);
}

static int
tls_choose(const br_ssl_server_policy_class **pctx,
    const br_ssl_server_context *cc, br_ssl_server_choices *choices)
{
	const struct tls_conn *t = ((const struct tls_policy *)pctx)->t;
	const br_suite_translated *st;
	int keyx, shift;
	uint32_t hashes;
	size_t i, n;

	if (br_ssl_engine_get_version(&cc->eng) != BR_TLS12)
		return 0;
	keyx = t->chain->key_type == BR_KEYTYPE_EC ? BR_SSLKEYX_ECDHE_ECDSA :
	    BR_SSLKEYX_ECDHE_RSA;
	/* Server preference is enforced: st is in our order. */
	st = br_ssl_server_get_client_suites(cc, &n);
	for (i = 0; i < n && !tls_suite_ok(st[i][1], keyx); i++)
		;
	if (i == n)
		return 0;
	choices->cipher_suite = st[i][0];
	hashes = br_ssl_server_get_client_hashes(cc);
	shift = keyx == BR_SSLKEYX_ECDHE_ECDSA ? 8 : 0;
	for (n = 0; n < sizeof(tls_sign_hashes) / sizeof(tls_sign_hashes[0]);
	    n++) {
		if (hashes & (1U << (shift + tls_sign_hashes[n]))) {
			/* 0xFF00 + id: the engine hashes, do_sign signs. */
			choices->algo_id = 0xFF00 + tls_sign_hashes[n];
			choices->chain = t->certs;
			choices->chain_len = t->ncerts;
			return 1;
		}
	}
	return 0;
}

static uint32_t
tls_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
    size_t *len)
{
	return 0;
}

static size_t
tls_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
    unsigned char *data, size_t hv_len, size_t len)
{
	const struct tls_conn *t = ((const struct tls_policy *)pctx)->t;
	unsigned char sig[TLS_SIG_MAX];
	size_t n;

	if ((algo_id & 0xFF00) != 0xFF00)
		return 0;
	n = keyholder_sign(t->keyfd, (int)(algo_id & 0xFF), data, hv_len, sig,
	    sizeof(sig));
	if (n == 0 || n > len)
		return 0;
	memcpy(data, sig, n);
	return n;
}

static const br_ssl_server_policy_class tls_policy_vtable = {
	sizeof(struct tls_policy),
	tls_choose,
	tls_do_keyx,
	tls_do_sign,
};

/* tls_engine_setup: the engine with only what TLS 1.2 + ECDHE + AEAD
 * needs: no RSA key exchange, no CBC, no TLS 1.0 PRF, no SHA-1. */
static void
tls_engine_setup(struct tls_conn *t)
{
	br_ssl_engine_context *eng = &t->sc.eng;

	br_ssl_server_zero(&t->sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	if (t->chain->key_type == BR_KEYTYPE_EC)
		br_ssl_engine_set_suites(eng, tls_suites_ecdsa,
		    sizeof(tls_suites_ecdsa) / sizeof(tls_suites_ecdsa[0]));
	else
		br_ssl_engine_set_suites(eng, tls_suites_rsa,
		    sizeof(tls_suites_rsa) / sizeof(tls_suites_rsa[0]));
	br_ssl_engine_add_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES |
	    BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_ec(eng, br_ec_get_default());
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_buffer(eng, t->iobuf, sizeof(t->iobuf), 1);
	t->policy.vtable = &tls_policy_vtable;
	t->policy.t = t;
	br_ssl_server_set_policy(&t->sc, &t->policy.vtable);
}

/* tls_certs: point our certificate array into chain->der (see tls.h). */
static int
tls_certs(struct tls_conn *t, const struct tls_chain *chain)
{
	size_t i, off = 0;

	if (chain->ncerts == 0 || chain->ncerts > TLS_MAX_CHAIN ||
	    (chain->key_type != BR_KEYTYPE_EC &&
	    chain->key_type != BR_KEYTYPE_RSA))
		return -1;
	for (i = 0; i < chain->ncerts; i++) {
		if (chain->certs[i].data_len > sizeof(chain->der) - off)
			return -1;
		t->certs[i].data = (unsigned char *)chain->der + off;
		t->certs[i].data_len = chain->certs[i].data_len;
		off += chain->certs[i].data_len;
	}
	t->ncerts = chain->ncerts;
	return 0;
}

/* tls_start: seed and reset the engine of t for a handshake. */
static int
tls_start(struct tls_conn *t)
{
	unsigned char seed[TLS_SEED_BYTES];

	tls_engine_setup(t);
	/* Before the reset: the chroot has no /dev/urandom. */
	random_bytes(seed, sizeof(seed));
	br_ssl_engine_inject_entropy(t->eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_server_reset(&t->sc)) {
		log_warnx("cannot start the TLS engine (BearSSL error %d)",
		    br_ssl_engine_last_error(t->eng));
		return -1;
	}
	return 0;
}

/* tls_conn_alloc: a connection on fd with chain, not started. */
static struct tls_conn *
tls_conn_alloc(int fd, const struct tls_chain *chain, int keyfd)
{
	struct tls_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("out of memory for a TLS connection");
		return NULL;
	}
	t->eng = &t->sc.eng;
	t->fd = fd;
	t->keyfd = keyfd;
	t->chain = chain;
	if (tls_certs(t, chain) == -1) {
		log_warnx("no usable certificate chain");
		free(t);
		return NULL;
	}
	return t;
}

struct tls_conn *
tls_conn_new(int fd, const struct tls_chain *chain, int keyfd)
{
	struct tls_conn *t;

	if ((t = tls_conn_alloc(fd, chain, keyfd)) == NULL)
		return NULL;
	if (tls_start(t) == -1) {
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

struct tls_plain *
tls_plain_new(void)
{
	return calloc(1, sizeof(struct tls_plain));
}

struct tls_conn *
tls_conn_plain(int fd, const struct tls_chain *chain, int keyfd)
{
	struct tls_conn *t;

	if ((t = tls_conn_alloc(fd, chain, keyfd)) == NULL)
		return NULL;
	if ((t->plain = tls_plain_new()) == NULL) {
		log_warn("out of memory for a connection");
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

void
tls_plain_hold(struct tls_conn *t)
{
	if (t->plain != NULL)
		t->plain->hold = 1;
}

int
tls_starttls(struct tls_conn *t)
{
	if (t->plain == NULL || t->plain->outlen > 0)
		fatalx("internal error: STARTTLS with a TLS engine running "
		    "or plaintext unsent");
	explicit_bzero(t->plain, sizeof(*t->plain));
	free(t->plain);
	t->plain = NULL;
	t->heard = 0;
	return t->client != NULL ? tls_client_start(t) : tls_start(t);
}

int
tls_is_plain(struct tls_conn *t)
{
	return t->plain != NULL;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	if (t->plain != NULL) {
		explicit_bzero(t->plain, sizeof(*t->plain));
		free(t->plain);
	}
	if (t->client != NULL) {
		explicit_bzero(t->client, sizeof(*t->client));
		free(t->client);
	}
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/* tls_plain_send: 1 if bytes went out, 0 if the socket is full, -1. */
static int
tls_plain_send(struct tls_conn *t)
{
	struct tls_plain *p = t->plain;
	ssize_t n;

	n = send(t->fd, p->out, p->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	memmove(p->out, p->out + n, p->outlen - (size_t)n);
	p->outlen -= (size_t)n;
	return 1;
}

/* tls_plain_recv: 1 if bytes came in, 0 if none are there, -1 at EOF. */
static int
tls_plain_recv(struct tls_conn *t)
{
	struct tls_plain *p = t->plain;
	ssize_t n;

	n = recv(t->fd, p->in + p->inlen, sizeof(p->in) - p->inlen,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	t->heard = 1;
	p->inlen += (size_t)n;
	return 1;
}

/* tls_plain_events: what the plaintext phase waits for: room in its
 * input buffer, bytes to send; nothing once closed and sent. */
static short
tls_plain_events(struct tls_conn *t)
{
	struct tls_plain *p = t->plain;
	short ev = 0;

	if (t->dead)
		return 0;
	if (!p->closing && !p->hold && p->inlen < sizeof(p->in))
		ev |= POLLIN;
	if (p->outlen > 0)
		ev |= POLLOUT;
	return ev;
}

/* tls_plain_io: tls_io before STARTTLS. */
static int
tls_plain_io(struct tls_conn *t)
{
	struct tls_plain *p = t->plain;
	int sent = 0, got = 0;

	if (p->outlen > 0)
		sent = tls_plain_send(t);
	if (sent != -1 && !p->closing && !p->hold &&
	    p->inlen < sizeof(p->in))
		got = tls_plain_recv(t);
	if (sent == -1 || got == -1) {
		t->dead = 1;
		return -1;
	}
	return p->closing && p->outlen == 0 ? -1 : 0;
}

short
tls_events(struct tls_conn *t)
{
	unsigned st;
	short ev = 0;

	if (t->plain != NULL)
		return tls_plain_events(t);
	st = br_ssl_engine_current_state(t->eng);
	if (t->dead || (st & BR_SSL_CLOSED))
		return 0;
	if (st & BR_SSL_RECVREC)
		ev |= POLLIN;
	if (st & BR_SSL_SENDREC)
		ev |= POLLOUT;
	return ev;
}

/* tls_sendrec: 1 if records went out, 0 if the socket is full, -1. */
static int
tls_sendrec(struct tls_conn *t)
{
	unsigned char *buf;
	size_t len;
	ssize_t n;

	buf = br_ssl_engine_sendrec_buf(t->eng, &len);
	n = send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	br_ssl_engine_sendrec_ack(t->eng, (size_t)n);
	return 1;
}

/* tls_recvrec: 1 if bytes came in, 0 if none are there, -1 at EOF. */
static int
tls_recvrec(struct tls_conn *t)
{
	unsigned char *buf;
	size_t len;
	ssize_t n;

	buf = br_ssl_engine_recvrec_buf(t->eng, &len);
	n = recv(t->fd, buf, len, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	if (!t->heard)
		t->first = buf[0];
	t->heard = 1;
	/* May run the handshake, and do_sign with its bounded wait. */
	br_ssl_engine_recvrec_ack(t->eng, (size_t)n);
	return 1;
}

int
tls_io(struct tls_conn *t, short revents)
{
	br_ssl_engine_context *eng = t->eng;
	int sent, got;

	if (t->dead)
		return -1;
	if (t->plain != NULL)
		return tls_plain_io(t);
	do {
		sent = got = 0;
		if (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC)
			sent = tls_sendrec(t);
		if (sent != -1 &&
		    br_ssl_engine_current_state(eng) & BR_SSL_RECVREC)
			got = tls_recvrec(t);
		if (sent == -1 || got == -1) {
			/* The peer went away (without close_notify if the
			 * engine is still open: tls_error says BR_ERR_IO). */
			t->dead = 1;
			return -1;
		}
	} while (sent || got);
	tls_handshake_done(t);
	return br_ssl_engine_current_state(eng) & BR_SSL_CLOSED ? -1 : 0;
}

int
tls_handshake_done(struct tls_conn *t)
{
	unsigned st;

	if (t->plain != NULL)
		return 1;
	st = br_ssl_engine_current_state(t->eng);
	if (!t->done && !(st & BR_SSL_CLOSED) &&
	    (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		t->done = 1;
	return t->done;
}

unsigned char *
tls_read_buf(struct tls_conn *t, size_t *len)
{
	unsigned char *p;

	if (t->plain != NULL) {
		*len = t->plain->inlen;
		return *len > 0 ? t->plain->in : NULL;
	}
	p = br_ssl_engine_recvapp_buf(t->eng, len);

	if (p == NULL)
		*len = 0;
	return p;
}

void
tls_read_ack(struct tls_conn *t, size_t n)
{
	struct tls_plain *p = t->plain;

	if (p != NULL) {
		if (n > p->inlen)
			fatalx("internal error: %zu bytes are not there", n);
		memmove(p->in, p->in + n, p->inlen - n);
		p->inlen -= n;
		return;
	}
	br_ssl_engine_recvapp_ack(t->eng, n);
}

void
tls_read_wipe(struct tls_conn *t, size_t n)
{
	unsigned char *p;
	size_t len;

	if (t->plain != NULL) {
		tls_read_ack(t, n);
		return;
	}
	if ((p = br_ssl_engine_recvapp_buf(t->eng, &len)) == NULL ||
	    n > len)
		fatalx("internal error: %zu bytes are not there to wipe", n);
	explicit_bzero(p, n);
	br_ssl_engine_recvapp_ack(t->eng, n);
}

unsigned char *
tls_write_buf(struct tls_conn *t, size_t *len)
{
	unsigned char *p;

	if (t->plain != NULL) {
		*len = t->plain->closing ? 0 :
		    sizeof(t->plain->out) - t->plain->outlen;
		return *len > 0 ? t->plain->out + t->plain->outlen : NULL;
	}
	p = br_ssl_engine_sendapp_buf(t->eng, len);

	if (p == NULL)
		*len = 0;
	return p;
}

void
tls_write_ack(struct tls_conn *t, size_t n)
{
	if (t->plain != NULL) {
		t->plain->outlen += n;
		return;
	}
	br_ssl_engine_sendapp_ack(t->eng, n);
}

void
tls_flush(struct tls_conn *t)
{
	if (t->plain == NULL)
		br_ssl_engine_flush(t->eng, 0);
}

void
tls_close(struct tls_conn *t)
{
	if (t->plain != NULL)
		t->plain->closing = 1;
	else
		br_ssl_engine_close(t->eng);
}

int
tls_error(struct tls_conn *t)
{
	int e;

	if (t->plain != NULL)
		return t->dead ? BR_ERR_IO : 0;
	e = br_ssl_engine_last_error(t->eng);

	if (e == 0 && t->dead &&
	    !(br_ssl_engine_current_state(t->eng) & BR_SSL_CLOSED))
		return BR_ERR_IO;
	return e;
}

const char *
tls_why(struct tls_conn *t, char *buf, size_t len)
{
	const char *peer = t->client != NULL ? "server" : "client";

	/* A TLS record starts with its type, a handshake (22) first; an
	 * SSL 2.0-style ClientHello with its high bit set. */
	if (t->heard && !t->done && t->first != 22 && !(t->first & 0x80)) {
		snprintf(buf, len, "the %s does not speak TLS (its first "
		    "byte is 0x%02x%s%c%s)", peer, t->first,
		    t->first >= 0x20 && t->first < 0x7f ? ", '" : "",
		    t->first >= 0x20 && t->first < 0x7f ? t->first : ' ',
		    t->first >= 0x20 && t->first < 0x7f ? "'" : "");
		return buf;
	}
	if (t->client != NULL)
		return tls_client_strerror(t, tls_error(t), buf, len);
	return tls_strerror(tls_error(t), buf, len);
}

int
tls_heard(struct tls_conn *t)
{
	return t->heard;
}

unsigned
tls_version(struct tls_conn *t)
{
	return br_ssl_engine_get_version(t->eng);
}

uint16_t
tls_suite(struct tls_conn *t)
{
	return t->eng->session.cipher_suite;
}

const char *
tls_suite_name(uint16_t suite)
{
	switch (suite) {
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-ECDSA-AES128-GCM-SHA256";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-ECDSA-AES256-GCM-SHA384";
	case BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-ECDSA-CHACHA20-POLY1305";
	case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-RSA-AES128-GCM-SHA256";
	case BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-RSA-AES256-GCM-SHA384";
	case BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-RSA-CHACHA20-POLY1305";
	}
	return tls_suite_name_client(suite);
}

/* tls_suite_name_client: the suites only the client side offers. */
static const char *
tls_suite_name_client(uint16_t suite)
{
	switch (suite) {
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:
		return "ECDHE-ECDSA-AES128-SHA256";
	case BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:
		return "ECDHE-RSA-AES128-SHA256";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384:
		return "ECDHE-ECDSA-AES256-SHA384";
	case BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384:
		return "ECDHE-RSA-AES256-SHA384";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:
		return "ECDHE-ECDSA-AES128-SHA";
	case BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:
		return "ECDHE-RSA-AES128-SHA";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:
		return "ECDHE-ECDSA-AES256-SHA";
	case BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:
		return "ECDHE-RSA-AES256-SHA";
	case BR_TLS_RSA_WITH_AES_128_GCM_SHA256:
		return "AES128-GCM-SHA256";
	case BR_TLS_RSA_WITH_AES_256_GCM_SHA384:
		return "AES256-GCM-SHA384";
	case BR_TLS_RSA_WITH_AES_128_CBC_SHA256:
		return "AES128-SHA256";
	case BR_TLS_RSA_WITH_AES_256_CBC_SHA256:
		return "AES256-SHA256";
	case BR_TLS_RSA_WITH_AES_128_CBC_SHA:
		return "AES128-SHA";
	case BR_TLS_RSA_WITH_AES_256_CBC_SHA:
		return "AES256-SHA";
	}
	return "an unknown cipher suite";
}

/* BearSSL's error codes (bearssl_ssl.h), in words for the log. */
static const struct {
	int		 code;
	const char	*text;
} tls_errors[] = {
	{ BR_ERR_BAD_PARAM, "internal error: bad parameter" },
	{ BR_ERR_BAD_STATE, "internal error: bad engine state" },
	{ BR_ERR_UNSUPPORTED_VERSION, "the client offers no TLS 1.2 "
	    "(only older versions, which are refused)" },
	{ BR_ERR_BAD_VERSION, "the client sent a record with a wrong "
	    "protocol version (not TLS, or garbage)" },
	{ BR_ERR_BAD_LENGTH, "the client sent a record with a wrong length "
	    "(not TLS, or garbage)" },
	{ BR_ERR_TOO_LARGE, "the client sent a record that is too large" },
	{ BR_ERR_BAD_MAC, "a record from the client failed its integrity "
	    "check" },
	{ BR_ERR_NO_RANDOM, "no randomness to seed the TLS engine" },
	{ BR_ERR_UNKNOWN_TYPE, "the client sent a record of an unknown type "
	    "(not TLS, or garbage)" },
	{ BR_ERR_UNEXPECTED, "the client sent a message out of order" },
	{ BR_ERR_BAD_CCS, "the client sent a malformed ChangeCipherSpec" },
	{ BR_ERR_BAD_ALERT, "the client sent a malformed alert" },
	{ BR_ERR_BAD_HANDSHAKE, "the client sent a malformed handshake "
	    "message" },
	{ BR_ERR_OVERSIZED_ID, "the client sent an oversized session id" },
	{ BR_ERR_BAD_CIPHER_SUITE, "no cipher suite or signature algorithm "
	    "in common with the client (ECDHE with AES-GCM or "
	    "ChaCha20-Poly1305 required)" },
	{ BR_ERR_BAD_COMPRESSION, "the client asked for compression" },
	{ BR_ERR_BAD_FRAGLEN, "the client asked for a bad fragment length" },
	{ BR_ERR_BAD_SECRENEG, "the client failed secure renegotiation" },
	{ BR_ERR_EXTRA_EXTENSION, "the client sent an extension twice or "
	    "unasked" },
	{ BR_ERR_BAD_SNI, "the client sent a malformed server name (SNI)" },
	{ BR_ERR_BAD_HELLO_DONE, "a malformed ServerHelloDone" },
	{ BR_ERR_LIMIT_EXCEEDED, "the client exceeded a handshake limit" },
	{ BR_ERR_BAD_FINISHED, "the client's Finished message did not "
	    "verify" },
	{ BR_ERR_RESUME_MISMATCH, "the client resumed a session with other "
	    "parameters" },
	{ BR_ERR_INVALID_ALGORITHM, "no signature algorithm in common with "
	    "the client, or the keyholder did not sign" },
	{ BR_ERR_BAD_SIGNATURE, "a signature did not verify" },
	{ BR_ERR_WRONG_KEY_USAGE, "the certificate's key usage forbids this "
	    "key exchange" },
	{ BR_ERR_NO_CLIENT_AUTH, "no client certificate" },
	{ BR_ERR_IO, "the connection was closed or reset without a TLS "
	    "close_notify" },
};

/* TLS alerts (RFC 5246 section 7.2), in words. */
static const struct {
	int		 code;
	const char	*text;
} tls_alerts[] = {
	{ BR_ALERT_UNEXPECTED_MESSAGE, "unexpected message" },
	{ BR_ALERT_BAD_RECORD_MAC, "bad record MAC" },
	{ BR_ALERT_RECORD_OVERFLOW, "record overflow" },
	{ BR_ALERT_HANDSHAKE_FAILURE, "handshake failure: no acceptable "
	    "parameters" },
	{ BR_ALERT_BAD_CERTIFICATE, "bad certificate" },
	{ BR_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported certificate" },
	{ BR_ALERT_CERTIFICATE_REVOKED, "certificate revoked" },
	{ BR_ALERT_CERTIFICATE_EXPIRED, "certificate expired" },
	{ BR_ALERT_CERTIFICATE_UNKNOWN, "certificate not accepted" },
	{ BR_ALERT_ILLEGAL_PARAMETER, "illegal parameter" },
	{ BR_ALERT_UNKNOWN_CA, "unknown certificate authority: the client "
	    "does not trust our certificate" },
	{ BR_ALERT_ACCESS_DENIED, "access denied" },
	{ BR_ALERT_DECODE_ERROR, "decode error" },
	{ BR_ALERT_DECRYPT_ERROR, "decrypt error" },
	{ BR_ALERT_PROTOCOL_VERSION, "protocol version not supported" },
	{ BR_ALERT_INSUFFICIENT_SECURITY, "insufficient security" },
	{ BR_ALERT_INTERNAL_ERROR, "internal error" },
	{ BR_ALERT_USER_CANCELED, "user canceled" },
	{ BR_ALERT_NO_RENEGOTIATION, "no renegotiation" },
	{ BR_ALERT_UNSUPPORTED_EXTENSION, "unsupported extension" },
	{ BR_ALERT_NO_APPLICATION_PROTOCOL, "no application protocol" },
};

const char *
tls_alert_text(int alert)
{
	size_t i;

	for (i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++)
		if (tls_alerts[i].code == alert)
			return tls_alerts[i].text;
	return NULL;
}

const char *
tls_strerror(int err, char *buf, size_t len)
{
	const char *text;
	size_t i;

	/* The two refusals a real client meets, said as what they mean. */
	if (err == BR_ERR_SEND_FATAL_ALERT + BR_ALERT_PROTOCOL_VERSION)
		err = BR_ERR_UNSUPPORTED_VERSION;
	if (err == BR_ERR_SEND_FATAL_ALERT + BR_ALERT_HANDSHAKE_FAILURE)
		err = BR_ERR_BAD_CIPHER_SUITE;
	if (err >= BR_ERR_SEND_FATAL_ALERT) {
		text = tls_alert_text(err - BR_ERR_SEND_FATAL_ALERT);
		snprintf(buf, len, "we sent the client the fatal alert %d "
		    "(%s)", err - BR_ERR_SEND_FATAL_ALERT,
		    text ? text : "unknown");
		return buf;
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT) {
		text = tls_alert_text(err - BR_ERR_RECV_FATAL_ALERT);
		snprintf(buf, len, "the client sent the fatal alert %d (%s)",
		    err - BR_ERR_RECV_FATAL_ALERT, text ? text : "unknown");
		return buf;
	}
	for (i = 0; i < sizeof(tls_errors) / sizeof(tls_errors[0]); i++)
		if (tls_errors[i].code == err) {
			snprintf(buf, len, "%s", tls_errors[i].text);
			return buf;
		}
	snprintf(buf, len, "BearSSL error %d", err);
	return buf;
}

void
tls_drop_signer(struct tls_conn *t)
{
	if (t->keyfd != -1 && close(t->keyfd) == -1)
		log_warn("cannot close the keyholder channel");
	t->keyfd = -1;
}
