/*
 * authproto.c: encoders and decoders of the authd protocol (authproto.h).
 * The decoders are the first code in authd to read a client's bytes.
 */
#include <string.h>

#include "common/authproto.h"

int
authproto_login_req_encode(struct frame *f, const struct auth_login_req *r)
{
	frame_init(f, r->opens ? MSG_AUTH_SESSION : MSG_AUTH_LOGIN);
	frame_add_u32(f, r->id);
	frame_add_str(f, r->service);
	frame_add_str(f, r->mech);
	frame_add_str(f, r->user);
	frame_add_bytes(f, r->secret, r->secretlen);
	frame_add_str(f, r->address);
	frame_add_u32(f, r->port);
	frame_add_str(f, r->session);
	return frame_finish(f);
}

int
authproto_login_req_decode(struct frame *f, struct auth_login_req *r)
{
	const uint8_t *p;
	size_t n;

	r->opens = f->type == MSG_AUTH_SESSION;
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_str(f, r->service, sizeof(r->service)) == -1 ||
	    frame_get_str(f, r->mech, sizeof(r->mech)) == -1 ||
	    frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_bytes(f, &p, &n) == -1 || n > sizeof(r->secret))
		return -1;
	memcpy(r->secret, p, n);
	r->secretlen = n;
	if (frame_get_str(f, r->address, sizeof(r->address)) == -1 ||
	    frame_get_u32(f, &r->port) == -1 ||
	    frame_get_str(f, r->session, sizeof(r->session)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_login_ans_encode(struct frame *f, const struct auth_login_ans *a,
    int opens)
{
	frame_init(f, opens ? MSG_AUTH_SESSION : MSG_AUTH_LOGIN);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->status);
	frame_add_str(f, a->user);
	frame_add_str(f, a->maildir);
	frame_add_u64(f, a->quota);
	return frame_finish(f);
}

int
authproto_login_ans_decode(struct frame *f, struct auth_login_ans *a)
{
	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->status) == -1 || a->status > AUTH_FAIL_PERM ||
	    frame_get_str(f, a->user, sizeof(a->user)) == -1 ||
	    frame_get_str(f, a->maildir, sizeof(a->maildir)) == -1 ||
	    frame_get_u64(f, &a->quota) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_addr_req_encode(struct frame *f, uint8_t type,
    const struct auth_addr_req *r)
{
	frame_init(f, type);
	frame_add_u32(f, r->id);
	frame_add_str(f, r->address);
	return frame_finish(f);
}

int
authproto_addr_req_decode(struct frame *f, struct auth_addr_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_str(f, r->address, sizeof(r->address)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_status_ans_encode(struct frame *f, uint8_t type,
    const struct auth_status_ans *a)
{
	frame_init(f, type);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->status);
	return frame_finish(f);
}

int
authproto_status_ans_decode(struct frame *f, struct auth_status_ans *a)
{
	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->status) == -1 || a->status > AUTH_FAIL_PERM ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

size_t
authproto_rcpt_ans_size(const struct auth_rcpt_ans *a)
{
	size_t n = AUTH_RCPT_ANS_HDR;
	uint32_t i;

	for (i = 0; i < a->count && i < AUTH_RCPT_MAX; i++)
		n += AUTH_RCPT_ENTRY(strnlen(a->users[i], AUTH_USER_MAX));
	return n;
}

int
authproto_rcpt_fits(const struct auth_rcpt_ans *a, size_t namelen)
{
	return a->count < AUTH_RCPT_MAX && namelen < AUTH_USER_MAX &&
	    authproto_rcpt_ans_size(a) + AUTH_RCPT_ENTRY(namelen) <= FRAME_MAX;
}

int
authproto_rcpt_ans_encode(struct frame *f, const struct auth_rcpt_ans *a)
{
	uint32_t i;

	if (a->count > AUTH_RCPT_MAX || authproto_rcpt_ans_size(a) > FRAME_MAX)
		return -1;
	frame_init(f, MSG_AUTH_RCPT);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->status);
	frame_add_u32(f, a->count);
	for (i = 0; i < a->count; i++) {
		frame_add_str(f, a->users[i]);
		frame_add_u64(f, a->quotas[i]);
	}
	return frame_finish(f);
}

int
authproto_rcpt_ans_decode(struct frame *f, struct auth_rcpt_ans *a)
{
	uint32_t i;

	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->status) == -1 || a->status > AUTH_FAIL_PERM ||
	    frame_get_u32(f, &a->count) == -1 || a->count > AUTH_RCPT_MAX)
		return -1;
	for (i = 0; i < a->count; i++)
		if (frame_get_str(f, a->users[i], sizeof(a->users[i])) == -1 ||
		    frame_get_u64(f, &a->quotas[i]) == -1)
			return -1;
	return frame_end(f);
}

int
authproto_open_req_encode(struct frame *f, const struct auth_open_req *r)
{
	frame_init(f, MSG_AUTH_OPEN);
	frame_add_u32(f, r->id);
	frame_add_u32(f, r->status);
	frame_add_str(f, r->reason);
	return frame_finish(f);
}

int
authproto_open_req_decode(struct frame *f, struct auth_open_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_u32(f, &r->status) == -1 ||
	    (r->status != AUTH_OK && r->status != AUTH_FAIL_TEMP) ||
	    frame_get_str(f, r->reason, sizeof(r->reason)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_end_encode(struct frame *f, const struct auth_end *e)
{
	frame_init(f, MSG_AUTH_END);
	frame_add_u32(f, e->id);
	frame_add_str(f, e->reason);
	return frame_finish(f);
}

int
authproto_end_decode(struct frame *f, struct auth_end *e)
{
	if (frame_get_u32(f, &e->id) == -1 ||
	    frame_get_str(f, e->reason, sizeof(e->reason)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_who_req_encode(struct frame *f, const struct auth_who_req *r)
{
	frame_init(f, MSG_AUTH_WHO);
	frame_add_u32(f, r->id);
	frame_add_str(f, r->user);
	frame_add_u32(f, r->offset);
	frame_add_str(f, r->by);
	frame_add_u32(f, r->flags);
	return frame_finish(f);
}

int
authproto_who_req_decode(struct frame *f, struct auth_who_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_u32(f, &r->offset) == -1 ||
	    frame_get_str(f, r->by, sizeof(r->by)) == -1 ||
	    frame_get_u32(f, &r->flags) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_who_ans_encode(struct frame *f, const struct auth_who_ans *a)
{
	const struct auth_who_entry *e;
	uint32_t i;

	if (a->count > AUTH_WHO_MAX || a->count > a->total)
		return -1;
	frame_init(f, MSG_AUTH_WHO);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->total);
	frame_add_u32(f, a->count);
	for (i = 0; i < a->count; i++) {
		e = &a->s[i];
		frame_add_str(f, e->session);
		frame_add_str(f, e->user);
		frame_add_str(f, e->service);
		frame_add_str(f, e->address);
		frame_add_u64(f, e->since);
	}
	return frame_finish(f);
}

int
authproto_who_ans_decode(struct frame *f, struct auth_who_ans *a)
{
	struct auth_who_entry *e;
	uint32_t i;

	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->total) == -1 ||
	    frame_get_u32(f, &a->count) == -1 || a->count > AUTH_WHO_MAX ||
	    a->count > a->total)
		return -1;
	for (i = 0; i < a->count; i++) {
		e = &a->s[i];
		if (frame_get_str(f, e->session, sizeof(e->session)) == -1 ||
		    frame_get_str(f, e->user, sizeof(e->user)) == -1 ||
		    frame_get_str(f, e->service, sizeof(e->service)) == -1 ||
		    frame_get_str(f, e->address, sizeof(e->address)) == -1 ||
		    frame_get_u64(f, &e->since) == -1)
			return -1;
	}
	return frame_end(f);
}

int
authproto_known_req_encode(struct frame *f, const struct auth_known_req *r)
{
	frame_init(f, MSG_AUTH_KNOWN);
	frame_add_u32(f, r->id);
	frame_add_u32(f, r->offset);
	return frame_finish(f);
}

int
authproto_known_req_decode(struct frame *f, struct auth_known_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_u32(f, &r->offset) == -1 || frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_known_ans_encode(struct frame *f, const struct auth_known_ans *a)
{
	uint32_t i;

	if (a->count > AUTH_KNOWN_MAX || a->count > a->total)
		return -1;
	frame_init(f, MSG_AUTH_KNOWN);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->total);
	frame_add_u32(f, a->count);
	for (i = 0; i < a->count; i++) {
		frame_add_str(f, a->h[i].host);
		frame_add_u64(f, a->h[i].age);
	}
	return frame_finish(f);
}

int
authproto_known_ans_decode(struct frame *f, struct auth_known_ans *a)
{
	uint32_t i;

	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->total) == -1 ||
	    frame_get_u32(f, &a->count) == -1 || a->count > AUTH_KNOWN_MAX ||
	    a->count > a->total)
		return -1;
	for (i = 0; i < a->count; i++)
		if (frame_get_str(f, a->h[i].host, sizeof(a->h[i].host)) == -1 ||
		    frame_get_u64(f, &a->h[i].age) == -1)
			return -1;
	return frame_end(f);
}

int
authproto_kick_req_encode(struct frame *f, const struct auth_kick_req *r)
{
	frame_init(f, MSG_AUTH_KICK);
	frame_add_u32(f, r->id);
	frame_add_str(f, r->user);
	frame_add_str(f, r->session);
	frame_add_str(f, r->reason);
	frame_add_str(f, r->by);
	frame_add_u32(f, r->flags);
	return frame_finish(f);
}

int
authproto_kick_req_decode(struct frame *f, struct auth_kick_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_str(f, r->session, sizeof(r->session)) == -1 ||
	    frame_get_str(f, r->reason, sizeof(r->reason)) == -1 ||
	    frame_get_str(f, r->by, sizeof(r->by)) == -1 ||
	    frame_get_u32(f, &r->flags) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_kick_ans_encode(struct frame *f, const struct auth_kick_ans *a)
{
	frame_init(f, MSG_AUTH_KICK);
	frame_add_u32(f, a->id);
	frame_add_u32(f, a->count);
	return frame_finish(f);
}

int
authproto_kick_ans_decode(struct frame *f, struct auth_kick_ans *a)
{
	if (frame_get_u32(f, &a->id) == -1 ||
	    frame_get_u32(f, &a->count) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}

int
authproto_send_req_encode(struct frame *f, const struct auth_send_req *r)
{
	frame_init(f, MSG_AUTH_SEND);
	frame_add_u32(f, r->id);
	frame_add_str(f, r->user);
	frame_add_u32(f, r->count);
	frame_add_str(f, r->address);
	frame_add_str(f, r->session);
	return frame_finish(f);
}

int
authproto_send_req_decode(struct frame *f, struct auth_send_req *r)
{
	if (frame_get_u32(f, &r->id) == -1 ||
	    frame_get_str(f, r->user, sizeof(r->user)) == -1 ||
	    frame_get_u32(f, &r->count) == -1 || r->count == 0 ||
	    r->count > AUTH_SEND_COUNT_MAX ||
	    frame_get_str(f, r->address, sizeof(r->address)) == -1 ||
	    frame_get_str(f, r->session, sizeof(r->session)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}
