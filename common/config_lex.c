/*
 * config_lex.c: the lexical layer of the postern.conf(5) parser: lines,
 * words, quoting and comments; numbers, sizes, durations, names, addresses
 * and service lists; error messages with file:line (contracts in
 * config_lex.h).  Runs wherever config.c runs: every parent process and
 * authctl, before any privilege drop.  Trusts nothing in the text: lines
 * are bounded, control bytes are refused, numbers are range- and
 * overflow-checked, and bad values are escaped before they are shown.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/config_lex.h"
#include "common/util.h"

#define CF_SHOW_MAX	48		/* bytes of a bad value shown in errors */

static const char *const cf_services_names[] = { "imap", "pop3", "smtp" };
static const unsigned cf_services_bits[] = {
	SERVICE_IMAP, SERVICE_POP3, SERVICE_SMTP
};

void
cf_error(struct cf_err *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->nerr++;
	if (err->errbuf == NULL) {
		if (err->lineno > 0)
			fprintf(stderr, "%s:%zu: %s\n", err->name, err->lineno,
			    msg);
		else
			fprintf(stderr, "%s: %s\n", err->name, msg);
	} else if (err->nerr == 1 && err->errlen > 0) {
		if (err->lineno > 0)
			(void)snprintf(err->errbuf, err->errlen, "%s:%zu: %s",
			    err->name, err->lineno, msg);
		else
			(void)snprintf(err->errbuf, err->errlen, "%s: %s",
			    err->name, msg);
	}
}

const char *
cf_show(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (i + 5 >= len || i >= CF_SHOW_MAX) {
			(void)str_copy(buf + i, "...", len - i);
			return buf;
		}
		if (c == '"' || c == '\\') {
			buf[i++] = '\\';
			buf[i++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f)
			i += (size_t)snprintf(buf + i, len - i, "\\x%02x", c);
		else
			buf[i++] = (char)c;
	}
	buf[i] = '\0';
	return buf;
}

/* cf_bytes_ok: refuse NUL and other control bytes but tab. */
static int
cf_bytes_ok(struct cf_err *err, const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0') {
			cf_error(err, "NUL byte in line");
			return 0;
		}
		if (c == '\r') {
			cf_error(err, "carriage return in line (DOS line end?)");
			return 0;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			cf_error(err, "control character 0x%02x in line", c);
			return 0;
		}
	}
	return 1;
}

/*
 * cf_quoted: read a quoted word starting after the opening quote at
 * s[*i]; only \" and \\ are escapes.  The word must end at a blank, a
 * comment or the end of the line.
 */
static int
cf_quoted(struct cf_err *err, const char *s, size_t len, size_t *i,
    char **p)
{
	for (;;) {
		if (*i >= len) {
			cf_error(err, "unterminated quoted string");
			return -1;
		}
		if (s[*i] == '"')
			break;
		if (s[*i] == '\\') {
			if (*i + 1 >= len || (s[*i + 1] != '"' &&
			    s[*i + 1] != '\\')) {
				cf_error(err, "unknown escape in quoted "
				    "string (only \\\" and \\\\)");
				return -1;
			}
			(*i)++;
		}
		*(*p)++ = s[(*i)++];
	}
	(*i)++;
	if (*i < len && s[*i] != ' ' && s[*i] != '\t' && s[*i] != '#') {
		cf_error(err, "missing blank after quoted string");
		return -1;
	}
	return 0;
}

/*
 * cf_split: cut a line into words in l->store.  The store cannot overflow:
 * each word takes at most its bytes in the line plus a NUL, and words are
 * separated by at least one byte (or are the last one).
 */
static int
cf_split(struct cf_err *err, const char *s, size_t len, struct cf_line *l)
{
	char *p = l->store;
	size_t i = 0;

	for (l->n = 0;; l->n++) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= len || s[i] == '#')
			return 0;
		if (l->n == CF_WORDS_MAX) {
			cf_error(err, "too many words (at most %d)",
			    CF_WORDS_MAX);
			return -1;
		}
		l->w[l->n].s = p;
		l->w[l->n].quoted = s[i] == '"';
		if (s[i] == '"') {
			i++;
			if (cf_quoted(err, s, len, &i, &p) == -1)
				return -1;
		} else {
			while (i < len && s[i] != ' ' && s[i] != '\t' &&
			    s[i] != '#') {
				if (s[i] == '"') {
					cf_error(err, "quote inside a word");
					return -1;
				}
				*p++ = s[i++];
			}
		}
		*p++ = '\0';
	}
}

int
cf_next_line(struct cf_err *err, const char **sp, const char *end,
    struct cf_line *l)
{
	const char *s = *sp, *nl;
	size_t n;
	int got = 0;

	while (!got && s < end) {
		err->lineno++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (nl != NULL ? nl : end) - s;
		if (n > CF_LINE_MAX)
			cf_error(err, "line longer than %d bytes", CF_LINE_MAX);
		else if (cf_bytes_ok(err, s, n) &&
		    cf_split(err, s, n, l) == 0 && l->n > 0)
			got = 1;
		s += n + (nl != NULL);
	}
	*sp = s;
	return got;
}

/* cf_digits: a run of decimal digits, overflow-checked; *end after it. */
static int
cf_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t n = 0, d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (uint64_t)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*end = s;
	return 0;
}

static int
cf_parse_int(const char *s, int64_t *out)
{
	const char *end;
	uint64_t v;

	if (cf_digits(s, &v, &end) == -1 || *end != '\0' || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int
cf_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mul = 1;

	if (cf_digits(s, &v, &end) == -1)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'K': case 'k':
		mul = KILO;
		break;
	case 'M': case 'm':
		mul = MEGA;
		break;
	case 'G': case 'g':
		mul = GIGA;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *seconds)
{
	const char *end;
	uint64_t v, mul;

	if (cf_digits(s, &v, &end) == -1)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = MINUTE;
		break;
	case 'h':
		mul = HOUR;
		break;
	case 'd':
		mul = DAY;
		break;
	case 'w':
		mul = WEEK;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > INT64_MAX / mul)
		return -1;
	*seconds = (int64_t)(v * mul);
	return 0;
}

const char *
cf_fmt_duration(int64_t s, char *buf, size_t len)
{
	static const struct { int64_t mul; char unit; } u[] = {
		{ WEEK, 'w' }, { DAY, 'd' }, { HOUR, 'h' }, { MINUTE, 'm' }
	};
	size_t i;

	for (i = 0; i < nitems(u); i++) {
		if (s != 0 && s % u[i].mul == 0) {
			(void)snprintf(buf, len, "%" PRId64 "%c", s / u[i].mul,
			    u[i].unit);
			return buf;
		}
	}
	(void)snprintf(buf, len, "%" PRId64 "s", s);
	return buf;
}

static const char *
cf_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v != 0 && v % GIGA == 0)
		(void)snprintf(buf, len, "%" PRIu64 "G", v / GIGA);
	else if (v != 0 && v % MEGA == 0)
		(void)snprintf(buf, len, "%" PRIu64 "M", v / MEGA);
	else if (v != 0 && v % KILO == 0)
		(void)snprintf(buf, len, "%" PRIu64 "K", v / KILO);
	else
		(void)snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

int
config_parse_quota(const char *s, uint64_t *bytes)
{
	if (strcmp(s, "none") == 0) {
		*bytes = 0;
		return 0;
	}
	if (cf_parse_size(s, bytes) == -1)
		return -1;
	return *bytes == 0 || (*bytes >= CONFIG_QUOTA_MIN &&
	    *bytes <= CONFIG_QUOTA_MAX) ? 0 : -1;
}

const char *
config_quota_string(uint64_t bytes, char *buf, size_t len)
{
	if (bytes == 0) {
		(void)snprintf(buf, len, "none");
		return buf;
	}
	return cf_fmt_size(bytes, buf, len);
}

int
cf_get_int(struct cf_err *err, const char *what, const char *s,
    int64_t min, int64_t max, int64_t *out)
{
	char show[64];

	if (cf_parse_int(s, out) == -1 || *out < min || *out > max) {
		cf_error(err, "\"%s\" needs a number from %" PRId64 " to %"
		    PRId64 ", got \"%s\"", what, min, max,
		    cf_show(s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

int
cf_get_size(struct cf_err *err, const char *what, const char *s,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char show[64], lo[32], hi[32];

	if (cf_parse_size(s, out) == -1 || *out < min || *out > max) {
		cf_error(err, "\"%s\" needs a size from %s to %s, got \"%s\"",
		    what, cf_fmt_size(min, lo, sizeof(lo)),
		    cf_fmt_size(max, hi, sizeof(hi)),
		    cf_show(s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

int
cf_get_duration(struct cf_err *err, const char *what, const char *s,
    int64_t min, int64_t max, int64_t *out)
{
	char show[64], lo[32], hi[32];

	if (config_parse_duration(s, out) == -1 || *out < min || *out > max) {
		cf_error(err, "\"%s\" needs a duration from %s to %s, "
		    "got \"%s\"", what, cf_fmt_duration(min, lo, sizeof(lo)),
		    cf_fmt_duration(max, hi, sizeof(hi)),
		    cf_show(s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

int
cf_dns_name(const char *s, char *out, size_t outlen)
{
	size_t i, label = 0;

	if (str_copy(out, s, outlen) == -1 || out[0] == '\0' ||
	    strlen(out) > 253)
		return -1;
	str_lower(out);
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == '.') {
			if (label == 0 || out[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= '0' && out[i] <= '9') || out[i] == '-'))
			return -1;
		if (out[i] == '-' && label == 0)
			return -1;
		if (++label > 63)
			return -1;
	}
	return (label == 0 || out[i - 1] == '-') ? -1 : 0;
}

int
cf_account_valid(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	}
	return i <= 31;
}

int
cf_addr(const char *s, int *af, unsigned char bin[16])
{
	memset(bin, 0, 16);
	if (inet_pton(AF_INET, s, bin) == 1)
		*af = AF_INET;
	else if (inet_pton(AF_INET6, s, bin) == 1)
		*af = AF_INET6;
	else
		return -1;
	return 0;
}

int
config_parse_services(const char *s, unsigned *out)
{
	unsigned bits = 0, bit;
	size_t i, n;

	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < nitems(cf_services_names); i++)
			if (strlen(cf_services_names[i]) == n &&
			    strncmp(s, cf_services_names[i], n) == 0)
				break;
		if (i == nitems(cf_services_names))
			return -1;
		bit = cf_services_bits[i];
		if (bits & bit)
			return -1;
		bits |= bit;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	*out = bits;
	return 0;
}

void
config_services_string(unsigned services, char *buf, size_t len)
{
	size_t i, off = 0, n;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < nitems(cf_services_names); i++) {
		if (!(services & cf_services_bits[i]))
			continue;
		n = strlen(cf_services_names[i]);
		if (off + (off > 0) + n >= len)
			return;
		if (off > 0)
			buf[off++] = ',';
		memcpy(buf + off, cf_services_names[i], n + 1);
		off += n;
	}
}
