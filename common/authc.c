/*
 * authc.c: blocking authd client for monitors (see authc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/authc.h"
#include "common/log.h"
#include "common/util.h"

static uint32_t authc_next_id = 1;

int
authc_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, path, sizeof(sun.sun_path)) == -1) {
		log_warnx("authd socket path too long: %s", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot make a socket to reach authd");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("cannot reach authd at %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* authc_call: send f, read the answer of the same type into f. */
static int
authc_call(int fd, struct frame *f, uint8_t type)
{
	int rc;

	rc = frame_write(fd, f);
	frame_wipe(f);
	if (rc == 0)
		rc = frame_read(fd, f, mono_ms() + AUTHC_TIMEOUT_MS);
	if (rc == -1 && errno == ETIMEDOUT) {
		log_warnx("authd did not answer within %d ms",
		    AUTHC_TIMEOUT_MS);
		return -1;
	}
	if (rc == -1) {
		log_warnx("authd connection failed");
		return -1;
	}
	if (f->type != type) {
		log_warnx("unexpected answer %s from authd",
		    msg_name(f->type));
		return -1;
	}
	return 0;
}

int
authc_login(int fd, struct auth_login_req *req, struct auth_login_ans *ans)
{
	struct frame f;

	memset(ans, 0, sizeof(*ans));
	ans->status = AUTH_FAIL_TEMP;
	req->id = authc_next_id++;
	if (authproto_login_req_encode(&f, req) == -1) {
		frame_wipe(&f);
		log_warnx("login request too large for authd");
		return -1;
	}
	if (authc_call(fd, &f, req->opens ? MSG_AUTH_SESSION :
	    MSG_AUTH_LOGIN) == -1 ||
	    authproto_login_ans_decode(&f, ans) == -1 || ans->id != req->id) {
		memset(ans, 0, sizeof(*ans));
		ans->status = AUTH_FAIL_TEMP;
		return -1;
	}
	return 0;
}

int
authc_banned(int fd, const char *address)
{
	struct auth_addr_req r;
	struct auth_status_ans a;
	struct frame f;

	memset(&r, 0, sizeof(r));
	r.id = authc_next_id++;
	if (str_copy(r.address, address, sizeof(r.address)) == -1 ||
	    authproto_addr_req_encode(&f, MSG_AUTH_BANCHECK, &r) == -1)
		return -1;
	if (authc_call(fd, &f, MSG_AUTH_BANCHECK) == -1 ||
	    authproto_status_ans_decode(&f, &a) == -1 || a.id != r.id)
		return 0;
	if (a.status == AUTH_FAIL_PERM)
		return -1;
	return a.status == AUTH_FAIL_TEMP;
}

int
authc_open(int fd, const char *reason)
{
	struct auth_open_req r;
	struct auth_status_ans a;
	struct frame f;

	memset(&r, 0, sizeof(r));
	r.id = authc_next_id++;
	r.status = reason == NULL ? AUTH_OK : AUTH_FAIL_TEMP;
	if (reason != NULL)
		snprintf(r.reason, sizeof(r.reason), "%s", reason);
	if (authproto_open_req_encode(&f, &r) == -1)
		fatalx("internal error: cannot encode a session report");
	if (authc_call(fd, &f, MSG_AUTH_OPEN) == -1 ||
	    authproto_status_ans_decode(&f, &a) == -1 || a.id != r.id) {
		log_warnx("authd did not confirm the session");
		return -1;
	}
	return reason == NULL && a.status == AUTH_OK ? 0 : -1;
}

int
authc_end_read(int fd, char *reason, size_t len)
{
	struct auth_end e;
	struct frame f;

	if (frame_read(fd, &f, FRAME_FOREVER) == -1) {
		snprintf(reason, len, "authd closed its connection");
		return -1;
	}
	if (f.type != MSG_AUTH_END || authproto_end_decode(&f, &e) == -1) {
		snprintf(reason, len, "unexpected message %s from authd",
		    msg_name(f.type));
		return -1;
	}
	snprintf(reason, len, "%s", e.reason);
	return 0;
}

int
authc_who(int fd, struct auth_who_req *req, struct auth_who_ans *ans)
{
	struct frame f;

	req->id = authc_next_id++;
	if (authproto_who_req_encode(&f, req) == -1)
		return -1;
	if (authc_call(fd, &f, MSG_AUTH_WHO) == -1 ||
	    authproto_who_ans_decode(&f, ans) == -1 || ans->id != req->id) {
		log_warnx("authd sent a malformed list of sessions");
		return -1;
	}
	return 0;
}

int
authc_kick(int fd, struct auth_kick_req *req, struct auth_kick_ans *ans)
{
	struct frame f;

	req->id = authc_next_id++;
	if (authproto_kick_req_encode(&f, req) == -1)
		return -1;
	if (authc_call(fd, &f, MSG_AUTH_KICK) == -1 ||
	    authproto_kick_ans_decode(&f, ans) == -1 || ans->id != req->id) {
		log_warnx("authd did not say which sessions it ended");
		return -1;
	}
	return 0;
}

int
authc_known(int fd, struct auth_known_req *req, struct auth_known_ans *ans)
{
	struct frame f;

	req->id = authc_next_id++;
	if (authproto_known_req_encode(&f, req) == -1)
		return -1;
	if (authc_call(fd, &f, MSG_AUTH_KNOWN) == -1 ||
	    authproto_known_ans_decode(&f, ans) == -1 || ans->id != req->id) {
		log_warnx("authd sent a malformed list of known addresses");
		return -1;
	}
	return 0;
}

int
authc_rcpt(int fd, const char *address, struct auth_rcpt_ans *ans)
{
	struct auth_addr_req r;
	struct frame f;

	memset(&r, 0, sizeof(r));
	r.id = authc_next_id++;
	if (str_copy(r.address, address, sizeof(r.address)) == -1) {
		ans->status = AUTH_FAIL_PERM;
		ans->count = 0;
		return 0;
	}
	if (authproto_addr_req_encode(&f, MSG_AUTH_RCPT, &r) == -1 ||
	    authc_call(fd, &f, MSG_AUTH_RCPT) == -1 ||
	    authproto_rcpt_ans_decode(&f, ans) == -1 || ans->id != r.id) {
		log_warnx("authd did not answer a recipient lookup");
		return -1;
	}
	return 0;
}

uint32_t
authc_send(int fd, const char *user, uint32_t n, const char *address,
    const char *session)
{
	struct auth_send_req r;
	struct auth_status_ans a;
	struct frame f;

	memset(&r, 0, sizeof(r));
	r.id = authc_next_id++;
	r.count = n;
	if (str_copy(r.user, user, sizeof(r.user)) == -1 ||
	    str_copy(r.address, address, sizeof(r.address)) == -1 ||
	    str_copy(r.session, session, sizeof(r.session)) == -1 ||
	    authproto_send_req_encode(&f, &r) == -1 ||
	    authc_call(fd, &f, MSG_AUTH_SEND) == -1 ||
	    authproto_status_ans_decode(&f, &a) == -1 || a.id != r.id) {
		log_warnx("authd did not answer a sending-limit request");
		return AUTH_FAIL_TEMP;
	}
	return a.status;
}
