/*
 * util.c: small shared helpers (see util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/log.h"
#include "common/util.h"

int
str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t n = strlen(src);

	if (dstsize == 0)
		return -1;
	if (n >= dstsize) {
		memcpy(dst, src, dstsize - 1);
		dst[dstsize - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
timingsafe_eq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void
random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			fatal("cannot read random bytes");
		p += r;
		n -= (size_t)r;
	}
}

int64_t
now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("cannot read the clock");
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("cannot read the monotonic clock");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* RFC 5321 section 4.5.3.1.1 and 4.5.3.1.2. */
#define USER_LOCAL_MAX	64
#define USER_DOMAIN_MAX	253

int
user_name_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);
	const char *p;

	if (n == 0 || n >= AUTH_USER_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	if ((size_t)(at - s) > USER_LOCAL_MAX ||
	    strlen(at + 1) > USER_DOMAIN_MAX)
		return 0;
	for (p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		len -= (size_t)w;
	}
	return 0;
}
