/*
 * preflight.h: the checks a daemon makes before it starts, so that -n
 * rejects what start-up would reject (DESIGN.md §7): the privilege
 * separation users, the directories it writes, and the certificate's
 * validity period.
 *
 * Runs in a daemon's parent, as root (or the invoking user in development
 * mode), for -n, at start and on SIGHUP; pop3d's parent also calls
 * preflight_cert_dates once a day on the chain it serves.  Trusts the
 * configuration and the password and group databases; a certificate is
 * decoded by BearSSL as untrusted bytes.  Every problem is logged as one
 * line (stderr until the daemon is ready, syslog after) that names the
 * configuration file, the statement and the way out.
 */
#ifndef POSTERN_PREFLIGHT_H
#define POSTERN_PREFLIGHT_H

#include <stdint.h>

#include "common/config.h"
#include "common/tls.h"

#define PREFLIGHT_CERT_WARN_DAYS	14

/*
 * preflight_users: each role's system user (cfg->users[roles[i]]) exists;
 * with group non-zero, cfg->group too.  conf names the configuration file
 * in the messages.  Skipped (0) in development mode, where every role runs
 * as the invoking user.  Returns 0, or -1 after one line per missing name.
 */
int	preflight_users(const struct config *cfg, const char *conf,
	    const enum config_role *roles, int nroles, int group);

/*
 * preflight_dir: path (the value of the statement keyword of conf) is a
 * directory this process may write in (the parents create what the roles
 * use below it, as root, then hand it over).  Returns 0, or -1 after one
 * line: missing, not a directory, or not writable and why (a read-only
 * file system, such as ProtectSystem= without ReadWritePaths=, shows as
 * such).
 */
int	preflight_dir(const char *conf, const char *keyword, const char *path);

/*
 * preflight_cert_dates: the validity period of chain's end-entity
 * certificate, in seconds since the epoch, into *notbefore and *notafter.
 * Returns 0, or -1 when the chain is empty or its first certificate does
 * not decode.
 */
int	preflight_cert_dates(const struct tls_chain *chain, int64_t *notbefore,
	    int64_t *notafter);

/*
 * preflight_cert: judge chain (read from path) at time now (seconds since
 * the epoch).  Returns 0 when it is valid for more than
 * PREFLIGHT_CERT_WARN_DAYS; 1 after a warning line when it expires within
 * that (with the date and the days left); -1 after an error line when it
 * has expired or is not valid yet.
 */
int	preflight_cert(const struct tls_chain *chain, const char *path,
	    int64_t now);

#endif
