/*
 * monitor.c: pop3d's per-connection monitor.
 *
 * Runs as root, forked by the parent for one client.  It asks authd
 * whether the client's address is banned before any TLS byte is read,
 * forks the net child, and answers the child's login requests by asking
 * authd itself with the address the kernel reported: the child only
 * forwards the credentials it parsed.  After a successful login the
 * monitor becomes the mail role (mail.c).  It trusts authd's answers and
 * nothing its net child sends: a malformed message from the child ends
 * the connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/authc.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/netmsg.h"
#include "common/util.h"
#include "pop3d/pop3d.h"

/* monitor_login: one MSG_NET_LOGIN from the net child; returns the
 * status, and the canonical user and mail dir on success. */
static uint32_t
monitor_login(const struct config *cfg, struct pop3_client *cl,
    struct frame *f, struct auth_login_ans *ans)
{
	static struct auth_login_req req;
	const uint8_t *p;
	size_t n;
	int afd;

	memset(&req, 0, sizeof(req));
	if (frame_get_str(f, req.mech, sizeof(req.mech)) == -1 ||
	    frame_get_str(f, req.user, sizeof(req.user)) == -1 ||
	    frame_get_bytes(f, &p, &n) == -1 || n > sizeof(req.secret) ||
	    frame_end(f) == -1)
		fatalx("monitor: malformed login message from the net child");
	memcpy(req.secret, p, n);
	req.secretlen = n;
	frame_wipe(f);
	str_copy(req.service, "pop3", sizeof(req.service));
	str_copy(req.address, cl->address, sizeof(req.address));
	str_copy(req.session, cl->session, sizeof(req.session));
	req.port = cl->port;
	if ((afd = authc_connect(cfg->auth_socket)) == -1) {
		ans->status = AUTH_FAIL_TEMP;
	} else {
		authc_login(afd, &req, ans);
		close(afd);
	}
	explicit_bzero(&req, sizeof(req));
	return ans->status;
}

static void
monitor_answer(int fd, uint32_t status)
{
	struct frame f;

	frame_init(&f, MSG_NET_LOGIN);
	frame_add_u32(&f, status);
	if (frame_finish(&f) == -1 || frame_write(fd, &f) == -1)
		fatal("monitor: writing to the net child");
}

/* monitor_banned: ask authd before the handshake; fail open when authd
 * cannot be reached (the login asks again and fails closed). */
static int
monitor_banned(const struct config *cfg, const char *address)
{
	int fd, rc;

	if ((fd = authc_connect(cfg->auth_socket)) == -1)
		return 0;
	rc = authc_banned(fd, address);
	close(fd);
	return rc != 0;
}

static void
monitor_session_id(struct pop3_client *cl)
{
	uint8_t r[8];
	int i;

	random_bytes(r, sizeof(r));
	for (i = 0; i < 8; i++)
		snprintf(cl->session + 2 * i, 3, "%02x", r[i]);
}

void
monitor_main(const struct config *cfg, const struct pop3_ids *ids,
    const struct tls_chain *chain, struct pop3_client *cl)
{
	static struct frame f;
	struct auth_login_ans ans;
	int sp[2], status;
	pid_t net;

	log_set_role("monitor");
	monitor_session_id(cl);
	if (monitor_banned(cfg, cl->address)) {
		log_info("monitor: %s is banned; closing", cl->address);
		_exit(0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("monitor: socketpair");
	if ((net = fork()) == -1)
		fatal("monitor: fork");
	if (net == 0) {
		close(sp[0]);
		net_main(cfg, ids, chain, cl, sp[1]);
	}
	close(sp[1]);
	close(cl->fd);
	close(cl->keyfd);
	while (frame_read(sp[0], &f) == 0) {
		if (f.type != MSG_NET_LOGIN)
			fatalx("monitor: unexpected message %u from the net "
			    "child", f.type);
		if (monitor_login(cfg, cl, &f, &ans) == AUTH_OK) {
			monitor_answer(sp[0], AUTH_OK);
			mail_main(cfg, ids, sp[0], ans.user, ans.maildir, net);
		}
		monitor_answer(sp[0], ans.status);
	}
	frame_wipe(&f);
	while (waitpid(net, &status, 0) == -1 && errno == EINTR)
		;
	_exit(0);
}
