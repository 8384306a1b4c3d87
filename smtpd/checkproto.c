/*
 * checkproto.c: the codec of the broker's requests to the check role and
 * of its answers (checkproto.h).  Runs in the broker and in the check
 * role; every decoder treats the frame as hostile.
 */
#include <stdio.h>
#include <string.h>

#include "common/dkim.h"
#include "common/msg.h"
#include "smtpd/checkproto.h"

/* checkproto_text: every byte of s printable ASCII (blanks too when
 * blank), else 0. */
static int
checkproto_text(const char *s, int blank)
{
	for (; *s != '\0'; s++)
		if (*s < (blank ? 0x20 : 0x21) || *s > 0x7e)
			return 0;
	return 1;
}

/* checkproto_sender: no control character (UTF-8 is an SMTPUTF8
 * sender's; a quoted local part may hold a blank). */
static int
checkproto_sender(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
checkproto_msg_encode(struct frame *f, const struct check_msg *m)
{
	frame_init(f, MSG_CHECK_MSG);
	frame_add_str(f, m->address);
	frame_add_str(f, m->helo);
	frame_add_str(f, m->sender);
	frame_add_u32(f, m->from);
	frame_add_str(f, m->from_domain);
	frame_add_u32(f, m->checks);
	frame_add_u32(f, m->nsig);
	frame_add_u32(f, m->id);
	frame_add_u64(f, (uint64_t)m->until);
	return frame_finish(f);
}

int
checkproto_msg_decode(struct frame *f, struct check_msg *m)
{
	uint64_t until;

	if (frame_get_str(f, m->address, sizeof(m->address)) == -1 ||
	    frame_get_str(f, m->helo, sizeof(m->helo)) == -1 ||
	    frame_get_str(f, m->sender, sizeof(m->sender)) == -1 ||
	    frame_get_u32(f, &m->from) == -1 ||
	    frame_get_str(f, m->from_domain, sizeof(m->from_domain)) == -1 ||
	    frame_get_u32(f, &m->checks) == -1 ||
	    frame_get_u32(f, &m->nsig) == -1 ||
	    frame_get_u32(f, &m->id) == -1 ||
	    frame_get_u64(f, &until) == -1 || frame_end(f) == -1 ||
	    until > INT64_MAX)
		return -1;
	m->until = (int64_t)until;
	if (m->address[0] == '\0' || !checkproto_text(m->address, 0) ||
	    !checkproto_text(m->helo, 0) || !checkproto_sender(m->sender) ||
	    m->from > CHECK_FROM_BAD ||
	    (m->from == CHECK_FROM_ONE) != (m->from_domain[0] != '\0') ||
	    !checkproto_text(m->from_domain, 0) ||
	    m->checks == 0 || (m->checks & ~CHECK_ALL) ||
	    m->nsig > DKIM_SIGS_MAX)
		return -1;
	return 0;
}

int
checkproto_sig_encode(struct frame *f, const struct dkim_sig *s)
{
	if (s->blen > DKIM_SIG_BYTES_MAX)
		return -1;
	frame_init(f, MSG_CHECK_SIG);
	frame_add_u32(f, (uint32_t)s->result);
	frame_add_str(f, s->reason);
	frame_add_str(f, s->domain);
	frame_add_str(f, s->selector);
	frame_add_str(f, s->auid);
	frame_add_u32(f, (uint32_t)s->head_relaxed);
	frame_add_u32(f, (uint32_t)s->body_relaxed);
	frame_add_u64(f, (uint64_t)s->length);
	frame_add_u64(f, (uint64_t)s->timestamp);
	frame_add_u64(f, (uint64_t)s->expire);
	frame_add_bytes(f, s->bh, sizeof(s->bh));
	frame_add_bytes(f, s->hhash, sizeof(s->hhash));
	frame_add_bytes(f, s->b, s->blen);
	return frame_finish(f);
}

/* checkproto_signed: a u64 on the wire that holds an int64_t of -1 or
 * more (l=, t=, x=: -1 for none). */
static int
checkproto_signed(struct frame *f, int64_t *v)
{
	uint64_t u;

	if (frame_get_u64(f, &u) == -1 || (u > INT64_MAX && u != UINT64_MAX))
		return -1;
	*v = u == UINT64_MAX ? -1 : (int64_t)u;
	return 0;
}

/* checkproto_fixed: a bytes field of exactly len bytes into out. */
static int
checkproto_fixed(struct frame *f, unsigned char *out, size_t len)
{
	const uint8_t *p;
	size_t n;

	if (frame_get_bytes(f, &p, &n) == -1 || n != len)
		return -1;
	memcpy(out, p, n);
	return 0;
}

int
checkproto_sig_decode(struct frame *f, struct dkim_sig *s)
{
	uint32_t result, hrel, brel;
	const uint8_t *b;
	size_t blen;

	memset(s, 0, sizeof(*s));
	if (frame_get_u32(f, &result) == -1 ||
	    frame_get_str(f, s->reason, sizeof(s->reason)) == -1 ||
	    frame_get_str(f, s->domain, sizeof(s->domain)) == -1 ||
	    frame_get_str(f, s->selector, sizeof(s->selector)) == -1 ||
	    frame_get_str(f, s->auid, sizeof(s->auid)) == -1 ||
	    frame_get_u32(f, &hrel) == -1 || frame_get_u32(f, &brel) == -1 ||
	    checkproto_signed(f, &s->length) == -1 ||
	    checkproto_signed(f, &s->timestamp) == -1 ||
	    checkproto_signed(f, &s->expire) == -1 ||
	    checkproto_fixed(f, s->bh, sizeof(s->bh)) == -1 ||
	    checkproto_fixed(f, s->hhash, sizeof(s->hhash)) == -1 ||
	    frame_get_bytes(f, &b, &blen) == -1 || frame_end(f) == -1)
		return -1;
	if (result > DKIM_PERMERROR || hrel > 1 || brel > 1 ||
	    blen > DKIM_SIG_BYTES_MAX || !checkproto_text(s->reason, 1) ||
	    !checkproto_text(s->domain, 0) ||
	    !checkproto_text(s->selector, 0) || !checkproto_sender(s->auid))
		return -1;
	if (result == DKIM_PENDING && (blen == 0 || !dkim_name_ok(s->domain) ||
	    !dkim_name_ok(s->selector)))
		return -1;
	s->result = (enum dkim_result)result;
	s->head_relaxed = (int)hrel;
	s->body_relaxed = (int)brel;
	memcpy(s->b, b, blen);
	s->blen = blen;
	return 0;
}

int
checkproto_result_encode(struct frame *f, const struct check_result *r)
{
	frame_init(f, MSG_CHECK_RUN);
	frame_add_u32(f, r->id);
	frame_add_u32(f, r->disposition);
	frame_add_str(f, r->reason);
	frame_add_str(f, r->authres);
	return frame_finish(f);
}

int
checkproto_result_decode(struct frame *f, struct check_result *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_u32(f, &r->disposition) == -1 ||
	    frame_get_str(f, r->reason, sizeof(r->reason)) == -1 ||
	    frame_get_str(f, r->authres, sizeof(r->authres)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if (r->disposition > CHECK_DEFER || !checkproto_text(r->reason, 1) ||
	    !queueproto_authres_valid(r->authres))
		return -1;
	return 0;
}

void
checkproto_temperror(char *out, size_t outlen, const char *hostname,
    unsigned checks, const char *why)
{
	static const struct {
		unsigned	 bit;
		const char	*method;
	} m[] = {
		{ CHECK_SPF, "spf" },
		{ CHECK_DKIM, "dkim" },
		{ CHECK_DMARC, "dmarc" },
	};
	size_t i, off;
	int n;

	n = snprintf(out, outlen, "%s", hostname);
	off = n < 0 ? 0 : (size_t)n;
	for (i = 0; i < sizeof(m) / sizeof(m[0]) && off < outlen; i++) {
		if (!(checks & m[i].bit))
			continue;
		n = snprintf(out + off, outlen - off, "; %s=temperror "
		    "reason=\"%s\"", m[i].method, why);
		off += n < 0 ? 0 : (size_t)n;
	}
}

void
checkproto_unchecked(struct check_result *r, const char *hostname,
    unsigned checks, const char *why)
{
	memset(r, 0, sizeof(*r));
	checkproto_temperror(r->authres, sizeof(r->authres), hostname, checks,
	    why);
	if (!(checks & CHECK_DMARC)) {
		r->disposition = CHECK_ACCEPT;
		return;
	}
	r->disposition = CHECK_DEFER;
	(void)snprintf(r->reason, sizeof(r->reason), "the sender's DMARC "
	    "policy could not be checked now (%s); try again later", why);
}
