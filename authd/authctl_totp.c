/*
 * authctl_totp.c: the "totp" commands of authctl: enrolment of a second
 * factor (enable shows the secret, the otpauth:// URI and its QR code;
 * confirm checks a first code and hands out recovery codes) and disable.
 *
 * recovery issues a new set of recovery codes for an active second factor.
 *
 * Runs in authctl, after the drop to the auth user.  The code typed by the
 * operator is untrusted input checked by totp_verify.  The TOTP secret and
 * the recovery codes are shown once on stdout (what to do with them goes
 * to stderr, so that stdout holds nothing else) and stored (the secret as
 * is, because authd must compute codes from it; recovery codes only as
 * SHA-256 digests); all copies in memory are wiped before returning.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/authctl.h"
#include "authd/password.h"
#include "authd/qr.h"
#include "authd/totp.h"
#include "common/base32.h"
#include "common/util.h"

#define TOTP_URI_MAX	1024

struct totp_new {
	uint8_t	secret[TOTP_SECRET_LEN];
	char	codes[DB_RECOVERY_CODES][SECRET_TEXT_MAX];
	int64_t	step;
	int	force;		/* enable: replace a pending enrolment */
	int	keep_trust;	/* the enrolment stays: keep trust windows */
};

/*
 * totp_update: load user in a write transaction, let fn check and change
 * the record, clear the user's 2FA trust windows (they belong to the
 * enrolment being replaced) unless tn->keep_trust, store and finish with
 * reason.  fn returns
 * -1 to refuse (after an error line) or 1 for "nothing to do".
 */
static int
totp_update(struct ctl *c, const char *user, const char *reason,
    int (*fn)(struct ctl *, const char *, struct user_rec *,
    struct totp_new *), struct totp_new *tn)
{
	struct user_rec rec;
	MDB_txn *txn;
	int rc = CTL_ERR, r;

	if (ctl_begin(c, 1, &txn) == -1)
		return CTL_ERR;
	if (ctl_user_load(c, txn, user, &rec) == -1 ||
	    (r = fn(c, user, &rec, tn)) == -1)
		db_abort(txn);
	else if (r == 1) {
		db_abort(txn);
		rc = CTL_OK;
	} else if ((tn == NULL || !tn->keep_trust) &&
	    db_del_prefix(&c->db, txn, c->db.trust, user,
	    strlen(user) + 1) == -1) {
		ctl_err("%s: cannot clear the trusted addresses", user);
		db_abort(txn);
	} else if (
	    db_user_put(&c->db, txn, user, &rec) == -1) {
		ctl_err("%s: cannot update the user record", user);
		db_abort(txn);
	} else if (ctl_finish(c, txn, user, reason) == 0)
		rc = CTL_OK;
	explicit_bzero(&rec, sizeof(rec));
	return rc;
}

static int
totp_user(struct ctl *c, int argc, char **argv, char *user, char **code)
{
	char *pos[2];
	int n;

	if (ctl_parse(argc, argv, NULL, pos, 2, &n) == -1 ||
	    n != (code ? 2 : 1))
		return ctl_usage(c);
	if (code != NULL)
		*code = pos[1];
	return ctl_user_arg(c, pos[0], user) == -1 ? CTL_ERR : CTL_OK;
}

static int
totp_set_pending(struct ctl *c, const char *user, struct user_rec *rec,
    struct totp_new *tn)
{
	if (rec->totp_state == TOTP_ACTIVE) {
		ctl_err("%s: 2FA is already active (run \"authctl totp "
		    "disable %s\" first)", user, user);
		return -1;
	}
	if (rec->totp_state == TOTP_PENDING && !tn->force) {
		ctl_err("%s: an enrolment is pending already, and its secret "
		    "may be in an app; \"authctl totp confirm %s CODE\" "
		    "finishes it, --force replaces its secret", user, user);
		return -1;
	}
	memcpy(rec->totp_secret, tn->secret, sizeof(rec->totp_secret));
	memset(rec->recovery, 0, sizeof(rec->recovery));
	rec->totp_state = TOTP_PENDING;
	rec->totp_last_step = -1;
	return 0;
}

/* totp_issuer: the configured issuer, else the hostname, else "postern"
 * for the default "localhost", which would name every test box alike. */
static const char *
totp_issuer(const struct ctl *c)
{
	if (c->cfg.totp_issuer[0] != '\0')
		return c->cfg.totp_issuer;
	if (c->cfg.hostname[0] != '\0' &&
	    strcmp(c->cfg.hostname, "localhost") != 0)
		return c->cfg.hostname;
	return "postern";
}

/* totp_qr_flags: as qr.h says; colours only on a terminal that has them. */
static int
totp_qr_flags(int invert)
{
	const char *term = getenv("TERM");

	if (invert)
		return QR_INVERT;
	if (isatty(STDOUT_FILENO) && term != NULL && term[0] != '\0' &&
	    strcmp(term, "dumb") != 0)
		return QR_ANSI;
	return 0;
}

/* totp_show: what the user needs to enrol: secret, URI, QR code. */
static int
totp_show(struct ctl *c, const char *user, const uint8_t *secret,
    int invert)
{
	char b32[BASE32_LEN(TOTP_SECRET_LEN) + 1], uri[TOTP_URI_MAX];
	int rc = -1;

	if (base32_encode(secret, TOTP_SECRET_LEN, b32, sizeof(b32)) == 0 ||
	    totp_uri(uri, sizeof(uri), totp_issuer(c), user, b32) == -1) {
		ctl_err("%s: cannot encode the secret", user);
		goto out;
	}
	printf("secret: %s\n%s\n", b32, uri);
	if (fflush(stdout) == EOF ||
	    qr_print(stdout, uri, totp_qr_flags(invert)) == -1)
		ctl_err("%s: cannot draw the QR code; enter the secret by "
		    "hand", user);
	/* After the QR code on a terminal; main reports a failed write. */
	(void)fflush(stdout);
	fprintf(stderr, "authctl: scan the code (or enter the secret) in an "
	    "authenticator app, then run: authctl totp confirm %s CODE\n",
	    user);
	rc = 0;
out:
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(uri, sizeof(uri));
	return rc;
}

int
ctl_totp_enable(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt opts[] = { { "--force", 0, 0, NULL },
	    { "--qr-invert", 0, 0, NULL }, { NULL, 0, 0, NULL } };
	char user[AUTH_USER_MAX], *pos[1];
	struct totp_new tn;
	int n, rc;

	if (ctl_parse(argc, argv, opts, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (ctl_user_arg(c, pos[0], user) == -1)
		return CTL_ERR;
	memset(&tn, 0, sizeof(tn));
	tn.force = opts[0].set;
	random_bytes(tn.secret, sizeof(tn.secret));
	rc = totp_update(c, user, tn.force ? "totp enabled (pending "
	    "enrolment replaced)" : "totp enabled", totp_set_pending, &tn);
	if (rc == CTL_OK && totp_show(c, user, tn.secret, opts[1].set) == -1)
		rc = CTL_ERR;
	explicit_bzero(&tn, sizeof(tn));
	if (rc == CTL_OK)
		rc = ctl_sessions_end(c, user, "totp enabled");
	return rc;
}

/* totp_codes_new: DB_RECOVERY_CODES fresh recovery codes into tn->codes,
 * their digests into rec (all of them replaced). */
static int
totp_codes_new(const char *user, struct user_rec *rec, struct totp_new *tn)
{
	char norm[SECRET_TEXT_MAX];
	int i;

	for (i = 0; i < DB_RECOVERY_CODES; i++) {
		if (secret_generate(tn->codes[i], SECRET_TEXT_MAX,
		    RECOVERY_LETTERS) == -1) {
			ctl_err("%s: cannot generate recovery codes", user);
			explicit_bzero(norm, sizeof(norm));
			return -1;
		}
		memcpy(norm, tn->codes[i], SECRET_TEXT_MAX);
		secret_normalize(norm);
		secret_digest(norm, strlen(norm), rec->recovery[i]);
	}
	explicit_bzero(norm, sizeof(norm));
	return 0;
}

/* totp_print_codes: the heading (printf-style) on stderr, then the new
 * recovery codes alone on stdout, one a line. */
static void __attribute__((format(printf, 2, 3)))
totp_print_codes(const struct totp_new *tn, const char *fmt, ...)
{
	va_list ap;
	int i;

	fprintf(stderr, "authctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ":\n");
	for (i = 0; i < DB_RECOVERY_CODES; i++)
		printf("%s\n", tn->codes[i]);
}

static int
totp_set_active(struct ctl *c, const char *user, struct user_rec *rec,
    struct totp_new *tn)
{
	if (rec->totp_state != TOTP_PENDING) {
		ctl_err("%s: %s", user, rec->totp_state == TOTP_ACTIVE ?
		    "2FA is already confirmed" :
		    "2FA is not being enrolled (run \"authctl totp enable\" "
		    "first)");
		return -1;
	}
	tn->step = totp_verify(rec->totp_secret, sizeof(rec->totp_secret),
	    tn->codes[0], c->now, c->cfg.totp_window, 0);
	if (tn->step == -1) {
		ctl_err("%s: the code does not match (check the clock of the "
		    "device and that the secret was entered correctly)", user);
		return -1;
	}
	if (totp_codes_new(user, rec, tn) == -1)
		return -1;
	rec->totp_state = TOTP_ACTIVE;
	rec->totp_last_step = tn->step;
	return 0;
}

int
ctl_totp_confirm(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX], *code;
	struct totp_new tn;
	int rc;

	if ((rc = totp_user(c, argc, argv, user, &code)) != CTL_OK)
		return rc;
	if (strlen(code) != 6 || strspn(code, "0123456789") != 6) {
		ctl_err("%s: the code must be exactly six digits",
		    ctl_vis(code));
		return CTL_ERR;
	}
	memset(&tn, 0, sizeof(tn));
	memcpy(tn.codes[0], code, 7);
	rc = totp_update(c, user, "totp confirmed", totp_set_active, &tn);
	if (rc == CTL_OK)
		totp_print_codes(&tn, "2FA is active for %s; recovery codes "
		    "(each works once, shown once)", user);
	explicit_bzero(&tn, sizeof(tn));
	return rc;
}

static int
totp_set_none(struct ctl *c, const char *user, struct user_rec *rec,
    struct totp_new *tn)
{
	if (rec->totp_state == TOTP_NONE) {
		ctl_err("%s: 2FA is not enabled; nothing to do", user);
		return 1;
	}
	rec->totp_state = TOTP_NONE;
	explicit_bzero(rec->totp_secret, sizeof(rec->totp_secret));
	explicit_bzero(rec->recovery, sizeof(rec->recovery));
	rec->totp_last_step = 0;
	return 0;
}

int
ctl_totp_disable(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX];
	int rc;

	if ((rc = totp_user(c, argc, argv, user, NULL)) != CTL_OK)
		return rc;
	if ((rc = totp_update(c, user, "totp disabled", totp_set_none,
	    NULL)) != CTL_OK)
		return rc;
	return ctl_sessions_end(c, user, "totp disabled");
}

static int
totp_set_codes(struct ctl *c, const char *user, struct user_rec *rec,
    struct totp_new *tn)
{
	if (rec->totp_state != TOTP_ACTIVE) {
		ctl_err("%s: 2FA is not active, so it has no recovery codes%s",
		    user, rec->totp_state == TOTP_PENDING ? " (confirm the "
		    "enrolment first: authctl totp confirm USER CODE)" : "");
		return -1;
	}
	return totp_codes_new(user, rec, tn);
}

int
ctl_totp_recovery(struct ctl *c, int argc, char **argv)
{
	char user[AUTH_USER_MAX];
	struct totp_new tn;
	int rc;

	if ((rc = totp_user(c, argc, argv, user, NULL)) != CTL_OK)
		return rc;
	memset(&tn, 0, sizeof(tn));
	tn.keep_trust = 1;
	rc = totp_update(c, user, "totp recovery codes replaced",
	    totp_set_codes, &tn);
	if (rc == CTL_OK)
		totp_print_codes(&tn, "new recovery codes for %s (each works "
		    "once, shown once; the old ones no longer work)", user);
	explicit_bzero(&tn, sizeof(tn));
	return rc;
}
