/*
 * tls.h: TLS on BearSSL: the server side for every network daemon, and
 * the client side for smtpd's relay (outbound SMTP) and its MTA-STS
 * policy fetch (https.h).
 *
 * Runs in the net processes (one connection each) and, for loading the
 * certificate chain, in the daemons' parents.  The private key is never
 * here: the BearSSL server policy in tls.c picks an ECDHE + AEAD suite
 * (TLS 1.2 only), asks the engine to hash the ServerKeyExchange, and has
 * the keyholder process (keyholder.h) sign that hash over a socket, with a
 * bounded wait.  Every byte from the client is hostile; BearSSL parses it,
 * with caller-owned buffers and no allocation.
 *
 * The engine is driven from the caller's poll() loop through the four
 * buffer/ack pairs (BearSSL tools/sslio.c), never the blocking br_sslio
 * helpers: tls_events says what to wait for on the client socket,
 * tls_io moves records after poll, and the application data is read and
 * written through tls_read_buf/tls_read_ack and tls_write_buf/
 * tls_write_ack/tls_flush.  STARTTLS (smtpd) uses the same calls, started
 * after the plaintext part of the dialogue.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#define TLS_MAX_CHAIN		8
#define TLS_CHAIN_BYTES		(32 * 1024)	/* all certificates, DER */
#define TLS_SIGN_TIMEOUT_MS	5000

/* A certificate chain in DER, end-entity first, with what the policy needs
 * to know of its key.  Plain data: nothing to free but the struct itself.
 * The certificates lie one after the other from the start of der, and
 * certs[i].data points into der of the struct they were parsed into;
 * tls_conn_new and tls_key_match rebuild the pointers from der and the
 * lengths, so a copy by value (a reload's staging struct copied over the
 * live one) or a copy made by fork is as good as the original. */
struct tls_chain {
	br_x509_certificate	certs[TLS_MAX_CHAIN];
	size_t			ncerts;
	int			key_type;	/* BR_KEYTYPE_RSA or _EC */
	int			curve;		/* EC: BR_EC_secp256r1, ... */
	unsigned char		der[TLS_CHAIN_BYTES];
	size_t			derlen;
};

/*
 * tls_chain_load: read the PEM file at path (one or more CERTIFICATE
 * blocks, end-entity first) into chain.  Returns 0, or -1 with a reason
 * in err (errlen bytes): unreadable, no certificate, too many or too
 * large, or an end-entity key that is neither RSA (>= 2048 bits) nor EC
 * on P-256/P-384/P-521.
 */
int	tls_chain_load(const char *path, struct tls_chain *chain, char *err,
	    size_t errlen);

/* tls_chain_parse: as tls_chain_load, from len bytes of PEM text. */
int	tls_chain_parse(const char *pem, size_t len, struct tls_chain *chain,
	    char *err, size_t errlen);

/* One connection.  Opaque; about 35 KiB (the engine's bidirectional
 * buffer); allocate one per net process. */
struct tls_conn;

/*
 * tls_conn_new: a server engine for one connection on the socket fd,
 * with chain, signing through the keyholder socket keyfd.  Seeds the
 * engine from getrandom(2) (the chroot has no /dev/urandom), restricts it
 * to TLS 1.2 and the AEAD ECDHE suites, server preference.  Returns NULL
 * (logged) on failure.  Nothing is sent until the client speaks.
 */
struct tls_conn *tls_conn_new(int fd, const struct tls_chain *chain,
	    int keyfd);
/*
 * tls_conn_plain: the same for a STARTTLS listener: the connection
 * begins in plaintext, with the same buffer interface over the bare
 * socket (tls_handshake_done is true, tls_error is BR_ERR_IO once the
 * peer went away), until tls_starttls.  tls_starttls: begin the
 * handshake (RFC 3207): plaintext input not read yet is thrown away (a
 * command injected after STARTTLS), and nothing may be left unsent
 * (flush first: tls_events without POLLOUT).  0, or -1 (logged).
 * tls_is_plain: non-zero before tls_starttls.  tls_plain_hold: read no
 * more plaintext from the socket (STARTTLS was said: what the client
 * sends after our answer is its TLS handshake, which must stay in the
 * socket for the engine tls_starttls begins).
 */
struct tls_conn *tls_conn_plain(int fd, const struct tls_chain *chain,
	    int keyfd);
void	tls_plain_hold(struct tls_conn *t);
int	tls_starttls(struct tls_conn *t);
int	tls_is_plain(struct tls_conn *t);
/* The connection keeps pointers to chain: it MUST outlive the connection.
 * The socket is used with send/recv and MSG_DONTWAIT (its flags are not
 * changed; no SIGPIPE).  System calls, for a net role's allow-list:
 * getrandom (here), sendto, recvfrom, and for keyholder_sign sendto,
 * poll, read.  The engine also refuses renegotiation. */
void	tls_conn_free(struct tls_conn *t);	/* wipes, frees; fd stays open */

/* tls_events: POLLIN and/or POLLOUT to wait for on the socket.  0 when
 * there is nothing to wait for: the connection is closed (tls_io then
 * returns -1), or the engine waits for the application to consume what
 * tls_read_buf holds. */
short	tls_events(struct tls_conn *t);

/*
 * tls_io: after poll said revents on the socket, read and write records
 * as far as they go without blocking.  Returns 0 while the connection
 * lives, -1 once it is closed (cleanly or not; tls_error tells).
 */
int	tls_io(struct tls_conn *t, short revents);

/* tls_handshake_done: non-zero once the handshake has completed. */
int	tls_handshake_done(struct tls_conn *t);

/* Application data.  tls_read_buf returns the decrypted bytes ready (NULL
 * and *len 0 if none); tls_read_ack consumes n of them.  tls_write_buf
 * returns room for plaintext (NULL when full: wait for POLLOUT);
 * tls_write_ack commits n bytes written there; tls_flush sends a partial
 * record now (call it when a response is complete). */
unsigned char *tls_read_buf(struct tls_conn *t, size_t *len);
void	tls_read_ack(struct tls_conn *t, size_t n);

/*
 * tls_read_wipe: as tls_read_ack, but first overwrite the n bytes with
 * zeros (explicit_bzero).  BearSSL decrypts each record in place in the
 * connection's buffer and leaves the plaintext there after the ack, until
 * a later record happens to cover it, which a shorter one does not: a
 * caller that reads lines which may hold a credential (pre-login lines)
 * consumes them with this call.  n MUST NOT exceed the length that
 * tls_read_buf returned.
 */
void	tls_read_wipe(struct tls_conn *t, size_t n);
unsigned char *tls_write_buf(struct tls_conn *t, size_t *len);
void	tls_write_ack(struct tls_conn *t, size_t n);
void	tls_flush(struct tls_conn *t);

/*
 * tls_drop_signer: close the keyholder channel (tls_conn_new's keyfd).
 * Call it once the handshake is done: renegotiation is off, so nothing
 * needs a signature any more, and a compromised session then cannot have
 * arbitrary hashes signed with the server key.
 */
void	tls_drop_signer(struct tls_conn *t);

/* tls_close: send close_notify (tls_io then flushes it). */
void	tls_close(struct tls_conn *t);

/* tls_error: BearSSL's error code (0: none, or a clean close). */
int	tls_error(struct tls_conn *t);

/* tls_why: as tls_strerror of tls_error(t), but a client whose first byte
 * cannot start a TLS record is said not to speak TLS at all (a plaintext
 * client on the implicit-TLS port, a scanner). */
const char *tls_why(struct tls_conn *t, char *buf, size_t len);

/* tls_heard: non-zero once the client sent a byte (a connection closed
 * before that is a port probe, not a failed handshake). */
int	tls_heard(struct tls_conn *t);

/* tls_version, tls_suite: what was negotiated, for the log. */
unsigned tls_version(struct tls_conn *t);
uint16_t tls_suite(struct tls_conn *t);

/* tls_suite_name: the OpenSSL-style name of one of our cipher suites,
 * the server's and the client's ("ECDHE-ECDSA-AES128-GCM-SHA256",
 * "AES128-SHA"); a static string. */
const char *tls_suite_name(uint16_t suite);

/*
 * tls_strerror: tls_error's code in words for the administrator's log
 * ("the client offers no TLS 1.2 ...", "the client sent the fatal alert
 * 48 (unknown certificate authority ...)"), written into buf (len bytes,
 * truncated to fit) and returned.  Never NULL; an unknown code is named
 * by its number.
 */
const char *tls_strerror(int err, char *buf, size_t len);

/* ---- the client side (tls_client.c, tls_anchors.c, tls_verify.c) ----
 *
 * Runs in the relay processes.  The trust anchors are read before the
 * chroot; each connection is an engine restricted to TLS 1.2.  Suites:
 * with a verified policy (CA, DANE) only the server side's ECDHE + AEAD
 * suites and ECDHE with AES-CBC and SHA-256/384 (still forward-secret,
 * for MTAs whose OpenSSL predates GCM); in opportunistic mode also
 * ECDHE with AES-CBC-SHA1 and the RSA key exchange with AES-GCM/CBC,
 * because the alternative there is plaintext and older MTAs (Exchange
 * 2010, appliances) offer nothing better.  Never RC4, 3DES, TLS < 1.2.
 * The server's certificate goes through our own X.509 check
 * (tls_verify.h), which wraps BearSSL's br_x509_minimal; in every mode
 * the engine uses the end-entity certificate's key for the key exchange
 * and the ServerKeyExchange signature.
 */

/* The trust anchors of a CA bundle.  Opaque; read-only once loaded. */
struct tls_anchors;

#define TLS_ANCHORS_MAX		1024		/* certificates in a bundle */
#define TLS_ANCHORS_FILE_MAX	(4 * 1024 * 1024)

/*
 * tls_anchors_load: read the PEM file pem_file (a bundle of CERTIFICATE
 * blocks such as /etc/ssl/certs/ca-certificates.crt) into trust anchors.
 * Call it before the chroot.  Certificates BearSSL cannot decode (an
 * unsupported key type) are skipped; other PEM objects are ignored.
 * Returns the anchors (free with tls_anchors_free), or NULL with the
 * reason in err (errlen bytes): unreadable, larger than
 * TLS_ANCHORS_FILE_MAX, malformed PEM, more than TLS_ANCHORS_MAX
 * certificates, no usable certificate, out of memory.
 */
struct tls_anchors *tls_anchors_load(const char *pem_file, char *err,
	    size_t errlen);

/* tls_anchors_parse: as tls_anchors_load, from len bytes of PEM text. */
struct tls_anchors *tls_anchors_parse(const char *pem, size_t len,
	    char *err, size_t errlen);

/* tls_anchors_count: how many anchors were loaded. */
size_t	tls_anchors_count(const struct tls_anchors *a);

void	tls_anchors_free(struct tls_anchors *a);	/* NULL is fine */

/*
 * What the server's certificate must satisfy.
 *  TLS_VERIFY_NONE: opportunistic: the chain is checked against anchors
 *	and names and the result recorded (tls_peer_verified), but the
 *	handshake never fails on the certificate.
 *  TLS_VERIFY_CA: the chain must end at one of anchors, be in its
 *	validity period, and the end-entity certificate must carry one of
 *	names (dNSName SANs, or the CN when there is no dNSName).
 *  TLS_VERIFY_DANE: RFC 7672: one of the tlsa records must match.
 *	Usage 3 (DANE-EE): the end-entity certificate (selector 0: the
 *	whole certificate, 1: its SubjectPublicKeyInfo; matching type 0:
 *	exact, 1: SHA-256, 2: SHA-512) matches; names and dates are then
 *	ignored.  Usage 2 (DANE-TA): a certificate the server sent
 *	matches, the chain below it verifies up to it (signatures, dates),
 *	and the end-entity certificate carries one of names.  Usages 0
 *	and 1 (PKIX-TA/EE) and unknown selectors or matching types are
 *	unusable for SMTP and ignored; with no usable record the handshake
 *	fails (RFC 7672 section 2.2 wants encryption without
 *	authentication then: the caller uses TLS_VERIFY_NONE).
 * Names: the MX host name, or MTA-STS "mx" patterns; a name may begin
 * with a "*." label, which stands for exactly one label ("*.example.com"
 * covers "mx.example.com", not "a.b.example.com" nor "example.com"); a
 * certificate's "*." name is matched the same way.  Case is ignored,
 * and a trailing dot.
 */
enum tls_verify_mode {
	TLS_VERIFY_NONE,
	TLS_VERIFY_CA,
	TLS_VERIFY_DANE,
};

struct dnsrr_tlsa;

struct tls_client_policy {
	enum tls_verify_mode	 mode;
	const struct tls_anchors *anchors;	/* NULL: none (DANE, NONE) */
	const char		*sni;		/* server name sent, or NULL */
	const char *const	*names;		/* see above; nnames of them */
	size_t			 nnames;
	const struct dnsrr_tlsa	*tlsa;		/* DANE: the TLSA records */
	size_t			 ntlsa;
};

/*
 * tls_conn_client: a client engine on the connected socket fd (for SMTP:
 * after the server's "220" to STARTTLS), verifying the server with
 * policy p.  The policy and everything it points to (anchors, names,
 * tlsa data) MUST outlive the connection: the check runs during
 * tls_io.  Seeds the engine from getrandom(2).  The ClientHello is
 * queued at once: tls_events asks for POLLOUT.  Returns NULL (logged)
 * when out of memory or the engine cannot start (a malformed sni).
 * The rest of the interface (tls_events, tls_io, tls_handshake_done,
 * tls_read_buf, tls_write_buf, tls_close, tls_error, tls_why,
 * tls_conn_free, ...) is the server side's; tls_why then speaks of the
 * server.  System calls: getrandom, sendto, recvfrom, and the clock
 * (time(2), through the vDSO) for the certificates' dates.
 */
struct tls_conn *tls_conn_client(int fd, const struct tls_client_policy *p);

/*
 * tls_conn_client_plain: the same for SMTP's STARTTLS (RFC 3207) on the
 * client side: the connection begins in plaintext with the buffer
 * interface over the bare socket (the greeting, EHLO, "STARTTLS" and
 * its "220"), as tls_conn_plain does for a server; tls_starttls then
 * starts the client engine with policy p.  What the server sent after
 * its "220" and we did not consume is thrown away there (a reply
 * injected in plaintext); the caller MUST have read the "220" line and
 * nothing after it (tls_read_ack exactly that line), and flushed what
 * it wrote.  NULL when out of memory (logged).
 */
struct tls_conn *tls_conn_client_plain(int fd,
	    const struct tls_client_policy *p);

/*
 * tls_peer_verified: once the server's certificate was checked: 1 if it
 * satisfied a verification (how: "CA", "DANE-EE" or "DANE-TA"), 0 if not
 * (how: the reason for the log, e.g. "self-signed", "expired or not yet
 * valid", "not issued by a trusted authority, name mismatch", "no TLSA
 * record matches"), also before the check ("no certificate checked").
 * how gets howlen bytes, truncated, always NUL-terminated.  -1 on a
 * server connection.
 */
int	tls_peer_verified(struct tls_conn *t, char *how, size_t howlen);

#endif
