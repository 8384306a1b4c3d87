/*
 * dkim.h: DKIM (RFC 6376) signing and verification, streaming.
 *
 * Runs wherever a message passes: the relay signs (the RSA signature
 * itself comes from the keyholder through a callback, so no private key
 * is ever here), the broker hashes inbound mail and the check role
 * finishes the verification with DNS.  The message, every
 * DKIM-Signature field and every key record are hostile: all lengths are
 * bounded by the constants below, nothing is allocated (every structure
 * is the caller's, fixed size), and nothing here logs.
 *
 * Line ends: the message is read as CRLF lines; a bare LF also ends a
 * line and counts as CRLF (what the relay sends on the wire), a bare CR
 * is an ordinary byte.
 *
 * The header section is kept whole (DKIM_HEAD_MAX bytes): which fields
 * are signed is known only at its end.  The body is hashed as it passes,
 * chunk by chunk, in constant memory.
 *
 * Results (RFC 8601 words) and what gives them:
 *   pass       signature and body hash verified
 *   fail       body hash or signature did not verify
 *   neutral    a=ed25519-sha256: it cannot be checked here, and counts as
 *              no signature (RFC 8463 §4: verifiers without the algorithm
 *              ignore it)
 *   policy     verified as far as it goes but not acceptable: the
 *              signature expired (x=), or the key is shorter than 1024
 *              bits (RFC 8301 §3.2)
 *   temperror  the key record could not be fetched now (DNS)
 *   permerror  a malformed signature, a required tag missing, v= not 1,
 *              an unknown algorithm or canonicalization, h= without From,
 *              i= outside d=, l= beyond the body, no key record, a
 *              revoked key (p= empty), a key record that is malformed or
 *              does not fit (k=, h=, s=, t=s)
 */
#ifndef POSTERN_DKIM_H
#define POSTERN_DKIM_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "common/dns.h"

#define DKIM_HEAD_MAX		(128 * 1024)	/* the header section */
#define DKIM_FIELDS_MAX		1024	/* header fields kept */
#define DKIM_SIGFIELD_MAX	8192	/* one DKIM-Signature field */
#define DKIM_TAGS_MAX		32	/* tags in one tag list */
#define DKIM_HNAMES_MAX		64	/* names in h= */
#define DKIM_SIGS_MAX		5	/* DKIM-Signature fields checked */
#define DKIM_SIG_BYTES_MAX	512	/* RSA-4096 */
#define DKIM_KEY_DER_MAX	1024	/* p=: an RSA-4096 public key and more */
#define DKIM_TXT_MAX		4096	/* one key record */
#define DKIM_AUID_MAX		255	/* i= */
#define DKIM_REASON_MAX		96
#define DKIM_SIGNATURE_MAX	4096	/* the DKIM-Signature field we make */
#define DKIM_RSA_MIN_BITS	1024	/* RFC 8301 */

/* ---- tag lists (RFC 6376 §3.2) ------------------------------------------ */

/* One tag: name and value point into the parsed text; the value has its
 * surrounding whitespace removed but keeps inner FWS (b=, p=, h=). */
struct dkim_tag {
	const char	*name;
	size_t		 namelen;
	const char	*val;
	size_t		 vallen;
};

struct dkim_tags {
	size_t		 n;
	struct dkim_tag	 t[DKIM_TAGS_MAX];
};

/*
 * dkim_tags_parse: split len bytes of s (not NUL-terminated; CRLF folding
 * allowed) into tags.  Returns 0, or -1 on a syntax error (a tag name
 * not ALPHA *(ALPHA / DIGIT / "_"), no "=", a byte outside VALCHAR and
 * whitespace in a value, a control byte), a tag given twice, or more
 * than DKIM_TAGS_MAX tags.  An empty list, and a trailing ";", are fine.
 * Pure.
 */
int	dkim_tags_parse(const char *s, size_t len, struct dkim_tags *out);

/* dkim_tags_get: the tag called name (case-sensitive, as the RFC says),
 * or NULL. */
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *t,
	    const char *name);

/*
 * dkim_tag_base64: the value of t decoded from base64, FWS inside
 * ignored, into out (cap bytes); *outlen the byte count.  0, or -1:
 * malformed, or more than cap bytes.
 */
int	dkim_tag_base64(const struct dkim_tag *t, unsigned char *out,
	    size_t cap, size_t *outlen);

/* ---- one signature ------------------------------------------------------ */

enum dkim_result {
	DKIM_PENDING = 0,	/* phase 1 found nothing wrong: finish it */
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_NEUTRAL,
	DKIM_POLICY,
	DKIM_TEMPERROR,
	DKIM_PERMERROR
};

/* dkim_result_name: "pass", "fail", ... ("none" for DKIM_PENDING). */
const char *dkim_result_name(enum dkim_result r);

/*
 * One DKIM-Signature, as phase 1 leaves it for phase 2.  It holds no
 * pointer, so it may be copied and sent to another process as bytes;
 * the receiver MUST still treat it as hostile (dkim_verify_finish checks
 * every length).  domain, selector and auid are NUL-terminated, lower
 * case for domain; "" when the signature did not parse that far.
 */
struct dkim_sig {
	enum dkim_result result;
	char		 reason[DKIM_REASON_MAX];	/* "" on pass */
	char		 domain[DNS_NAME_MAX + 1];	/* d= */
	char		 selector[DNS_NAME_MAX + 1];	/* s= */
	char		 auid[DKIM_AUID_MAX + 1];	/* i=, or "@" d= */
	int		 head_relaxed, body_relaxed;	/* c= */
	int64_t		 length;			/* l=, -1 none */
	int64_t		 timestamp, expire;		/* t=, x=; -1 none */
	unsigned char	 bh[32];			/* bh= */
	unsigned char	 hhash[32];	/* the header hash (phase 1) */
	unsigned char	 b[DKIM_SIG_BYTES_MAX];		/* b= */
	size_t		 blen;
};

/*
 * dkim_sig_parse: parse the value of one DKIM-Signature field (the text
 * after the colon, len bytes) into sig, as far as the signature itself
 * can be judged: every required tag, v=1, a=, c=, d= a domain, s= a
 * selector, i= inside d=, h= naming From, q= dns/txt, bh= 32 bytes, b=
 * at most DKIM_SIG_BYTES_MAX bytes, t= and x= (x= before now: policy,
 * "signature expired"; x= before t=: permerror).  now is the time in
 * seconds.  Returns 0 with sig->result DKIM_PENDING, or -1 with
 * sig->result and sig->reason set (permerror, neutral for ed25519, policy
 * for an expired one).  On success names[0..*nnames) point into value:
 * the h= field names (DKIM_HNAMES_MAX at most, each without whitespace).
 */
struct dkim_hname {
	const char	*name;
	size_t		 len;
};
int	dkim_sig_parse(const char *value, size_t len, int64_t now,
	    struct dkim_sig *sig, struct dkim_hname *names, size_t *nnames);

/* ---- key records (RFC 6376 §3.6.1) -------------------------------------- */

struct dkim_key {
	int		 testing;	/* t=y */
	int		 strict;	/* t=s: i= domain must be d= */
	br_rsa_public_key pk;		/* into der */
	unsigned	 bits;
	unsigned char	 der[DKIM_KEY_DER_MAX];
};

/*
 * dkim_key_parse: parse one key record (the TXT strings joined, len
 * bytes) into key: v= (DKIM1, first, when present), h= (must allow
 * sha256), k= (rsa; others refused), s= (email or *), t= flags, p= (an
 * RSA SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey, base64 with
 * FWS).  Returns 0, or -1 with the reason (NUL-terminated, at most
 * whylen bytes): syntax, "key revoked" for an empty p=, unsupported key
 * type, malformed key.  The key size is not judged here.  Pure.
 */
int	dkim_key_parse(const char *txt, size_t len, struct dkim_key *key,
	    char *why, size_t whylen);

/*
 * dkim_key_spki: the DER SubjectPublicKeyInfo of pk (what p= carries,
 * base64-encoded) into out (cap bytes).  Returns its length, or 0 when
 * cap is too small (DKIM_KEY_DER_MAX always suffices up to RSA-4096).
 */
size_t	dkim_key_spki(const br_rsa_public_key *pk, unsigned char *out,
	    size_t cap);

/* ---- canonicalization --------------------------------------------------- */

/*
 * A body hasher: feeds the canonical form (relaxed or simple, §3.4.3 and
 * §3.4.4) of the body it is given chunk by chunk into SHA-256, at most
 * limit bytes of it (-1: all).  Trailing empty lines are held back until
 * something follows them, so the state is constant in size.
 */
struct dkim_body {
	br_sha256_context sha;
	int		 relaxed;
	int64_t		 limit;
	uint64_t	 total;		/* canonical bytes so far */
	uint64_t	 crlfs;		/* line ends held back */
	int		 wsp;		/* relaxed: whitespace held back */
	int		 cr;		/* a CR, not yet known to end a line */
	int		 content;	/* anything but held-back line ends */
	size_t		 outlen;
	unsigned char	 out[256];
};

void	dkim_body_init(struct dkim_body *b, int relaxed, int64_t limit);
void	dkim_body_feed(struct dkim_body *b, const void *data, size_t len);
/* dkim_body_final: the hash; *total gets the canonical body's whole
 * length (beyond limit too), to judge l=. */
void	dkim_body_final(struct dkim_body *b, unsigned char hash[32],
	    uint64_t *total);

/*
 * dkim_head_canon: feed one header field (name, colon, value with its
 * folding, without the final CRLF: len bytes) into sha, relaxed (§3.4.2)
 * or simple (§3.4.1), followed by CRLF when crlf is set.
 */
void	dkim_head_canon(br_sha256_context *sha, int relaxed,
	    const char *field, size_t len, int crlf);

/* ---- the message: header section and body, fed in chunks ---------------- */

struct dkim_field {
	uint32_t	 off, len;	/* into head, without the CRLF */
	uint32_t	 namelen;	/* without whitespace before ':' */
};

struct dkim_msg {
	int		 state;		/* DKIM_MSG_* (dkim_msg.c) */
	size_t		 len;
	char		 head[DKIM_HEAD_MAX];
	size_t		 nfields;
	struct dkim_field field[DKIM_FIELDS_MAX];
	int		 cr;
};

/*
 * dkim_msg_init, dkim_msg_feed: collect the header section; when its end
 * (the empty line) is found, the fields are split and dkim_msg_feed
 * returns the offset in data where the body begins (len when the chunk
 * held no body byte), otherwise len (everything taken).  After the
 * header section, body bytes are not taken: the caller feeds them to its
 * hashers.  dkim_msg_done says whether the header section is complete
 * (1), still being read (0), or too large, too many fields, or broken by
 * a NUL (-1).  dkim_msg_end: the message ended (a message without an
 * empty line is all header); returns dkim_msg_done's value.
 */
void	dkim_msg_init(struct dkim_msg *m);
size_t	dkim_msg_feed(struct dkim_msg *m, const void *data, size_t len);
int	dkim_msg_done(const struct dkim_msg *m);
int	dkim_msg_end(struct dkim_msg *m);

/*
 * dkim_msg_hash_fields: feed into sha the fields names[0..n) select
 * (§5.4.2: each name takes the next instance from the bottom; a name
 * with no instance left adds nothing), canonicalized.  skip: a field
 * index never selected (the signature being verified), or -1.
 */
void	dkim_msg_hash_fields(const struct dkim_msg *m,
	    br_sha256_context *sha, int relaxed, const struct dkim_hname *names,
	    size_t n, long skip);

/* dkim_msg_field_is: 1 when field i is called name (case-insensitive). */
int	dkim_msg_field_is(const struct dkim_msg *m, size_t i,
	    const char *name);

/* ---- signing ------------------------------------------------------------ */

/*
 * The RSA signer: sign (PKCS#1 v1.5, SHA-256 OID) hash, the SHA-256 of
 * the canonical header, into sig; *siglen holds the room
 * (DKIM_SIG_BYTES_MAX) and gets the length.  0, or -1 (no key, the
 * keyholder did not answer).  The relay asks the keyholder; a test signs
 * in process.
 */
typedef int (*dkim_sign_fn)(void *arg, const unsigned char hash[32],
	    unsigned char *sig, size_t *siglen);

struct dkim_signer {
	struct dkim_msg	 msg;
	struct dkim_body body;
	char		 domain[DNS_NAME_MAX + 1];
	char		 selector[DNS_NAME_MAX + 1];
	int64_t		 now, expire;
};

/*
 * dkim_signer_init: sign for domain with selector (both DNS names of
 * valid syntax, else -1): rsa-sha256, c=relaxed/relaxed, t=now, x=now +
 * lifetime when lifetime > 0.  Returns 0 or -1.
 */
int	dkim_signer_init(struct dkim_signer *s, const char *domain,
	    const char *selector, int64_t now, int64_t lifetime);

/* dkim_signer_feed: the next len bytes of the message. */
void	dkim_signer_feed(struct dkim_signer *s, const void *data,
	    size_t len);

/*
 * dkim_signer_finish: the message ended: sign it with fn and write the
 * complete DKIM-Signature field to prepend ("DKIM-Signature: ...",
 * folded, ending in CRLF) into out (cap bytes, NUL-terminated), its
 * length in *outlen.  Signed: every field of the RFC 6376 §5.4.1 list
 * that is present, each instance once, and From once more than present
 * (so a From added later breaks the signature).  Returns 0, or -1 with
 * the reason in err: the header section too large or broken, no From
 * field, the signer failed, out too small.
 */
int	dkim_signer_finish(struct dkim_signer *s, dkim_sign_fn fn, void *arg,
	    char *out, size_t cap, size_t *outlen, char *err, size_t errlen);

/* ---- verification ------------------------------------------------------- */

/*
 * Phase 1, where the message passes (the broker): init, feed the whole
 * message in chunks, end.  Afterwards sig[0..nsig) are the first
 * DKIM_SIGS_MAX DKIM-Signature fields from the top (more are ignored,
 * and counted in nmore): each decided already (permerror, fail on the
 * body hash, neutral, policy) or DKIM_PENDING with its header hash.
 * Phase 2, anywhere with DNS (the check role): dkim_verify_finish for
 * each pending one.
 */
struct dkim_verifier {
	struct dkim_msg	 msg;
	int64_t		 now;
	size_t		 nsig, nmore;
	struct dkim_sig	 sig[DKIM_SIGS_MAX];
	struct dkim_body body[DKIM_SIGS_MAX];
	int		 started;	/* signatures parsed, body hashing */
};

void	dkim_verifier_init(struct dkim_verifier *v, int64_t now);
void	dkim_verifier_feed(struct dkim_verifier *v, const void *data,
	    size_t len);
/* dkim_verifier_end: the message ended.  A header section that could not
 * be kept whole leaves every signature found in it as permerror
 * ("header section too large"). */
void	dkim_verifier_end(struct dkim_verifier *v);

/*
 * dkim_verify_finish: phase 2 of one signature: fetch the key record
 * (TXT at <selector>._domainkey.<domain>) through lookup, check it fits
 * the signature, verify the RSA signature of sig->hhash.  Sets and
 * returns sig->result (with sig->reason); a signature already decided
 * is returned as it is.  With several TXT records, the first that
 * parses as a key is used.
 */
enum dkim_result dkim_verify_finish(struct dkim_sig *sig, dns_lookup_fn lookup,
	    void *arg);

/* ---- names -------------------------------------------------------------- */

/* dkim_name_ok: 1 when s is a DNS name we sign for or look up: labels of
 * 1..63 letters, digits, '-' and '_', not starting or ending with '-',
 * joined by single dots, 1..253 bytes; else 0. */
int	dkim_name_ok(const char *s);

/* ---- the key directory ("dkim key directory") --------------------------- */

#define DKIM_SELECTOR_MAX	63	/* one DNS label */
#define DKIM_KEYDIR_MAX		32	/* keys loaded from the directory */

/*
 * dkim_keyfile_split: the domain and selector a key file's name holds
 * ("<domain>.<selector>.key": the selector is the last label before
 * ".key", one DNS label; the domain a DNS name), lower case, into domain
 * (DNS_NAME_MAX + 1 bytes) and selector (DKIM_SELECTOR_MAX + 1 bytes).
 * Returns 0, or -1 for any other name (the file is not a DKIM key).
 */
int	dkim_keyfile_split(const char *file, char *domain, char *selector);

#endif
