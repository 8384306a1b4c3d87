/*
 * config_lex.h: the lexical layer of the postern.conf(5) parser, internal
 * to common/config.c and common/config_lex.c: cutting a buffer into lines
 * and words, reading values (numbers, sizes, durations, names, addresses,
 * service lists) and reporting errors with file:line.  Runs wherever
 * config.c runs: every parent process and authctl, before any privilege
 * drop.  Trusts nothing in the text it is given; trusts its callers for
 * buffer sizes and for NUL-terminated strings where a string is asked for.
 * Nothing here allocates memory, keeps state between calls, or exits.
 */
#ifndef POSTERN_CONFIG_LEX_H
#define POSTERN_CONFIG_LEX_H

#include <stddef.h>
#include <stdint.h>

#define CF_LINE_MAX	4096		/* bytes, without the newline */
#define CF_WORDS_MAX	16

#define MINUTE	60
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)
#define WEEK	(7 * DAY)
#define KILO	UINT64_C(1024)
#define MEGA	(UINT64_C(1024) * KILO)
#define GIGA	(UINT64_C(1024) * MEGA)

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct cf_word {
	const char	*s;		/* NUL-terminated, in cf_line.store */
	int		 quoted;	/* was "quoted": never a keyword */
};

/* One line cut into words; the words point into store. */
struct cf_line {
	struct cf_word	 w[CF_WORDS_MAX];
	int		 n;
	char		 store[CF_LINE_MAX + 1];
};

/*
 * Where errors go and how many there were.  name (not copied; MUST outlive
 * the parse) and lineno (0: not about one line) prefix each message.
 * errbuf NULL: every message goes to stderr, one line each.  errbuf not
 * NULL: nothing goes to stderr and errbuf (errlen bytes, caller-owned)
 * receives the first message only, without newline, truncated.
 */
struct cf_err {
	const char	*name;
	size_t		 lineno;
	int		 nerr;
	char		*errbuf;
	size_t		 errlen;
};

/* cf_error: count one error and report it as described for cf_err. */
void	cf_error(struct cf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * cf_show: a bounded, printable copy of s for an error message, in buf of
 * len bytes (caller-owned, not 0; 64 shows the most): quotes,
 * backslashes and bytes outside printable ASCII are escaped, and once the
 * copy reaches 48 bytes (or would not fit) it is cut and ends in "...".
 * Returns buf, so it can be a printf argument.
 */
const char *cf_show(const char *s, char *buf, size_t len);

/*
 * cf_next_line: the next line of the buffer [*sp, end) that holds at least
 * one word, cut into words in l (caller-owned; its words point into
 * l->store and stay valid until l is reused).  Advances *sp past that line
 * and err->lineno to its number.  Lines that are empty, blank or only a
 * comment are skipped; so are bad lines, after one cf_error each: longer
 * than CF_LINE_MAX, a NUL, CR or other control byte but tab, an
 * unterminated quote, an escape other than \" and \\, a quote inside a word
 * or no blank after a quoted word, more than CF_WORDS_MAX words.  Returns
 * 1 with a line in l, or 0 at the end of the buffer.  *sp MUST not be NULL.
 */
int	cf_next_line(struct cf_err *err, const char **sp, const char *end,
	    struct cf_line *l);

/*
 * cf_get_int, cf_get_size, cf_get_duration: read s as a decimal number, a
 * size (N, NK, NM, NG; powers of 1024) or a duration (see
 * config_parse_duration), in seconds, and check it is from min to max.
 * Return 0 with the value in *out, or -1 after a cf_error that names what
 * (the statement) and the accepted range; *out is then unspecified.
 */
int	cf_get_int(struct cf_err *err, const char *what, const char *s,
	    int64_t min, int64_t max, int64_t *out);
int	cf_get_size(struct cf_err *err, const char *what, const char *s,
	    uint64_t min, uint64_t max, uint64_t *out);
int	cf_get_duration(struct cf_err *err, const char *what, const char *s,
	    int64_t min, int64_t max, int64_t *out);

/*
 * cf_fmt_duration: s seconds in the largest unit that divides them ("2w",
 * "90m", "45s"), into buf of len bytes (caller-owned; 32 is enough).
 * Returns buf.
 */
const char *cf_fmt_duration(int64_t s, char *buf, size_t len);

/*
 * cf_dns_name: s lowercased into out (outlen bytes, caller-owned) if it is
 * a host name: at most 253 bytes, labels of 1 to 63 letters, digits and
 * '-', not starting or ending with '-'.  Returns 0, or -1 when it is not
 * or does not fit (out then holds garbage).
 */
int	cf_dns_name(const char *s, char *out, size_t outlen);

/*
 * cf_account_valid: non-zero when s is a system account name:
 * [A-Za-z_][A-Za-z0-9_.-]*, at most 31 bytes.
 */
int	cf_account_valid(const char *s);

/*
 * cf_addr: s as a numeric IPv4 or IPv6 address (no names, no scope, no
 * port): returns 0 with AF_INET or AF_INET6 in *af and the address in the
 * first 4 or 16 bytes of bin (the rest zeroed), or -1.
 */
int	cf_addr(const char *s, int *af, unsigned char bin[16]);

#endif
