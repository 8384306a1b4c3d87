/*
 * rolemsg.c: the codecs of the messages between a daemon's roles
 * (rolemsg.h).  Runs in the net role (encodes its login, decodes the
 * status), the monitor (decodes hostile logins) and the parent.
 */
#include <string.h>

#include "common/rolemsg.h"

int
rolemsg_login_encode(struct frame *f, const struct role_login *l)
{
	frame_init(f, MSG_NET_LOGIN);
	frame_add_str(f, l->mech);
	frame_add_str(f, l->user);
	frame_add_bytes(f, l->secret, l->secretlen);
	frame_add_bytes(f, l->handover, l->handoverlen);
	return frame_finish(f);
}

int
rolemsg_login_decode(struct frame *f, struct role_login *l)
{
	const uint8_t *p, *h;
	size_t n, hn;

	memset(l, 0, sizeof(*l));
	if (f->type != MSG_NET_LOGIN ||
	    frame_get_str(f, l->mech, sizeof(l->mech)) == -1 ||
	    frame_get_str(f, l->user, sizeof(l->user)) == -1 ||
	    frame_get_bytes(f, &p, &n) == -1 || n > sizeof(l->secret) ||
	    frame_get_bytes(f, &h, &hn) == -1 || hn > sizeof(l->handover) ||
	    frame_end(f) == -1)
		return -1;
	memcpy(l->secret, p, n);
	l->secretlen = n;
	memcpy(l->handover, h, hn);
	l->handoverlen = hn;
	return 0;
}

void
rolemsg_login_wipe(struct role_login *l)
{
	explicit_bzero(l, sizeof(*l));
}

int
rolemsg_user_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= AUTH_USER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
rolemsg_status_encode(struct frame *f, uint32_t status)
{
	frame_init(f, MSG_NET_LOGIN);
	frame_add_u32(f, status);
	return frame_finish(f);
}

int
rolemsg_status_decode(struct frame *f, uint32_t *status)
{
	if (f->type != MSG_NET_LOGIN || frame_get_u32(f, status) == -1 ||
	    frame_end(f) == -1 || *status > AUTH_FAIL_PERM)
		return -1;
	return 0;
}

int
rolemsg_session_encode(struct frame *f, const char *user)
{
	frame_init(f, MSG_MONITOR_SESSION);
	frame_add_str(f, user);
	return frame_finish(f);
}

int
rolemsg_session_decode(struct frame *f, char *user, size_t len)
{
	if (f->type != MSG_MONITOR_SESSION ||
	    frame_get_str(f, user, len) == -1 || frame_end(f) == -1)
		return -1;
	return 0;
}

int
rolemsg_verdict_encode(struct frame *f, int type, uint32_t verdict)
{
	frame_init(f, (uint8_t)type);
	frame_add_u32(f, verdict);
	return frame_finish(f);
}

int
rolemsg_verdict_decode(struct frame *f, int type, uint32_t *verdict)
{
	if (f->type != type ||
	    frame_get_u32(f, verdict) == -1 || frame_end(f) == -1)
		return -1;
	return 0;
}

int
rolemsg_message_encode(struct frame *f)
{
	frame_init(f, MSG_MONITOR_MESSAGE);
	return frame_finish(f);
}

int
rolemsg_message_decode(struct frame *f)
{
	return f->type == MSG_MONITOR_MESSAGE && frame_end(f) == 0 ? 0 : -1;
}
