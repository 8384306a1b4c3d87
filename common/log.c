/*
 * log.c: syslog or stderr logging, shared by every process (see log.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_progname = "postern";
static const char *log_role;
static char log_session[128];	/* "address session id: " or "" */
static int log_to_stderr = 1;
static int log_verbose;

void
log_init(const char *progname, int to_stderr, int verbose)
{
	log_progname = progname;
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_reopen(void)
{
	if (log_to_stderr)
		return;
	closelog();
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
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

void
log_set_session(const char *address, const char *session)
{
	snprintf(log_session, sizeof(log_session), "%s session %s: ", address,
	    session);
}

const char *
log_signal_name(int sig)
{
	static char buf[32];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev == NULL)
		snprintf(buf, sizeof(buf), "signal %d", sig);
	else
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	return buf;
}

int
log_child_status(const char *role, long pid, const char *address,
    const char *session, int status)
{
	char who[160];
	int sig;

	if (address != NULL && session != NULL)
		snprintf(who, sizeof(who), "%s process %ld of %s session %s",
		    role, pid, address, session);
	else
		snprintf(who, sizeof(who), "%s process %ld", role, pid);
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		log_warnx("%s killed by %s (%s)%s%s", who, log_signal_name(sig),
		    strsignal(sig), sig == SIGSYS ? ": its sandbox refused a "
		    "system call" : "",
		    WCOREDUMP(status) ? "; core dumped" : "");
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		log_warnx("%s exited with status %d", who, WEXITSTATUS(status));
		return 1;
	}
	return 0;
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
			fprintf(stderr, "%s[%d] %s: %s%s\n", log_progname,
			    (int)getpid(), log_role, log_session, msg);
		else
			fprintf(stderr, "%s[%d]: %s%s\n", log_progname,
			    (int)getpid(), log_session, msg);
		fflush(stderr);
	} else if (log_role)
		syslog(pri, "%s: %s%s", log_role, log_session, msg);
	else
		syslog(pri, "%s%s", log_session, msg);
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
