/*
 * log.h: logging for every postern process.
 *
 * Runs in every process.  Messages go to syslog, facility mail (log_auth:
 * facility auth), or, in the foreground (-d), to stderr.  Two families, as
 * in OpenSMTPD: log_warn and fatal append strerror(errno); log_warnx and
 * fatalx do not.  A line is read by the administrator: callers say in
 * words what failed and for what (user, file), once; the program, role and
 * connection (log_set_session) are prefixed here, so callers MUST NOT
 * repeat them, nor put function names into any level but log_debug.
 * Nothing here ever receives a secret: callers MUST NOT pass passwords,
 * codes or keys.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>

/*
 * log_init: set the program name, where messages go (to_stderr non-zero:
 * stderr, else syslog with LOG_NDELAY so the socket is open before a chroot)
 * and whether log_debug prints.  May be called again to change the target.
 */
void log_init(const char *progname, int to_stderr, int verbose);

/* log_set_target: send messages to stderr (non-zero) or to syslog, without
 * opening anything: a daemon opens syslog with log_init before it chroots
 * and reports start-up errors on stderr until it is ready. */
void log_set_target(int to_stderr);

/* log_reopen: reconnect to syslog (when logging there), for a process that
 * closed its inherited descriptors; call it before a chroot. */
void log_reopen(void);

/* log_set_role: a short role name printed after the program name. */
void log_set_role(const char *role);

/*
 * log_set_session: from now on every line of this process names the
 * client's address and the session id that authd's audit record of its
 * login carries ("127.0.0.1 session 0123456789abcdef: ..."), so one
 * connection can be followed from the TLS handshake to its end.  For a
 * per-connection process; the strings are copied (truncated to fit).
 */
void log_set_session(const char *address, const char *session);

/*
 * log_child_status: called by whoever reaped a child, with waitpid's
 * status: logs a child that was killed by a signal (naming the signal, and
 * for SIGSYS its sandbox) or exited non-zero, with its role, pid and, when
 * not NULL, the client address and session id it served.  A clean exit
 * logs nothing.  Returns 1 when the child ended abnormally, else 0.
 */
int log_child_status(const char *role, long pid, const char *address,
    const char *session, int status);

/* log_signal_name: "SIGSYS" for SIGSYS; "signal N" for an unknown one, in
 * a static buffer. */
const char *log_signal_name(int sig);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_auth: one line at facility auth (the audit trail's syslog copy). */
void log_auth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fatal, fatalx: log and exit(1).  For broken invariants only. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
