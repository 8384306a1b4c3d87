/*
 * keyholder.h: the process that holds a daemon's TLS private key.
 *
 * The keyholder role runs in its own process, started by the daemon's
 * parent with fork + exec of the same binary and a role flag; it never
 * forks, chroots to the empty directory, runs as the keyholder user and
 * allows only read, write, recvmsg (descriptors), send, poll, close,
 * getpid (log lines) and exit; it never allocates, and parses the key
 * inside that sandbox.  It receives the key as an open
 * file descriptor from the parent (which never reads the file), signs
 * handshake hashes for net processes, and nothing else: it refuses key
 * exchange and never returns key material.
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

#endif
