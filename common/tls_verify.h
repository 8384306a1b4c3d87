/*
 * tls_verify.h: internal to the TLS client: the X.509 check the client
 * engine calls for the server's certificate chain (a br_x509_class that
 * wraps br_x509_minimal and adds names, DANE and the opportunistic
 * record), and the matching helpers it is made of, exposed for the unit
 * tests.  Runs in the relay processes.  The chain is hostile: it is kept
 * in a bounded buffer, parsed by BearSSL's decoders and by the bounded
 * DER walker of tls_dane.c; nothing here allocates.
 */
#ifndef POSTERN_TLS_VERIFY_H
#define POSTERN_TLS_VERIFY_H

#include <stddef.h>

#include <bearssl.h>

#include "common/dnsrr.h"
#include "common/tls.h"

#define TLS_PEER_CERTS	10		/* certificates of a chain kept */
#define TLS_PEER_BYTES	(48 * 1024)	/* their DER, in all */
#define TLS_PEER_NAMES	64		/* dNSNames read from the EE */
#define TLS_PEER_DN	1024		/* a DANE-TA's subject name, DER */
#define TLS_HOW_MAX	96

struct tls_verify {
	const br_x509_class	*vtable;	/* first: the engine's handle */
	br_x509_minimal_context	 chain;		/* the chain vs the anchors */
	br_x509_minimal_context	 aux;		/* EE names, DANE-TA paths */
	const struct tls_client_policy *policy;
	unsigned char		 der[TLS_PEER_BYTES];
	size_t			 derlen;
	size_t			 off[TLS_PEER_CERTS], len[TLS_PEER_CERTS];
	size_t			 ncerts;
	size_t			 cur;		/* bytes of the cert so far */
	int			 keep;		/* and it fits */
	int			 broken;	/* one was not kept: no more */
	br_x509_pkey		 pkey;		/* the EE key, decoded by us */
	unsigned char		 pkeybuf[BR_X509_BUFSIZE_KEY];
	int			 have_pkey;
	int			 chain_key;	/* get_pkey: the chain's */
	int			 checked;
	int			 verified;
	char			 how[TLS_HOW_MAX];
};

/* tls_verify_init: v checks chains with policy p (kept by pointer). */
void	tls_verify_init(struct tls_verify *v,
	    const struct tls_client_policy *p);

/* tls_verify_chain: the whole check over a chain given as n DER
 * certificates, EE first, as the engine would feed it: returns 0 when
 * the policy accepts it, else the BR_ERR_X509_* code the engine is
 * given; v->verified and v->how tell the rest.  For the unit tests. */
unsigned tls_verify_chain(struct tls_verify *v,
	    const br_x509_certificate *certs, size_t n);

/* tls_anchors_array: the anchors as BearSSL wants them (tls_anchors.c);
 * *n gets their number. */
const br_x509_trust_anchor *tls_anchors_array(const struct tls_anchors *a,
	    size_t *n);

/* ---- tls_dane.c ---- */

/* The parts of a DER certificate, each a whole TLV inside it. */
struct tls_cert_parts {
	const unsigned char	*issuer, *subject, *spki;
	size_t			 issuer_len, subject_len, spki_len;
};

/* tls_cert_split: find issuer, subject and SubjectPublicKeyInfo in the
 * len bytes of der.  0, or -1 if it is not a well-formed certificate
 * as far as those go (every length is checked against its container). */
int	tls_cert_split(const unsigned char *der, size_t len,
	    struct tls_cert_parts *parts);

/* tls_tlsa_match: 1 if the TLSA record r matches the DER certificate
 * cert (its selector and matching type), 0 if not, -1 if r has a
 * selector or matching type we do not know or cert is malformed. */
int	tls_tlsa_match(const struct dnsrr_tlsa *r, const unsigned char *cert,
	    size_t len);

/* tls_name_match: 1 if the certificate's name cert covers want (see
 * tls.h: one leading "*." label on either side, case and a trailing dot
 * ignored, names over 253 bytes never match), else 0. */
int	tls_name_match(const char *cert, const char *want);

#endif
