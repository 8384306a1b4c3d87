/*
 * authctl.h: what the authctl_*.c files share: the command context, the
 * command functions and the helpers in authctl.c for arguments, time,
 * errors and the one write transaction each command makes.
 *
 * Runs in authctl, the administrator's tool, which opens authd's LMDB
 * environment directly (after dropping to the auth user when started as
 * root).  It trusts the root-owned configuration and the operator at the
 * terminal as far as a root shell is trusted, but checks every argument
 * anyway so that a typo cannot half-write a record: each command makes all
 * its checks first, then one write transaction that also appends the
 * audit record, then logs the audit line after the commit.  Secrets are
 * printed once on stdout, never logged, and wiped with explicit_bzero.
 */
#ifndef POSTERN_AUTHCTL_H
#define POSTERN_AUTHCTL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "authd/db.h"
#include "common/authproto.h"
#include "common/config.h"

/* Exit statuses. */
#define CTL_OK		0
#define CTL_ERR		1
#define CTL_USAGE	2

#define CTL_TIME_MAX	32	/* "2026-11-26T10:00:00Z" and more */
#define CTL_VIS_MAX	256	/* an echoed argument, "..." when cut */

struct ctl {
	struct config	 cfg;
	const char	*cfgpath;
	const char	*usage;		/* of the running command */
	struct db	 db;
	int64_t		 now;		/* seconds, taken once at start */
	char		 who[64];	/* who runs authctl (ctl_finish) */
};

/* A command: ctl and the arguments after the command words. */
typedef int (*ctl_fn)(struct ctl *, int argc, char **argv);

/*
 * Long options of one command.  ctl_parse fills set and val; options may
 * come before, between or after the operands; "--" ends them.
 */
struct ctl_opt {
	const char	*name;		/* "--password-stdin" */
	int		 has_arg;	/* takes "--name VALUE" or "--name=VALUE" */
	int		 set;
	const char	*val;
};

/*
 * ctl_parse: split argv into options (opts, terminated by a NULL name)
 * and at most maxpos operands stored in pos; *npos gets their number.
 * Returns 0, or -1 after an error line on stderr (unknown option, missing
 * value, option given twice, too many operands).
 */
int	ctl_parse(int argc, char **argv, struct ctl_opt *opts, char **pos,
	    int maxpos, int *npos);

/* ctl_usage: print the running command's usage line; returns CTL_USAGE.
 * ctl_usage_why prints "authctl: why" before it. */
int	ctl_usage(struct ctl *c);
int	ctl_usage_why(struct ctl *c, const char *why);

/* ctl_err: print "authctl: " fmt "\n" on stderr. */
void	ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * ctl_vis: s as it may be echoed in a message: control characters become
 * '?', and more than CTL_VIS_MAX-1 bytes end in "...".  Every argument
 * from the command line goes through it before it reaches the terminal.
 * Returns one of four static buffers used in turn, so at most four calls
 * may appear in one ctl_err.
 */
const char *ctl_vis(const char *s);

/*
 * ctl_user_arg: copy arg into out (AUTH_USER_MAX bytes) lowercased and
 * check that it is a valid address in a local domain.  Returns 0, or -1
 * after an error line.  ctl_address_arg does the same for an address
 * that may be in any domain (alias targets).
 */
int	ctl_user_arg(struct ctl *c, const char *arg, char *out);
int	ctl_address_arg(const char *arg, char *out);

/*
 * ctl_newname_arg: ctl_user_arg for a name being created (user add,
 * alias add): the name MUST also pass mailpath_name_check, since it may
 * become the directory <mail>/<domain>/<local part>.  Names already in the
 * database go through ctl_user_arg only, so an old unsafe record can still
 * be shown and deleted.  Returns 0, or -1 after an error line that says
 * which part is unsafe and why.
 */
int	ctl_newname_arg(struct ctl *c, const char *arg, char *out);

/*
 * ctl_user_load: read user's record in txn.  Returns 0 when found, or -1
 * after an error line ("no such user" or the database's reason).
 */
int	ctl_user_load(struct ctl *c, MDB_txn *txn, const char *user,
	    struct user_rec *rec);

/*
 * ctl_alias_warn: in txn, print a warning on stderr for every alias other
 * than itself whose targets name name (a user or an alias being deleted).
 * Never fails: a record it cannot read is skipped.
 */
void	ctl_alias_warn(struct ctl *c, MDB_txn *txn, const char *name);

/* ctl_list: the body of a listing command without arguments: fn for
 * every record of dbi in a read transaction.  Returns CTL_OK or CTL_ERR. */
int	ctl_list(struct ctl *c, int argc, char **argv, MDB_dbi dbi,
	    db_each_fn fn, void *arg);

/*
 * ctl_begin: start a transaction (write non-zero: read-write); 0 or -1
 * after an error line.  ctl_finish: in the write transaction txn, append
 * the audit record (service "authctl", mech c->who: who ran authctl,
 * result "admin", the given user and reason, address "-"), commit, and
 * log the audit line; txn is gone afterwards either way.  Returns 0, or
 * -1 after an error line, in which case nothing was written.
 * ctl_finish_at is ctl_finish with the address field set: a command about
 * a client address (ban, unban) puts it there, and user "-", so that
 * "audit --address" finds it.
 */
int	ctl_begin(struct ctl *c, int write, MDB_txn **txn);
int	ctl_finish(struct ctl *c, MDB_txn *txn, const char *user,
	    const char *reason);
int	ctl_finish_at(struct ctl *c, MDB_txn *txn, const char *user,
	    const char *address, const char *reason);

/* ctl_reason: format an audit reason into buf (len bytes), ending it in
 * "..." when it had to be cut. */
void	ctl_reason(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ctl_time: seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC), "never" for 0. */
void	ctl_time(int64_t t, char *buf, size_t len);

/* ctl_time_us: microseconds as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC), as
 * audit prints a record's time; buf holds CTL_TIME_MAX + 8 bytes. */
void	ctl_time_us(int64_t us, char *buf, size_t len);

/* ctl_duration: seconds as "90d", "1h", "90s": the largest unit that
 * divides them exactly. */
void	ctl_duration(int64_t s, char *buf, size_t len);

/* ctl_services: SERVICE_* bits as "imap,smtp", "none" when 0. */
void	ctl_services(unsigned services, char *buf, size_t len);

/*
 * ctl_key_str: copy an LMDB string key (not NUL-terminated) into buf of
 * len bytes; returns 0, or -1 when it does not fit or holds a NUL.
 */
int	ctl_key_str(const void *key, size_t keylen, char *buf, size_t len);

/*
 * ctl_user_rec: copy a raw users value into rec; 0, or -1 when its size
 * or version is wrong (an error line names key).
 */
int	ctl_user_rec(const char *key, const void *val, size_t len,
	    struct user_rec *rec);

/* authctl_user.c */
int	ctl_user_add(struct ctl *, int, char **);
int	ctl_user_del(struct ctl *, int, char **);
/* ctl_user_add_prep, ctl_user_del_prep: as root, before the drop: check
 * the arguments and start the mailbox helper (authctl_mailbox.h). */
int	ctl_user_add_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_user_del_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_user_list(struct ctl *, int, char **);
int	ctl_user_show(struct ctl *, int, char **);
int	ctl_user_passwd(struct ctl *, int, char **);
int	ctl_user_enable(struct ctl *, int, char **);
int	ctl_user_disable(struct ctl *, int, char **);
int	ctl_user_services(struct ctl *, int, char **);
int	ctl_user_networks(struct ctl *, int, char **);

/*
 * authctl_quota.c.  ctl_user_quota: "user quota user size|none|default".
 * ctl_quota_show: user's quota as a line of "user show" ("quota: 2G",
 * "quota: none", "quota: 2G (default)" when it follows the default) read
 * in txn; 0, or -1 after an error line.
 */
int	ctl_user_quota(struct ctl *, int, char **);
int	ctl_quota_show(struct ctl *c, MDB_txn *txn, const char *user);

/*
 * authctl_sendlimit.c.  ctl_user_sendlimit: "user sendlimit user
 * N|none|default" (recipients per hour).  ctl_sendlimit_show: the lines
 * of "user show" ("send limit: 200 per hour (default)", "send limit:
 * none", then "sent in the last hour: N recipients") read in txn; 0, or
 * -1 after an error line.
 */
int	ctl_user_sendlimit(struct ctl *, int, char **);
int	ctl_sendlimit_show(struct ctl *c, MDB_txn *txn, const char *user);

/* authctl_totp.c */
int	ctl_totp_enable(struct ctl *, int, char **);
int	ctl_totp_confirm(struct ctl *, int, char **);
int	ctl_totp_disable(struct ctl *, int, char **);
int	ctl_totp_recovery(struct ctl *, int, char **);

/* authctl_misc.c */
int	ctl_apppass_add(struct ctl *, int, char **);
int	ctl_apppass_list(struct ctl *, int, char **);
int	ctl_apppass_revoke(struct ctl *, int, char **);
int	ctl_alias_add(struct ctl *, int, char **);
int	ctl_alias_del(struct ctl *, int, char **);
int	ctl_alias_list(struct ctl *, int, char **);
int	ctl_unlock(struct ctl *, int, char **);
int	ctl_ban(struct ctl *, int, char **);
int	ctl_unban(struct ctl *, int, char **);
int	ctl_bans(struct ctl *, int, char **);

/*
 * authctl_backup.c: "backup dir" and "restore dir".  ctl_backup_prep runs
 * before the privilege drop (as root, with uid and gid the auth user's):
 * it creates dir (mode 0700, root's; an existing one must be empty and
 * root's, and loses group and other access), makes auth/ for the auth
 * user and mail/ for the mail user, copies the mail store into mail/ in
 * a child that drops to the mail user (store_copy_root, live), then
 * forks: the child returns CTL_OK and goes on to drop privileges and run
 * ctl_backup, which writes auth/data.mdb (compacted, fsynced, renamed
 * into place last) and the audit record; the parent stays root, waits,
 * and when a step fails removes what the run wrote, then exits with the
 * child's status.
 *
 * ctl_restore_prep (root, before the drop, after <state>/auth was made
 * for the auth user): checks that dir is a complete backup, that
 * <state>/auth holds no database and that none of the backup's mailboxes
 * exists in the mail directory (made for the mail user when missing);
 * copies the mail in a child that drops to the mail user, then the
 * database into <state>/auth for the auth user, and forks like
 * ctl_backup_prep; ctl_restore opens the restored database, appends the
 * audit record and says how many users came back.  A failed restore
 * removes the database and mailboxes it wrote.
 *
 * The prep functions return CTL_OK in the child only, or CTL_USAGE or
 * CTL_ERR after a message; in development mode they run as the invoking
 * user, with the same steps.
 */
int	ctl_backup(struct ctl *, int, char **);
int	ctl_backup_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_restore(struct ctl *, int, char **);
int	ctl_restore_prep(struct ctl *, int, char **, uid_t, gid_t);

/*
 * authctl_session.c.  ctl_sessions_end: after a committed change to
 * user's credentials or state, ask authd to end the user's live
 * sessions (reason: what changed, for its audit record) and say how many
 * ended.  Returns CTL_OK, also when authd is not running (then no
 * session is live; a note says so), or CTL_ERR when authd could not be
 * asked (the message says the change was saved).  ctl_sessions_show:
 * user's live sessions as lines of "user show".
 */
int	ctl_sessions_end(struct ctl *c, const char *user, const char *reason);
void	ctl_sessions_show(struct ctl *c, const char *user);
int	ctl_who(struct ctl *, int, char **);
int	ctl_kick(struct ctl *, int, char **);

/*
 * authctl_queue.c: "queue list", "queue show ID", "queue remove ID",
 * "queue flush [ID]" through <spool>/queue.sock.  ctl_queue_prep (root,
 * before the drop) connects; when it cannot, the command says "the queue
 * is not running: cannot connect to PATH: why" and fails.
 */
int	ctl_queue_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_queue_list(struct ctl *, int, char **);
int	ctl_queue_show(struct ctl *, int, char **);
int	ctl_queue_remove(struct ctl *, int, char **);
int	ctl_queue_flush(struct ctl *, int, char **);

/*
 * authctl_dns.c: "dns check DOMAIN": the MX (or null MX), A, AAAA and
 * _25._tcp TLSA records of each mail host, SPF, _dmarc and _mta-sts TXT,
 * each with its DNSSEC status, through "dns server" and "dns trust
 * anchor".  ctl_dns_prep (root, before the drop) opens the resolver and
 * reads the trust anchor; CTL_ERR with the reason when it cannot.
 * ctl_dns_check: CTL_OK when every lookup got an answer (a record, "no
 * record", a null MX), CTL_ERR when the domain does not exist or a lookup
 * failed (timeout, SERVFAIL, DNSSEC bogus), after "authctl: DOMAIN: ..."
 * on stderr.
 */
int	ctl_dns_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_dns_check(struct ctl *, int, char **);

/*
 * authctl_dkim.c: "dkim keygen DOMAIN [--selector S] [--bits N]" makes an
 * RSA key in the "dkim key directory" and prints the DNS record for it;
 * "dkim list" lists the keys there.  The prep functions do the work as
 * root (the directory is root's); the others print after the drop.
 */
int	ctl_dkim_keygen_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_dkim_keygen(struct ctl *, int, char **);
int	ctl_dkim_list_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_dkim_list(struct ctl *, int, char **);

/* authctl_audit.c */
int	ctl_audit(struct ctl *, int, char **);
/* ctl_audit_prep: before the privilege drop, open the --syslog file of
 * "audit --verify --syslog FILE" (a system log the auth user may not
 * read).  Returns CTL_OK, CTL_USAGE after the usage line when the
 * options do not parse, or CTL_ERR when FILE cannot be opened. */
int	ctl_audit_prep(struct ctl *, int, char **, uid_t, gid_t);
int	ctl_report(struct ctl *, int, char **);

/*
 * authctl_verify.c: "audit --verify [--syslog FILE]".  ctl_verify_open
 * opens FILE for reading (as root, from ctl_audit_prep, or later in
 * development mode); 0 or -1 after an error line.  ctl_verify walks the
 * chain, prints its length and the newest record's time and hash and,
 * with FILE (path, or NULL), checks the chain's tail against the syslog
 * copies in it; returns CTL_OK or CTL_ERR after a message naming the
 * first broken record, or the first record the database lost.
 */
int	ctl_verify_open(const char *path);
int	ctl_verify(struct ctl *c, const char *path);

#endif
