/*
 * relay_dkim.c: the fields the relay adds before a job's message
 * (relay_dkim.h): the DKIM-Signature, with the RSA signature from the
 * keyholder, and the Authentication-Results of forwarded mail.  Runs in
 * the relay role.  The message is hostile: it is read with pread at
 * bounded offsets, parsed only by dmarc_from_domain and hashed by
 * dkim_signer_*; the keyholder's answers are checked by its stubs.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/dkim.h"
#include "common/dmarc.h"
#include "common/frame.h"
#include "common/keyholder.h"
#include "common/log.h"
#include "common/util.h"
#include "smtpd/relay_dkim.h"

_Static_assert(RELAY_DKIM_FIELD_MAX == DKIM_SIGNATURE_MAX,
    "relay_dkim.h's bound of the DKIM-Signature field is dkim.h's");

#define RELAY_DKIM_CHUNK	16384
#define RELAY_DKIM_REST_MS	1000	/* the rest of a late answer */

/* One signature request to the keyholder, and whether it answered (the
 * channel is in step) or not (an answer is owed). */
struct relay_dkim_call {
	struct keyholder_dkim_key key;
	int	answered;
};

static void
relay_dkim_close(struct relay_ctx *x, const char *why)
{
	log_warnx("the DKIM channel to the keyholder %s; this relay process "
	    "sends mail unsigned from now on", why);
	(void)close(x->dkim_fd);
	x->dkim_fd = -1;
	x->dkim_owed = 0;
}

/* relay_dkim_sync: read and drop the answers owed for requests that
 * timed out, as far as they have come; 0 when none is owed now, -1 when
 * one still is (or the channel broke). */
static int
relay_dkim_sync(struct relay_ctx *x)
{
	struct pollfd pfd;
	struct frame f;

	while (x->dkim_owed > 0) {
		pfd.fd = x->dkim_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 1)
			return -1;
		if (frame_read(x->dkim_fd, &f, mono_ms() +
		    RELAY_DKIM_REST_MS) == -1) {
			relay_dkim_close(x, errno == ECONNRESET ? "was closed" :
			    "broke");
			return -1;
		}
		x->dkim_owed--;
	}
	return 0;
}

/* relay_dkim_signfn: dkim_sign_fn through the keyholder, noting whether
 * an answer came. */
static int
relay_dkim_signfn(void *arg, const unsigned char hash[32],
    unsigned char *sig, size_t *siglen)
{
	struct relay_dkim_call *c = arg;
	size_t n;

	n = keyholder_dkim_sign(c->key.fd, c->key.domain, c->key.selector,
	    hash, sig, *siglen);
	c->answered = n > 0 || errno == ENOENT || errno == EMSGSIZE;
	if (n == 0)
		return -1;
	*siglen = n;
	return 0;
}

/* relay_dkim_pread: up to len bytes of the message at off into buf (EINTR
 * retried); the count, or -1 when nothing could be read there. */
static ssize_t
relay_dkim_pread(int msgfd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(msgfd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n <= 0 ? -1 : n;
}

/*
 * relay_dkim_from: the domain of the message's From field (lower case)
 * into domain, from its header section (the first DKIM_HEAD_MAX bytes
 * at most of the job->size bytes of msgfd).  0, or -1 with *why set: the
 * file could not be read, or not exactly one From field whose addresses
 * share one domain (dmarc_from_domain).
 */
static int
relay_dkim_from(const struct relay_job *job, int msgfd,
    char domain[DNS_NAME_MAX + 1], const char **why)
{
	static char head[DKIM_HEAD_MAX];
	size_t len = 0, want;
	ssize_t n;

	while (len < sizeof(head) && len < job->size) {
		want = sizeof(head) - len;
		if (want > job->size - len)
			want = (size_t)(job->size - len);
		if ((n = relay_dkim_pread(msgfd, head + len, want, len)) == -1) {
			*why = "the message file could not be read";
			return -1;
		}
		len += (size_t)n;
	}
	if (dmarc_from_domain(head, len, domain) == -1) {
		*why = "not exactly one From domain";
		return -1;
	}
	return 0;
}

/* relay_dkim_hash: feed the message to s; 0 or -1. */
static int
relay_dkim_hash(struct dkim_signer *s, const struct relay_job *job,
    int msgfd)
{
	static uint8_t buf[RELAY_DKIM_CHUNK];
	uint64_t off = 0;
	size_t want;
	ssize_t n;

	while (off < job->size) {
		want = job->size - off < sizeof(buf) ?
		    (size_t)(job->size - off) : sizeof(buf);
		if ((n = relay_dkim_pread(msgfd, buf, want, off)) == -1)
			return -1;
		dkim_signer_feed(s, buf, (size_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

/* relay_dkim_selector: the selector of domain's key: 1, 0 none, -1 no
 * answer (why set). */
static int
relay_dkim_selector(struct relay_ctx *x, const char *domain,
    char selector[KEYHOLDER_SELECTOR_MAX + 1], const char **why)
{
	int rc;

	if (x->dkim_fd == -1) {
		*why = "no channel to the keyholder";
		return -1;
	}
	if (relay_dkim_sync(x) == -1) {
		*why = x->dkim_fd == -1 ? "no channel to the keyholder" :
		    "the keyholder has not answered an earlier request";
		return -1;
	}
	if ((rc = keyholder_dkim_selector(x->dkim_fd, domain, selector)) ==
	    -1) {
		x->dkim_owed++;
		*why = "no answer from the keyholder";
	} else if (rc == 0)
		*why = "no key for the From domain";
	return rc;
}

/* relay_dkim_sign: the DKIM-Signature of the message into out (cap
 * bytes); its length, or 0 (unsigned, logged). */
static size_t
relay_dkim_sign(struct relay_ctx *x, const struct relay_job *job,
    int msgfd, char *out, size_t cap)
{
	static struct dkim_signer s;
	char domain[DNS_NAME_MAX + 1], selector[KEYHOLDER_SELECTOR_MAX + 1];
	char err[128];
	struct relay_dkim_call c;
	const char *why = NULL;
	size_t len = 0;

	domain[0] = '\0';
	if (relay_dkim_from(job, msgfd, domain, &why) == -1 ||
	    relay_dkim_selector(x, domain, selector, &why) != 1)
		goto nosign;
	if (dkim_signer_init(&s, domain, selector, now_us() / 1000000, 0) ==
	    -1) {
		why = "the From domain is not a name a key can have";
		goto nosign;
	}
	if (relay_dkim_hash(&s, job, msgfd) == -1) {
		why = "the message file could not be read";
		goto nosign;
	}
	c.key.fd = x->dkim_fd;
	c.key.domain = domain;
	c.key.selector = selector;
	c.answered = 1;
	if (dkim_signer_finish(&s, relay_dkim_signfn, &c, out, cap, &len, err,
	    sizeof(err)) == -1) {
		if (!c.answered)
			x->dkim_owed++;
		why = c.answered ? err : "no answer from the keyholder";
		goto nosign;
	}
	log_info("%s to %s: DKIM signed d=%s s=%s", job->id, job->domain,
	    domain, selector);
	return len;
nosign:
	log_info("%s to %s: not DKIM-signed%s%s: %s", job->id, job->domain,
	    domain[0] != '\0' ? " for " : "", domain, why);
	return 0;
}

size_t
relay_prefix(struct relay_ctx *x, const struct relay_job *job, int msgfd,
    char *out)
{
	size_t len = 0;

	if (job->sign)
		len = relay_dkim_sign(x, job, msgfd, out, RELAY_DKIM_FIELD_MAX);
	if (job->authres[0] != '\0') {
		if (queueproto_authres_field(out + len, RELAY_PREFIX_MAX - len,
		    job->authres, 1) == -1)
			fatalx("the Authentication-Results field does not fit");
		len += strlen(out + len);
	}
	return len;
}
