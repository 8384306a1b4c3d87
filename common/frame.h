/*
 * frame.h: the framing of every message on postern's UNIX sockets.
 *
 * Runs in every process that talks to another (daemons to authd, roles to
 * roles).  A frame is a 4-byte big-endian payload length, then the payload:
 * one type byte and typed fields (u32, u64: big-endian; bytes: a 2-byte
 * big-endian length, then the bytes).  Frames are at most FRAME_MAX bytes
 * in all.  Readers check the length of every field and reject trailing
 * bytes, so a malformed frame from a peer is always detected; what to do
 * then (fatal for a peer process, drop for a client of authd) is the
 * caller's choice.  Buffers are caller-owned; nothing here allocates.
 */
#ifndef POSTERN_FRAME_H
#define POSTERN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX	4096
#define FRAME_HDR	4

struct frame {
	uint8_t	buf[FRAME_MAX];
	size_t	len;		/* bytes in buf, header included */
	size_t	pos;		/* read position */
	int	error;		/* set by an add that did not fit */
	uint8_t	type;
};

/* Building.  frame_init starts a frame of the given type; each add that
 * would overflow sets f->error and adds nothing; frame_finish writes the
 * length and returns 0, or -1 if any add failed. */
void	frame_init(struct frame *f, uint8_t type);
void	frame_add_u32(struct frame *f, uint32_t v);
void	frame_add_u64(struct frame *f, uint64_t v);
void	frame_add_bytes(struct frame *f, const void *p, size_t len);
void	frame_add_str(struct frame *f, const char *s);
int	frame_finish(struct frame *f);

/*
 * frame_complete: look at len bytes received so far.  Returns the total
 * length of the first frame when it is complete, 0 when more bytes are
 * needed, -1 when the header announces an impossible length (0 or more
 * than FRAME_MAX): the stream is then unusable.
 */
long	frame_complete(const uint8_t *buf, size_t len);

/*
 * frame_parse: copy one complete frame of len bytes (as frame_complete
 * returned) into f and read its type.  Returns 0, or -1 if len is wrong.
 */
int	frame_parse(struct frame *f, const uint8_t *buf, size_t len);

/* Reading.  Each returns 0, or -1 when the field is missing or malformed.
 * frame_get_bytes points into f (valid while f is); frame_get_str copies a
 * field into out (NUL-terminated) and fails if it does not fit or holds a
 * NUL byte.  frame_end returns -1 if bytes remain unread. */
int	frame_get_u32(struct frame *f, uint32_t *v);
int	frame_get_u64(struct frame *f, uint64_t *v);
int	frame_get_bytes(struct frame *f, const uint8_t **p, size_t *len);
int	frame_get_str(struct frame *f, char *out, size_t outlen);
int	frame_end(const struct frame *f);

/* frame_wipe: explicit_bzero the whole frame (it may have held a secret). */
void	frame_wipe(struct frame *f);

/*
 * Blocking helpers for clients, tools and roles that wait for one answer
 * (never in an event loop): frame_write writes the finished frame fully
 * (waiting for room on a non-blocking descriptor);
 * frame_read reads exactly one frame, all of it by deadline (mono_ms() of
 * util.h; FRAME_FOREVER: no limit).  The one frame reader of postern: a
 * peer that sends part of a frame and stops cannot hold the reader past
 * its deadline.  A deadline already past still takes what is there now
 * (a non-blocking read of a frame written with one write).  Both return
 * 0, or -1 with errno set (EPROTO for a bad frame, ECONNRESET for end of
 * file, ETIMEDOUT when the deadline passed).
 */
#define FRAME_FOREVER	((int64_t)-1)

int	frame_write(int fd, const struct frame *f);
int	frame_read(int fd, struct frame *f, int64_t deadline);
/* frame_read_wait: poll fd for reading until deadline; 0 when readable
 * (or hung up: the read says which), -1 with errno ETIMEDOUT or poll's;
 * for readers of their own (a descriptor with the frame). */
int	frame_read_wait(int fd, int64_t deadline);

#endif
