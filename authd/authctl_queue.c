/*
 * authctl_queue.c: "queue list", "queue show ID", "queue remove ID" and
 * "queue flush [ID]": the administrator's view of smtpd's queue, through
 * <spool>/queue.sock (queueproto.h).  Runs in authctl; the socket is
 * connected as root in ctl_queue_prep, before authctl drops to the auth
 * user (the queue serves root, or its own uid in development mode).  The
 * queue's answers are decoded with the checked codec; its text is
 * printed with control characters other than newline made visible.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authd/authctl.h"
#include "common/frame.h"
#include "common/util.h"
#include "smtpd/queueproto.h"

#define CTL_QUEUE_MS	10000		/* a page's answer */

static int	ctl_queue_fd = -1;
static char	ctl_queue_path[CONFIG_PATH_MAX + 16];
static char	ctl_queue_why[256];

int
ctl_queue_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	int fd;

	(void)snprintf(ctl_queue_path, sizeof(ctl_queue_path), "%s/queue.sock",
	    c->cfg.spool_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, ctl_queue_path, sizeof(sun.sun_path)) ==
	    -1) {
		(void)snprintf(ctl_queue_why, sizeof(ctl_queue_why), "the "
		    "socket path is too long");
		return CTL_OK;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)snprintf(ctl_queue_why, sizeof(ctl_queue_why), "%s",
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return CTL_OK;
	}
	ctl_queue_fd = fd;
	return CTL_OK;
}

/* ctl_queue_ready: the connection prep made, or an error message. */
static int
ctl_queue_ready(void)
{
	if (ctl_queue_fd != -1)
		return 0;
	ctl_err("the queue is not running: cannot connect to %s: %s",
	    ctl_queue_path, ctl_queue_why);
	return -1;
}

/* ctl_queue_call: send f, read the answer of the same type into f. */
static int
ctl_queue_call(struct frame *f)
{
	uint8_t type = f->type;

	if (frame_write(ctl_queue_fd, f) == -1 ||
	    frame_read(ctl_queue_fd, f, mono_ms() + CTL_QUEUE_MS) == -1) {
		ctl_err("the queue did not answer on %s: %s", ctl_queue_path,
		    strerror(errno));
		return -1;
	}
	if (f->type != type) {
		ctl_err("the queue answered with the wrong message");
		return -1;
	}
	return 0;
}

/* ctl_queue_print: the queue's text, control characters as '?'. */
static void
ctl_queue_print(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		putchar(p[i] == '\n' || (p[i] >= 0x20 && p[i] != 0x7f) ?
		    p[i] : '?');
}

/* ctl_queue_pages: LIST or SHOW, every page printed.  Returns a CTL_*
 * status. */
static int
ctl_queue_pages(uint8_t type, const char *id)
{
	struct frame f;
	uint32_t st, total, off = 0;
	const uint8_t *p;
	size_t len;

	do {
		if (queueproto_page_req_encode(&f, type, id, off) == -1 ||
		    ctl_queue_call(&f) == -1)
			return CTL_ERR;
		if (queueproto_page_ans_decode(&f, &st, &total, &p, &len) ==
		    -1) {
			ctl_err("malformed answer from the queue");
			return CTL_ERR;
		}
		if (st == QUEUE_NOTFOUND) {
			ctl_err("no message %s in the queue", id);
			return CTL_ERR;
		}
		if (st != QUEUE_OK || (len == 0 && off < total)) {
			ctl_err("the queue could not make the listing");
			return CTL_ERR;
		}
		ctl_queue_print(p, len);
		off += (uint32_t)len;
	} while (off < total);
	return CTL_OK;
}

/* ctl_queue_id: the ID operand, checked. */
static int
ctl_queue_id(const char *arg)
{
	if (queueproto_id_valid(arg))
		return 0;
	ctl_err("%s: not a queue id (16 lowercase hexadecimal digits, as "
	    "\"authctl queue list\" shows them)", ctl_vis(arg));
	return -1;
}

int
ctl_queue_list(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int npos;

	if (ctl_parse(argc, argv, NULL, pos, 0, &npos) == -1)
		return ctl_usage(c);
	if (ctl_queue_ready() == -1)
		return CTL_ERR;
	return ctl_queue_pages(MSG_QUEUE_LIST, "");
}

int
ctl_queue_show(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int npos;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1 || npos != 1)
		return ctl_usage(c);
	if (ctl_queue_id(pos[0]) == -1)
		return CTL_USAGE;
	if (ctl_queue_ready() == -1)
		return CTL_ERR;
	return ctl_queue_pages(MSG_QUEUE_SHOW, pos[0]);
}

/* ctl_queue_act: REMOVE or FLUSH of id. */
static int
ctl_queue_act(uint8_t type, const char *id)
{
	char text[QUEUE_TEXT_MAX];
	struct frame f;
	uint32_t st;

	if (ctl_queue_ready() == -1)
		return CTL_ERR;
	if (queueproto_id_encode(&f, type, id) == -1 ||
	    ctl_queue_call(&f) == -1)
		return CTL_ERR;
	if (queueproto_result_decode(&f, QUEUE_NOTFOUND, &st, text,
	    sizeof(text)) == -1) {
		ctl_err("malformed answer from the queue");
		return CTL_ERR;
	}
	if (st != QUEUE_OK) {
		ctl_err("%s", ctl_vis(text));
		return CTL_ERR;
	}
	printf("%s\n", ctl_vis(text));
	return CTL_OK;
}

int
ctl_queue_remove(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int npos;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1 || npos != 1)
		return ctl_usage(c);
	if (ctl_queue_id(pos[0]) == -1)
		return CTL_USAGE;
	return ctl_queue_act(MSG_QUEUE_REMOVE, pos[0]);
}

int
ctl_queue_flush(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int npos;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1)
		return ctl_usage(c);
	if (npos == 1 && ctl_queue_id(pos[0]) == -1)
		return CTL_USAGE;
	return ctl_queue_act(MSG_QUEUE_FLUSH, npos == 1 ? pos[0] : "");
}
