/*
 * tls.c: the server side of TLS on BearSSL (see tls.h), for the net
 * processes: one engine per connection, restricted to TLS 1.2 and the
 * ECDHE + AEAD suites, driven from the caller's poll loop.  The private
 * key is not here: our policy object picks the suite and the hash, lets
 * the engine hash the ServerKeyExchange, and has the keyholder sign it
 * (do_sign); it refuses every other key exchange (do_keyx).  Every byte
 * from the client is hostile and is parsed by BearSSL only.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/keyholder.h"
#include "common/log.h"
#include "common/tls.h"
#include "common/util.h"

#define TLS_SEED_BYTES	32
#define TLS_SIG_MAX	512	/* RSA-4096 */

struct tls_policy {
	const br_ssl_server_policy_class *vtable;
	struct tls_conn	*t;
};

struct tls_conn {
	br_ssl_server_context	 sc;
	struct tls_policy	 policy;
	const struct tls_chain	*chain;
	br_x509_certificate	 certs[TLS_MAX_CHAIN];
	size_t			 ncerts;
	int			 fd;
	int			 keyfd;
	int			 done;
	int			 dead;		/* socket error or EOF */
	unsigned char		 iobuf[BR_SSL_BUFSIZE_BIDI];
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

struct tls_conn *
tls_conn_new(int fd, const struct tls_chain *chain, int keyfd)
{
	unsigned char seed[TLS_SEED_BYTES];
	struct tls_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("tls_conn_new: calloc");
		return NULL;
	}
	t->fd = fd;
	t->keyfd = keyfd;
	t->chain = chain;
	if (tls_certs(t, chain) == -1) {
		log_warnx("tls_conn_new: no usable certificate chain");
		free(t);
		return NULL;
	}
	tls_engine_setup(t);
	/* Before the reset: the chroot has no /dev/urandom. */
	random_bytes(seed, sizeof(seed));
	br_ssl_engine_inject_entropy(&t->sc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_server_reset(&t->sc)) {
		log_warnx("tls_conn_new: engine reset failed (error %d)",
		    br_ssl_engine_last_error(&t->sc.eng));
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	explicit_bzero(t, sizeof(*t));
	free(t);
}

short
tls_events(struct tls_conn *t)
{
	unsigned st = br_ssl_engine_current_state(&t->sc.eng);
	short ev = 0;

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

	buf = br_ssl_engine_sendrec_buf(&t->sc.eng, &len);
	n = send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	br_ssl_engine_sendrec_ack(&t->sc.eng, (size_t)n);
	return 1;
}

/* tls_recvrec: 1 if bytes came in, 0 if none are there, -1 at EOF. */
static int
tls_recvrec(struct tls_conn *t)
{
	unsigned char *buf;
	size_t len;
	ssize_t n;

	buf = br_ssl_engine_recvrec_buf(&t->sc.eng, &len);
	n = recv(t->fd, buf, len, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	/* May run the handshake, and do_sign with its bounded wait. */
	br_ssl_engine_recvrec_ack(&t->sc.eng, (size_t)n);
	return 1;
}

int
tls_io(struct tls_conn *t, short revents)
{
	br_ssl_engine_context *eng = &t->sc.eng;
	int sent, got;

	if (t->dead)
		return -1;
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
	unsigned st = br_ssl_engine_current_state(&t->sc.eng);

	if (!t->done && !(st & BR_SSL_CLOSED) &&
	    (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		t->done = 1;
	return t->done;
}

unsigned char *
tls_read_buf(struct tls_conn *t, size_t *len)
{
	unsigned char *p = br_ssl_engine_recvapp_buf(&t->sc.eng, len);

	if (p == NULL)
		*len = 0;
	return p;
}

void
tls_read_ack(struct tls_conn *t, size_t n)
{
	br_ssl_engine_recvapp_ack(&t->sc.eng, n);
}

void
tls_read_wipe(struct tls_conn *t, size_t n)
{
	unsigned char *p;
	size_t len;

	if ((p = br_ssl_engine_recvapp_buf(&t->sc.eng, &len)) == NULL ||
	    n > len)
		fatalx("tls_read_wipe: %zu bytes are not there to consume", n);
	explicit_bzero(p, n);
	br_ssl_engine_recvapp_ack(&t->sc.eng, n);
}

unsigned char *
tls_write_buf(struct tls_conn *t, size_t *len)
{
	unsigned char *p = br_ssl_engine_sendapp_buf(&t->sc.eng, len);

	if (p == NULL)
		*len = 0;
	return p;
}

void
tls_write_ack(struct tls_conn *t, size_t n)
{
	br_ssl_engine_sendapp_ack(&t->sc.eng, n);
}

void
tls_flush(struct tls_conn *t)
{
	br_ssl_engine_flush(&t->sc.eng, 0);
}

void
tls_close(struct tls_conn *t)
{
	br_ssl_engine_close(&t->sc.eng);
}

int
tls_error(struct tls_conn *t)
{
	int e = br_ssl_engine_last_error(&t->sc.eng);

	if (e == 0 && t->dead &&
	    !(br_ssl_engine_current_state(&t->sc.eng) & BR_SSL_CLOSED))
		return BR_ERR_IO;
	return e;
}

unsigned
tls_version(struct tls_conn *t)
{
	return br_ssl_engine_get_version(&t->sc.eng);
}

uint16_t
tls_suite(struct tls_conn *t)
{
	return t->sc.eng.session.cipher_suite;
}

void
tls_drop_signer(struct tls_conn *t)
{
	if (t->keyfd != -1 && close(t->keyfd) == -1)
		log_warn("tls_drop_signer: close");
	t->keyfd = -1;
}
