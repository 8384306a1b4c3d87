/*
 * tls_pem.h: internal to the TLS code: PEM and DER decoding of private
 * keys, the check that a key belongs to a certificate, and the PEM walk
 * that the certificate loaders share (the chain, the client's anchors).
 *
 * Runs only in the keyholder process (keyholder.c), inside its sandbox,
 * and in the fuzz target: the parent and the net processes never hold a
 * private key.  The input is a file the administrator chose, so it is
 * treated as untrusted bytes; BearSSL's decoders parse it.  Nothing here
 * allocates or logs: errors come back as text in the caller's buffer.
 * The certificate side (tls_chain_load, tls_chain_parse) is in tls.h.
 */
#ifndef POSTERN_TLS_PEM_H
#define POSTERN_TLS_PEM_H

#include <stddef.h>

#include <bearssl.h>

#include "common/tls.h"

#define TLS_PEM_MAX	(64 * 1024)	/* largest PEM file read */
#define TLS_KEY_BYTES	(3 * BR_X509_BUFSIZE_SIG)	/* RSA-4096 CRT */

/*
 * A decoded private key: type is BR_KEYTYPE_RSA or BR_KEYTYPE_EC (0 when
 * empty), and rsa or ec points into data.  The pointers are into the
 * struct itself, so it MUST NOT be copied by value: parse into the slot
 * that will be used.  Wipe with tls_key_wipe.
 */
struct tls_key {
	int			type;
	br_rsa_private_key	rsa;
	br_ec_private_key	ec;
	unsigned char		data[TLS_KEY_BYTES];
};

/*
 * tls_key_parse: decode the one private key in len bytes of PEM text
 * ("RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC1) or "PRIVATE KEY"
 * (PKCS#8); "EC PARAMETERS" blocks are skipped) into key.  Returns 0, or
 * -1 with the reason in err (errlen bytes, always NUL-terminated): no
 * key, more than one, an encrypted key, malformed DER, an RSA key outside
 * 2048..4096 bits, or a curve other than P-256, P-384, P-521.  Every
 * intermediate copy of the key is wiped; on failure key is wiped too.
 */
int	tls_key_parse(const char *pem, size_t len, struct tls_key *key,
	    char *err, size_t errlen);

/* tls_key_parse_min: tls_key_parse, taking RSA keys from min_rsa bits
 * on (DKIM keys: 1024). */
int	tls_key_parse_min(const char *pem, size_t len, struct tls_key *key,
	    unsigned min_rsa, char *err, size_t errlen);

/*
 * tls_key_match: 0 when the public half of key is the public key of the
 * end-entity certificate of chain (RSA: same modulus and exponent; EC:
 * same curve and point), else -1 with the reason in err.
 */
int	tls_key_match(const struct tls_key *key, const struct tls_chain *chain,
	    char *err, size_t errlen);

/* tls_key_wipe: explicit_bzero the whole key; it is empty afterwards. */
void	tls_key_wipe(struct tls_key *key);

/* Where the DER of the PEM object being decoded goes: cap bytes at buf;
 * len is reset at each object, overflow set when it did not fit. */
struct tls_pem_sink {
	unsigned char	*buf;
	size_t		 cap;
	size_t		 len;
	int		 overflow;
};

/* Called at the end of each PEM object with its name (the word after
 * "BEGIN"): 0 to go on, -1 (err set) to stop. */
typedef int (*tls_pem_object_fn)(void *, const char *, struct tls_pem_sink *,
    char *, size_t);

/*
 * tls_pem_each: decode every PEM object of the len bytes at pem into
 * sink, calling fn(arg, ...) at the end of each.  0, or -1 with err set
 * (malformed PEM, an unterminated object, or fn's refusal).
 */
int	tls_pem_each(const char *pem, size_t len, struct tls_pem_sink *sink,
	    tls_pem_object_fn fn, void *arg, char *err, size_t errlen);

/*
 * tls_pem_read: read fd to its end into buf (cap bytes), without
 * allocating (for the keyholder's sandbox: only read(2)).  Stores the
 * length in *len and returns 0, or -1 with the reason in err: a read
 * error or a file of cap bytes or more.  Does not close fd.
 */
int	tls_pem_read(int fd, char *buf, size_t cap, size_t *len, char *err,
	    size_t errlen);

#endif
