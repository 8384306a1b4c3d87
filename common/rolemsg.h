/*
 * rolemsg.h: the messages between the roles of one network daemon (the
 * skeleton of skel.h), built and decoded by typed codecs, as authd's
 * protocol is in authproto.h.
 *
 *   MSG_NET_LOGIN        net -> monitor: mech (str), user (str), secret
 *                        (bytes), handover (bytes: what the pre-auth
 *                        engine passes to the session, such as an IMAP
 *                        command tag)
 *                        monitor -> net: status (u32, AUTH_* of
 *                        authproto.h)
 *   MSG_MONITOR_SESSION  monitor -> parent: user (str), who just logged in
 *                        parent -> monitor: verdict (u32, ADMIT_* of
 *                        admission.h); the session starts on ADMIT_OK only
 *
 * The net role is hostile to the monitor, so every decoder checks every
 * field and rejects trailing bytes; the monitor treats a failure as
 * fatal (its child is compromised or broken).  The login carries a
 * secret: the caller wipes the frame (frame_wipe) and the struct
 * (rolemsg_login_wipe) as soon as they are used.
 */
#ifndef POSTERN_ROLEMSG_H
#define POSTERN_ROLEMSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/frame.h"

#define ROLEMSG_HANDOVER_MAX	256

struct role_login {
	char	mech[AUTH_MECH_MAX];
	char	user[AUTH_USER_MAX];
	uint8_t	secret[AUTH_SECRET_MAX];
	size_t	secretlen;
	uint8_t	handover[ROLEMSG_HANDOVER_MAX];
	size_t	handoverlen;
};

/* Each encoder builds a finished frame in f: 0, or -1 when a field does
 * not fit (f is then unusable).  Each decoder reads a frame of the
 * matching type: 0, or -1 when the type, a field or the length is wrong
 * (out is then partly filled and MUST be wiped). */
int	rolemsg_login_encode(struct frame *f, const struct role_login *l);
int	rolemsg_login_decode(struct frame *f, struct role_login *l);
void	rolemsg_login_wipe(struct role_login *l);

/* rolemsg_user_ok: 1 when the n octets at s may go out as a login's
 * user: 1..AUTH_USER_MAX-1 octets, printable, no blanks; else 0.  The
 * pre-auth engines refuse anything else themselves. */
int	rolemsg_user_ok(const char *s, size_t n);

/* The monitor's answer: status is AUTH_OK, AUTH_FAIL_TEMP or
 * AUTH_FAIL_PERM (the decoder rejects anything else). */
int	rolemsg_status_encode(struct frame *f, uint32_t status);
int	rolemsg_status_decode(struct frame *f, uint32_t *status);

/* MSG_MONITOR_SESSION both ways: the user (request), the verdict
 * (answer, any u32: the parent's word is trusted). */
int	rolemsg_session_encode(struct frame *f, const char *user);
int	rolemsg_session_decode(struct frame *f, char *user, size_t len);
int	rolemsg_verdict_encode(struct frame *f, int type, uint32_t verdict);
int	rolemsg_verdict_decode(struct frame *f, int type, uint32_t *verdict);
/* message: a monitor asks whether its client may send one more message
 * (smtpd's port 25); no fields, answered with a verdict of its type. */
int	rolemsg_message_encode(struct frame *f);
int	rolemsg_message_decode(struct frame *f);

#endif
