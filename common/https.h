/*
 * https.h: a tiny HTTPS client for one job: fetching a domain's MTA-STS
 * policy (RFC 8461 3.3) from https://mta-sts.<domain>/.well-known/
 * mta-sts.txt.  TLS is tls_conn_client in CA mode (the certificate must
 * be valid for the policy host), the request is one HTTP/1.1 GET with
 * Host and "Connection: close", and the response goes through the
 * bounded parser of httpresp.h (200 only, no redirects, text/plain, at
 * most 64 KiB, chunked or not).  Runs in the relay processes, blocking
 * with a deadline (poll); no DNS here: the caller resolved the host and
 * gives the address or a connected socket.  System calls, for the
 * relay's allow-list: socket, connect, getsockopt, fcntl (https_connect),
 * poll, clock_gettime, and the TLS client's (tls.h).
 */
#ifndef POSTERN_HTTPS_H
#define POSTERN_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#include "common/httpresp.h"
#include "common/mtasts.h"
#include "common/tls.h"

/*
 * https_connect: a TCP connection to the numeric IPv4 or IPv6 address
 * addr (no DNS) and port, made within timeout_ms.  Returns the socket
 * (blocking mode, close-on-exec; the caller closes it), or -1 with the
 * reason in err (errlen bytes): a malformed address, refused, timed out.
 */
int	https_connect(const char *addr, uint16_t port, int timeout_ms,
	    char *err, size_t errlen);

/*
 * https_get: on the connected socket fd, TLS with host as the server
 * name (SNI, and the name the certificate must carry, CA mode against
 * anchors), then "GET path" and the response into r (the caller's:
 * about 70 KiB), all within timeout_ms.  Returns 0 with r complete
 * (status 200, text/plain, r->body and r->bodylen; the body is not
 * NUL-terminated), or -1 with the reason in err: the connection, the
 * TLS handshake or the certificate (said as tls_why says it), the
 * timeout, or the parser's refusal (r->err).  A body delimited by the
 * end of the connection counts only with a TLS close_notify (else it
 * may have been cut).  fd stays open.  host and path are ours, not the
 * network's: host a DNS name, path beginning with '/'; -1 otherwise.
 */
int	https_get(int fd, const char *host, const char *path,
	    const struct tls_anchors *anchors, int timeout_ms,
	    struct http_resp *r, char *err, size_t errlen);

/*
 * https_mtasts_fetch: https_get of domain's policy on fd (connected to
 * mta-sts.<domain>), then mtasts_policy_parse into p.  r is work space.
 * 0, or -1 with the reason in err.
 */
int	https_mtasts_fetch(int fd, const char *domain,
	    const struct tls_anchors *anchors, int timeout_ms,
	    struct http_resp *r, struct mtasts_policy *p, char *err,
	    size_t errlen);

#endif
