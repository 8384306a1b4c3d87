/*
 * arstrip.h: removing, from a message as it streams into the queue, every
 * Authentication-Results header field that claims to come from us (RFC
 * 8601 section 5: an MTA MUST remove such fields that arrive with a
 * message before it adds its own, or any sender could forge our verdict).
 *
 * Runs in smtpd's broker, on port 25; pure code, no I/O.  The bytes are
 * the SMTP client's and wholly untrusted: the scanner is a byte-at-a-time
 * state machine that never holds more than ARSTRIP_PENDING_MAX bytes of a
 * field back.
 *
 * Which fields go: those named Authentication-Results (any case, blanks
 * allowed before the colon as RFC 5322's obsolete syntax does) in the
 * header block (up to the first empty line), whose authserv-id (the first
 * word of the value, after blanks, folding and comments; a token or a
 * quoted string) equals ours without regard to case; and those whose
 * authserv-id cannot be found within ARSTRIP_PENDING_MAX bytes (a field
 * we cannot read is no result anyone should trust).  A field goes with
 * all its folded continuation lines.  Everything else, and the body, is
 * passed through byte for byte.
 */
#ifndef POSTERN_ARSTRIP_H
#define POSTERN_ARSTRIP_H

#include <stddef.h>
#include <stdint.h>

#define ARSTRIP_PENDING_MAX	1024	/* bytes of a field held back */
#define ARSTRIP_ID_MAX		256	/* an authserv-id compared */

struct arstrip {
	int		state;
	char		ours[ARSTRIP_ID_MAX];	/* our authserv-id */
	uint8_t		pending[ARSTRIP_PENDING_MAX];
	size_t		npending;
	size_t		namepos;		/* name bytes matched */
	int		depth;			/* comment nesting */
	int		quoted, escaped;	/* in the authserv-id */
	char		id[ARSTRIP_ID_MAX];
	size_t		idlen;
	int		idlong;			/* longer than id holds */
	int		in_id;			/* reading the id now */
	unsigned	removed;		/* fields removed so far */
};

/* arstrip_init: a scanner for a new message; ours is our authserv-id
 * (the "hostname" of the configuration; truncated to ARSTRIP_ID_MAX-1). */
void	arstrip_init(struct arstrip *s, const char *ours);

/*
 * arstrip_feed: scan the n bytes at in (the message's next bytes, as the
 * client sent them) and write what is to be stored to out, which MUST
 * have room for n + ARSTRIP_PENDING_MAX bytes (a field held back may be
 * released).  Returns how many bytes were written.  in and out must not
 * overlap.
 */
size_t	arstrip_feed(struct arstrip *s, const uint8_t *in, size_t n,
	    uint8_t *out);

/*
 * arstrip_finish: the message ended: writes what was still held back (a
 * header that ended inside a field we keep) to out (room for
 * ARSTRIP_PENDING_MAX bytes), returns how many.  A field still undecided
 * at the end is removed.  s->removed counts the fields removed.
 */
size_t	arstrip_finish(struct arstrip *s, uint8_t *out);

#endif
