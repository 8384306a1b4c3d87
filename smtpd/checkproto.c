/*
 * checkproto.c: the codec of the broker's requests to the check role and
 * of its answers (checkproto.h).  Runs in the broker and in the check
 * role; every decoder treats the frame as hostile.
 */
#include <string.h>

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
 * sender's), no blank. */
static int
checkproto_sender(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
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
	return frame_finish(f);
}

int
checkproto_msg_decode(struct frame *f, struct check_msg *m)
{
	if (frame_get_str(f, m->address, sizeof(m->address)) == -1 ||
	    frame_get_str(f, m->helo, sizeof(m->helo)) == -1 ||
	    frame_get_str(f, m->sender, sizeof(m->sender)) == -1 ||
	    frame_get_u32(f, &m->from) == -1 ||
	    frame_get_str(f, m->from_domain, sizeof(m->from_domain)) == -1 ||
	    frame_get_u32(f, &m->checks) == -1 ||
	    frame_get_u32(f, &m->nsig) == -1 || frame_end(f) == -1)
		return -1;
	if (m->address[0] == '\0' || !checkproto_text(m->address, 0) ||
	    !checkproto_text(m->helo, 0) || !checkproto_sender(m->sender) ||
	    m->from > CHECK_FROM_BAD ||
	    (m->from == CHECK_FROM_ONE) != (m->from_domain[0] != '\0') ||
	    !checkproto_text(m->from_domain, 0) ||
	    m->checks == 0 || (m->checks & ~CHECK_ALL) ||
	    m->nsig > CHECK_SIGS_MAX)
		return -1;
	return 0;
}

int
checkproto_sig_encode(struct frame *f, const struct check_sig *s)
{
	if (s->hhlen > CHECK_HASH_MAX || s->bhlen > CHECK_HASH_MAX)
		return -1;
	frame_init(f, MSG_CHECK_SIG);
	frame_add_u32(f, s->state);
	frame_add_str(f, s->field);
	frame_add_bytes(f, s->hhash, s->hhlen);
	frame_add_bytes(f, s->bhash, s->bhlen);
	return frame_finish(f);
}

int
checkproto_sig_decode(struct frame *f, struct check_sig *s)
{
	const uint8_t *hh, *bh;
	size_t hhlen, bhlen;
	int hashed;

	if (frame_get_u32(f, &s->state) == -1 ||
	    frame_get_str(f, s->field, sizeof(s->field)) == -1 ||
	    frame_get_bytes(f, &hh, &hhlen) == -1 ||
	    frame_get_bytes(f, &bh, &bhlen) == -1 || frame_end(f) == -1)
		return -1;
	hashed = s->state == CHECK_SIG_HASHED;
	if (s->state > CHECK_SIG_TOO_LONG || hhlen > CHECK_HASH_MAX ||
	    bhlen > CHECK_HASH_MAX || hashed != (hhlen > 0) ||
	    hashed != (bhlen > 0) ||
	    (s->state == CHECK_SIG_TOO_LONG) == (s->field[0] != '\0'))
		return -1;
	memcpy(s->hhash, hh, hhlen);
	memcpy(s->bhash, bh, bhlen);
	s->hhlen = (uint32_t)hhlen;
	s->bhlen = (uint32_t)bhlen;
	return 0;
}

int
checkproto_result_encode(struct frame *f, const struct check_result *r)
{
	frame_init(f, MSG_CHECK_RUN);
	frame_add_u32(f, r->disposition);
	frame_add_str(f, r->reason);
	frame_add_str(f, r->authres);
	return frame_finish(f);
}

int
checkproto_result_decode(struct frame *f, struct check_result *r)
{
	if (frame_get_u32(f, &r->disposition) == -1 ||
	    frame_get_str(f, r->reason, sizeof(r->reason)) == -1 ||
	    frame_get_str(f, r->authres, sizeof(r->authres)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if (r->disposition > CHECK_REJECT || !checkproto_text(r->reason, 1) ||
	    !queueproto_authres_valid(r->authres))
		return -1;
	return 0;
}
