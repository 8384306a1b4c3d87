/*
 * store_copy.h: copying a whole mail root (<mail>/<domain>/<local part>/,
 * each a Maildir++ tree as store.h describes) for authctl's backup, from
 * the store while pop3d, imapd and delivery use it, and for its restore,
 * into a fresh mail root.
 *
 * Runs in authctl: store_copy_root in a child that has dropped to the
 * mail user (never as root: the trees are the mail user's, and a copy
 * made as root could be led by a link planted there to a file the mail
 * user may not read); store_copy_check as root, where it only reads
 * names and makes directories.  Trusts the source as far as
 * store_maildir.c does: every file and directory is opened relative to
 * a descriptor with O_NOFOLLOW; only directories and regular files are
 * copied, anything else is named in a warning and left out.  Errors are
 * logged (log.h) with the full path of the file and what failed.
 */
#ifndef POSTERN_STORE_COPY_H
#define POSTERN_STORE_COPY_H

#include <sys/types.h>

#include <stdint.h>

/*
 * STORE_COPY_LIVE: the source is in use.  Each folder's cur/ and new/ are
 * listed under the folder's lock (maildir_lock), the one store_sync,
 * store_expunge and store_set_flags take, so the listing is one moment of
 * the folder: a message is in exactly one of them, under one name.  The
 * lock is let go for the copying itself (a session waits only for the
 * listing); a file that is gone when its turn comes was renamed (new/ to
 * cur/, or a flag change) or expunged meanwhile, and is looked for once
 * more, under the lock, by the unique base of its name: found, it is
 * copied under its new name; not found, it was expunged and is counted
 * in gone.  Without the flag a file that vanishes is an error.
 */
#define STORE_COPY_LIVE		0x01
/*
 * STORE_COPY_RESTORE: the copy is a restore.  Each folder's UIDNEXT is
 * raised by STORE_COPY_UID_GAP (UIDVALIDITY and every copied UID stay):
 * the old server may have given out UIDs after the backup was taken, and
 * a message without one yet (still in new/ then) or delivered after the
 * restore must not get a number a client already saw for another
 * message.  IMAP and POP3 allow gaps; they cost nothing.
 */
#define STORE_COPY_RESTORE	0x02
#define STORE_COPY_UID_GAP	(1U << 20)

struct store_copy_stats {
	uint64_t	mailboxes;
	uint64_t	folders;	/* INBOX counts as one */
	uint64_t	messages;
	uint64_t	bytes;		/* of message files */
	uint64_t	gone;		/* expunged while the copy ran */
	uint64_t	skipped;	/* left out, each after a warning */
};

/*
 * store_copy_root: copy the mail root open at srcfd (its path src, for
 * messages) into the empty directory dstfd (path dst): every domain
 * directory, every mailbox directory below it (those that authctl user
 * del set aside too), and in each mailbox the INBOX and its Maildir++
 * folders (".Name").  Per folder it copies cur/ and new/ with each
 * file's name (so ",U=<uid>", W= and the flags stay), contents and
 * modification time (the internal date); makes tmp/ empty (a file there
 * is a delivery that has not happened); leaves out index.lmdb/ (a cache
 * that store_open rebuilds, keeping every UID) and lock files ("*.lock",
 * postern-uids.tmp); copies other regular files as they are; and copies
 * postern-uids last, after every message, so that its UIDNEXT is above
 * every UID copied.  Each file is written into the copy's tmp/, fsynced
 * and renamed into place; each directory is fsynced once complete, so on
 * success everything written is durable.
 *
 * Directories are created mode 0700, files 0600, owned by the caller.
 * A domain directory may exist in dst already (store_copy_check makes
 * them); a mailbox directory MUST NOT.  "lost+found" at the top is left
 * out (the mail root may be a file system of its own).  flags: 0 or
 * STORE_COPY_LIVE.  *st is zeroed, then counts what was copied.
 * Returns 0, or -1 after a logged error naming the path; what was
 * written so far stays for the caller to remove.
 */
int	store_copy_root(int srcfd, const char *src, int dstfd, const char *dst,
	    int flags, struct store_copy_stats *st);

/*
 * store_copy_check: before a restore, as root: check that no mailbox
 * directory of the mail root open at srcfd exists in the one at dstfd
 * (each one that does is logged by path), and, only when none does,
 * create the missing domain directories in dstfd, mode 0700, owned by
 * uid and gid (unless uid is (uid_t)-1), fsynced, so that the mail user
 * can create the mailboxes there.  Returns 0; 1 when a mailbox exists
 * already; -1 on any other error (logged).
 */
int	store_copy_check(int srcfd, const char *src, int dstfd, const char *dst,
	    uid_t uid, gid_t gid);

#endif
