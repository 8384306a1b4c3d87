/*
 * store.h: the mail store: Maildir++ folders plus a per-user LMDB index.
 *
 * Runs in the mail process of imapd and pop3d (chrooted to the user's
 * mail directory, so the path given is usually ".") and, for delivery, in
 * smtpd's deliver process.  Message files are the truth; the index
 * (<maildir>/index.lmdb/) is a cache that is rebuilt when missing or
 * corrupt, and rebuilding keeps every UID:
 *
 *  - a message gets its UID when it moves from new/ to cur/; the UID is
 *    written into the file name (",U=<uid>"), so a rebuilt index finds it;
 *  - each folder's UIDVALIDITY and UIDNEXT live in the small file
 *    postern-uids in the folder (written with tmp + fsync + rename), so
 *    UIDs are never reused, even for the highest deleted message;
 *  - file names: <secs>.M<usecs>P<pid>R<random>.<host>,S=<file size>,
 *    W=<size with CRLF line ends>[,U=<uid>]:2,<flags>; message files hold
 *    LF line ends; W is what POP3 LIST and IMAP RFC822.SIZE report.
 *
 * Folders: "INBOX" is the Maildir root; "Sent" is ".Sent", and so on
 * (Maildir++).  Delivery writes tmp/, fsyncs the file, renames into new/,
 * fsyncs new/ — no locks; readers pick new mail up in store_sync.  Every
 * name read from disk is checked before use; nothing here trusts the
 * directory contents beyond that they are the user's own.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX		256	/* a message file name */
#define STORE_FOLDER_MAX	256

/* Flags, as IMAP has them; Maildir letters in parentheses. */
#define STORE_SEEN	0x01	/* S */
#define STORE_ANSWERED	0x02	/* R */
#define STORE_FLAGGED	0x04	/* F */
#define STORE_DELETED	0x08	/* T */
#define STORE_DRAFT	0x10	/* D */

struct store;

struct store_msg {
	uint32_t	uid;
	uint32_t	flags;
	uint64_t	size;		/* with CRLF line ends (W=) */
	int64_t		internal_date;	/* seconds: the file's mtime */
	uint64_t	modseq;
	char		name[STORE_NAME_MAX];	/* in cur/ */
};

struct store_folder {
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint32_t	exists;
	uint64_t	highestmodseq;
};

/*
 * store_open: open the mailbox at maildir (creating cur/ new/ tmp/ and the
 * index if missing; a corrupt index is moved aside and rebuilt).
 * Returns 0 and *sp, or -1 with the reason in err.
 */
int	store_open(struct store **sp, const char *maildir, char *err,
	    size_t errlen);
void	store_close(struct store *s);

/*
 * store_sync: bring folder's index up to date with its directories: move
 * new/ messages to cur/ giving them UIDs, forget files that vanished,
 * re-read flags changed on disk.  Fills *info.  Returns 0 or -1 (logged).
 */
int	store_sync(struct store *s, const char *folder,
	    struct store_folder *info);

/*
 * store_list: the messages of folder, ascending by UID, as of the last
 * store_sync.  *msgs is allocated (caller frees), *n set.  Returns 0/-1.
 */
int	store_list(struct store *s, const char *folder,
	    struct store_msg **msgs, size_t *n);

/* store_msg_open: an O_RDONLY descriptor of the message's file, or -1
 * (errno ENOENT when another session expunged it). */
int	store_msg_open(struct store *s, const char *folder,
	    const struct store_msg *m);

/*
 * store_expunge: remove the n messages with the given UIDs from folder:
 * unlink their files, fsync cur/, then drop them from the index.  Returns
 * 0 only when the removal is durable; -1 (logged) otherwise, after which
 * some of them may be gone: the caller reports failure, never success.
 * A message already gone counts as removed.
 */
int	store_expunge(struct store *s, const char *folder,
	    const uint32_t *uids, size_t n);

/*
 * store_set_flags: replace the flags of one message (rename its file to
 * the new :2, suffix, fsync, bump the modseq).  Returns 0 or -1.
 */
int	store_set_flags(struct store *s, const char *folder, uint32_t uid,
	    uint32_t flags);

/*
 * store_deliver: durably add a message of len bytes (LF or CRLF line ends;
 * stored with LF) to the folder "INBOX" of the Maildir at maildir: write
 * tmp/, fsync, rename into new/, fsync new/.  Creates the Maildir if
 * missing.  Returns 0 only once the message is durable, else -1 with the
 * reason in err; nothing is left in new/ on failure.
 */
int	store_deliver(const char *maildir, const void *data, size_t len,
	    char *err, size_t errlen);

#endif
