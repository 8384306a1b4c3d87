/*
 * relay_tls_none.c: relay_tls.h for a build without the TLS client
 * (common/tls.h's tls_conn_client): every call says there is none.
 * Runs in the relay role.  With it, the relay speaks plaintext SMTP only
 * and fails with a temporary error whatever needs TLS; the build with
 * the client links relay_tls.c instead.
 */
#include <errno.h>
#include <stdio.h>

#include "smtpd/relay_tls.h"

static const char relay_tls_none_why[] =
    "this build of postern has no TLS client";

int
relay_tls_built(void)
{
	return 0;
}

void *
relay_tls_anchors_load(const char *pem_file, char *err, size_t errlen)
{
	(void)pem_file;
	(void)snprintf(err, errlen, "%s", relay_tls_none_why);
	return NULL;
}

struct relay_tls *
relay_tls_start(int fd, const struct relay_tls_req *r, int64_t timeout_ms,
    char *err, size_t errlen)
{
	(void)fd;
	(void)r;
	(void)timeout_ms;
	(void)snprintf(err, errlen, "%s", relay_tls_none_why);
	return NULL;
}

ssize_t
relay_tls_read(struct relay_tls *t, void *buf, size_t len,
    int64_t timeout_ms)
{
	(void)t;
	(void)buf;
	(void)len;
	(void)timeout_ms;
	errno = EIO;
	return -1;
}

int
relay_tls_write(struct relay_tls *t, const void *p, size_t len,
    int64_t timeout_ms)
{
	(void)t;
	(void)p;
	(void)len;
	(void)timeout_ms;
	errno = EIO;
	return -1;
}

void
relay_tls_describe(struct relay_tls *t, char *buf, size_t len)
{
	(void)t;
	(void)snprintf(buf, len, "none");
}

int
relay_tls_verified(struct relay_tls *t)
{
	(void)t;
	return 0;
}

void
relay_tls_end(struct relay_tls *t)
{
	(void)t;
}
