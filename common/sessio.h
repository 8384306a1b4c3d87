/*
 * sessio.h: the output side of a daemon's session engine in the mail
 * role (skel.h): a buffer flushed to the net process when full or when
 * the engine asks, and waits that end at once when authd ends the
 * session (its connection becomes readable or hangs up), also while a
 * slow client keeps the buffer from draining.  Output never waits long
 * behind work: sessio_check sends what has been buffered for
 * SESSIO_HOLD_MS, so the answer to a quick command is not held back by
 * a slow one pipelined after it.
 *
 * Runs in the mail process of pop3d and imapd; trusts nothing the
 * client does (it may stop reading at any time).
 */
#ifndef POSTERN_SESSIO_H
#define POSTERN_SESSIO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* How long buffered output may wait for more before sessio_check sends
 * it: long enough to batch the answers to a pipelined burst of quick
 * commands into one write, short enough not to be noticed. */
#define SESSIO_HOLD_MS	20

struct sessio {
	int	 fd;		/* the stream to the net process */
	int	 endfd;		/* authd's connection, or -1 */
	char	*buf;		/* the caller's, size octets */
	size_t	 size;
	size_t	 len;
	int64_t	 since;		/* mono_ms() when len last left 0 */
	int	 ioerr;		/* writing or waiting failed: stop */
	int	 ended;		/* endfd spoke: stop at once */
};

/* sessio_init: output to fd through buf (size octets, the caller's,
 * which MUST outlive io); endfd may be -1. */
void	sessio_init(struct sessio *io, int fd, int endfd, char *buf,
	    size_t size);

/*
 * sessio_wait: wait until fd has events, endfd speaks (io->ended set,
 * -1 returned) or timeout_ms (-1: none) passes.  Returns 0 with *ready
 * 1 when fd has events, 0 when the time passed; -1 (io->ioerr or
 * io->ended set).
 */
int	sessio_wait(struct sessio *io, short events, int timeout_ms,
	    int *ready);

/* sessio_check: without waiting, whether the session must stop: authd
 * ended it (io->ended) or the net process hung up (io->ioerr), as a
 * session engine asks between commands and inside a long one, so that a
 * kick or a client that left ends work already read.  Also sends output
 * buffered for SESSIO_HOLD_MS or longer.  0 to go on, -1 to stop. */
int	sessio_check(struct sessio *io);

/* sessio_flush: send what is buffered (all of it, or nothing more after
 * an error); 0, or -1 after a write error or the end of the session. */
int	sessio_flush(struct sessio *io);

/* sessio_put: n octets, flushing when the buffer is full; sessio_printf:
 * a formatted piece of at most 4096 octets (longer is a bug: fatalx).
 * After an error or the end, output is dropped. */
void	sessio_put(struct sessio *io, const char *p, size_t n);
void	sessio_printf(struct sessio *io, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	sessio_vprintf(struct sessio *io, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

#endif
