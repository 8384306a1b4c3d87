/*
 * mailpath.h: where a user's mail lives, in one place: the check that a
 * canonical user name "local@domain" can become two directory levels
 * below the mail root, and the function that builds that path.
 *
 * Runs in authctl (when a user or alias is created), in authd (when a
 * login succeeds, to answer the mail directory) and in smtpd's local
 * delivery.  Pure string work: no file system access, no allocation, no
 * logging.  It trusts the mail root (from the root-owned configuration)
 * and nothing about the name: a record written before this check existed
 * may hold "..@example.test" or "a/b@example.test", and mailpath_dir
 * refuses it rather than hand out the whole mail tree or another user's
 * Maildir.
 */
#ifndef POSTERN_MAILPATH_H
#define POSTERN_MAILPATH_H

#include <stddef.h>

#define MAILPATH_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define MAILPATH_DOMAIN_MAX	253	/* RFC 5321 4.5.3.1.2 */
#define MAILPATH_WHY_MAX	128	/* enough for every reason below */

/*
 * mailpath_name_check: 0 when the len bytes at name (a canonical user or
 * alias name; no NUL terminator needed, and an embedded NUL is refused)
 * are exactly one '@' between a local part and a domain that are each a
 * safe directory name:
 *
 *  - not empty, local part at most MAILPATH_LOCAL_MAX bytes and domain
 *    at most MAILPATH_DOMAIN_MAX (RFC 5321; both well under NAME_MAX);
 *  - not "." or "..", and not starting with '.' (a hidden directory, and
 *    in a Maildir++ tree the name of a folder);
 *  - no '/', no NUL, no control character (0x00-0x1f, 0x7f).
 *
 * Bytes from 0x80 up are not refused here: they are safe in a directory
 * name, and whether an address may hold them is user_name_valid's rule
 * (util.h), which every caller applies as well.  The check is
 * case-sensitive; canonical names are lowercased before they get here.
 *
 * Returns -1 when the name is unsafe, after writing the reason into why
 * (whylen bytes; MAILPATH_WHY_MAX always suffice) when why is not NULL:
 * which part, and what is wrong with it, e.g.
 * "local part \"..\" names the parent directory" or "domain: control
 * character 0x0a at byte 3".  The reason never copies bytes of the name
 * itself, so it is safe to print or log as it is.
 */
int	mailpath_name_check(const char *name, size_t len, char *why,
	    size_t whylen);

/*
 * mailpath_dir: write "<root>/<domain>/<local part>" for the canonical
 * user name user (NUL-terminated) into out (outlen bytes; AUTH_PATH_MAX
 * from authproto.h is the size the login answer carries).  root MUST be
 * an absolute path (the configuration's "mail" directory); trailing
 * slashes are dropped, so the result never holds "//".
 *
 * The result is always strictly below root, two levels down: user must
 * pass mailpath_name_check, so neither component can be ".." or hold a
 * '/'.  Callers MUST use this function, never their own formatting, for
 * any path derived from a user name: an old database record is checked
 * here each time, not only when it was created.
 *
 * Returns 0, or -1 with out set to "" when root is empty or relative,
 * user is unsafe (why as for mailpath_name_check), or the path does not
 * fit in outlen ("mail directory longer than N bytes").  why may be NULL.
 */
int	mailpath_dir(const char *root, const char *user, char *out,
	    size_t outlen, char *why, size_t whylen);

#endif
