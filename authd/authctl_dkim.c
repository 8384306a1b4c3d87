/*
 * authctl_dkim.c: "dkim keygen DOMAIN [--selector S] [--bits N]" and
 * "dkim list": the DKIM private keys in the "dkim key directory" (one
 * file <domain>.<selector>.key each, PKCS#1 PEM, mode 0600, root's), and
 * the DNS record that publishes each.
 *
 * Runs in authctl.  The work on the directory happens as root, in the
 * prep functions, before authctl drops to the auth user; what is printed
 * is printed after the drop.  Keys come from BearSSL's RSA key generator
 * driven by an HMAC-DRBG seeded from getrandom(2); every buffer that
 * held key material is wiped.  A key file appears whole or not at all:
 * written to a temporary name with O_EXCL, fsynced, renamed into place
 * with RENAME_NOREPLACE (an existing selector is never replaced), and the
 * directory fsynced.  It trusts the configuration and checks the
 * command line.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "authd/authctl.h"
#include "common/base64.h"
#include "common/dkim.h"
#include "common/tls_pem.h"
#include "common/util.h"

#define DKIM_BITS_DEFAULT	2048
#define DKIM_BITS_MIN		1024
#define DKIM_BITS_MAX		4096
#define DKIM_LIST_MAX		256
#define DKIM_TXT_STRING		250	/* bytes per quoted string (<= 255) */

/* What keygen prints after the drop. */
static char	dkim_record[4096];
static size_t	dkim_record_len;

/* What list prints after the drop. */
static struct dkim_row {
	char	domain[DNS_NAME_MAX + 1];
	char	selector[DKIM_SELECTOR_MAX + 1];
	char	what[128];		/* "2048" or why it is unusable */
	char	file[CONFIG_PATH_MAX + 300];
} dkim_rows[DKIM_LIST_MAX];
static size_t	dkim_nrows;
static char	dkim_list_note[CONFIG_PATH_MAX + 64];

/* The key being made: static, wiped when done. */
static struct {
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	unsigned char	 skbuf[BR_RSA_KBUF_PRIV_SIZE(DKIM_BITS_MAX)];
	unsigned char	 pkbuf[BR_RSA_KBUF_PUB_SIZE(DKIM_BITS_MAX)];
	unsigned char	 d[DKIM_BITS_MAX / 8];
	unsigned char	 der[4096];
	char		 pem[8192];
	size_t		 pemlen;
	struct tls_key	 check;
} dkim_key;

static void
dkim_wipe(void)
{
	explicit_bzero(&dkim_key, sizeof(dkim_key));
}

/* dkim_dir: open (and make, mode 0700) the key directory; refuse one
 * others may write to. */
static int
dkim_dir(struct ctl *c, int create)
{
	const char *dir = c->cfg.dkim_key_dir;
	struct stat st;
	int fd;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		ctl_err("cannot make the DKIM key directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT || create)
			ctl_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 022) != 0) {
		ctl_err("%s: the DKIM key directory must not be writable by "
		    "group or others (chmod 700)", dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* dkim_make: a fresh RSA key of bits bits, as PEM, in dkim_key. */
static int
dkim_make(unsigned bits)
{
	br_hmac_drbg_context rng;
	unsigned char seed[48];
	char err[128];
	size_t dlen, derlen;

	random_bytes(seed, sizeof(seed));
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (br_rsa_keygen_get_default()(&rng.vtable, &dkim_key.sk,
	    dkim_key.skbuf, &dkim_key.pk, dkim_key.pkbuf, bits, 65537) != 1 ||
	    (dlen = br_rsa_compute_privexp_get_default()(dkim_key.d,
	    &dkim_key.sk, 65537)) == 0 ||
	    (derlen = br_encode_rsa_raw_der(dkim_key.der, &dkim_key.sk,
	    &dkim_key.pk, dkim_key.d, dlen)) == 0 ||
	    br_pem_encode(NULL, NULL, derlen, "RSA PRIVATE KEY",
	    BR_PEM_LINE64) >= sizeof(dkim_key.pem)) {
		explicit_bzero(&rng, sizeof(rng));
		ctl_err("RSA key generation failed");
		return -1;
	}
	explicit_bzero(&rng, sizeof(rng));
	dkim_key.pemlen = br_pem_encode(dkim_key.pem, dkim_key.der, derlen,
	    "RSA PRIVATE KEY", BR_PEM_LINE64);
	/* What the keyholder will read, read back once here. */
	if (tls_key_parse_min(dkim_key.pem, dkim_key.pemlen, &dkim_key.check,
	    DKIM_BITS_MIN, err, sizeof(err)) == -1) {
		ctl_err("the new key does not read back: %s", err);
		return -1;
	}
	return 0;
}

static int
dkim_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* dkim_store: the PEM into <dir>/<name>, durably, never over a file. */
static int
dkim_store(struct ctl *c, int dfd, const char *name)
{
	char tmp[DNS_NAME_MAX + DKIM_SELECTOR_MAX + 16];
	int fd;

	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		ctl_err("%s/%s: %s%s", c->cfg.dkim_key_dir, tmp,
		    strerror(errno), errno == EEXIST ? " (left by an "
		    "interrupted keygen, or one running now: remove it)" : "");
		return -1;
	}
	if (fchmod(fd, 0600) == -1 ||
	    dkim_write_all(fd, dkim_key.pem, dkim_key.pemlen) == -1 ||
	    fsync(fd) == -1) {
		ctl_err("%s/%s: %s", c->cfg.dkim_key_dir, tmp, strerror(errno));
		(void)close(fd);
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (close(fd) == -1 ||
	    renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == -1) {
		ctl_err("%s/%s: %s", c->cfg.dkim_key_dir, name,
		    strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (fsync(dfd) == -1) {
		ctl_err("%s: %s", c->cfg.dkim_key_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void
rec_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
rec_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dkim_record + dkim_record_len,
	    sizeof(dkim_record) - dkim_record_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(dkim_record) - dkim_record_len)
		dkim_record_len += (size_t)n;
}

/* dkim_txt: the record to publish, in zone-file form, strings of at
 * most DKIM_TXT_STRING bytes (a TXT character-string holds 255). */
static void
dkim_txt(struct ctl *c, const char *domain, const char *selector,
    unsigned bits, const char *name)
{
	unsigned char der[DKIM_KEY_DER_MAX];
	char p[BASE64_LEN(DKIM_KEY_DER_MAX) + 4];
	size_t n, off, len;

	n = dkim_key_spki(&dkim_key.pk, der, sizeof(der));
	(void)snprintf(p, sizeof(p), "p=");
	len = 2 + base64_encode(der, n, p + 2, sizeof(p) - 2);
	rec_add("; DKIM key of %s, selector %s (%u-bit RSA): %s/%s\n"
	    "; publish this record in the DNS zone of %s:\n", domain,
	    selector, bits, c->cfg.dkim_key_dir, name, domain);
	rec_add("%s._domainkey.%s. IN TXT ( \"v=DKIM1; k=rsa; \"", selector,
	    domain);
	for (off = 0; off < len; off += n) {
		n = len - off < DKIM_TXT_STRING ? len - off : DKIM_TXT_STRING;
		rec_add("\n\t\"%.*s\"", (int)n, p + off);
	}
	rec_add(" )\n");
}

/* dkim_keygen_args: DOMAIN, --selector, --bits, checked. */
static int
dkim_keygen_args(struct ctl *c, int argc, char **argv, char *domain,
    char *selector, unsigned *bits)
{
	struct ctl_opt opts[] = {
		{ "--selector", 1, 0, NULL }, { "--bits", 1, 0, NULL },
		{ NULL, 0, 0, NULL }
	};
	char *pos[1], *end;
	struct tm tm;
	time_t now = (time_t)c->now;
	long b = DKIM_BITS_DEFAULT;
	int n;

	if (ctl_parse(argc, argv, opts, pos, 1, &n) == -1 || n != 1)
		return ctl_usage(c);
	if (strlen(pos[0]) > DNS_NAME_MAX || !dkim_name_ok(pos[0])) {
		ctl_err("%s: not a domain name", ctl_vis(pos[0]));
		return CTL_USAGE;
	}
	for (n = 0; pos[0][n] != '\0'; n++)
		domain[n] = (char)(pos[0][n] >= 'A' && pos[0][n] <= 'Z' ?
		    pos[0][n] + 32 : pos[0][n]);
	domain[n] = '\0';
	/* The default selector names the month: a key made for a rotation
	 * next month gets a new one by itself. */
	gmtime_r(&now, &tm);
	(void)snprintf(selector, DKIM_SELECTOR_MAX + 1, "p%04d%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1);
	if (opts[0].set) {
		if (strlen(opts[0].val) > DKIM_SELECTOR_MAX ||
		    !dkim_name_ok(opts[0].val) ||
		    strchr(opts[0].val, '.') != NULL) {
			ctl_err("%s: a selector is one DNS label (letters, "
			    "digits, '-', '_')", ctl_vis(opts[0].val));
			return CTL_USAGE;
		}
		for (n = 0; opts[0].val[n] != '\0'; n++)
			selector[n] = (char)(opts[0].val[n] >= 'A' &&
			    opts[0].val[n] <= 'Z' ? opts[0].val[n] + 32 :
			    opts[0].val[n]);
		selector[n] = '\0';
	}
	if (opts[1].set && ((b = strtol(opts[1].val, &end, 10)),
	    *end != '\0' || b < DKIM_BITS_MIN || b > DKIM_BITS_MAX)) {
		ctl_err("%s: --bits takes %d to %d", ctl_vis(opts[1].val),
		    DKIM_BITS_MIN, DKIM_BITS_MAX);
		return CTL_USAGE;
	}
	if (strlen(domain) + strlen(selector) + sizeof("._domainkey.") - 1 >
	    DNS_NAME_MAX) {
		ctl_err("%s._domainkey.%s: name too long", selector, domain);
		return CTL_USAGE;
	}
	*bits = (unsigned)b;
	return CTL_OK;
}

int
ctl_dkim_keygen_prep(struct ctl *c, int argc, char **argv, uid_t uid,
    gid_t gid)
{
	char domain[DNS_NAME_MAX + 1], selector[DKIM_SELECTOR_MAX + 1];
	char name[DNS_NAME_MAX + DKIM_SELECTOR_MAX + 8];
	struct stat st;
	unsigned bits = DKIM_BITS_DEFAULT;
	int dfd, rc;

	(void)uid;
	(void)gid;
	if ((rc = dkim_keygen_args(c, argc, argv, domain, selector,
	    &bits)) != CTL_OK)
		return rc;
	(void)snprintf(name, sizeof(name), "%s.%s.key", domain, selector);
	if ((dfd = dkim_dir(c, 1)) == -1)
		return CTL_ERR;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ctl_err("%s/%s exists: selector %s of %s is taken (keys are "
		    "never replaced; choose another with --selector)",
		    c->cfg.dkim_key_dir, name, selector, domain);
		close(dfd);
		return CTL_ERR;
	}
	rc = dkim_make(bits) == 0 && dkim_store(c, dfd, name) == 0 ?
	    CTL_OK : CTL_ERR;
	if (rc == CTL_OK)
		dkim_txt(c, domain, selector, bits, name);
	dkim_wipe();
	close(dfd);
	return rc;
}

int
ctl_dkim_keygen(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fwrite(dkim_record, 1, dkim_record_len, stdout);
	return CTL_OK;
}

/* dkim_row_key: the size of the key in file, or why it is unusable. */
static void
dkim_row_key(int dfd, const char *file, struct dkim_row *r)
{
	static char pem[TLS_PEM_MAX];
	static struct tls_key key;
	char err[64];
	struct stat st;
	size_t len;
	int fd;

	if ((fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1 || fstat(fd, &st) == -1) {
		(void)snprintf(r->what, sizeof(r->what), "unreadable: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		(void)snprintf(r->what, sizeof(r->what), "refused: not a "
		    "file of mode 0600");
	else if (tls_pem_read(fd, pem, sizeof(pem), &len, err,
	    sizeof(err)) == -1 || tls_key_parse_min(pem, len, &key,
	    DKIM_BITS_MIN, err, sizeof(err)) == -1)
		(void)snprintf(r->what, sizeof(r->what), "unusable: %s", err);
	else if (key.type != BR_KEYTYPE_RSA)
		(void)snprintf(r->what, sizeof(r->what), "unusable: not RSA");
	else
		(void)snprintf(r->what, sizeof(r->what), "%u",
		    (unsigned)key.rsa.n_bitlen);
	explicit_bzero(pem, sizeof(pem));
	tls_key_wipe(&key);
	close(fd);
}

static int
dkim_row_cmp(const void *a, const void *b)
{
	const struct dkim_row *x = a, *y = b;
	int d = strcmp(x->domain, y->domain);

	return d != 0 ? d : strcmp(x->selector, y->selector);
}

int
ctl_dkim_list_prep(struct ctl *c, int argc, char **argv, uid_t uid,
    gid_t gid)
{
	struct dkim_row *r;
	struct dirent *e;
	DIR *d;
	int dfd, n;

	(void)uid;
	(void)gid;
	if (ctl_parse(argc, argv, NULL, NULL, 0, &n) == -1)
		return ctl_usage(c);
	if ((dfd = dkim_dir(c, 0)) == -1) {
		if (errno != ENOENT)
			return CTL_ERR;
		(void)snprintf(dkim_list_note, sizeof(dkim_list_note),
		    "no DKIM keys (%s does not exist)\n", c->cfg.dkim_key_dir);
		return CTL_OK;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		ctl_err("%s: %s", c->cfg.dkim_key_dir, strerror(errno));
		close(dfd);
		return CTL_ERR;
	}
	while ((e = readdir(d)) != NULL && dkim_nrows < DKIM_LIST_MAX) {
		r = &dkim_rows[dkim_nrows];
		if (dkim_keyfile_split(e->d_name, r->domain, r->selector) ==
		    -1)
			continue;
		(void)snprintf(r->file, sizeof(r->file), "%s/%s",
		    c->cfg.dkim_key_dir, e->d_name);
		dkim_row_key(dirfd(d), e->d_name, r);
		dkim_nrows++;
	}
	closedir(d);
	qsort(dkim_rows, dkim_nrows, sizeof(dkim_rows[0]), dkim_row_cmp);
	if (dkim_nrows == 0)
		(void)snprintf(dkim_list_note, sizeof(dkim_list_note),
		    "no DKIM keys in %s\n", c->cfg.dkim_key_dir);
	return CTL_OK;
}

int
ctl_dkim_list(struct ctl *c, int argc, char **argv)
{
	size_t i;

	(void)c;
	(void)argc;
	(void)argv;
	if (dkim_nrows == 0) {
		fputs(dkim_list_note, stdout);
		return CTL_OK;
	}
	printf("%-30s %-16s %-6s %s\n", "DOMAIN", "SELECTOR", "BITS", "FILE");
	for (i = 0; i < dkim_nrows; i++)
		printf("%-30s %-16s %-6s %s\n", dkim_rows[i].domain,
		    dkim_rows[i].selector, dkim_rows[i].what,
		    dkim_rows[i].file);
	return CTL_OK;
}
