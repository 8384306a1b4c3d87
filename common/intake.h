/*
 * intake.h: the offline intake, how a local program hands a message to
 * smtpd's queue without a network connection: one file per message in
 * <spool>/intake/ (mode 1733, owned by the queue uid: anyone may drop a
 * file, only the queue lists, reads and removes them).
 *
 * Writers (sendmail(8) as any user, authd's login notices) call
 * intake_write; the queue calls intake_read on each file it finds.  The
 * writer trusts its caller; the reader trusts nothing in the file: any
 * local user can drop any bytes there, so every line and size is bounded
 * and checked.
 *
 * File format, version 1 (LF line ends in the header, ASCII keywords):
 *
 *   postern-intake 1
 *   from <sender>            exactly once; "<>" is the null sender
 *   rcpt <recipient>         1 to INTAKE_RCPT_MAX times
 *                            (blank line)
 *   the message, as given (LF or CRLF line ends), to the end of the file
 *
 * An address is at most INTAKE_ADDR_MAX bytes of printable ASCII or UTF-8
 * (bytes >= 0x80), without blanks, control characters, '<' or '>'; a
 * recipient is "local@domain" or a bare local name without '@' (the
 * queue qualifies it with the first configured domain).
 *
 * Names: a finished file is "<seconds>.<microseconds>.<pid>.<16 hex>",
 * never starting with '.'; a file being written is ".tmp.<same>".  The
 * queue ignores dot files younger than an hour and removes older ones (a
 * writer that died half-way).
 */
#ifndef POSTERN_INTAKE_H
#define POSTERN_INTAKE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define INTAKE_DIR		"intake"
#define INTAKE_MAGIC		"postern-intake 1"
#define INTAKE_ADDR_MAX		256	/* bytes of one address */
#define INTAKE_RCPT_MAX		100	/* recipients of one file */
#define INTAKE_NAME_MAX		64	/* a file name, NUL included */
#define INTAKE_ERR_MAX		160	/* enough for every reason below */

/*
 * intake_write: durably drop one message for the queue into
 * <spool_dir>/intake: sender ("" for the null sender), rcpts[0..n-1]
 * (n >= 1; "user@domain" or a bare local name such as "root", which the
 * queue qualifies with the first "domain"), the message (LF or CRLF line
 * ends; len bytes at msg, which may be NULL when len is 0).  Returns 0
 * once the file is fsynced and renamed into place (and the directory
 * fsynced), else -1 with the reason in err (errlen bytes; may be NULL);
 * nothing is left behind on failure.
 *
 * The file is created mode 0644 as ".tmp.<name>", written, fsynced, and
 * renamed to <name> without replacing anything (RENAME_NOREPLACE; a
 * clash, which needs the same microsecond, pid and 64 random bits, is
 * retried with new random bits).  The directory is then fsynced; a writer
 * that may not read the directory (mode 1733 gives others write and
 * search only, and fsync needs an open descriptor) makes the rename
 * durable with syncfs(2) on the file's file system instead.
 *
 * Errors: an address that breaks the rules above, n of 0 or above
 * INTAKE_RCPT_MAX ("invalid sender" etc., errno EINVAL); any failing
 * system call ("cannot create a file in <dir>: <strerror>", errno kept).
 */
int	intake_write(const char *spool_dir, const char *sender,
	    const char *const *rcpts, size_t n, const void *msg, size_t len,
	    char *err, size_t errlen);

/* What intake_read found in one file.  About 26K: keep one, not many on
 * the stack. */
struct intake_msg {
	uid_t		owner;		/* the file's owner: who dropped it */
	char		sender[INTAKE_ADDR_MAX + 1];	/* "" null sender */
	size_t		nrcpt;
	char		rcpt[INTAKE_RCPT_MAX][INTAKE_ADDR_MAX + 1];
	off_t		body_off;	/* the message starts here in the file */
	uint64_t	body_len;	/* and has this many bytes */
};

/* intake_read's results. */
#define INTAKE_OK	0
#define INTAKE_BAD	(-1)	/* the file breaks the format: set aside */
#define INTAKE_IOERR	(-2)	/* reading failed: try again later */

/*
 * intake_read: check and parse the intake file open at fd (O_RDONLY; the
 * caller opened it with O_NOFOLLOW | O_NONBLOCK) into *m.  The file must
 * be a regular file with one link (a hard link to someone else's file is
 * refused), its header at most INTAKE_HDR_MAX bytes and exactly as the
 * format above says (no other line, no repeated "from", no empty
 * recipient list), and the message at most max_body bytes.  Reads with
 * pread, so the file offset is unchanged.
 *
 * Returns INTAKE_OK; INTAKE_BAD with the reason in err (which line, what
 * is wrong; never bytes of the file, so it is safe to log); INTAKE_IOERR
 * with the reason when fstat or pread failed.  *m is undefined unless
 * INTAKE_OK.
 */
#define INTAKE_HDR_MAX	(64 + (INTAKE_RCPT_MAX + 1) * (INTAKE_ADDR_MAX + 8))

int	intake_read(int fd, uint64_t max_body, struct intake_msg *m,
	    char *err, size_t errlen);

/*
 * intake_addr_valid: 1 when the NUL-terminated s (len bytes) may be an
 * address in an intake file as above: 1..INTAKE_ADDR_MAX bytes, each
 * printable ASCII but blank, '<' and '>', or >= 0x80.  (The null sender
 * is not an address: callers test for "" first.)
 */
int	intake_addr_valid(const char *s, size_t len);

/*
 * intake_name_valid: 1 when name is a finished intake file's name as
 * intake_write makes them (digits, '.', lowercase hex; no leading '.';
 * shorter than INTAKE_NAME_MAX), so the queue touches no other file.
 */
int	intake_name_valid(const char *name);

#endif
