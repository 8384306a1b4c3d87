/*
 * test_config.c: unit tests for the postern.conf(5) parser (common/config.c).
 *
 * Runs as an ordinary user; writes only temporary files under $TMPDIR or
 * /tmp.  Checks defaults, every statement, the lexical rules, and the
 * exact "FILE:LINE: what is wrong" text of each kind of error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/unit/check.h"

static struct config cfg;
static char err[512];

static int
parse(const char *text)
{
	return config_parse_buffer(&cfg, "t.conf", text, strlen(text), err,
	    sizeof(err));
}

/* expect_error: text fails and the first error is exactly want. */
static void
expect_error(const char *text, const char *want, const char *desc)
{
	int rv = parse(text);

	CHECK_INT_EQ(rv, -1, desc);
	CHECK_STR_EQ(err, want, desc);
}

static void
test_defaults(void)
{
	config_defaults(&cfg);
	CHECK_STR_EQ(cfg.hostname, "localhost", "default hostname");
	CHECK_INT_EQ(cfg.ndomains, 0, "no default domain");
	CHECK_STR_EQ(cfg.state_dir, "/var/lib/postern", "default state");
	CHECK_STR_EQ(cfg.mail_dir, "/var/mail/postern", "default mail");
	CHECK_STR_EQ(cfg.spool_dir, "/var/spool/postern", "default spool");
	CHECK_STR_EQ(cfg.runtime_dir, "/run/postern", "default runtime");
	CHECK_STR_EQ(cfg.empty_dir, "/var/empty", "default empty");
	CHECK_STR_EQ(cfg.dkim_key_dir, "/etc/postern/dkim", "default dkim key directory");
	CHECK_STR_EQ(cfg.users[ROLE_AUTH], "_postern-auth", "user auth");
	CHECK_STR_EQ(cfg.users[ROLE_NET], "_postern", "user net");
	CHECK_STR_EQ(cfg.users[ROLE_MAIL], "_postern-mail", "user mail");
	CHECK_STR_EQ(cfg.users[ROLE_QUEUE], "_postern-queue", "user queue");
	CHECK_STR_EQ(cfg.users[ROLE_RELAY], "_postern-relay", "user relay");
	CHECK_STR_EQ(cfg.users[ROLE_KEYHOLDER], "_postern-key", "user key");
	CHECK_STR_EQ(cfg.group, "_postern", "default group");
	CHECK_STR_EQ(cfg.tls_cert, "/etc/postern/cert.pem", "default cert");
	CHECK_STR_EQ(cfg.tls_key, "/etc/postern/key.pem", "default key");
	CHECK_INT_EQ(cfg.nlisten, 0, "default listen: none given");
	CHECK_INT_EQ(cfg.smtp_require_tls, 0, "default smtp require tls");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 50 * 1024 * 1024,
	    "default max message size");
	CHECK_INT_EQ(cfg.smtp_max_recipients, 100, "default max recipients");
	CHECK_INT_EQ(cfg.queue_lifetime, 5 * 86400, "default queue lifetime");
	CHECK_INT_EQ(cfg.queue_retry, 15 * 60, "default queue retry");
	CHECK_INT_EQ(cfg.relay_lifetime, 5 * 86400, "default relay lifetime");
	CHECK_INT_EQ(cfg.relay_delay_notice, 4 * 3600,
	    "default relay delay notice");
	CHECK_INT_EQ(cfg.relay_tls_verify, 0, "default relay tls");
	CHECK_INT_EQ(cfg.smtp_spf_check, 1, "default smtp spf check");
	CHECK_INT_EQ(cfg.smtp_dkim_check, 1, "default smtp dkim check");
	CHECK_INT_EQ(cfg.smtp_dmarc_check, 1, "default smtp dmarc check");
	CHECK_INT_EQ(cfg.smtp_dmarc_reject, 1, "default smtp dmarc reject");
	CHECK_INT_EQ(cfg.smtp_dmarc_quarantine_junk, 1,
	    "default smtp dmarc quarantine: junk");
	CHECK_STR_EQ(cfg.psl_file,
	    "/usr/share/publicsuffix/public_suffix_list.dat",
	    "default public suffix list");
	CHECK_INT_EQ(cfg.imap_idle_timeout, 30 * 60, "default imap idle");
	CHECK_INT_EQ(cfg.imap_login_timeout, 60, "default imap login timeout");
	CHECK_INT_EQ(cfg.imap_append_limit, 50 * 1024 * 1024,
	    "default imap append limit");
	CHECK_INT_EQ(cfg.imap_max_line, 64 * 1024, "default imap max line");
	CHECK_INT_EQ(cfg.imap_max_mailboxes, 1000, "default imap mailboxes");
	CHECK_INT_EQ(cfg.pop3_idle_timeout, 10 * 60, "default pop3 idle");
	CHECK_INT_EQ(cfg.login_grace, 30, "default login grace");
	CHECK_INT_EQ(cfg.login_per_address, 16, "default login per address");
	CHECK_INT_EQ(cfg.login_per_network, 64, "default login per network");
	CHECK_INT_EQ(cfg.login_startups, 128, "default login startups");
	CHECK_INT_EQ(cfg.login_drop, 30, "default login drop");
	CHECK_INT_EQ(cfg.login_full, 256, "default login full");
	CHECK_INT_EQ(cfg.session_limit, 512, "default session limit");
	CHECK_INT_EQ(cfg.session_per_user, 32, "default session per user");
	CHECK_STR_EQ(cfg.auth_socket, "", "auth socket empty before load");
	CHECK_INT_EQ(cfg.auth_workers, 0, "default auth workers");
	CHECK_INT_EQ(cfg.auth_scrypt_cost, 14, "default scrypt cost");
	CHECK_INT_EQ(cfg.auth_failure_delay, 1000, "default failure delay");
	CHECK_INT_EQ(cfg.default_services, SERVICE_IMAP | SERVICE_SMTP,
	    "default services");
	CHECK_INT_EQ(cfg.default_quota, 0, "default quota: none");
	CHECK_INT_EQ(cfg.password_min_length, 12, "default min length");
	CHECK_INT_EQ(cfg.password_min_guesses, 8, "default min guesses");
	CHECK_INT_EQ(cfg.password_max_age, 365 * 86400, "default max age");
	CHECK_INT_EQ(cfg.lockout_pair_failures, 5, "default pair failures");
	CHECK_INT_EQ(cfg.lockout_pair_window, 900, "default pair window");
	CHECK_INT_EQ(cfg.lockout_pair_duration, 900, "default pair duration");
	CHECK_INT_EQ(cfg.lockout_account_failures, 10, "default account n");
	CHECK_INT_EQ(cfg.lockout_account_window, 900, "default acct window");
	CHECK_INT_EQ(cfg.lockout_known, 90 * 86400, "default known expiry");
	CHECK_INT_EQ(cfg.ban_failures, 20, "default ban failures");
	CHECK_INT_EQ(cfg.ban_window, 600, "default ban window");
	CHECK_INT_EQ(cfg.ban_duration, 3600, "default ban duration");
	CHECK_INT_EQ(cfg.ban_max, 7 * 86400, "default ban max");
	CHECK_INT_EQ(cfg.totp_trust, 30 * 86400, "default totp trust");
	CHECK_INT_EQ(cfg.totp_window, 1, "default totp window");
	CHECK_INT_EQ(cfg.audit_retention, 180 * 86400, "default retention");
	CHECK_INT_EQ(cfg.apppass_unused, 90 * 86400, "default apppass");
}

static void
test_empty(void)
{
	CHECK_INT_EQ(parse(""), 0, "empty file is valid");
	CHECK_STR_EQ(err, "", "errbuf empty on success");
	CHECK_STR_EQ(cfg.auth_socket, "/run/postern/authd.sock",
	    "auth socket derived from runtime");
	CHECK_INT_EQ(parse("# only a comment\n\n   \t\n"), 0,
	    "comments and blank lines");
}

static const char full[] =
    "# every statement\n"
    "hostname Mail.Example.ORG\n"
    "domain example.org\n"
    "domain Example.NET   # trailing comment\n"
    "state /srv/state\n"
    "mail /srv/mail\n"
    "spool /srv/spool\n"
    "runtime /run/px\n"
    "empty /var/empty2\n"
    "dkim key directory /srv/dkim\n"
    "user auth a_auth\n"
    "user net a_net\n"
    "user mail a_mail\n"
    "user queue a_queue\n"
    "user relay a_relay\n"
    "user keyholder a_key\n"
    "group g_px\n"
    "tls certificate /etc/px/c.pem\n"
    "tls key /etc/px/k.pem\n"
    "listen smtp on 192.0.2.1\n"
    "listen submissions on 2001:db8::1 port 5870\n"
    "listen imaps on ::\n"
    "listen pop3s on 0.0.0.0 port 9995\n"
    "smtp require tls yes\n"
    "smtp max message size 10M\n"
    "smtp max recipients 50\n"
    "queue lifetime 2d\n"
    "queue retry 30m\n"
    "relay lifetime 3d\n"
    "relay delay notice 90m\n"
    "relay tls verify\n"
    "smtp spf check no\n"
    "smtp dkim check no\n"
    "smtp dmarc check no\n"
    "smtp dmarc reject no\n"
    "smtp dmarc quarantine deliver\n"
    "public suffix list /etc/px/psl.dat\n"
    "imap idle timeout 1h\n"
    "imap login timeout 2m\n"
    "imap append limit 20M\n"
    "imap max line 128K\n"
    "imap max mailboxes 500\n"
    "pop3 idle timeout 5m\n"
    "login grace 1m\n"
    "login limit 4 per address 20 per network\n"
    "login startups 10 drop 50% full 40\n"
    "session limit 100 per user 8\n"
    "auth socket /run/other/auth.sock\n"
    "auth workers 4\n"
    "auth scrypt cost 16\n"
    "auth failure delay 2s\n"
    "default services imap,pop3,smtp\n"
    "default quota 2G\n"
    "password min length 14\n"
    "password min guesses 10\n"
    "password max age 180d\n"
    "lockout pair 3 within 10m for 20m\n"
    "lockout account 7 within 1h\n"
    "ban after 30 within 5m for 2h max 2w\n"
    "totp trust 7d\n"
    "totp window 2\n"
    "audit retention 365d\n"
    "apppass unused 30d";

static void
test_full_paths(void)
{
	CHECK_STR_EQ(cfg.hostname, "mail.example.org", "hostname lowercased");
	CHECK_INT_EQ(cfg.ndomains, 2, "two domains");
	CHECK_STR_EQ(cfg.domains[0], "example.org", "domain 1");
	CHECK_STR_EQ(cfg.domains[1], "example.net", "domain 2 lowercased");
	CHECK_TRUE(config_is_local_domain(&cfg, "EXAMPLE.net"),
	    "local domain, any case");
	CHECK_TRUE(!config_is_local_domain(&cfg, "example.com"),
	    "not a local domain");
	CHECK_STR_EQ(cfg.state_dir, "/srv/state", "state");
	CHECK_STR_EQ(cfg.mail_dir, "/srv/mail", "mail");
	CHECK_STR_EQ(cfg.spool_dir, "/srv/spool", "spool");
	CHECK_STR_EQ(cfg.runtime_dir, "/run/px", "runtime");
	CHECK_STR_EQ(cfg.dkim_key_dir, "/srv/dkim", "dkim key directory");
	CHECK_STR_EQ(cfg.empty_dir, "/var/empty2", "empty");
	CHECK_STR_EQ(cfg.users[ROLE_AUTH], "a_auth", "user auth");
	CHECK_STR_EQ(cfg.users[ROLE_NET], "a_net", "user net");
	CHECK_STR_EQ(cfg.users[ROLE_MAIL], "a_mail", "user mail");
	CHECK_STR_EQ(cfg.users[ROLE_QUEUE], "a_queue", "user queue");
	CHECK_STR_EQ(cfg.users[ROLE_RELAY], "a_relay", "user relay");
	CHECK_STR_EQ(cfg.users[ROLE_KEYHOLDER], "a_key", "user keyholder");
	CHECK_STR_EQ(cfg.group, "g_px", "group");
	CHECK_STR_EQ(cfg.tls_cert, "/etc/px/c.pem", "tls certificate");
	CHECK_STR_EQ(cfg.tls_key, "/etc/px/k.pem", "tls key");
	CHECK_STR_EQ(cfg.auth_socket, "/run/other/auth.sock",
	    "explicit auth socket kept");
}

static void
test_full_listen(void)
{
	CHECK_INT_EQ(cfg.nlisten, 4, "four listeners");
	CHECK_INT_EQ(cfg.listen[0].service, LISTEN_SMTP, "listen 1 service");
	CHECK_STR_EQ(cfg.listen[0].address, "192.0.2.1", "listen 1 address");
	CHECK_INT_EQ(cfg.listen[0].port, 25, "listen smtp default port");
	CHECK_INT_EQ(cfg.listen[1].service, LISTEN_SUBMISSIONS,
	    "listen 2 service");
	CHECK_STR_EQ(cfg.listen[1].address, "2001:db8::1", "listen 2 v6");
	CHECK_INT_EQ(cfg.listen[1].port, 5870, "listen explicit port");
	CHECK_INT_EQ(cfg.listen[2].service, LISTEN_IMAPS, "listen 3 service");
	CHECK_INT_EQ(cfg.listen[2].port, 993, "listen imaps default port");
	CHECK_INT_EQ(cfg.listen[3].service, LISTEN_POP3S, "listen 4 service");
	CHECK_INT_EQ(cfg.listen[3].port, 9995, "listen 4 port");
}

static void
test_full_values(void)
{
	CHECK_INT_EQ(cfg.smtp_require_tls, 1, "smtp require tls");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 10 * 1024 * 1024, "size 10M");
	CHECK_INT_EQ(cfg.smtp_max_recipients, 50, "max recipients");
	CHECK_INT_EQ(cfg.queue_lifetime, 2 * 86400, "queue lifetime");
	CHECK_INT_EQ(cfg.queue_retry, 1800, "queue retry");
	CHECK_INT_EQ(cfg.relay_lifetime, 3 * 86400, "relay lifetime");
	CHECK_INT_EQ(cfg.relay_delay_notice, 5400, "relay delay notice");
	CHECK_INT_EQ(cfg.relay_tls_verify, 1, "relay tls verify");
	CHECK_INT_EQ(cfg.smtp_spf_check, 0, "smtp spf check no");
	CHECK_INT_EQ(cfg.smtp_dkim_check, 0, "smtp dkim check no");
	CHECK_INT_EQ(cfg.smtp_dmarc_check, 0, "smtp dmarc check no");
	CHECK_INT_EQ(cfg.smtp_dmarc_reject, 0, "smtp dmarc reject no");
	CHECK_INT_EQ(cfg.smtp_dmarc_quarantine_junk, 0,
	    "smtp dmarc quarantine deliver");
	CHECK_STR_EQ(cfg.psl_file, "/etc/px/psl.dat", "public suffix list");
	CHECK_INT_EQ(cfg.imap_idle_timeout, 3600, "imap idle");
	CHECK_INT_EQ(cfg.imap_login_timeout, 120, "imap login timeout");
	CHECK_INT_EQ(cfg.imap_append_limit, 20 * 1024 * 1024,
	    "imap append limit");
	CHECK_INT_EQ(cfg.imap_max_line, 128 * 1024, "imap max line");
	CHECK_INT_EQ(cfg.imap_max_mailboxes, 500, "imap max mailboxes");
	CHECK_INT_EQ(cfg.pop3_idle_timeout, 300, "pop3 idle");
	CHECK_INT_EQ(cfg.login_grace, 60, "login grace");
	CHECK_INT_EQ(cfg.login_per_address, 4, "login per address");
	CHECK_INT_EQ(cfg.login_per_network, 20, "login per network");
	CHECK_INT_EQ(cfg.login_startups, 10, "login startups");
	CHECK_INT_EQ(cfg.login_drop, 50, "login drop, % sign");
	CHECK_INT_EQ(cfg.login_full, 40, "login full");
	CHECK_INT_EQ(cfg.session_limit, 100, "session limit");
	CHECK_INT_EQ(cfg.session_per_user, 8, "session per user");
	CHECK_INT_EQ(cfg.auth_workers, 4, "auth workers");
	CHECK_INT_EQ(cfg.auth_scrypt_cost, 16, "scrypt cost");
	CHECK_INT_EQ(cfg.auth_failure_delay, 2000, "failure delay in ms");
	CHECK_INT_EQ(cfg.default_services, SERVICE_ALL, "default services");
	CHECK_INT_EQ(cfg.default_quota, 2LL << 30, "default quota 2G");
	CHECK_INT_EQ(cfg.password_min_length, 14, "min length");
	CHECK_INT_EQ(cfg.password_min_guesses, 10, "min guesses");
	CHECK_INT_EQ(cfg.password_max_age, 180 * 86400, "max age");
	CHECK_INT_EQ(cfg.lockout_pair_failures, 3, "pair failures");
	CHECK_INT_EQ(cfg.lockout_pair_window, 600, "pair window");
	CHECK_INT_EQ(cfg.lockout_pair_duration, 1200, "pair duration");
	CHECK_INT_EQ(cfg.lockout_account_failures, 7, "account failures");
	CHECK_INT_EQ(cfg.lockout_account_window, 3600, "account window");
	CHECK_INT_EQ(cfg.ban_failures, 30, "ban failures");
	CHECK_INT_EQ(cfg.ban_window, 300, "ban window");
	CHECK_INT_EQ(cfg.ban_duration, 7200, "ban duration");
	CHECK_INT_EQ(cfg.ban_max, 14 * 86400, "ban max");
	CHECK_INT_EQ(cfg.totp_trust, 7 * 86400, "totp trust");
	CHECK_INT_EQ(cfg.totp_window, 2, "totp window");
	CHECK_INT_EQ(cfg.audit_retention, 365 * 86400, "audit retention");
	CHECK_INT_EQ(cfg.apppass_unused, 30 * 86400, "apppass unused");
}

static void
test_full(void)
{
	int rv = parse(full);

	CHECK_INT_EQ(rv, 0, "every statement parses");
	CHECK_STR_EQ(err, "", "no error for the full file");
	test_full_paths();
	test_full_listen();
	test_full_values();

	/* The buffer need not be NUL-terminated: parse only "hostname a". */
	rv = config_parse_buffer(&cfg, "t.conf", "hostname abc", 10, err,
	    sizeof(err));
	CHECK_INT_EQ(rv, 0, "length-bounded buffer");
	CHECK_STR_EQ(cfg.hostname, "a", "only len bytes are read");
}

static void
test_quoted(void)
{
	CHECK_INT_EQ(parse("state \"/srv/my \\\"state\\\" \\\\x\"\n"), 0,
	    "quoted path with escapes");
	CHECK_STR_EQ(cfg.state_dir, "/srv/my \"state\" \\x",
	    "escapes decoded");
	CHECK_INT_EQ(parse("mail \"/a#b\" # real comment\n"), 0,
	    "'#' inside quotes is not a comment");
	CHECK_STR_EQ(cfg.mail_dir, "/a#b", "quoted '#' kept");
	CHECK_INT_EQ(parse("hostname \"Example.org\"\t\n"), 0,
	    "quoted host name");
	CHECK_STR_EQ(cfg.hostname, "example.org", "quoted name lowercased");
	CHECK_INT_EQ(parse("smtp require tls \"yes\"\n"), 0,
	    "quoted value word");
	CHECK_INT_EQ(cfg.smtp_require_tls, 1, "quoted yes");
	expect_error("\"hostname\" foo\n",
	    "t.conf:1: unknown statement \"hostname\"",
	    "a quoted word is never a keyword");
}

static void
test_duration(void)
{
	int64_t s = -1;

	CHECK_TRUE(config_parse_duration("45", &s) == 0 && s == 45, "bare");
	CHECK_TRUE(config_parse_duration("30s", &s) == 0 && s == 30, "30s");
	CHECK_TRUE(config_parse_duration("15m", &s) == 0 && s == 900, "15m");
	CHECK_TRUE(config_parse_duration("1h", &s) == 0 && s == 3600, "1h");
	CHECK_TRUE(config_parse_duration("30d", &s) == 0 && s == 2592000,
	    "30d");
	CHECK_TRUE(config_parse_duration("2w", &s) == 0 && s == 1209600,
	    "2w");
	CHECK_TRUE(config_parse_duration("0", &s) == 0 && s == 0, "zero");
	CHECK_INT_EQ(config_parse_duration("", &s), -1, "empty duration");
	CHECK_INT_EQ(config_parse_duration("m", &s), -1, "unit only");
	CHECK_INT_EQ(config_parse_duration("1hh", &s), -1, "two units");
	CHECK_INT_EQ(config_parse_duration("1y", &s), -1, "unknown unit");
	CHECK_INT_EQ(config_parse_duration("-1", &s), -1, "negative");
	CHECK_INT_EQ(config_parse_duration("+1", &s), -1, "plus sign");
	CHECK_INT_EQ(config_parse_duration("1 h", &s), -1, "inner blank");
	CHECK_INT_EQ(config_parse_duration("9223372036854775807", &s), 0,
	    "INT64_MAX seconds");
	CHECK_INT_EQ(config_parse_duration("9223372036854775808", &s), -1,
	    "INT64_MAX + 1");
	CHECK_INT_EQ(config_parse_duration("15250284452472w", &s), -1,
	    "overflow by unit");
	CHECK_INT_EQ(config_parse_duration("99999999999999999999999", &s),
	    -1, "overflow of digits");
}

static void
test_size(void)
{
	CHECK_INT_EQ(parse("smtp max message size 2048\n"), 0, "bare bytes");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 2048, "2048 bytes");
	CHECK_INT_EQ(parse("smtp max message size 10K\n"), 0, "K");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 10240, "10K");
	CHECK_INT_EQ(parse("smtp max message size 1G\n"), 0, "G");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 1073741824, "1G");
	CHECK_INT_EQ(parse("smtp max message size 3m\n"), 0, "lower m");
	CHECK_INT_EQ(cfg.smtp_max_message_size, 3 * 1048576, "3m");
	expect_error("smtp max message size 512\n",
	    "t.conf:1: \"smtp max message size\" needs a size from 1K to 2G, "
	    "got \"512\"", "size below range");
	expect_error("smtp max message size 10MB\n",
	    "t.conf:1: \"smtp max message size\" needs a size from 1K to 2G, "
	    "got \"10MB\"", "size with two letters");
	expect_error("smtp max message size 18014398509481984K\n",
	    "t.conf:1: \"smtp max message size\" needs a size from 1K to 2G, "
	    "got \"18014398509481984K\"", "size overflow");
	expect_error("imap max line 2M\n",
	    "t.conf:1: \"imap max line\" needs a size from 1K to 1M, "
	    "got \"2M\"", "imap max line above range");
}

/* "default quota": none or 0 is no limit, else 1K to 1024G; the
 * parser and printer authctl shares with it. */
static void
test_quota(void)
{
	char buf[32];
	uint64_t q;

	CHECK_INT_EQ(parse("default quota 500M\n"), 0, "quota 500M");
	CHECK_INT_EQ(cfg.default_quota, 500LL << 20, "500M in bytes");
	CHECK_INT_EQ(parse("default quota 1k\n"), 0, "quota at the minimum");
	CHECK_INT_EQ(cfg.default_quota, 1024, "1k in bytes");
	CHECK_INT_EQ(parse("default quota 1024G\n"), 0, "quota at the maximum");
	CHECK_INT_EQ(cfg.default_quota, 1LL << 40, "1024G in bytes");
	CHECK_INT_EQ(parse("default quota 3G\ndefault services imap\n"), 0,
	    "quota beside default services");
	CHECK_INT_EQ(cfg.default_quota, 3LL << 30, "3G");
	CHECK_INT_EQ(parse("default quota none\n"), 0, "quota none");
	CHECK_INT_EQ(cfg.default_quota, 0, "none is 0");
	CHECK_INT_EQ(parse("default quota 0\n"), 0, "quota 0");
	CHECK_INT_EQ(cfg.default_quota, 0, "0 is no limit");
	expect_error("default quota 512\n",
	    "t.conf:1: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"512\"", "quota below the minimum");
	expect_error("default quota 1025G\n",
	    "t.conf:1: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"1025G\"", "quota above the maximum");
	expect_error("\ndefault quota 2T\n",
	    "t.conf:2: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"2T\"", "quota with an unknown unit");
	expect_error("default quota -1\n",
	    "t.conf:1: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"-1\"", "negative quota");
	expect_error("default quota None\n",
	    "t.conf:1: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"None\"", "none is lower case");
	expect_error("default quota 18014398509481984K\n",
	    "t.conf:1: \"default quota\" needs none or a size from 1K to "
	    "1024G, got \"18014398509481984K\"", "quota overflow");
	expect_error("default quota\n",
	    "t.conf:1: wrong number of arguments to \"default quota\" "
	    "(usage: default quota SIZE|none)", "quota missing");
	expect_error("default quota 1G 2G\n",
	    "t.conf:1: wrong number of arguments to \"default quota\" "
	    "(usage: default quota SIZE|none)", "two quotas");
	expect_error("default quota 1G\ndefault quota 2G\n",
	    "t.conf:2: \"default quota\" already given on line 1",
	    "quota given twice");
	expect_error("default quotas 1G\n",
	    "t.conf:1: unknown statement \"default quotas\"",
	    "misspelt statement");

	CHECK_INT_EQ(config_parse_quota("2g", &q), 0, "parse 2g");
	CHECK_INT_EQ(q, 2LL << 30, "2g in bytes");
	CHECK_INT_EQ(config_parse_quota("", &q), -1, "empty refused");
	CHECK_INT_EQ(config_parse_quota("default", &q), -1,
	    "default is authctl's word, not a size");
	CHECK_INT_EQ(config_parse_quota("1.5G", &q), -1, "no fractions");
	CHECK_STR_EQ(config_quota_string(0, buf, sizeof(buf)), "none",
	    "0 prints as none");
	CHECK_STR_EQ(config_quota_string(2ULL << 30, buf, sizeof(buf)), "2G",
	    "2G prints as 2G");
	CHECK_STR_EQ(config_quota_string(500ULL << 20, buf, sizeof(buf)),
	    "500M", "500M prints as 500M");
	CHECK_STR_EQ(config_quota_string(1536 * 1024, buf, sizeof(buf)),
	    "1536K", "the largest unit that divides");
	CHECK_STR_EQ(config_quota_string(1000, buf, sizeof(buf)), "1000",
	    "bare bytes");
}

static void
test_relay(void)
{
	config_defaults(&cfg);
	CHECK_INT_EQ(cfg.relay_port, 25, "default relay port");
	CHECK_INT_EQ(cfg.relay_processes, 3, "default relay processes");
	CHECK_INT_EQ(cfg.smtp_check_processes, 4, "default check processes");
	CHECK_STR_EQ(cfg.relay_ca_file, "/etc/ssl/certs/ca-certificates.crt",
	    "default relay ca file");
	CHECK_INT_EQ(cfg.nrelay_tls, 0, "no per-domain tls");
	CHECK_INT_EQ(cfg.nrelay_via, 0, "no smarthost");
	CHECK_INT_EQ(parse("relay port 2525\nrelay processes 2\n"
	    "relay ca file /etc/ca.pem\n"
	    "relay tls opportunistic\n"
	    "relay tls Example.NET dane\nrelay tls example.org none\n"
	    "relay via smart.example.com port 587 credentials /etc/pw\n"
	    "relay via 192.0.2.1 port 25 for Example.COM credentials /etc/p2\n"),
	    0, "relay statements");
	CHECK_INT_EQ(cfg.relay_port, 2525, "relay port");
	CHECK_INT_EQ(cfg.relay_processes, 2, "relay processes");
	CHECK_STR_EQ(cfg.relay_ca_file, "/etc/ca.pem", "relay ca file");
	CHECK_INT_EQ(cfg.relay_tls_verify, 0, "global opportunistic");
	CHECK_INT_EQ(cfg.nrelay_tls, 2, "two domains");
	CHECK_STR_EQ(cfg.relay_tls[0].domain, "example.net", "lowercased");
	CHECK_INT_EQ(cfg.relay_tls[0].mode, RELAY_TLS_DANE, "dane");
	CHECK_INT_EQ(cfg.relay_tls[1].mode, RELAY_TLS_NONE, "none");
	CHECK_INT_EQ(cfg.nrelay_via, 2, "two smarthosts");
	CHECK_STR_EQ(cfg.relay_via[0].host, "smart.example.com", "via host");
	CHECK_INT_EQ(cfg.relay_via[0].port, 587, "via port");
	CHECK_STR_EQ(cfg.relay_via[0].domain, "", "via for all");
	CHECK_STR_EQ(cfg.relay_via[0].credentials, "/etc/pw", "credentials");
	CHECK_STR_EQ(cfg.relay_via[1].host, "192.0.2.1", "numeric via host");
	CHECK_STR_EQ(cfg.relay_via[1].domain, "example.com", "via for domain");
	CHECK_INT_EQ(cfg.relay_via[0].tls, CONFIG_VIA_TLS_DEFAULT,
	    "via tls: by the port");
	CHECK_INT_EQ(cfg.mtasts_port, 443, "default mta-sts port");
	CHECK_INT_EQ(parse("mta-sts port 8443\n"
	    "relay via s.test port 2465 tls implicit for a.test "
	    "credentials /pw\n"
	    "relay via t.test port 465 tls starttls credentials /pw\n"), 0,
	    "mta-sts port, via tls");
	CHECK_INT_EQ(cfg.mtasts_port, 8443, "mta-sts port");
	CHECK_INT_EQ(cfg.relay_via[0].tls, CONFIG_VIA_TLS_IMPLICIT,
	    "tls implicit");
	CHECK_STR_EQ(cfg.relay_via[0].domain, "a.test", "for after tls");
	CHECK_INT_EQ(cfg.relay_via[1].tls, CONFIG_VIA_TLS_STARTTLS,
	    "tls starttls");
	CHECK_STR_EQ(cfg.relay_via[1].credentials, "/pw", "credentials");
	expect_error("relay via h.test port 25 tls maybe credentials /pw\n",
	    "t.conf:1: \"relay via ... tls\" needs implicit or starttls, got "
	    "\"maybe\"", "unknown via tls");
	expect_error("mta-sts port 0\n",
	    "t.conf:1: \"mta-sts port\" needs a number from 1 to 65535, "
	    "got \"0\"", "mta-sts port 0");
	expect_error("smtp check processes 9\n",
	    "t.conf:1: \"smtp check processes\" needs a number from 1 to 8, "
	    "got \"9\"", "too many check processes");
	expect_error("relay processes 5\n",
	    "t.conf:1: \"relay processes\" needs a number from 1 to 4, "
	    "got \"5\"", "too many relay processes");
	expect_error("relay port 0\n",
	    "t.conf:1: \"relay port\" needs a number from 1 to 65535, "
	    "got \"0\"", "port 0");
	expect_error("relay tls example.net strict\n",
	    "t.conf:1: \"relay tls\" needs a domain and none, opportunistic, "
	    "verify or dane, got \"strict\"", "unknown tls mode");
	expect_error("relay tls a.test dane\nrelay tls A.test none\n",
	    "t.conf:2: \"relay tls a.test\" given twice", "domain twice");
	expect_error("relay tls a b c\n",
	    "t.conf:1: wrong number of arguments to \"relay tls\" (usage: "
	    "relay tls [DOMAIN] none|opportunistic|verify|dane)",
	    "three words");
	expect_error("relay via h.test port 25\n",
	    "t.conf:1: wrong number of arguments to \"relay via\" (usage: "
	    "relay via HOST port N [tls implicit|starttls] [for DOMAIN] "
	    "credentials FILE)",
	    "credentials missing");
	expect_error("relay via h.test port 25 credentials pw\n",
	    "t.conf:1: \"relay via ... credentials\" needs an absolute path, "
	    "got \"pw\"", "relative credentials");
	expect_error("relay via h.test port 99999 credentials /pw\n",
	    "t.conf:1: \"relay via ... port\" needs a number from 1 to "
	    "65535, got \"99999\"", "bad via port");
	expect_error("relay via h.test port 25 to x.test credentials /pw\n",
	    "t.conf:1: \"relay via\": expected \"for\", got \"to\" "
	    "(usage: relay via HOST port N [tls implicit|starttls] "
	    "[for DOMAIN] credentials FILE)", "for misspelt");
	expect_error("relay via h.test port 25 credentials /pw\n"
	    "relay via i.test port 25 credentials /pw\n",
	    "t.conf:2: \"relay via\" given twice for every domain",
	    "two smarthosts for everything");
	expect_error("relay via h_x port 25 credentials /pw\n",
	    "t.conf:1: \"relay via\" needs a host name and a domain, got "
	    "\"h_x\"", "bad host");
}

static void
test_send_limit(void)
{
	int v;

	config_defaults(&cfg);
	CHECK_INT_EQ(cfg.smtp_send_limit, 200, "default send limit 200");
	CHECK_INT_EQ(cfg.login_notices, 1, "login notices on by default");
	CHECK_INT_EQ(parse("smtp send limit 50 per hour\n"), 0,
	    "send limit 50 per hour");
	CHECK_INT_EQ(cfg.smtp_send_limit, 50, "50 stored");
	CHECK_INT_EQ(parse("smtp send limit none\n"), 0, "send limit none");
	CHECK_INT_EQ(cfg.smtp_send_limit, 0, "none is 0");
	CHECK_INT_EQ(parse("smtp send limit 1000000 per hour\n"), 0,
	    "send limit at the maximum");
	CHECK_INT_EQ(cfg.smtp_send_limit, 1000000, "maximum stored");
	CHECK_INT_EQ(parse("login notices no\n"), 0, "login notices no");
	CHECK_INT_EQ(cfg.login_notices, 0, "notices off");
	CHECK_INT_EQ(parse("login notices yes\nsmtp send limit 5 per hour\n"),
	    0, "both statements");
	CHECK_INT_EQ(cfg.login_notices, 1, "notices on");
	expect_error("smtp send limit 0 per hour\n",
	    "t.conf:1: \"smtp send limit\" needs a number from 1 to 1000000, "
	    "got \"0\"", "a limit of 0 is none, spelt out");
	expect_error("smtp send limit 1000001 per hour\n",
	    "t.conf:1: \"smtp send limit\" needs a number from 1 to 1000000, "
	    "got \"1000001\"", "send limit above the maximum");
	expect_error("smtp send limit 200 per day\n",
	    "t.conf:1: \"smtp send limit\": expected \"hour\", got \"day\" "
	    "(usage: smtp send limit N per hour|none)", "per hour only");
	expect_error("smtp send limit 200\n",
	    "t.conf:1: wrong number of arguments to \"smtp send limit\" "
	    "(usage: smtp send limit N per hour|none)", "per hour missing");
	expect_error("smtp send limit\n",
	    "t.conf:1: wrong number of arguments to \"smtp send limit\" "
	    "(usage: smtp send limit N per hour|none)", "limit missing");
	expect_error("smtp send limit none\nsmtp send limit none\n",
	    "t.conf:2: \"smtp send limit\" already given on line 1",
	    "send limit given twice");
	expect_error("login notices maybe\n",
	    "t.conf:1: \"login notices\" needs yes or no, got \"maybe\"",
	    "notices yes or no");

	CHECK_INT_EQ(config_parse_send_limit("none", &v), 0, "none parses");
	CHECK_INT_EQ(v, 0, "none is 0");
	CHECK_INT_EQ(config_parse_send_limit("75", &v), 0, "75 parses");
	CHECK_INT_EQ(v, 75, "75 stored");
	CHECK_INT_EQ(config_parse_send_limit("0", &v), -1, "0 refused");
	CHECK_INT_EQ(config_parse_send_limit("-5", &v), -1, "negative refused");
	CHECK_INT_EQ(config_parse_send_limit("+5", &v), -1, "sign refused");
	CHECK_INT_EQ(config_parse_send_limit("5x", &v), -1, "junk refused");
	CHECK_INT_EQ(config_parse_send_limit("", &v), -1, "empty refused");
	CHECK_INT_EQ(config_parse_send_limit("1000001", &v), -1,
	    "above the maximum refused");
	CHECK_INT_EQ(config_parse_send_limit("99999999999999999999", &v), -1,
	    "overflow refused");
}

static void
test_services(void)
{
	unsigned v = 0;
	char buf[32];

	CHECK_TRUE(config_parse_services("imap", &v) == 0 &&
	    v == SERVICE_IMAP, "services imap");
	CHECK_TRUE(config_parse_services("smtp,imap", &v) == 0 &&
	    v == (SERVICE_IMAP | SERVICE_SMTP), "services any order");
	CHECK_INT_EQ(config_parse_services("", &v), -1, "services empty");
	CHECK_INT_EQ(config_parse_services("imap,imap", &v), -1,
	    "services repeat");
	CHECK_INT_EQ(config_parse_services("imap, smtp", &v), -1,
	    "services blank");
	CHECK_INT_EQ(config_parse_services("imap,", &v), -1,
	    "services trailing comma");
	CHECK_INT_EQ(config_parse_services("imaps", &v), -1,
	    "services unknown");
	config_services_string(SERVICE_ALL, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "imap,pop3,smtp", "services string all");
	config_services_string(SERVICE_SMTP, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "smtp", "services string one");
	config_services_string(0, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "", "services string none");
	config_services_string(SERVICE_ALL, buf, 8);
	CHECK_STR_EQ(buf, "imap", "services string truncated at a comma");
	expect_error("default services imap,pop\n",
	    "t.conf:1: \"default services\" needs a comma-separated list of "
	    "imap, pop3 and smtp, got \"imap,pop\"", "bad default services");
}

static void
test_errors_lexical(void)
{
	char big[5000];
	char nul[] = "hostname a\0b\n";

	memset(big, 'x', sizeof(big));
	memcpy(big, "\n\n# ", 4);
	big[sizeof(big) - 1] = '\0';
	expect_error(big, "t.conf:3: line longer than 4096 bytes",
	    "line too long");
	CHECK_INT_EQ(config_parse_buffer(&cfg, "t.conf", nul, sizeof(nul) - 1,
	    err, sizeof(err)), -1, "NUL byte");
	CHECK_STR_EQ(err, "t.conf:1: NUL byte in line", "NUL byte message");
	expect_error("\nhostname \"abc\n",
	    "t.conf:2: unterminated quoted string", "unterminated quote");
	expect_error("state \"/a\\nb\"\n",
	    "t.conf:1: unknown escape in quoted string (only \\\" and \\\\)",
	    "unknown escape");
	expect_error("state \"/a\"b\n",
	    "t.conf:1: missing blank after quoted string", "quote then word");
	expect_error("state /a\"b\"\n", "t.conf:1: quote inside a word",
	    "quote inside word");
	expect_error("hostname a\r\n",
	    "t.conf:1: carriage return in line (DOS line end?)", "CR");
	expect_error("hostname \x01\n",
	    "t.conf:1: control character 0x01 in line", "control byte");
	expect_error("a b c d e f g h i j k l m n o p q\n",
	    "t.conf:1: too many words (at most 16)", "too many words");
}

static void
test_errors_statements(void)
{
	expect_error("\n\n\n\n\n\nlockout paire 5 within 15m for 15m\n",
	    "t.conf:7: unknown statement \"lockout paire\"",
	    "unknown statement names the wrong word");
	expect_error("hostnam x\n", "t.conf:1: unknown statement \"hostnam\"",
	    "unknown first word");
	expect_error("smtp max\n", "t.conf:1: unknown statement \"smtp max\"",
	    "incomplete keyword path");
	expect_error("\n\n\n\n\n\n\n\nauth scrypt cost abc\n",
	    "t.conf:9: \"auth scrypt cost\" needs a number from 10 to 20, "
	    "got \"abc\"", "not a number");
	expect_error("auth scrypt cost 21\n",
	    "t.conf:1: \"auth scrypt cost\" needs a number from 10 to 20, "
	    "got \"21\"", "number above range");
	expect_error("password min length 129\n",
	    "t.conf:1: \"password min length\" needs a number from 8 to "
	    "128, got \"129\"", "password min length above range");
	expect_error("auth workers 99999999999999999999999\n",
	    "t.conf:1: \"auth workers\" needs a number from 0 to 256, "
	    "got \"99999999999999999999999\"", "number overflow");
	expect_error("auth workers -1\n",
	    "t.conf:1: \"auth workers\" needs a number from 0 to 256, "
	    "got \"-1\"", "negative number");
	expect_error("queue retry 10x\n",
	    "t.conf:1: \"queue retry\" needs a duration from 1m to 1d, "
	    "got \"10x\"", "bad duration");
	expect_error("relay lifetime 30m\n",
	    "t.conf:1: \"relay lifetime\" needs a duration from 1h to 60d, "
	    "got \"30m\"", "relay lifetime below range");
	expect_error("relay delay notice never\n",
	    "t.conf:1: \"relay delay notice\" needs a duration from 1m to "
	    "60d, got \"never\"", "neither a duration nor off");
	CHECK_INT_EQ(parse("relay delay notice off\n"), 0, "delay notice off");
	CHECK_INT_EQ(cfg.relay_delay_notice, 0, "off is 0");
	expect_error("imap idle timeout 10m\n",
	    "t.conf:1: \"imap idle timeout\" needs a duration from 30m to "
	    "1d, got \"10m\"", "imap idle below RFC 3501's 30 minutes");
	expect_error("hostname\n",
	    "t.conf:1: wrong number of arguments to \"hostname\" "
	    "(usage: hostname NAME)", "missing argument");
	expect_error("totp window 1 2\n",
	    "t.conf:1: wrong number of arguments to \"totp window\" "
	    "(usage: totp window N)", "extra argument");
	expect_error("hostname a\nhostname b\n",
	    "t.conf:2: \"hostname\" already given on line 1", "repeated");
	expect_error("smtp require tls maybe\n",
	    "t.conf:1: \"smtp require tls\" needs yes or no, got \"maybe\"",
	    "bad boolean");
	expect_error("smtp dmarc quarantine spam\n",
	    "t.conf:1: \"smtp dmarc quarantine\" needs junk or deliver, "
	    "got \"spam\"", "bad smtp dmarc quarantine");
	expect_error("smtp spf check maybe\n",
	    "t.conf:1: \"smtp spf check\" needs yes or no, got \"maybe\"",
	    "bad smtp spf check");
	expect_error("public suffix list psl.dat\n",
	    "t.conf:1: \"public suffix list\" needs an absolute path, "
	    "got \"psl.dat\"", "relative public suffix list");
	expect_error("relay tls always\n",
	    "t.conf:1: \"relay tls\" needs verify or opportunistic, "
	    "got \"always\"", "bad relay tls");
}

static void
test_errors_names(void)
{
	expect_error("state var/lib\n",
	    "t.conf:1: \"state\" needs an absolute path, got \"var/lib\"",
	    "relative path");
	expect_error("domain exa_mple.org\n",
	    "t.conf:1: \"domain\" needs a domain name (letters, digits, '-' "
	    "and '.'), got \"exa_mple.org\"", "bad domain character");
	expect_error("domain example..org\n",
	    "t.conf:1: \"domain\" needs a domain name (letters, digits, '-' "
	    "and '.'), got \"example..org\"", "empty label");
	expect_error("domain -example.org\n",
	    "t.conf:1: \"domain\" needs a domain name (letters, digits, '-' "
	    "and '.'), got \"-example.org\"", "leading hyphen");
	expect_error("domain a.org\ndomain A.ORG\n",
	    "t.conf:2: domain \"a.org\" given twice", "duplicate domain");
	expect_error("hostname \"a\\\"b\"\n",
	    "t.conf:1: \"hostname\" needs a host name (letters, digits, '-' "
	    "and '.'), got \"a\\\"b\"", "quote escaped in error text");
	expect_error("user web www\n",
	    "t.conf:1: \"user\" needs a role (auth, net, mail, queue, relay, "
	    "keyholder), got \"web\"", "bad role");
	expect_error("user auth a\nuser auth b\n",
	    "t.conf:2: \"user auth\" already given on line 1",
	    "repeated role");
	expect_error("user auth 1x\n",
	    "t.conf:1: \"user\" needs a user name, got \"1x\"", "bad user");
	expect_error("group \"a b\"\n",
	    "t.conf:1: \"group\" needs a user or group name, got \"a b\"",
	    "bad group");
}

static void
test_errors_compound(void)
{
	expect_error("listen smtp on example.org\n",
	    "t.conf:1: \"listen\" needs a numeric IPv4 or IPv6 address, "
	    "got \"example.org\"", "listen host name");
	expect_error("listen smtp 127.0.0.1\n",
	    "t.conf:1: usage: listen SERVICE on ADDRESS [port N]",
	    "listen without on");
	expect_error("listen imap on 127.0.0.1\n",
	    "t.conf:1: \"listen\" needs a service (smtp, submissions, imaps, "
	    "pop3s), got \"imap\"", "listen bad service");
	expect_error("listen smtp on ::1 port 0\n",
	    "t.conf:1: \"listen ... port\" needs a number from 1 to 65535, "
	    "got \"0\"", "listen port range");
	expect_error("listen smtp on ::\nlisten imaps on 0::0 port 25\n",
	    "t.conf:2: \"listen\": 0::0 port 25 is already in use",
	    "listen duplicate address");
	expect_error("lockout pair 5 during 15m for 15m\n",
	    "t.conf:1: \"lockout pair\": expected \"within\", got \"during\" "
	    "(usage: lockout pair N within DURATION for DURATION)",
	    "lockout pair keyword");
	expect_error("lockout pair 0 within 15m for 15m\n",
	    "t.conf:1: \"lockout pair\" needs a number from 1 to 1000, "
	    "got \"0\"", "lockout needs at least one failure");
	expect_error("lockout account 5 within 0\n",
	    "t.conf:1: \"lockout account ... within\" needs a duration from "
	    "1s to 30d, got \"0\"", "lockout account window");
	expect_error("\nban after 20 within 10m for 2d max 1d\n",
	    "t.conf:2: \"ban after\": max (1d) is shorter than the ban "
	    "duration (2d)", "ban max below ban duration");
	expect_error("login grace 0\n",
	    "t.conf:1: \"login grace\" needs a duration from 1s to 1h, "
	    "got \"0\"", "login grace range");
	expect_error("login limit 4 per host 20 per network\n",
	    "t.conf:1: \"login limit\": expected \"address\", got \"host\" "
	    "(usage: login limit N per address N per network)",
	    "login limit keyword");
	expect_error("login limit 0 per address 20 per network\n",
	    "t.conf:1: \"login limit ... per address\" needs a number from 1 "
	    "to 10000, got \"0\"", "login limit range");
	expect_error("login startups 10 drop 101% full 20\n",
	    "t.conf:1: \"login startups ... drop\" needs a number from 0 to "
	    "100, got \"101\"", "login drop range");
	expect_error("login startups 10 drop 30 max 20\n",
	    "t.conf:1: \"login startups\": expected \"full\", got \"max\" "
	    "(usage: login startups N drop PERCENT full N)",
	    "login startups keyword");
	expect_error("\nlogin startups 30 drop 30 full 20\n",
	    "t.conf:2: \"login startups\": startups (30) is more than full "
	    "(20)", "startups above full");
	expect_error("session limit 10 per user\n",
	    "t.conf:1: wrong number of arguments to \"session limit\" "
	    "(usage: session limit N per user N)", "session limit arguments");
	expect_error("session limit 10 per address 2\n",
	    "t.conf:1: \"session limit\": expected \"user\", got \"address\" "
	    "(usage: session limit N per user N)", "session limit keyword");
	expect_error("queue lifetime 1h\nqueue retry 2h\n",
	    "t.conf:2: \"queue retry\" (2h) is longer than \"queue lifetime\" "
	    "(1h)", "retry longer than lifetime");
	expect_error("tls key /etc/postern/cert.pem\n",
	    "t.conf:1: \"tls key\" must not be the same file as "
	    "\"tls certificate\"", "key and certificate share a file");
	expect_error("hostname bad_name\nstate rel\nfoo\n",
	    "t.conf:1: \"hostname\" needs a host name (letters, digits, '-' "
	    "and '.'), got \"bad_name\"", "first of several errors");
}

/* with_stderr: run config_load with stderr captured into out. */
static int
with_stderr(const char *path, char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved, rv;
	size_t n;

	fflush(stderr);
	saved = dup(2);
	if (tmp == NULL || saved == -1 || dup2(fileno(tmp), 2) == -1)
		return -2;
	rv = config_load(&cfg, path);
	fflush(stderr);
	(void)dup2(saved, 2);
	(void)close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return rv;
}

static void
test_load(void)
{
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char path[512], out[2048], want[2048];
	int fd;

	snprintf(path, sizeof(path), "%s/test_config.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		CHECK_TRUE(0, "mkstemp");
		return;
	}
	(void)fchmod(fd, 0644);
	CHECK_TRUE(write(fd, "runtime /run/x\n", 15) == 15, "write config");
	CHECK_INT_EQ(with_stderr(path, out, sizeof(out)), 0, "load a file");
	CHECK_STR_EQ(cfg.auth_socket, "/run/x/authd.sock", "loaded derive");
	CHECK_STR_EQ(out, "", "nothing on stderr when valid");

	CHECK_TRUE(write(fd, "foo\nstate x\n", 12) == 12, "append errors");
	CHECK_INT_EQ(with_stderr(path, out, sizeof(out)), -1, "bad file");
	snprintf(want, sizeof(want), "%s:2: unknown statement \"foo\"\n"
	    "%s:3: \"state\" needs an absolute path, got \"x\"\n", path, path);
	CHECK_STR_EQ(out, want, "every error goes to stderr");

	(void)fchmod(fd, 0646);
	CHECK_INT_EQ(with_stderr(path, out, sizeof(out)), -1,
	    "world-writable file refused");
	(void)close(fd);
	(void)unlink(path);

	CHECK_INT_EQ(with_stderr(dir, out, sizeof(out)), -1, "directory");
	snprintf(want, sizeof(want), "%s: not a regular file\n", dir);
	CHECK_STR_EQ(out, want, "directory message");
	CHECK_INT_EQ(with_stderr("/dev/null", out, sizeof(out)), -1,
	    "device refused");
	CHECK_INT_EQ(with_stderr(path, out, sizeof(out)), -1, "missing file");
	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	CHECK_STR_EQ(out, want, "missing file message");
	CHECK_INT_EQ(config_load_err(&cfg, path, out, sizeof(out)), -1,
	    "missing file, error in a buffer");
	want[strlen(want) - 1] = '\0';
	CHECK_STR_EQ(out, want, "missing file message in the buffer");
}

/* A service no listen statement names listens nowhere: no default
 * address on every interface. */
static void
test_listeners(void)
{
	const char *text = "listen imaps on 127.0.0.1 port 10993\n"
	    "listen pop3s on ::1\n";
	struct config_listen l[CONFIG_MAX_LISTEN];

	CHECK_INT_EQ(config_parse_buffer(&cfg, NULL, text, strlen(text),
	    NULL, 0), 0, "listeners parse");
	CHECK_INT_EQ(config_listeners(&cfg, LISTEN_SMTP, l, CONFIG_MAX_LISTEN),
	    0, "smtp: no statement, no listener");
	CHECK_INT_EQ(config_listeners(&cfg, LISTEN_POP3S, l,
	    CONFIG_MAX_LISTEN), 1, "pop3s: its statement only");
	CHECK_STR_EQ(l[0].address, "::1", "pop3s address");
	CHECK_INT_EQ(l[0].port, 995, "pop3s default port");
	config_defaults(&cfg);
	CHECK_INT_EQ(config_listeners(&cfg, LISTEN_IMAPS, l,
	    CONFIG_MAX_LISTEN), 0, "defaults: no listener at all");
}

static void
test_dns(void)
{
	config_defaults(&cfg);
	CHECK_INT_EQ(cfg.ndns_servers, 0, "dns: no server by default");
	CHECK_STR_EQ(cfg.dns_trust_anchor, "/usr/share/dns/root.key",
	    "dns: default trust anchor");
	CHECK_INT_EQ(parse("dns server 127.0.0.53\n"
	    "dns server 2001:db8::53 port 5353\n"
	    "dns server 127.0.0.53 port 5300\n"
	    "dns server ::1\n"
	    "dns trust anchor /etc/postern/test.key\n"), 0,
	    "dns: four servers and an anchor");
	CHECK_INT_EQ(cfg.ndns_servers, 4, "dns: four servers");
	CHECK_STR_EQ(cfg.dns_servers[0].address, "127.0.0.53",
	    "dns: first address");
	CHECK_INT_EQ(cfg.dns_servers[0].port, 53, "dns: default port 53");
	CHECK_STR_EQ(cfg.dns_servers[1].address, "2001:db8::53",
	    "dns: IPv6 address");
	CHECK_INT_EQ(cfg.dns_servers[1].port, 5353, "dns: explicit port");
	CHECK_INT_EQ(cfg.dns_servers[2].port, 5300,
	    "dns: same address, other port");
	CHECK_STR_EQ(cfg.dns_trust_anchor, "/etc/postern/test.key",
	    "dns: trust anchor");

	expect_error("dns server 127.0.0.1\ndns server 127.0.0.2\n"
	    "dns server 127.0.0.3\ndns server 127.0.0.4\n"
	    "dns server 127.0.0.5\n",
	    "t.conf:5: too many dns server statements (at most 4)",
	    "dns: a fifth server refused");
	expect_error("dns server ns.example.org\n",
	    "t.conf:1: \"dns server\" needs a numeric IPv4 or IPv6 address, "
	    "got \"ns.example.org\"", "dns: host name refused");
	expect_error("dns server 127.0.0.1 port 0\n",
	    "t.conf:1: \"dns server ... port\" needs a number from 1 to "
	    "65535, got \"0\"", "dns: port 0 refused");
	expect_error("dns server 127.0.0.1 port 65536\n",
	    "t.conf:1: \"dns server ... port\" needs a number from 1 to "
	    "65535, got \"65536\"", "dns: port too large refused");
	expect_error("dns server 127.0.0.1 5353\n",
	    "t.conf:1: usage: dns server ADDRESS [port N]",
	    "dns: port without keyword refused");
	expect_error("dns server\n",
	    "t.conf:1: usage: dns server ADDRESS [port N]",
	    "dns: server without address refused");
	expect_error("dns server ::1 port 53 extra\n",
	    "t.conf:1: usage: dns server ADDRESS [port N]",
	    "dns: extra word refused");
	expect_error("dns server ::1\ndns server 0::1 port 53\n",
	    "t.conf:2: \"dns server\" 0::1 port 53 is given twice",
	    "dns: same server twice refused");
	expect_error("dns trust anchor root.key\n",
	    "t.conf:1: \"dns trust anchor\" needs an absolute path, got "
	    "\"root.key\"", "dns: relative anchor refused");
	expect_error("dns trust anchor /a\ndns trust anchor /b\n",
	    "t.conf:2: \"dns trust anchor\" already given on line 1",
	    "dns: anchor given twice refused");
}

int
main(void)
{
	test_defaults();
	test_empty();
	test_full();
	test_quoted();
	test_duration();
	test_size();
	test_quota();
	test_send_limit();
	test_relay();
	test_services();
	test_errors_lexical();
	test_errors_statements();
	test_errors_names();
	test_errors_compound();
	test_load();
	test_listeners();
	test_dns();
	return check_done();
}
