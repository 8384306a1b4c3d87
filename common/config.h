/*
 * config.h: postern.conf(5), the one configuration file of every program.
 *
 * Runs in every parent process and in authctl, before any privilege drop;
 * the file is trusted only as far as its owner (root), but every byte is
 * still checked: a bad line is an error with file:line and what is wrong,
 * and the whole file is read before failing so that all errors show at once.
 *
 * Grammar (OpenBSD flavour): one statement a line, '#' starts a comment
 * outside quotes, words separated by blanks, "double quoted" strings with
 * \" and \\ escapes, sizes with units (512, 10K, 25M, 1G), durations with
 * units (30s, 15m, 1h, 30d, 2w; a bare number is seconds).  A statement is
 * a fixed keyword path followed by its arguments; the keyword table is
 * sorted and searched (config.c).  Statements and defaults:
 *
 *   hostname NAME                         "localhost"
 *   domain NAME                           (repeatable; at least one for smtpd)
 *   state DIR                             "/var/lib/postern"
 *   mail DIR                              "/var/mail/postern"
 *   spool DIR                             "/var/spool/postern"
 *   runtime DIR                           "/run/postern"
 *   empty DIR                             "/var/empty"
 *   user ROLE NAME   ROLE: auth net mail queue relay keyholder
 *                     defaults _postern-auth _postern _postern-mail
 *                     _postern-queue _postern-relay _postern-key
 *   group NAME                            "_postern" (shares authd.sock)
 *   tls certificate FILE                  "/etc/postern/cert.pem"
 *   tls key FILE                          "/etc/postern/key.pem"
 *   listen SERVICE on ADDRESS [port N]    SERVICE: smtp submissions imaps pop3s
 *                     (repeatable; default port: smtp 25,
 *                     submissions 465, imaps 993, pop3s 995; no default
 *                     address: a service no statement names listens
 *                     nowhere)
 *   smtp require tls yes|no               no (port 25: MAIL only after
 *                     STARTTLS)
 *   smtp max message size SIZE            50M
 *   smtp max recipients N                 100
 *   smtp greeting delay DURATION          0 (port 25: the greeting waits;
 *                     a client that talks first is dropped)
 *   smtp idle timeout DURATION            5m (RFC 5321 4.5.3.2)
 *   smtp message rate N                   60 (messages a minute from one
 *                     address on port 25)
 *   smtp received address yes|no          no (port 465: the client's
 *                     address in the Received header)
 *   smtp send limit N per hour|none       200 (recipients an authenticated
 *                     user may send to in any hour, 1 to
 *                     CONFIG_SEND_LIMIT_MAX; authctl user sendlimit
 *                     overrides it per user)
 *   smtp spf check yes|no                 yes (port 25: SPF, RFC 7208)
 *   smtp dkim check yes|no                yes (port 25: DKIM signatures)
 *   smtp dmarc check yes|no               yes (port 25: DMARC, RFC 7489)
 *   smtp dmarc reject yes|no              yes (honour p=reject: 550 5.7.1
 *                     at the end of DATA; no: treat it as quarantine)
 *   smtp dmarc quarantine junk|deliver    junk (p=quarantine: into the
 *                     recipient's Junk folder, or the INBOX)
 *   smtp check processes N                4 (1..CONFIG_MAX_CHECK_PROCS:
 *                     the processes that make those checks side by side)
 *   public suffix list FILE               "/usr/share/publicsuffix/
 *                     public_suffix_list.dat" (DMARC's organizational
 *                     domains; read before the chroot)
 *   login notices yes|no                  yes (authd mails a user on a
 *                     login from a new address and when the account
 *                     locks)
 *   queue lifetime DURATION               5d
 *   queue retry DURATION                  15m
 *   relay lifetime DURATION               5d (a remote recipient is
 *                     retried that long after the arrival, then bounced)
 *   relay delay notice DURATION|off       4h (a delay notice once a
 *                     remote recipient waited that long)
 *   dns server ADDRESS [port N]           (repeatable, at most
 *                     CONFIG_MAX_DNS_SERVERS; numeric IPv4 or IPv6, port
 *                     53; the relay and authctl dns check forward every
 *                     query to these and validate the answers themselves;
 *                     none: recurse from the root)
 *   dns trust anchor FILE                 "/usr/share/dns/root.key" (DS or
 *   relay tls verify|opportunistic        opportunistic (every destination
 *                     without a statement of its own)
 *   relay tls DOMAIN none|opportunistic|verify|dane   (repeatable, at most
 *                     CONFIG_MAX_RELAY_TLS; the TLS policy for mail to
 *                     DOMAIN: no STARTTLS, STARTTLS when offered, a
 *                     certificate valid for the MX name required, DANE
 *                     TLSA records required)
 *   relay port N                          25 (the port MX hosts are
 *                     contacted on; tests use another)
 *   mta-sts port N                        443 (the port of the HTTPS
 *                     servers MTA-STS policies are fetched from; tests
 *                     use another)
 *   relay processes N                     3 (1..CONFIG_MAX_RELAY_PROCS)
 *   relay ca file FILE                    "/etc/ssl/certs/ca-certificates.crt"
 *                     (the trust anchors of verified TLS, read before the
 *                     chroot)
 *   relay via HOST port N [tls implicit|starttls] [for DOMAIN]
 *                     credentials FILE   (repeatable, at most
 *                     CONFIG_MAX_RELAY_VIA; the smarthost for mail to
 *                     DOMAIN, or without "for" for every other domain;
 *                     TLS with a verified certificate, implicit (RFC 8314)
 *                     by default on port 465 and STARTTLS on others, and
 *                     AUTH PLAIN with the "user password" line of FILE,
 *                     read before the chroot; FILE must not be readable
 *                     by others)
 *   imap idle timeout DURATION            30m
 *   pop3 idle timeout DURATION            10m
 *   login grace DURATION                  30s (handshake and login must
 *                     be done by then)
 *   login limit N per address N per network      16 64 (connections not
 *                     logged in; a network is an IPv4 /24 or IPv6 /64)
 *   login startups N drop PERCENT full N  128 30 256 (random early drop of
 *                     connections not logged in, as OpenSSH's MaxStartups;
 *                     PERCENT may end in %; startups <= full)
 *   session limit N per user N            512 32 (logged-in sessions in
 *                     all, and of one user from one address)
 *   auth socket FILE                      "<runtime>/authd.sock"
 *   auth workers N                        0 (= number of online CPUs)
 *   auth scrypt cost N                    14 (log2 of scrypt's N; r=8, p=1)
 *   auth failure delay DURATION           1s
 *   default quota SIZE|none               none (the mail a user without a
 *                     quota of their own may keep, CONFIG_QUOTA_MIN to
 *                     CONFIG_QUOTA_MAX; 0 is none too)
 *   default services LIST                 imap,smtp  (LIST: comma separated
 *                     subset of imap,pop3,smtp)
 *   password min length N                 12
 *   password min guesses N                8 (log10 of zxcvbn's guesses)
 *   password max age DURATION             365d (for authctl report)
 *   lockout pair N within DURATION for DURATION      5 15m 15m
 *   lockout account N within DURATION              10 15m
 *   lockout known DURATION                90d (a known address expires
 *                     after this long without a successful login)
 *   ban after N within DURATION for DURATION max DURATION
 *                                                  20 10m 1h 7d
 *   totp issuer NAME                      "" (the hostname; "postern"
 *                     when that is "localhost")
 *   totp trust DURATION                   30d
 *   totp window N                         1 (steps accepted each side)
 *   audit retention DURATION              180d
 *   apppass unused DURATION               90d (for authctl report)
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_PATH_DEFAULT	"/etc/postern/postern.conf"
#define CONFIG_DKIM_DIR_DEFAULT	"/etc/postern/dkim"
#define CONFIG_MAX_DOMAINS	32
#define CONFIG_MAX_LISTEN	16
#define CONFIG_MAX_DNS_SERVERS	4
#define CONFIG_NAME_MAX		256	/* host and domain names */
#define CONFIG_PATH_MAX		1024
#define CONFIG_LIMIT_MAX	10000	/* connection and session limits */
/* A mailbox quota, in bytes, when there is one: 1K to 1024G.  A larger
 * mailbox than a terabyte is no quota worth the name in a small office;
 * "none" says so. */
#define CONFIG_QUOTA_MIN	UINT64_C(1024)
#define CONFIG_QUOTA_MAX	(UINT64_C(1024) << 30)
/* Recipients per hour: "smtp send limit", authctl user sendlimit. */
#define CONFIG_SEND_LIMIT_MAX	1000000

#define CONFIG_MAX_RELAY_TLS	32
#define CONFIG_MAX_RELAY_VIA	8
#define CONFIG_MAX_RELAY_PROCS	4
#define CONFIG_MAX_CHECK_PROCS	8

/* "relay tls DOMAIN MODE" */
enum config_relay_tls_mode {
	RELAY_TLS_NONE, RELAY_TLS_OPPORTUNISTIC, RELAY_TLS_VERIFY,
	RELAY_TLS_DANE
};

struct config_relay_tls {
	char			domain[CONFIG_NAME_MAX];	/* lowercase */
	enum config_relay_tls_mode mode;
};

/* "relay via HOST port N [for DOMAIN] credentials FILE" */
/* How a smarthost's connection gets TLS: implicit (RFC 8314
 * submissions) by default on port 465, STARTTLS on any other. */
enum config_via_tls {
	CONFIG_VIA_TLS_DEFAULT,
	CONFIG_VIA_TLS_IMPLICIT,
	CONFIG_VIA_TLS_STARTTLS
};

struct config_relay_via {
	char			host[CONFIG_NAME_MAX];
	uint16_t		port;
	enum config_via_tls	tls;
	char			domain[CONFIG_NAME_MAX];	/* "": all */
	char			credentials[CONFIG_PATH_MAX];
};

/* Service bits, shared with authd's user records. */
#define SERVICE_IMAP	0x01
#define SERVICE_POP3	0x02
#define SERVICE_SMTP	0x04
#define SERVICE_ALL	0x07

enum config_role {
	ROLE_AUTH, ROLE_NET, ROLE_MAIL, ROLE_QUEUE, ROLE_RELAY, ROLE_KEYHOLDER,
	ROLE_COUNT
};

enum listen_service {
	LISTEN_SMTP, LISTEN_SUBMISSIONS, LISTEN_IMAPS, LISTEN_POP3S
};

struct config_listen {
	enum listen_service	service;
	char			address[64];	/* numeric IPv4 or IPv6 */
	uint16_t		port;
};

struct config_dns_server {
	char			address[64];	/* numeric IPv4 or IPv6 */
	uint16_t		port;
};

struct config {
	char	hostname[CONFIG_NAME_MAX];
	char	domains[CONFIG_MAX_DOMAINS][CONFIG_NAME_MAX];
	int	ndomains;

	char	state_dir[CONFIG_PATH_MAX];
	char	mail_dir[CONFIG_PATH_MAX];
	char	spool_dir[CONFIG_PATH_MAX];
	char	runtime_dir[CONFIG_PATH_MAX];
	char	empty_dir[CONFIG_PATH_MAX];
	/* "dkim key directory": <domain>.<selector>.key files, root's,
	 * read by the keyholder (authctl dkim keygen writes them) */
	char	dkim_key_dir[CONFIG_PATH_MAX];
	char	users[ROLE_COUNT][64];
	char	group[64];

	char	tls_cert[CONFIG_PATH_MAX];
	char	tls_key[CONFIG_PATH_MAX];
	struct config_listen listen[CONFIG_MAX_LISTEN];
	int	nlisten;

	int	smtp_require_tls;
	uint64_t smtp_max_message_size;
	int	smtp_max_recipients;
	int64_t	smtp_greeting_delay;	/* milliseconds */
	int64_t	smtp_idle_timeout;	/* seconds */
	int	smtp_message_rate;	/* per minute and address, port 25 */
	int	smtp_received_address;
	int	smtp_send_limit;	/* recipients per hour; 0: no limit */
	int	smtp_spf_check;		/* port 25: SPF, DKIM, DMARC checks */
	int	smtp_dkim_check;
	int	smtp_dmarc_check;
	int	smtp_dmarc_reject;	/* p=reject: 550 5.7.1 at end of DATA */
	int	smtp_dmarc_quarantine_junk;	/* p=quarantine: 1 Junk, 0 INBOX */
	int	smtp_check_processes;
	char	psl_file[CONFIG_PATH_MAX];	/* the Public Suffix List */
	int	login_notices;		/* authd mails users about logins */
	int64_t	queue_lifetime;		/* seconds */
	int64_t	queue_retry;
	int	relay_tls_verify;
	int64_t	relay_lifetime;		/* seconds */
	int64_t	relay_delay_notice;	/* seconds; 0: off */
	struct config_dns_server dns_servers[CONFIG_MAX_DNS_SERVERS];
	int	ndns_servers;
	char	dns_trust_anchor[CONFIG_PATH_MAX];
	struct config_relay_tls relay_tls[CONFIG_MAX_RELAY_TLS];
	int	nrelay_tls;
	int	relay_port;
	int	mtasts_port;		/* the MTA-STS policy hosts' port */
	int	relay_processes;
	char	relay_ca_file[CONFIG_PATH_MAX];
	struct config_relay_via relay_via[CONFIG_MAX_RELAY_VIA];
	int	nrelay_via;
	int64_t	imap_idle_timeout;	/* after the login (RFC 3501: >= 30m) */
	int64_t	imap_login_timeout;	/* idle before the login */
	uint64_t imap_append_limit;	/* APPENDLIMIT: a literal's size */
	uint64_t imap_max_line;		/* a command without its literals */
	int	imap_max_mailboxes;	/* folders per user */
	int64_t	pop3_idle_timeout;

	int64_t	login_grace;		/* seconds */
	int	login_per_address;
	int	login_per_network;
	int	login_startups;
	int	login_drop;		/* percent */
	int	login_full;
	int	session_limit;
	int	session_per_user;

	char	auth_socket[CONFIG_PATH_MAX];	/* "" until config_load fills it */
	int	auth_workers;		/* 0: online CPUs */
	int	auth_scrypt_cost;	/* log2 N, 10..20 */
	int64_t	auth_failure_delay;	/* milliseconds (the file gives seconds) */
	unsigned default_services;	/* SERVICE_* bits */
	uint64_t default_quota;		/* bytes; 0: no limit */

	int	password_min_length;
	int	password_min_guesses;	/* log10 */
	int64_t	password_max_age;

	int	lockout_pair_failures;
	int64_t	lockout_pair_window;
	int64_t	lockout_pair_duration;
	int	lockout_account_failures;
	int64_t	lockout_account_window;
	int64_t	lockout_known;		/* a known (user, address) expires */

	int	ban_failures;
	int64_t	ban_window;
	int64_t	ban_duration;
	int64_t	ban_max;

	int64_t	totp_trust;
	int	totp_window;
	char	totp_issuer[64];	/* "": the hostname */
	int64_t	audit_retention;
	int64_t	apppass_unused;
};

/* config_defaults: fill cfg with the defaults listed above. */
void config_defaults(struct config *cfg);

/*
 * config_load: defaults, then the file at path.  On success returns 0 and
 * fills the derived values (auth_socket from runtime_dir when not set).
 * On failure returns -1 after writing one line per error to stderr in the
 * form "FILE:LINE: what is wrong" (or "FILE: why" when the file cannot be
 * read, or for a cross-check between values that are all defaults); cfg is
 * then undefined.  The file MUST be a regular file (a FIFO, device or
 * directory is refused without blocking), not writable by others, and at
 * most 1M bytes.  Never exits.
 *
 * Lexical errors: a line longer than 4096 bytes, a NUL or other control
 * byte (tab excepted; CR too, so DOS line ends are refused), an
 * unterminated quote, an escape other than \" and \\, more than 16
 * words.  Range errors name the statement and the accepted range.  A
 * statement that is not repeatable (all but domain, listen, and user with
 * different roles) may be given once.  Cross-checks: ban max >= ban
 * duration, queue retry <= queue lifetime, tls key != tls certificate,
 * login startups <= its full.
 */
int config_load(struct config *cfg, const char *path);

/*
 * config_load_err: as config_load, with errors where config_parse_buffer
 * puts them: errbuf NULL, every line to stderr; otherwise only the first
 * error, in errbuf (a daemon reloading on SIGHUP, whose stderr is
 * /dev/null, logs it).
 */
int config_load_err(struct config *cfg, const char *path, char *errbuf,
    size_t errlen);

/*
 * config_parse_buffer: as config_load, on a buffer of len bytes (which need
 * not be NUL-terminated; buf may be NULL when len is 0); name is used in
 * error messages (NULL: "(config)").  Where errors go, one rule: errbuf
 * NULL, every error line goes to stderr (this is what config_load does);
 * errbuf not NULL, nothing is written to stderr and errbuf receives the
 * first error line only, without newline, truncated to errlen (errbuf is
 * "" on success).  The whole buffer is still checked either way.  The fuzz
 * target and the unit tests call this.
 */
int config_parse_buffer(struct config *cfg, const char *name,
    const char *buf, size_t len, char *errbuf, size_t errlen);

/*
 * config_parse_services: parse "imap,pop3,smtp" (any non-empty subset, no
 * repeats, no blanks) into SERVICE_* bits.  Returns 0 or -1.
 */
int config_parse_services(const char *s, unsigned *out);

/* config_services_string: the inverse, into buf ("" for none). */
void config_services_string(unsigned services, char *buf, size_t len);

/* config_parse_duration: "30s" "15m" "1h" "30d" "2w" or bare seconds. */
int config_parse_duration(const char *s, int64_t *seconds);

/*
 * config_parse_quota: a mailbox quota as postern.conf(5) ("default
 * quota") and authctl ("user quota") take it: "none", or a size (N, NK,
 * NM, NG; powers of 1024, the letter in either case) that is 0 (no limit
 * too) or from CONFIG_QUOTA_MIN to CONFIG_QUOTA_MAX.  Returns 0 with the
 * bytes in *bytes (0: no limit), or -1 (*bytes unspecified).
 */
int config_parse_quota(const char *s, uint64_t *bytes);

/*
 * config_quota_string: the inverse, into buf (len bytes; 32 is enough):
 * "none" for 0, else the size in the largest unit that divides it
 * ("2G", "1536K", "1000").  Returns buf.
 */
const char *config_quota_string(uint64_t bytes, char *buf, size_t len);

/*
 * config_parse_send_limit: a sending limit as authctl user sendlimit
 * takes it: "none" (0, no limit) or a number of recipients per hour from
 * 1 to CONFIG_SEND_LIMIT_MAX.  Returns 0 with the limit in *out, or -1.
 */
int config_parse_send_limit(const char *s, int *out);

/*
 * config_is_local_domain: non-zero when domain (case-insensitive) is one of
 * the configured domains.
 */
int config_is_local_domain(const struct config *cfg, const char *domain);

/*
 * config_listeners: the listeners of one service, its listen statements
 * and nothing else: there is no default address, so a daemon never opens
 * a port the administrator did not name.  Fills out (max entries) and
 * returns how many; 0 when no statement names svc (the daemon then
 * refuses to start and names the statement to add).
 */
int	config_listeners(const struct config *cfg, enum listen_service svc,
	    struct config_listen *out, int max);

#endif
