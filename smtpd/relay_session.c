/*
 * relay_session.c: one SMTP session of the relay (relay_session.h).
 * Runs in the relay role.  The server's bytes go to the client engine
 * unread; the message file is the queue's (trusted for its content, but
 * read with pread at bounded offsets, and a short file ends the session
 * before the end of data is sent).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "smtpd/relay_session.h"

#define RELAY_TLS_TIMEOUT_MS	(5 * 60 * 1000)

/* relay_session_until: the end of a wait whose own timeout ends at own
 * (mono_ms): own, or the session's deadline when that comes first (*cut
 * set to 1). */
static int64_t
relay_session_until(const struct relay_session *s, int64_t own, int *cut)
{
	*cut = s->deadline != 0 && s->deadline <= own;
	return *cut ? s->deadline : own;
}

/* relay_session_timeout: the wait passed its end; cut when that end was
 * the session's deadline. */
static void
relay_session_timeout(struct relay_session *s, int cut)
{
	char why[96];

	if (!cut) {
		client_fail(s->client, "timeout");
		return;
	}
	s->late = 1;
	(void)snprintf(why, sizeof(why), "the session took longer than the "
	    "%lld s allowed", (long long)s->allowed_s);
	client_fail(s->client, why);
}

static void
relay_session_write(struct relay_session *s)
{
	const uint8_t *p;
	size_t len;
	int64_t left;
	int cut;

	client_output(s->client, &p, &len);
	left = relay_session_until(s, mono_ms() +
	    client_timeout_ms(s->client), &cut) - mono_ms();
	if (left <= 0) {
		relay_session_timeout(s, cut);
		return;
	}
	if (relay_net_write(s->net, p, len, left) == -1) {
		if (errno == ETIMEDOUT)
			relay_session_timeout(s, cut);
		else
			client_fail(s->client, "connection lost");
		return;
	}
	client_output_done(s->client, len);
}

/*
 * relay_session_read: what the server sent.  The timeout of RFC 5321
 * 4.5.3.2 holds for the whole reply the engine waits for, not for each
 * read: a server dripping a byte at a time would otherwise hold the
 * relay for as long as it likes (an outside test held one 414 s on a
 * greeting whose timeout is 5 minutes).  *deadline is 0 when a new wait
 * begins: after a write, or when the engine moved to another state.  The
 * session's own deadline cuts it shorter still.
 */
static void
relay_session_read(struct relay_session *s, int64_t *deadline,
    const char **state)
{
	uint8_t buf[4096];
	int64_t left;
	ssize_t n;
	int cut;

	if (*deadline == 0 || *state != client_state_name(s->client)) {
		*state = client_state_name(s->client);
		*deadline = mono_ms() + client_timeout_ms(s->client);
	}
	left = relay_session_until(s, *deadline, &cut) - mono_ms();
	if (left <= 0) {
		relay_session_timeout(s, cut);
		return;
	}
	n = relay_net_read(s->net, buf, sizeof(buf), left);
	if (n > 0)
		client_input(s->client, buf, (size_t)n);
	else if (n == 0)
		client_fail(s->client, "connection closed by the server");
	else if (errno == ETIMEDOUT)
		relay_session_timeout(s, cut);
	else
		client_fail(s->client, "connection lost");
	explicit_bzero(buf, sizeof(buf));
}

/* relay_session_tls: the handshake.  One cut short by the session's
 * deadline ends the session as late, not as a failed handshake: an
 * opportunistic session would otherwise start again in plaintext. */
static void
relay_session_tls(struct relay_session *s)
{
	char err[160];
	int64_t until, left;
	int cut;

	until = relay_session_until(s, mono_ms() + RELAY_TLS_TIMEOUT_MS, &cut);
	if ((left = until - mono_ms()) <= 0) {
		relay_session_timeout(s, cut);
		return;
	}
	s->net->tls = relay_tls_start(s->net->fd, s->tls, left, err,
	    sizeof(err));
	if (s->net->tls == NULL && cut && mono_ms() >= until) {
		relay_session_timeout(s, cut);
		return;
	}
	if (s->net->tls == NULL) {
		(void)snprintf(s->tls_desc, sizeof(s->tls_desc),
		    "TLS failed (%s)", err);
		client_tls_done(s->client, 0, err);
		return;
	}
	relay_tls_describe(s->net->tls, s->tls_desc, sizeof(s->tls_desc));
	s->tls_verified = relay_tls_verified(s->net->tls);
	client_tls_done(s->client, 1, NULL);
}

/* relay_session_body: the next chunk of the message (prefix first). */
static void
relay_session_body(struct relay_session *s, uint64_t *off, size_t *poff)
{
	uint8_t buf[CLIENT_BODY_CHUNK];
	size_t want;
	ssize_t n;

	if (*poff < s->prefixlen) {
		want = s->prefixlen - *poff;
		if (want > sizeof(buf))
			want = sizeof(buf);
		client_body(s->client, (const uint8_t *)s->prefix + *poff,
		    want);
		*poff += want;
		return;
	}
	if (*off >= s->size) {
		client_body_end(s->client);
		return;
	}
	want = s->size - *off < sizeof(buf) ? (size_t)(s->size - *off) :
	    sizeof(buf);
	do
		n = pread(s->msgfd, buf, want, (off_t)*off);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		s->file_error = 1;
		client_fail(s->client, "the message file could not be read");
		return;
	}
	client_body(s->client, buf, (size_t)n);
	*off += (uint64_t)n;
}

void
relay_session_run(struct relay_session *s)
{
	uint64_t off = 0;
	size_t poff = 0;
	int sent = 0, answered = 0;
	int64_t deadline = 0;
	const char *state = NULL;

	(void)snprintf(s->tls_desc, sizeof(s->tls_desc), "none");
	s->tls_verified = 0;
	s->file_error = 0;
	s->late = 0;
	for (;;) {
		if (!sent && client_data_sent(s->client)) {
			sent = 1;
			if (s->data_sent != NULL)
				s->data_sent(s->hook_arg, s);
		}
		if (!answered && client_answered(s->client)) {
			answered = 1;
			if (s->answered != NULL)
				s->answered(s->hook_arg, s);
		}
		switch (client_next(s->client)) {
		case CLIENT_WANT_WRITE:
			relay_session_write(s);
			deadline = 0;
			break;
		case CLIENT_WANT_READ:
			relay_session_read(s, &deadline, &state);
			break;
		case CLIENT_WANT_TLS:
			relay_session_tls(s);
			break;
		case CLIENT_WANT_BODY:
			relay_session_body(s, &off, &poff);
			break;
		case CLIENT_WANT_NOTHING:
			return;
		}
	}
}
