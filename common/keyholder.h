/*
 * keyholder.h: the process that holds a daemon's TLS private key, and
 * smtpd's DKIM signing keys.
 *
 * The keyholder role runs in its own process, started by the daemon's
 * parent with fork + exec of the same binary and a role flag; it never
 * forks, chroots to the empty directory, runs as the keyholder user and
 * allows only read, write, recvmsg (descriptors), send, poll, close,
 * getpid (log lines) and exit; it never allocates, and parses the key
 * inside that sandbox.  It receives the key as an open
 * file descriptor from the parent (which never reads the file), signs
 * handshake hashes for net processes and DKIM header hashes for relay
 * processes, and nothing else: it refuses key exchange and never returns
 * key material.
 *
 * Channels, all socketpairs, all frames (frame.h):
 *  - control (parent <-> keyholder): MSG_KEY_LOAD carries, with
 *    SCM_RIGHTS, one fd of the key PEM file and one of the certificate
 *    PEM file; the keyholder parses both, checks that the key matches the
 *    certificate's public key, and answers MSG_KEY_LOAD with status 0 or
 *    1 and a reason.  A failed load keeps the old key.  MSG_KEY_CHANNEL
 *    carries (SCM_RIGHTS) one end of a new socketpair for one net
 *    process; no answer.  A channel signs with the key that was current
 *    when it was made, since its net process sends the chain of that
 *    time: a handshake that spans a reload still verifies.  The previous
 *    key is wiped when its last channel closes, or at the next load.
 *  - sign (net process <-> keyholder, one per connection):
 *    MSG_KEY_SIGN req: u32 hash id (br_sha256_ID, ...), bytes hash
 *                 ans: u32 status (0 ok), bytes signature
 *    RSA keys sign PKCS#1 v1.5 with the hash OID; EC keys produce
 *    ASN.1 DER ECDSA signatures.  Only SHA-256, SHA-384 and SHA-512 are
 *    signed; another hash id, a hash of the wrong length or no key yet
 *    gives status 1 and no signature.  A malformed request, one over
 *    KEYHOLDER_REQ_MAX bytes, or a net process that does not read its
 *    answers closes the channel
 *    (the keyholder never blocks on one net process).  At most
 *    KEYHOLDER_MAX_CHANNELS channels are open at once; beyond that a new
 *    one is closed at once (its handshakes fail).
 *
 * DKIM (RFC 6376) keys, one per (domain, selector), also live here:
 *  - control: MSG_KEY_DKIM_LOAD carries (SCM_RIGHTS) one fd of a key
 *    file of the "dkim key directory" and str domain, str selector, u64
 *    the file's modification time; the keyholder parses it (PEM, RSA of
 *    1024 to 4096 bits) into the next key set and answers u32 status, str
 *    reason.  MSG_KEY_DKIM_COMMIT (no field) makes the next set current
 *    (the old one is wiped) and answers u32 the number of keys: a reload
 *    is loads, then one commit, and a half-done one changes nothing.
 *    MSG_KEY_DKIM_CHANNEL carries one end of a socketpair for a relay
 *    process; no answer.  Only such channels sign DKIM hashes, and they
 *    sign nothing else: a net process, one session away from hostile,
 *    cannot make our domains' signatures.
 *  - DKIM channel (relay <-> keyholder):
 *    MSG_KEY_DKIM_SELECTOR req: str domain
 *                          ans: u32 status (0 a key, 1 none), str selector
 *      the selector to sign with: the domain's newest key file (mtime,
 *      then the greater selector), so a key made for a rotation signs
 *      from the reload after it was made.
 *    MSG_KEY_DKIM_SIGN req: str domain, str selector, bytes hash (32,
 *                           the SHA-256 of the canonical header)
 *                      ans: u32 status (0 ok, 1 no such key), bytes
 *                           signature (RSASSA-PKCS1-v1_5, SHA-256)
 *    A malformed request, or one over KEYHOLDER_DKIM_REQ_MAX bytes,
 *    closes the channel.  Keys are looked up in the current set at each
 *    request (domain and selector case-insensitive).
 *
 * The channels may be SOCK_STREAM: descriptors are matched to the frame
 * they were sent with, in order.
 */
#ifndef POSTERN_KEYHOLDER_H
#define POSTERN_KEYHOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/frame.h"
#include "common/msg.h"


#define KEYHOLDER_MAX_CHANNELS	1024
#define KEYHOLDER_REQ_MAX	128	/* a sign request's frame: u32 + hash */
#define KEYHOLDER_DKIM_REQ_MAX	512	/* a DKIM request's frame */
#define KEYHOLDER_SELECTOR_MAX	63	/* DKIM_SELECTOR_MAX */
#define KEYHOLDER_DOMAIN_MAX	253	/* DNS_NAME_MAX */

/* One DKIM channel request, decoded. */
struct keyholder_dkim_req {
	int		type;	/* MSG_KEY_DKIM_SELECTOR or _SIGN */
	char		domain[KEYHOLDER_DOMAIN_MAX + 1];
	char		selector[KEYHOLDER_SELECTOR_MAX + 1];	/* SIGN */
	unsigned char	hash[32];				/* SIGN */
};

/*
 * keyholder_dkim_parse: decode one DKIM channel request (hostile bytes:
 * one whole frame of len bytes, as keyholder_sign_parse takes) into r.
 * f is scratch.  Pure.  Returns 0, or -1 for anything malformed: another
 * type, a string too long or holding a NUL, a hash not of 32 bytes,
 * bytes left over.
 */
int	keyholder_dkim_parse(struct frame *f, const uint8_t *buf, size_t len,
	    struct keyholder_dkim_req *r);

/*
 * keyholder_sign_parse: decode one sign request, as the keyholder reads
 * it from a net process (hostile bytes): buf holds exactly one frame of
 * len bytes (frame_complete's length) that MUST be MSG_KEY_SIGN with a
 * u32 hash id and the hash as bytes, and nothing after them.  f is the
 * caller's scratch frame; on success *hash points into it (valid while f
 * is) and *hashlen is at most len.  Whether the id names a hash we sign
 * and the length fits it is the signer's business, not the parser's.
 * Pure: no I/O, no global state, no allocation.  Returns 0, or -1 for
 * anything malformed (the keyholder then closes the channel).
 */
int	keyholder_sign_parse(struct frame *f, const uint8_t *buf, size_t len,
	    uint32_t *hash_id, const uint8_t **hash, size_t *hashlen);

/*
 * keyholder_main: the keyholder role's entry function: ctlfd is the
 * control channel to the parent; chroot_dir, uid, gid are where and as
 * whom to run (uid -1: development mode, no chroot).  Never returns;
 * exits 0 when the parent closes the control channel.
 */
void	keyholder_main(int ctlfd, const char *chroot_dir, int uid, int gid)
	    __attribute__((noreturn));

/*
 * Parent side.  keyholder_load sends the two descriptors and waits (at
 * most 10 s) for the answer: 0 when the keyholder now signs with that key,
 * -1 with the reason in err (always NUL-terminated).  The caller keeps
 * and closes its own copies of the descriptors.  After "no answer" the
 * control channel is out of step: treat the keyholder as dead.
 * keyholder_channel makes a socketpair (close-on-exec), hands one end to
 * the keyholder and returns the other (for the net process), or -1
 * (logged).  Neither ever raises SIGPIPE.
 */
int	keyholder_load(int ctlfd, int keyfd, int certfd, char *err,
	    size_t errlen);
int	keyholder_channel(int ctlfd);

/*
 * Net side: sign hash (hashlen bytes, hash_id as BearSSL numbers it)
 * through the channel fd, waiting at most TLS_SIGN_TIMEOUT_MS.  Writes
 * the signature into sig (siglen bytes of room) and returns its length,
 * or 0 on any failure (logged; the handshake then fails; after a timeout
 * the channel is out of step and MUST NOT be used again).  Uses send,
 * poll and read on fd, nothing else.
 */
size_t	keyholder_sign(int fd, int hash_id, const unsigned char *hash,
	    size_t hashlen, unsigned char *sig, size_t siglen);

/*
 * DKIM, parent side.  keyholder_dkim_load hands over one key file (the
 * caller keeps and closes its fd) for domain and selector, mtime its
 * modification time; 0, or -1 with the reason in err.
 * keyholder_dkim_commit makes the keys loaded since the last commit the
 * current set; returns their number, or -1 (no answer: treat the
 * keyholder as dead).  Both wait at most 10 s.  keyholder_dkim_channel
 * makes a DKIM channel for a relay process, as keyholder_channel does.
 */
int	keyholder_dkim_load(int ctlfd, int keyfd, const char *domain,
	    const char *selector, int64_t mtime, char *err, size_t errlen);
int	keyholder_dkim_commit(int ctlfd);
int	keyholder_dkim_channel(int ctlfd);

/*
 * DKIM, relay side, through a DKIM channel fd; each waits at most
 * TLS_SIGN_TIMEOUT_MS and afterwards the channel is out of step (MUST
 * NOT be used again) if it returned -1 (or 0 from keyholder_dkim_sign
 * for a timeout; logged).
 * keyholder_dkim_selector: the selector to sign domain's mail with into
 * selector (KEYHOLDER_SELECTOR_MAX + 1 bytes): 1, or 0 when the domain
 * has no key, -1 on failure.
 * keyholder_dkim_sign: the RSA signature of hash (SHA-256 of the
 * canonical header) with the key of domain and selector into sig (cap
 * bytes); returns its length, or 0 (no such key, or failure).  After 0,
 * errno is ENOENT (the keyholder answered: no such key) or EMSGSIZE
 * (it answered with a signature longer than cap): the channel is still
 * in step then; anything else means no answer came.  Matches
 * dkim_sign_fn's shape through a small adapter in the relay.
 */
int	keyholder_dkim_selector(int fd, const char *domain, char *selector);
size_t	keyholder_dkim_sign(int fd, const char *domain, const char *selector,
	    const unsigned char hash[32], unsigned char *sig, size_t cap);

/*
 * keyholder_dkim_signer: dkim_signer_finish's signing function (dkim.h:
 * dkim_sign_fn) for a relay: arg is a struct keyholder_dkim_key naming
 * the channel, the domain and the selector (the one
 * keyholder_dkim_selector gave, which the DKIM-Signature names).
 */
struct keyholder_dkim_key {
	int		 fd;
	const char	*domain;
	const char	*selector;
};
int	keyholder_dkim_signer(void *arg, const unsigned char hash[32],
	    unsigned char *sig, size_t *siglen);

#endif
