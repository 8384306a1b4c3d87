/*
 * relayproto.c: the codecs of the queue <-> relay protocol
 * (relayproto.h).  Runs in the queue and in the relay; every decoder
 * treats the frame as hostile: each field bounded, no NUL in a string, no
 * trailing byte, no unknown bit, printable ASCII where the text travels
 * on into logs and DSNs.
 */
#include <string.h>

#include "smtpd/relayproto.h"

/* relayproto_printable: every byte of s is printable ASCII (space
 * included). */
static int
relayproto_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* relayproto_word: non-empty, no control byte, space or DEL (bytes of
 * UTF-8 above 0x7f are allowed: SMTPUTF8 addresses and domains). */
static int
relayproto_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* relayproto_addr: non-empty, no control byte or DEL (a quoted local
 * part may hold a space; UTF-8 above 0x7f is allowed). */
static int
relayproto_addr(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* relayproto_digits: 1..3 digits at *sp, then stop; advances *sp. */
static int
relayproto_digits(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	*sp = s + n;
	return n >= 1 && n <= 3;
}

int
relayproto_dsn_valid(const char *s)
{
	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	s += 2;
	if (!relayproto_digits(&s) || *s++ != '.' || !relayproto_digits(&s))
		return 0;
	return *s == '\0';
}

int
relayproto_job_encode(struct frame *f, const struct relay_job *j)
{
	frame_init(f, MSG_RELAY_JOB);
	frame_add_str(f, j->id);
	frame_add_str(f, j->sender);
	frame_add_str(f, j->envid);
	frame_add_u32(f, j->body);
	frame_add_u32(f, j->flags);
	frame_add_str(f, j->domain);
	frame_add_u64(f, j->size);
	frame_add_u32(f, j->nrcpt);
	frame_add_u32(f, j->attempt);
	frame_add_str(f, j->authres);
	frame_add_u32(f, j->sign);
	return frame_finish(f);
}

int
relayproto_job_decode(struct frame *f, struct relay_job *j)
{
	char *p;

	if (frame_get_str(f, j->id, sizeof(j->id)) == -1 ||
	    frame_get_str(f, j->sender, sizeof(j->sender)) == -1 ||
	    frame_get_str(f, j->envid, sizeof(j->envid)) == -1 ||
	    frame_get_u32(f, &j->body) == -1 ||
	    frame_get_u32(f, &j->flags) == -1 ||
	    frame_get_str(f, j->domain, sizeof(j->domain)) == -1 ||
	    frame_get_u64(f, &j->size) == -1 ||
	    frame_get_u32(f, &j->nrcpt) == -1 ||
	    frame_get_u32(f, &j->attempt) == -1 ||
	    frame_get_str(f, j->authres, sizeof(j->authres)) == -1 ||
	    frame_get_u32(f, &j->sign) == -1 || frame_end(f) == -1)
		return -1;
	if (!queueproto_id_valid(j->id) || j->body > QUEUE_BODY_BINARYMIME ||
	    (j->flags & ~QUEUE_F_ALL) || !relayproto_word(j->domain) ||
	    j->nrcpt < 1 || j->nrcpt > RELAY_RCPT_MAX || j->sign > 1)
		return -1;
	if (j->authres[0] != '\0' && !queueproto_authres_valid(j->authres))
		return -1;
	if (j->sender[0] != '\0' && !relayproto_addr(j->sender))
		return -1;
	if (!relayproto_printable(j->envid))
		return -1;
	for (p = j->domain; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

int
relayproto_rcpt_encode(struct frame *f, const struct relay_rcpt *r)
{
	frame_init(f, MSG_RELAY_RCPT);
	frame_add_str(f, r->address);
	frame_add_str(f, r->orcpt);
	frame_add_u32(f, r->notify);
	return frame_finish(f);
}

int
relayproto_rcpt_decode(struct frame *f, struct relay_rcpt *r)
{
	if (frame_get_str(f, r->address, sizeof(r->address)) == -1 ||
	    frame_get_str(f, r->orcpt, sizeof(r->orcpt)) == -1 ||
	    frame_get_u32(f, &r->notify) == -1 || frame_end(f) == -1)
		return -1;
	if (!relayproto_addr(r->address) || (r->notify & ~QUEUE_NOTIFY_ALL))
		return -1;
	if (r->orcpt[0] != '\0' && !relayproto_word(r->orcpt))
		return -1;
	return 0;
}

int
relayproto_go_encode(struct frame *f)
{
	frame_init(f, MSG_RELAY_GO);
	return frame_finish(f);
}

int
relayproto_go_decode(struct frame *f)
{
	return frame_end(f);
}

int
relayproto_result_encode(struct frame *f, const struct relay_rcpt_result *r)
{
	frame_init(f, MSG_RELAY_RESULT);
	frame_add_u32(f, r->status);
	frame_add_u32(f, r->code);
	frame_add_str(f, r->dsn);
	frame_add_str(f, r->text);
	return frame_finish(f);
}

int
relayproto_result_decode(struct frame *f, struct relay_rcpt_result *r)
{
	if (frame_get_u32(f, &r->status) == -1 ||
	    frame_get_u32(f, &r->code) == -1 ||
	    frame_get_str(f, r->dsn, sizeof(r->dsn)) == -1 ||
	    frame_get_str(f, r->text, sizeof(r->text)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if (r->status > RELAY_PERM ||
	    (r->code != 0 && (r->code < 200 || r->code > 599)) ||
	    (r->dsn[0] != '\0' && !relayproto_dsn_valid(r->dsn)) ||
	    !relayproto_printable(r->text))
		return -1;
	return 0;
}

int
relayproto_done_encode(struct frame *f, const struct relay_done *d)
{
	frame_init(f, MSG_RELAY_DONE);
	frame_add_str(f, d->host);
	frame_add_str(f, d->addr);
	frame_add_str(f, d->tls);
	frame_add_str(f, d->policy);
	frame_add_u32(f, d->dest_down);
	return frame_finish(f);
}

int
relayproto_done_decode(struct frame *f, struct relay_done *d)
{
	if (frame_get_str(f, d->host, sizeof(d->host)) == -1 ||
	    frame_get_str(f, d->addr, sizeof(d->addr)) == -1 ||
	    frame_get_str(f, d->tls, sizeof(d->tls)) == -1 ||
	    frame_get_str(f, d->policy, sizeof(d->policy)) == -1 ||
	    frame_get_u32(f, &d->dest_down) == -1 || frame_end(f) == -1)
		return -1;
	if (d->dest_down > 1 || !relayproto_printable(d->host) ||
	    !relayproto_printable(d->addr) || !relayproto_printable(d->tls) ||
	    !relayproto_printable(d->policy))
		return -1;
	return 0;
}

int64_t
relay_host_ms(int64_t session_ms, uint64_t size)
{
	/* A 64-bit size over the rate, times 1000, fits in 63 bits. */
	return session_ms + (int64_t)(size / RELAY_SESSION_RATE * 1000 +
	    size % RELAY_SESSION_RATE * 1000 / RELAY_SESSION_RATE);
}

int64_t
relay_job_ms(uint64_t size)
{
	/* The prefix the relay adds (Received, DKIM-Signature) is far
	 * below the 10 minute margin's worth of bytes. */
	return 2 * relay_host_ms(RELAY_SESSION_MS, size) + 10 * 60 * 1000;
}
