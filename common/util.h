/*
 * util.h: small helpers every process uses: bounded string copy, constant
 * time comparison, randomness from getrandom(2), the wall clock.
 * Runs anywhere; trusts nothing it is given beyond the sizes it is told.
 */
#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* str_copy: copy src into dst of size dstsize, always NUL-terminated.
 * Returns 0, or -1 when src did not fit (dst then holds a prefix). */
int	str_copy(char *dst, const char *src, size_t dstsize);

/* timingsafe_eq: 1 when the n bytes at a and b are equal, else 0; the
 * time taken depends on n only. */
int	timingsafe_eq(const void *a, const void *b, size_t n);

/* random_bytes: fill buf from getrandom(2); fatal if the kernel fails. */
void	random_bytes(void *buf, size_t n);

/* now_us: wall-clock time in microseconds since the epoch (CLOCK_REALTIME,
 * so faketime(1) controls it in tests). */
int64_t	now_us(void);

/* mono_ms: CLOCK_MONOTONIC in milliseconds, for timers. */
int64_t	mono_ms(void);

/* write_all: write the len bytes at p to fd, again after a short write
 * or EINTR.  Returns 0, or -1 with errno from write(2). */
int	write_all(int fd, const void *p, size_t len);

/* str_lower: ASCII-lowercase s in place. */
void	str_lower(char *s);

/*
 * user_name_valid: non-zero when s is a plausible user name: local@domain,
 * at most AUTH_USER_MAX-1 bytes, printable ASCII without blanks, exactly one
 * '@' with a non-empty part on each side, the local part at most 64
 * characters and the domain at most 253 (RFC 5321, 4.5.3.1).
 */
int	user_name_valid(const char *s);

#endif
