/*
 * store_folder.h: the mail store's folders as IMAP shows them: names,
 * hierarchy, LIST, CREATE, DELETE, RENAME, subscriptions and SPECIAL-USE
 * (RFC 3501 6.3, RFC 6154).  Runs where store.h runs (the mail process,
 * chrooted to the user's Maildir, and authctl); trusts nothing it reads
 * from the Maildir's root beyond its being the user's own.
 *
 * Names.  Every function here and in store.h takes folder names as IMAP
 * shows them: UTF-8, "/" between hierarchy levels ("INBOX",
 * "Archive/2026", "Entwürfe").  On disk a folder is a Maildir++ directory
 * as Dovecot and Courier write them: "." and the levels joined by ".",
 * each level in modified UTF-7 ("Archive/2026" is ".Archive.2026",
 * "Entwürfe" is ".Entw&APw-rfe"), so an office migrating from Dovecot
 * keeps its folders.  The rules (anything else is EINVAL):
 *
 *  - "INBOX" in any case is the Maildir's root.  Its children are allowed
 *    and written as Dovecot does with a "/" separator: "INBOX/Lists" is
 *    ".INBOX.Lists"; "inbox/lists" names the same folder.
 *  - A level is 1 or more characters of valid UTF-8 (shortest form, no
 *    surrogates) without control characters (C0, DEL, C1), without '.',
 *    and without the LIST wildcards '*' and '%'; so "", "..", "/a",
 *    "a/", "a//b" and any name starting with '.' are refused.  A '.' has
 *    no Maildir++ form (it is the level separator on disk); escaping it
 *    would need a convention Dovecot does not read (its listescape plugin
 *    is optional), so a migrated folder would change its name; refusing
 *    it keeps the two servers' names the same.
 *  - The whole name is at most STORE_FOLDER_NAME_MAX-1 bytes, and its
 *    directory name at most 255 bytes (NAME_MAX), or ENAMETOOLONG.
 *
 * Directories in the root whose names do not decode under these rules
 * (".Foo.", ".a&AGE-", ".inbox", a symlink) are not folders: LIST leaves
 * them out and nothing here touches them.
 *
 * Structure changes (create, delete, rename, subscriptions) run under the
 * root's postern-folders.lock, taken before any folder's lock.
 */
#ifndef POSTERN_STORE_FOLDER_H
#define POSTERN_STORE_FOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

#define STORE_FOLDER_NAME_MAX	256	/* an IMAP name, with its NUL */
#define STORE_FOLDERS_SCAN_MAX	10000	/* directories LIST looks at */

/* SPECIAL-USE (RFC 6154), for LIST's attributes. */
enum store_use {
	STORE_USE_NONE = 0,
	STORE_USE_SENT,		/* \Sent: "Sent" */
	STORE_USE_DRAFTS,	/* \Drafts: "Drafts" */
	STORE_USE_TRASH,	/* \Trash: "Trash" */
	STORE_USE_JUNK,		/* \Junk: "Junk" */
	STORE_USE_ARCHIVE,	/* \Archive: "Archive" */
};

/* LIST attributes of one name. */
#define STORE_LIST_NONEXISTENT	0x01	/* implied by a child only:
					 * \NonExistent (and \Noselect) */
#define STORE_LIST_CHILDREN	0x02	/* \HasChildren, else
					 * \HasNoChildren */
#define STORE_LIST_SUBSCRIBED	0x04	/* in the subscriptions */

struct store_folder_entry {
	char		name[STORE_FOLDER_NAME_MAX];	/* UTF-8 */
	unsigned int	attrs;		/* STORE_LIST_* */
	enum store_use	use;
};

/*
 * store_folder_list: every folder, INBOX first, then the others in
 * hierarchy order (each name directly before its children; byte order
 * within a level), with the names only implied by a child ("Archive"
 * when only ".Archive.2026" exists) as STORE_LIST_NONEXISTENT.  *list is
 * allocated (caller frees).  At most STORE_FOLDERS_SCAN_MAX directories
 * are looked at (the rest logged).  Returns 0, or -1 (errno, logged).
 */
int	store_folder_list(struct store *s, struct store_folder_entry **list,
	    size_t *n);

/* store_folder_use: the SPECIAL-USE of the folder named name (the five
 * fixed top-level names above), or STORE_USE_NONE. */
enum store_use store_folder_use(const char *name);

/*
 * store_folder_create: create the folder name (cur/ new/ tmp/,
 * maildirfolder, postern-uids with a UIDVALIDITY never given to a folder
 * of this Maildir before), durably and atomically: it is built under the
 * root's tmp/ and renamed into place.  Its parents stay implied (Maildir++
 * has no directory for them; LIST shows them \NonExistent), as Dovecot
 * does.  limit (0: none) is the most folders the user may have; INBOX is
 * not counted.  Returns 0, or -1 with errno: EEXIST (exists, or INBOX),
 * EINVAL or ENAMETOOLONG (name), EMLINK (limit reached), or a system
 * error (logged).
 */
int	store_folder_create(struct store *s, const char *name, size_t limit);

/*
 * store_folder_delete: delete the folder name and its messages (RFC 3501
 * 6.3.4): its directory is renamed into the root's tmp/ (so it is gone
 * at once and durably), then removed; its index records, expunge log and
 * cache go too.  Inferiors stay (name becomes \NonExistent when it has
 * any).  Subscriptions stay, as RFC 3501 allows.  Returns 0, or -1 with
 * errno: EPERM (INBOX), ENOENT (no such folder, or only implied), EINVAL,
 * or a system error (logged).
 */
int	store_folder_delete(struct store *s, const char *name);

/*
 * store_folder_rename: rename from to to with all its inferiors (RFC 3501
 * 6.3.5): ".from" and every ".from.*" become ".to" and ".to.*" (UIDs,
 * UIDVALIDITY and flags move with the files; the index forgets the old
 * names and syncs the new ones afresh, so their expunge logs start
 * over).  The renames are one by one: a crash in between leaves some
 * done, each folder whole.  Renaming INBOX moves INBOX's messages into a
 * new folder to (same UIDs, a new UIDVALIDITY) and leaves INBOX empty;
 * INBOX's children stay.  Returns 0, or -1 with errno: ENOENT (from has
 * no folder and no inferiors), EEXIST (to, or one of the new names,
 * exists; to is INBOX), EINVAL/ENAMETOOLONG (a name), or a system error
 * (logged).
 */
int	store_folder_rename(struct store *s, const char *from, const char *to);

/*
 * store_subscriptions: the subscribed names, in file order, as an array
 * of n names STORE_FOLDER_NAME_MAX bytes apart (caller frees *names).
 * The file is "subscriptions" in the Maildir's root, as Dovecot and
 * Courier keep it: one name a line.  Read: Dovecot's version 2 file
 * ("V\t2", a blank line, levels separated by tabs) and plain lines with
 * "/" between levels; names the rules refuse are skipped.  Returns 0
 * (n 0 when there is no file), or -1 (logged).
 */
int	store_subscriptions(struct store *s, char **names, size_t *n);

/*
 * store_subscribe: add (on) or remove (!on) name to or from the
 * subscriptions (a name need not exist to be subscribed, RFC 3501
 * 6.3.6).  Writes the file as plain lines, UTF-8, "/" between levels,
 * with tmp + fsync + rename + fsync of the root.  At most
 * STORE_SUBSCRIPTIONS_MAX names (EMLINK).  Returns 0 (also when nothing
 * changed), or -1 with errno EINVAL, EMLINK or a system error (logged).
 */
#define STORE_SUBSCRIPTIONS_MAX	10000
int	store_subscribe(struct store *s, const char *name, int on);

/*
 * store_folder_special_create: create Sent, Drafts, Trash, Junk and
 * Archive where missing, and subscribe them, for a new mailbox.  Fills
 * made (may be NULL) with how many were created.  Returns 0, or -1 with
 * errno (logged).  store_folder_use tells LIST which is which.
 */
int	store_folder_special_create(struct store *s, size_t *made);

#endif
