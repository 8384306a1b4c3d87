/*
 * preflight.c: what a daemon checks before it starts and -n reports (see
 * preflight.h).  Runs in the parent of each daemon; reads the password
 * and group databases and stats directories; decodes the end-entity
 * certificate with BearSSL.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/log.h"
#include "common/preflight.h"
#include "common/privsep.h"

/* BearSSL counts days from January 1st of year 0 (proleptic Gregorian);
 * 1970-01-01 is day 719528 (x509_minimal.c uses the same constant). */
#define PREFLIGHT_EPOCH_DAYS	719528

static const char *const preflight_roles[ROLE_COUNT] = {
	"auth", "net", "mail", "queue", "relay", "keyholder"
};

int
preflight_users(const struct config *cfg, const char *conf,
    const enum config_role *roles, int nroles, int group)
{
	const char *name;
	int i, rv = 0;

	if (privsep_is_dev())
		return 0;
	for (i = 0; i < nroles; i++) {
		name = cfg->users[roles[i]];
		errno = 0;
		if (getpwnam(name) != NULL)
			continue;
		log_warnx("%s: user %s %s: no such system user; create it "
		    "(etc/mkusers.sh, or useradd --system --no-create-home "
		    "--shell /usr/sbin/nologin %s), or name another in a "
		    "\"user %s\" statement", conf, preflight_roles[roles[i]],
		    name, name, preflight_roles[roles[i]]);
		rv = -1;
	}
	if (group && getgrnam(cfg->group) == NULL) {
		log_warnx("%s: group %s: no such system group; create it with "
		    "groupadd --system %s, or name another in a \"group\" "
		    "statement", conf, cfg->group, cfg->group);
		rv = -1;
	}
	return rv;
}

int
preflight_dir(const char *conf, const char *keyword, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		log_warnx("%s: %s %s: %s (create it, or change the \"%s\" "
		    "statement)", conf, keyword, path, strerror(errno),
		    keyword);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s: %s %s: not a directory", conf, keyword, path);
		return -1;
	}
	if (access(path, W_OK | X_OK) == -1) {
		log_warnx("%s: %s %s: cannot write in it: %s", conf, keyword,
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

int
preflight_cert_dates(const struct tls_chain *chain, int64_t *notbefore,
    int64_t *notafter)
{
	br_x509_decoder_context dc;

	if (chain->ncerts == 0)
		return -1;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, chain->certs[0].data,
	    chain->certs[0].data_len);
	if (br_x509_decoder_last_error(&dc) != 0)
		return -1;
	/* Fields, not accessors: BearSSL 0.6 has no getter for them. */
	*notbefore = ((int64_t)dc.notbefore_days - PREFLIGHT_EPOCH_DAYS) *
	    86400 + dc.notbefore_seconds;
	*notafter = ((int64_t)dc.notafter_days - PREFLIGHT_EPOCH_DAYS) *
	    86400 + dc.notafter_seconds;
	return 0;
}

/* preflight_date: "2026-12-01 12:00:00 UTC" into buf. */
static const char *
preflight_date(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld (seconds since 1970)", (long long)t);
	return buf;
}

int
preflight_cert(const struct tls_chain *chain, const char *path, int64_t now)
{
	char date[64];
	int64_t nb, na, left;

	if (preflight_cert_dates(chain, &nb, &na) == -1) {
		log_warnx("%s: the certificate's validity does not decode",
		    path);
		return -1;
	}
	if (now < nb) {
		log_warnx("%s: the certificate is not valid before %s", path,
		    preflight_date(nb, date, sizeof(date)));
		return -1;
	}
	if (now > na) {
		log_warnx("%s: the certificate expired on %s; renew it, then "
		    "reload", path, preflight_date(na, date, sizeof(date)));
		return -1;
	}
	left = (na - now) / 86400;
	if (left >= PREFLIGHT_CERT_WARN_DAYS)
		return 0;
	log_warnx("%s: the certificate expires on %s, in %lld day%s; renew "
	    "it, then reload", path, preflight_date(na, date, sizeof(date)),
	    (long long)left, left == 1 ? "" : "s");
	return 1;
}
