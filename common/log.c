/*
 * log.c: syslog or stderr logging, shared by every process (see log.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_progname = "postern";
static const char *log_role;
static int log_to_stderr = 1;
static int log_verbose;

void
log_init(const char *progname, int to_stderr, int verbose)
{
	log_progname = progname;
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_reopen(void)
{
	if (log_to_stderr)
		return;
	closelog();
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_target(int to_stderr)
{
	log_to_stderr = to_stderr;
}

void
log_set_role(const char *role)
{
	log_role = role;
}

static void log_vemit(int, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

static void
log_vemit(int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024];
	int saved = errno;
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (with_errno && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	if (log_to_stderr) {
		if (log_role)
			fprintf(stderr, "%s[%d] %s: %s\n", log_progname,
			    (int)getpid(), log_role, msg);
		else
			fprintf(stderr, "%s[%d]: %s\n", log_progname,
			    (int)getpid(), msg);
		fflush(stderr);
	} else if (log_role)
		syslog(pri, "%s: %s", log_role, msg);
	else
		syslog(pri, "%s", msg);
	errno = saved;
}

#define LOG_FN(name, pri, err)					\
void name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	log_vemit(pri, fmt, ap, err);				\
	va_end(ap);						\
}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_auth, LOG_AUTH | LOG_NOTICE, 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
