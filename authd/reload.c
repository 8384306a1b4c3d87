/*
 * reload.c: the policy a SIGHUP reloads and the channel that carries it
 * (see reload.h).  reload_send and reload_wait_ready run in authd's
 * parent; reload_recv and reload_ready in the server process, which
 * trusts the parent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "authd/reload.h"
#include "common/frame.h"
#include "common/log.h"

/* The policy fields, in frame order. */
#define RELOAD_FIELDS(c) {						\
	&(c)->auth_failure_delay, &(c)->lockout_pair_window,		\
	&(c)->lockout_pair_duration, &(c)->lockout_account_window,	\
	&(c)->lockout_known, &(c)->ban_window, &(c)->ban_duration,	\
	&(c)->ban_max, &(c)->totp_trust, &(c)->audit_retention }
#define RELOAD_INTS(c) {						\
	&(c)->lockout_pair_failures, &(c)->lockout_account_failures,	\
	&(c)->ban_failures, &(c)->totp_window, &(c)->smtp_send_limit,	\
	&(c)->login_notices }
#define RELOAD_NTIMES	10
#define RELOAD_NINTS	6

static void
reload_add(char *buf, size_t len, int differs, const char *name)
{
	size_t n = strlen(buf);

	if (!differs)
		return;
	(void)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

void
reload_restart_needed(const struct config *o, const struct config *f,
    char *buf, size_t len)
{
	int users = memcmp(o->users, f->users, sizeof(o->users)) != 0;
	int doms = o->ndomains != f->ndomains ||
	    memcmp(o->domains, f->domains, sizeof(o->domains)) != 0;

	buf[0] = '\0';
	reload_add(buf, len, strcmp(o->state_dir, f->state_dir), "state");
	reload_add(buf, len, strcmp(o->mail_dir, f->mail_dir), "mail");
	reload_add(buf, len, strcmp(o->runtime_dir, f->runtime_dir),
	    "runtime");
	reload_add(buf, len, strcmp(o->auth_socket, f->auth_socket),
	    "auth socket");
	reload_add(buf, len, users, "user");
	reload_add(buf, len, strcmp(o->group, f->group), "group");
	reload_add(buf, len, o->auth_workers != f->auth_workers,
	    "auth workers");
	reload_add(buf, len, o->auth_scrypt_cost != f->auth_scrypt_cost,
	    "auth scrypt cost");
	reload_add(buf, len, strcmp(o->hostname, f->hostname), "hostname");
	reload_add(buf, len, doms, "domain");
}

int
reload_send(int fd, const struct config *fresh)
{
	const int64_t *times[RELOAD_NTIMES] = RELOAD_FIELDS(fresh);
	const int *ints[RELOAD_NINTS] = RELOAD_INTS(fresh);
	struct frame f;
	int i;

	frame_init(&f, MSG_AUTHD_POLICY);
	for (i = 0; i < RELOAD_NTIMES; i++)
		frame_add_u64(&f, (uint64_t)*times[i]);
	for (i = 0; i < RELOAD_NINTS; i++)
		frame_add_u64(&f, (uint64_t)*ints[i]);
	frame_add_u64(&f, fresh->default_quota);
	if (frame_finish(&f) == -1 || frame_write(fd, &f) == -1) {
		log_warn("sending the new policy to the server process");
		return -1;
	}
	return 0;
}

int
reload_recv(int fd, struct config *cfg)
{
	struct config fresh = *cfg;
	int64_t *times[RELOAD_NTIMES] = RELOAD_FIELDS(&fresh);
	int *ints[RELOAD_NINTS] = RELOAD_INTS(&fresh);
	struct frame f;
	uint64_t v;
	int i;

	if (frame_read(fd, &f, FRAME_FOREVER) == -1) {
		if (errno == ECONNRESET)
			return 0;
		fatal("reading from the parent process");
	}
	if (f.type != MSG_AUTHD_POLICY)
		fatalx("unexpected message %s from the parent process",
		    msg_name(f.type));
	for (i = 0; i < RELOAD_NTIMES; i++) {
		if (frame_get_u64(&f, &v) == -1 || v > INT64_MAX)
			fatalx("malformed policy from the parent process");
		*times[i] = (int64_t)v;
	}
	for (i = 0; i < RELOAD_NINTS; i++) {
		if (frame_get_u64(&f, &v) == -1 || v > INT32_MAX)
			fatalx("malformed policy from the parent process");
		*ints[i] = (int)v;
	}
	if (frame_get_u64(&f, &fresh.default_quota) == -1 ||
	    (fresh.default_quota != 0 &&
	    (fresh.default_quota < CONFIG_QUOTA_MIN ||
	    fresh.default_quota > CONFIG_QUOTA_MAX)) ||
	    frame_end(&f) == -1)
		fatalx("malformed policy from the parent process");
	*cfg = fresh;
	log_info("reloaded %s", RELOAD_WHAT);
	return 1;
}

void
reload_ready(int fd)
{
	struct frame f;

	frame_init(&f, MSG_AUTHD_READY);
	if (frame_finish(&f) == -1 || frame_write(fd, &f) == -1)
		fatal("telling the parent process it serves");
}

int
reload_wait_ready(int fd)
{
	struct frame f;

	if (frame_read(fd, &f, FRAME_FOREVER) == -1)
		return -1;
	if (f.type != MSG_AUTHD_READY || frame_end(&f) == -1)
		fatalx("unexpected message %s from the server process",
		    msg_name(f.type));
	return 0;
}
