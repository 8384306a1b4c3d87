/*
 * sendmail.c: the sendmail(8) program: hands one message from a local
 * program (cron, a script, mail(1)) to smtpd's queue through the offline
 * intake (intake.h).  Runs as the invoking user, without privilege: the
 * intake directory (mode 1733) accepts a file from anyone, and the queue
 * records the file's owner as the message's origin ("local uid N").  It
 * trusts the configuration file (root's) for the spool and the domains,
 * and nothing in the message but its bytes: headers are parsed only to
 * find the recipients of -t and whether From:, Date: and Message-ID: are
 * there, with every length bounded.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/intake.h"
#include "common/util.h"

#define SM_LINE_MAX	998		/* RFC 5322 2.1.1 */
#define SM_NAME_MAX	128		/* a full name */

struct sm {
	struct config	cfg;
	int		dot_ends;	/* a lone "." ends the message */
	int		from_headers;	/* -t */
	char		sender[INTAKE_ADDR_MAX + 1];
	int		sender_given;
	char		fullname[SM_NAME_MAX];
	char		user[64];	/* the invoking user's name */
	char		*rcpts[INTAKE_RCPT_MAX];
	size_t		nrcpt;
	char		*msg;		/* as read */
	size_t		len, cap;
};

static struct sm sm;

static void __attribute__((noreturn, format(printf, 2, 3)))
sm_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("sendmail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void __attribute__((noreturn))
sm_usage(void)
{
	fputs("usage: sendmail [-ti] [-C file] [-F name] [-f sender] "
	    "[-o option] [recipient ...]\n", stderr);
	exit(EX_USAGE);
}

/* sm_rcpt_add: one recipient address (copied); trims blanks. */
static void
sm_rcpt_add(const char *s, size_t len)
{
	char *r;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	if (!intake_addr_valid(s, len))
		sm_die(EX_NOUSER, "invalid recipient address \"%.*s\"",
		    (int)(len > 80 ? 80 : len), s);
	if (sm.nrcpt == INTAKE_RCPT_MAX)
		sm_die(EX_DATAERR, "more than %d recipients", INTAKE_RCPT_MAX);
	if ((r = strndup(s, len)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	sm.rcpts[sm.nrcpt++] = r;
}

/* sm_dot: with a lone "." line, cut the message there. */
static void
sm_dot(void)
{
	char *p = sm.msg, *end = sm.msg + sm.len, *nl;

	while (p < end) {
		if (p[0] == '.' && (p + 1 == end || p[1] == '\n' ||
		    (p[1] == '\r' && p + 2 < end && p[2] == '\n'))) {
			sm.len = (size_t)(p - sm.msg);
			return;
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return;
		p = nl + 1;
	}
}

/* sm_read: the message from stdin, bounded; a lone "." ends it unless
 * -i.  A NUL byte is refused: it cannot be mail. */
static void
sm_read(void)
{
	uint64_t max = sm.cfg.smtp_max_message_size;
	size_t n;
	char *p;

	sm.cap = 65536;
	if ((sm.msg = malloc(sm.cap)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	for (;;) {
		if (sm.len + 1 == sm.cap) {
			if (sm.cap > max + 1)
				sm_die(EX_DATAERR, "message bigger than %llu "
				    "bytes (the \"smtp max message size\")",
				    (unsigned long long)max);
			if ((p = realloc(sm.msg, sm.cap * 2)) == NULL)
				sm_die(EX_OSERR, "out of memory");
			sm.msg = p;
			sm.cap *= 2;
		}
		n = fread(sm.msg + sm.len, 1, sm.cap - 1 - sm.len, stdin);
		sm.len += n;
		if (n == 0)
			break;
	}
	if (ferror(stdin))
		sm_die(EX_IOERR, "cannot read the message: %s", strerror(errno));
	if (sm.dot_ends)
		sm_dot();
	if (sm.len > max)
		sm_die(EX_DATAERR, "message bigger than %llu bytes (the \"smtp "
		    "max message size\")", (unsigned long long)max);
	if (memchr(sm.msg, '\0', sm.len) != NULL)
		sm_die(EX_DATAERR, "a NUL byte in the message");
	sm.msg[sm.len] = '\0';
}

/* sm_is_field: the line at p starts a header field ("Name:"). */
static int
sm_is_field(const char *p, const char *end)
{
	const char *q;

	for (q = p; q < end && *q != ':'; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q > '~')
			return 0;
	return q > p && q < end;
}

/* sm_line_end: the start of the next line after p. */
static const char *
sm_line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* sm_blank: the line at p holds nothing but its line end. */
static int
sm_blank(const char *p, const char *end)
{
	return p == end || *p == '\n' || (*p == '\r' && p + 1 < end &&
	    p[1] == '\n');
}

/* sm_header_end: the end of the header block at the start of the
 * message; *sep is 1 when a blank line follows it (else the body starts
 * right there, or there is none). */
static size_t
sm_header_end(int *sep)
{
	const char *p = sm.msg, *end = sm.msg + sm.len;

	*sep = 0;
	while (p < end) {
		if (sm_blank(p, end)) {
			*sep = 1;
			break;
		}
		if (!sm_is_field(p, end) && !(p > sm.msg && (*p == ' ' ||
		    *p == '\t')))
			break;
		p = sm_line_end(p, end);
	}
	return (size_t)(p - sm.msg);
}

/* sm_field_len: the length of the field at p with its continuation
 * lines. */
static size_t
sm_field_len(const char *p, const char *end)
{
	const char *q = sm_line_end(p, end);

	while (q < end && (*q == ' ' || *q == '\t'))
		q = sm_line_end(q, end);
	return (size_t)(q - p);
}

static int
sm_field_is(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/*
 * sm_addr_list: the addresses of an address-list field value (RFC 5322
 * 3.4): items split at commas outside quotes, angle brackets and
 * comments; of each item the part in <> if any, else the item without
 * comments; a group's "name:" and ";" are dropped.
 */
static void
sm_addr_list(const char *p, size_t len)
{
	char item[1024];
	size_t i, n = 0, lt = 0;
	int quote = 0, angle = 0, paren = 0, has_lt = 0;

	for (i = 0; i <= len; i++) {
		char c = i < len ? p[i] : ',';

		if (quote) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (paren) {
			paren += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (c == '"' && !angle) {
			quote = 1;
			continue;
		}
		if (c == '(') {
			paren = 1;
			continue;
		}
		if (c == ':' && !angle) {
			n = 0;	/* a group's display name */
			continue;
		}
		if (c == '<' && !angle) {
			angle = has_lt = 1;
			n = lt = 0;
			continue;
		}
		if (c == '>' && angle) {
			angle = 0;
			lt = n;
			continue;
		}
		if ((c == ',' || c == ';') && !angle) {
			sm_rcpt_add(item, has_lt ? lt : n);
			n = lt = 0;
			has_lt = 0;
			continue;
		}
		if (c == '\r' || c == '\n')
			c = ' ';
		if (has_lt && !angle)
			continue;
		if (n + 1 < sizeof(item))
			item[n++] = c;
	}
}

/*
 * sm_headers: with -t, take the recipients of To:, Cc: and Bcc: and drop
 * Bcc: fields; note which of From:, Date:, Message-ID: are present.
 * Rewrites sm.msg in place (only ever shorter).
 */
static void
sm_headers(size_t hend, int *has_from, int *has_date, int *has_msgid)
{
	char *p = sm.msg, *end = sm.msg + hend;
	size_t flen, value;

	*has_from = *has_date = *has_msgid = 0;
	while (p < end) {
		flen = sm_field_len(p, end);
		value = (size_t)((char *)memchr(p, ':', flen) - p) + 1;
		*has_from |= sm_field_is(p, flen, "From");
		*has_date |= sm_field_is(p, flen, "Date");
		*has_msgid |= sm_field_is(p, flen, "Message-ID");
		if (sm.from_headers && (sm_field_is(p, flen, "To") ||
		    sm_field_is(p, flen, "Cc") || sm_field_is(p, flen, "Bcc")))
			sm_addr_list(p + value, flen - value);
		if (sm.from_headers && sm_field_is(p, flen, "Bcc")) {
			memmove(p, p + flen, sm.len - (size_t)(p - sm.msg) -
			    flen + 1);
			sm.len -= flen;
			end -= flen;
			continue;
		}
		p += flen;
	}
}

/* sm_build: the final message: our missing headers, then the message. */
static char *
sm_build(size_t *outlen)
{
	char add[2048], date[64], name[SM_NAME_MAX + 4];
	time_t t = time(NULL);
	struct tm tm;
	size_t hend, n = 0;
	int sep, has_from, has_date, has_msgid, w;
	uint64_t r;
	char *out;

	hend = sm_header_end(&sep);
	sm_headers(hend, &has_from, &has_date, &has_msgid);
	hend = sm_header_end(&sep);
	add[0] = '\0';
	if (!has_from) {
		name[0] = '\0';
		if (sm.fullname[0] != '\0')
			(void)snprintf(name, sizeof(name), "%s ", sm.fullname);
		w = snprintf(add, sizeof(add), "From: %s<%s@%s>\n", name,
		    sm.user, sm.cfg.domains[0]);
		n = w > 0 && (size_t)w < sizeof(add) ? (size_t)w : 0;
	}
	if (!has_date && localtime_r(&t, &tm) != NULL &&
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) > 0) {
		w = snprintf(add + n, sizeof(add) - n, "Date: %s\n", date);
		n += w > 0 && (size_t)w < sizeof(add) - n ? (size_t)w : 0;
	}
	if (!has_msgid) {
		random_bytes(&r, sizeof(r));
		w = snprintf(add + n, sizeof(add) - n, "Message-ID: "
		    "<%lld.%016llx@%s>\n", (long long)t, (unsigned long long)r,
		    sm.cfg.hostname);
		n += w > 0 && (size_t)w < sizeof(add) - n ? (size_t)w : 0;
	}
	if ((out = malloc(n + sm.len + 2)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	memcpy(out, add, n);
	memcpy(out + n, sm.msg, hend);
	n += hend;
	/* headers not followed by a blank line: the body starts right
	 * there, and gets the blank line that separates them */
	if (!sep && hend < sm.len)
		out[n++] = '\n';
	memcpy(out + n, sm.msg + hend, sm.len - hend);
	*outlen = n + sm.len - hend;
	return out;
}

/* sm_identity: the invoking user's name and full name (the GECOS field
 * up to its first comma), unless -F gave one. */
static void
sm_identity(void)
{
	struct passwd *pw;
	size_t i;

	errno = 0;
	if ((pw = getpwuid(getuid())) == NULL)
		sm_die(EX_NOUSER, "who are you? uid %lu has no passwd entry",
		    (unsigned long)getuid());
	if (str_copy(sm.user, pw->pw_name, sizeof(sm.user)) == -1)
		sm_die(EX_NOUSER, "user name too long");
	if (sm.fullname[0] == '\0' && pw->pw_gecos != NULL) {
		for (i = 0; i + 1 < sizeof(sm.fullname) &&
		    pw->pw_gecos[i] != '\0' && pw->pw_gecos[i] != ','; i++)
			sm.fullname[i] = pw->pw_gecos[i];
		sm.fullname[i] = '\0';
	}
	for (i = 0; sm.fullname[i] != '\0'; i++)
		if ((unsigned char)sm.fullname[i] < ' ' ||
		    sm.fullname[i] == 0x7f || sm.fullname[i] == '<' ||
		    sm.fullname[i] == '>')
			sm.fullname[i] = ' ';
}

/* sm_option: -o<x>: -oi is -i; every other is accepted and ignored. */
static void
sm_option(const char *o)
{
	if (strcmp(o, "i") == 0)
		sm.dot_ends = 0;
}

/* sm_mode: -b<x>: -bm (deliver mail) only. */
static void
sm_mode(const char *b)
{
	if (strcmp(b, "m") == 0)
		return;
	if (strcmp(b, "p") == 0)
		sm_die(EX_USAGE, "-bp: the queue is listed with \"authctl queue "
		    "list\" (as root)");
	sm_die(EX_USAGE, "-b%s: not supported (only -bm)", b);
}

int
main(int argc, char *argv[])
{
	const char *conf = getenv("POSTERN_CONF"), *s;
	char err[256], *msg;
	size_t len;
	int ch, i;

	sm.dot_ends = 1;
	if (conf == NULL || conf[0] == '\0')
		conf = CONFIG_PATH_DEFAULT;
	while ((ch = getopt(argc, argv, "B:b:C:F:f:h:iN:no:p:R:r:tV:vX:")) !=
	    -1) {
		switch (ch) {
		case 'b':
			sm_mode(optarg);
			break;
		case 'C':
			conf = optarg;
			break;
		case 'F':
			(void)str_copy(sm.fullname, optarg,
			    sizeof(sm.fullname));
			break;
		case 'f':
		case 'r':
			s = optarg;
			len = strlen(s);
			if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
				s++;
				len -= 2;
			}
			if (len > 0 && !intake_addr_valid(s, len))
				sm_die(EX_USAGE, "invalid sender address");
			memcpy(sm.sender, s, len);
			sm.sender[len] = '\0';
			sm.sender_given = 1;
			break;
		case 'i':
			sm.dot_ends = 0;
			break;
		case 'o':
			sm_option(optarg);
			break;
		case 't':
			sm.from_headers = 1;
			break;
		case 'B': case 'h': case 'N': case 'n': case 'p': case 'R':
		case 'V': case 'v': case 'X':
			break;	/* sendmail's options we have no use for */
		default:
			sm_usage();
		}
	}
	for (i = optind; i < argc; i++)
		sm_addr_list(argv[i], strlen(argv[i]));
	if (config_load(&sm.cfg, conf) == -1)
		exit(EX_CONFIG);
	if (sm.cfg.ndomains < 1)
		sm_die(EX_CONFIG, "%s names no \"domain\"", conf);
	sm_identity();
	if (!sm.sender_given && snprintf(sm.sender, sizeof(sm.sender),
	    "%s@%s", sm.user, sm.cfg.domains[0]) >= (int)sizeof(sm.sender))
		sm_die(EX_USAGE, "sender address too long");
	sm_read();
	msg = sm_build(&len);
	if (sm.nrcpt == 0)
		sm_die(EX_USAGE, "no recipients");
	if (intake_write(sm.cfg.spool_dir, sm.sender,
	    (const char *const *)sm.rcpts, sm.nrcpt, msg, len, err,
	    sizeof(err)) == -1)
		sm_die(errno == ENOENT || errno == EACCES ? EX_CANTCREAT :
		    EX_TEMPFAIL, "message not sent: %s", err);
	free(msg);
	return EX_OK;
}
