/*
 * relay_dkim_from.c: what the relay's DKIM signing reads of a message
 * before it asks the keyholder (relay_dkim.h): its header section, and
 * the domain of its From field.  Runs in the relay role.  The message is
 * hostile: read with pread at bounded offsets into a fixed buffer, and
 * parsed by dmarc_from_domain alone.  (A file of its own: dmarc.h's
 * result names and dkim.h's are the same words.)
 */
#include <errno.h>
#include <unistd.h>

#include "common/dmarc.h"
#include "smtpd/relay_dkim.h"

/* relay_dkim_pread: up to len bytes of the message at off into buf; the
 * count, or -1 when the file cannot be read there. */
ssize_t
relay_dkim_pread(int msgfd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(msgfd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n <= 0 ? -1 : n;
}

/* relay_dkim_from: the From domain of the message into domain; 0 or -1
 * (why set). */
int
relay_dkim_from(const struct relay_job *job, int msgfd,
    char domain[DNS_NAME_MAX + 1], const char **why)
{
	static char head[RELAY_DKIM_HEAD_MAX];
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
