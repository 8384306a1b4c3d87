/*
 * keyholder_dkim.c: the stubs that talk to the keyholder about DKIM
 * keys (keyholder.h): loading and committing them in the parent, the
 * selector and the signature in a relay process.
 *
 * The parent trusts the keyholder's answers only as far as their format
 * goes; a relay treats them as it would any peer's (every length checked,
 * a signature longer than its buffer refused).  Neither raises SIGPIPE.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/keyholder.h"
#include "common/keyholder_int.h"
#include "common/log.h"
#include "common/tls.h"
#include "common/util.h"

int
keyholder_dkim_load(int ctlfd, int keyfd, const char *domain,
    const char *selector, int64_t mtime, char *err, size_t errlen)
{
	struct frame f;
	uint32_t status;

	frame_init(&f, MSG_KEY_DKIM_LOAD);
	frame_add_str(&f, domain);
	frame_add_str(&f, selector);
	frame_add_u64(&f, (uint64_t)mtime);
	if (frame_finish(&f) == -1 || kh_send_fds(ctlfd, &f, &keyfd, 1) ==
	    -1) {
		(void)snprintf(err, errlen, "cannot reach the keyholder: %s",
		    strerror(errno));
		return -1;
	}
	if (frame_read(ctlfd, &f, mono_ms() + KH_LOAD_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_DKIM_LOAD || frame_get_u32(&f, &status) == -1 ||
	    frame_get_str(&f, err, errlen) == -1 || frame_end(&f) == -1) {
		(void)snprintf(err, errlen, "no answer from the keyholder");
		return -1;
	}
	return status == 0 ? 0 : -1;
}

int
keyholder_dkim_commit(int ctlfd)
{
	struct frame f;
	uint32_t n;

	frame_init(&f, MSG_KEY_DKIM_COMMIT);
	if (frame_finish(&f) == -1 || kh_send(ctlfd, &f, 0) == -1 ||
	    frame_read(ctlfd, &f, mono_ms() + KH_LOAD_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_DKIM_COMMIT || frame_get_u32(&f, &n) == -1 ||
	    frame_end(&f) == -1)
		return -1;
	return (int)n;
}

int
keyholder_dkim_channel(int ctlfd)
{
	struct frame f;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("cannot make a DKIM channel");
		return -1;
	}
	frame_init(&f, MSG_KEY_DKIM_CHANNEL);
	if (frame_finish(&f) == -1 || kh_send_fds(ctlfd, &f, &sv[1], 1) ==
	    -1) {
		log_warn("cannot hand a DKIM channel to the keyholder");
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (close(sv[1]) == -1)
		log_warn("cannot close a DKIM channel");
	return sv[0];
}

int
keyholder_dkim_selector(int fd, const char *domain, char *selector)
{
	struct frame f;
	uint32_t status;

	frame_init(&f, MSG_KEY_DKIM_SELECTOR);
	frame_add_str(&f, domain);
	if (frame_finish(&f) == -1 || kh_send(fd, &f, 0) == -1) {
		log_warn("cannot ask the keyholder for the DKIM key of %s",
		    domain);
		return -1;
	}
	if (frame_read(fd, &f, mono_ms() + TLS_SIGN_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_DKIM_SELECTOR ||
	    frame_get_u32(&f, &status) == -1 ||
	    frame_get_str(&f, selector, KEYHOLDER_SELECTOR_MAX + 1) == -1 ||
	    frame_end(&f) == -1) {
		log_warnx("the keyholder gave no valid answer about the DKIM "
		    "key of %s within %d ms", domain, TLS_SIGN_TIMEOUT_MS);
		return -1;
	}
	if (status != 0)
		selector[0] = '\0';
	return status == 0 && selector[0] != '\0';
}

size_t
keyholder_dkim_sign(int fd, const char *domain, const char *selector,
    const unsigned char hash[32], unsigned char *sig, size_t cap)
{
	struct frame f;
	const uint8_t *p;
	uint32_t status;
	size_t len;

	frame_init(&f, MSG_KEY_DKIM_SIGN);
	frame_add_str(&f, domain);
	frame_add_str(&f, selector);
	frame_add_bytes(&f, hash, 32);
	if (frame_finish(&f) == -1 || kh_send(fd, &f, 0) == -1) {
		log_warn("cannot send a DKIM sign request to the keyholder");
		return 0;
	}
	if (frame_read(fd, &f, mono_ms() + TLS_SIGN_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_DKIM_SIGN || frame_get_u32(&f, &status) == -1 ||
	    frame_get_bytes(&f, &p, &len) == -1 || frame_end(&f) == -1) {
		log_warnx("the keyholder gave no valid DKIM signature within "
		    "%d ms", TLS_SIGN_TIMEOUT_MS);
		return 0;
	}
	if (status != 0 || len == 0) {
		log_warnx("no DKIM key for %s selector %s", domain, selector);
		errno = ENOENT;
		return 0;
	}
	if (len > cap) {
		log_warnx("the DKIM signature for %s is longer than expected",
		    domain);
		errno = EMSGSIZE;
		return 0;
	}
	memcpy(sig, p, len);
	return len;
}

int
keyholder_dkim_signer(void *arg, const unsigned char hash[32],
    unsigned char *sig, size_t *siglen)
{
	const struct keyholder_dkim_key *k = arg;
	size_t n;

	if ((n = keyholder_dkim_sign(k->fd, k->domain, k->selector, hash, sig,
	    *siglen)) == 0)
		return -1;
	*siglen = n;
	return 0;
}
