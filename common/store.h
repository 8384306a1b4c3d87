/*
 * store.h: the mail store: Maildir++ folders plus a per-user LMDB index.
 * This header is the core (open, sync, list, read, expunge, flags,
 * delivery) that pop3d, imapd and authctl use; store_folder.h has the
 * folders as IMAP names them (hierarchy, create, delete, rename,
 * subscriptions, SPECIAL-USE) and store_imap.h the rest of what IMAP
 * needs (keywords, STORE with UNCHANGEDSINCE, APPEND, COPY/MOVE,
 * QRESYNC, a per-message cache, quota, the IDLE probe).
 *
 * Runs in the mail process of imapd and pop3d (chrooted to the user's
 * mail directory, so the path given is usually "."), in authctl, and,
 * for delivery, in smtpd's deliver process.  Message files are the
 * truth; the index (<maildir>/index.lmdb/) is a cache that is rebuilt
 * when missing or corrupt, and rebuilding keeps every UID, flag and
 * keyword:
 *
 *  - a message gets its UID when it moves from new/ to cur/ (or at once,
 *    for APPEND and COPY); the UID is written into the file name
 *    (",U=<uid>"), so a rebuilt index finds it;
 *  - each folder's UIDVALIDITY and UIDNEXT live in the small file
 *    postern-uids in the folder (written with tmp + fsync + rename), so
 *    UIDs are never reused, even for the highest deleted message;
 *  - file names: <secs>.M<usecs>P<pid>R<random>.<host>,S=<file size>,
 *    W=<size with CRLF line ends>[,U=<uid>]:2,<flags><keywords>: flags
 *    as the capitals DFRST, keywords as the small letters a..z that the
 *    folder's dovecot-keywords file names (Dovecot's convention, so mail
 *    migrated from Dovecot keeps both).  Message files hold LF line
 *    ends; W is what POP3 LIST and IMAP RFC822.SIZE report.  For a file
 *    that another program dropped into new/, W counts each bare LF as
 *    two bytes and an existing CRLF as two: senders MUST turn bare LF
 *    into CRLF and leave CRLF alone, which for our own files is the same.
 *
 * Folders: "INBOX" is the Maildir root; others are Maildir++ directories
 * named as store_folder.h says ("Archive/2026" is ".Archive.2026").
 * Every function taking a folder name takes it as IMAP shows it, UTF-8
 * with "/" between levels, and answers EINVAL for a name those rules
 * refuse.  Delivery writes tmp/, fsyncs the file, renames into new/,
 * fsyncs new/ — no locks; readers pick new mail up in store_sync.  Every
 * name read from disk is checked before use; nothing here trusts the
 * directory contents beyond that they are the user's own.
 *
 * Cost: opening reads no index page beyond LMDB's meta pages (see
 * store_index.h for how a corrupt index is still caught), and a sync that
 * finds a folder unchanged costs a few system calls whatever its size
 * (store_sync); listing is one pass over the folder's index records.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX		256	/* a message file name */

/* Flags, as IMAP has them; Maildir letters in parentheses. */
#define STORE_SEEN	0x01	/* S */
#define STORE_ANSWERED	0x02	/* R */
#define STORE_FLAGGED	0x04	/* F */
#define STORE_DELETED	0x08	/* T */
#define STORE_DRAFT	0x10	/* D */

struct store;

/* Keywords (user flags): at most 26 per folder, bit i of a message's
 * keywords is the folder's keyword i (store_imap.h). */
#define STORE_KEYWORDS_MAX	26
#define STORE_KEYWORDS_ALL	((1U << STORE_KEYWORDS_MAX) - 1)

struct store_msg {
	uint32_t	uid;
	uint32_t	flags;
	uint32_t	keywords;	/* bit i: the folder's keyword i */
	uint64_t	size;		/* with CRLF line ends (W=) */
	int64_t		internal_date;	/* seconds: the file's mtime */
	uint64_t	modseq;
	char		name[STORE_NAME_MAX];	/* in cur/ */
};

/* A message without its file name (40 bytes instead of about 300), for
 * a session that keeps every message of a big folder in memory. */
struct store_msginfo {
	uint32_t	uid;
	uint32_t	flags;
	uint32_t	keywords;
	uint32_t	pad;
	uint64_t	size;
	int64_t		internal_date;
	uint64_t	modseq;
};

struct store_folder {
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint32_t	exists;
	uint64_t	highestmodseq;
};

/*
 * store_open: open the mailbox at maildir (creating cur/ new/ tmp/ and the
 * index if missing; a corrupt index is moved aside and rebuilt).  Opening
 * checks LMDB's meta page against data.mdb's size and reads the whole
 * index only when a process died with it open (store_index.h), so it
 * costs the same for 10 messages as for a million.  maildir is kept as a
 * path for LMDB and MUST stay valid (relative to the cwd) while s is
 * open.  Returns 0 and *sp, or -1 with the reason in err.
 */
int	store_open(struct store **sp, const char *maildir, char *err,
	    size_t errlen);
void	store_close(struct store *s);

/*
 * store_sync: bring folder's index up to date with its directories: move
 * new/ messages to cur/ giving them UIDs, forget files that vanished
 * (logging their UIDs as expunged, for QRESYNC), re-read flags and
 * keywords changed on disk.  Fills *info (may be NULL).  Returns 0 or -1
 * (logged; errno ENOENT, not logged, for a folder that does not exist;
 * EINVAL for a bad name).
 *
 * Cheap when nothing changed: the index records the mtimes of cur/ and
 * new/ it last saw (store_sync.c says when they can be trusted); when
 * both match, a sync is two fstat calls, a read of postern-uids and one
 * index lookup; when only new/ changed, only new/ is listed.  Otherwise
 * cur/ and new/ are listed and compared with the index.
 *
 * Runs under the folder's flock (postern-uids.lock), as does every
 * change, so concurrent sessions never give a UID twice.  A U= in a name
 * is trusted only below UIDNEXT and once per folder (a copy gets a new
 * UID); files without one get UIDs in arrival order: cur/ by mtime then
 * name, then new/ by the time in the name.  UIDNEXT reaches postern-uids
 * before any file is renamed to use it.  A file whose name the store
 * cannot use (not printable ASCII, a blank, more than one ':', starting
 * with ',', or too long to take ",U=" and every flag within
 * STORE_NAME_MAX) is never skipped silently: it is logged at warning
 * level by name and renamed to a fresh name as delivery makes them,
 * keeping the flags of a trailing ":2,<letters>", so it gets a fresh UID
 * and the user sees it.  Symlinks and other non-regular files are logged
 * and left alone; names starting with '.' are not messages (Maildir
 * readers skip them).  When postern-uids is lost it is rebuilt from the
 * index, or (no index either) made with a new UIDVALIDITY and UIDNEXT
 * above every U= found.  A rebuilt index starts HIGHESTMODSEQ at the time
 * in microseconds, so it never goes back.
 */
int	store_sync(struct store *s, const char *folder,
	    struct store_folder *info);

/*
 * store_list: the messages of folder, ascending by UID, as of the last
 * store_sync of any session (the index is shared by the user's sessions).
 * *msgs is allocated (caller frees; NULL when *n is 0).  Returns 0/-1.
 * store_list_info: the same without file names (store_msginfo).
 */
int	store_list(struct store *s, const char *folder,
	    struct store_msg **msgs, size_t *n);
int	store_list_info(struct store *s, const char *folder,
	    struct store_msginfo **v, size_t *n);

/*
 * store_trim: give back what opening, syncing and listing left resident
 * (index pages, freed heap), for a session that will now sit idle
 * between commands.  Costs nothing later: pages reload on access.
 */
void	store_trim(struct store *s);

/* store_msg_get: the index entry of one message, for a caller that keeps
 * only UIDs (the listing costs ~300 bytes a message).  Returns 0, or -1
 * (errno ENOENT when no such UID is indexed). */
int	store_msg_get(struct store *s, const char *folder, uint32_t uid,
	    struct store_msg *m);

/* store_msg_open: an O_RDONLY descriptor of the message's file, or -1
 * (errno ENOENT when another session expunged it). */
int	store_msg_open(struct store *s, const char *folder,
	    const struct store_msg *m);

/*
 * store_expunge: remove the n messages with the given UIDs from folder:
 * unlink their files, fsync cur/, then drop them from the index, with
 * their cache entries, logging each UID as expunged at the folder's new
 * HIGHESTMODSEQ (QRESYNC's VANISHED, store_imap.h).  Returns
 * 0 only when the removal is durable; -1 (logged) otherwise, after which
 * some of them may be gone: the caller reports failure, never success.
 * A message already gone counts as removed.
 */
int	store_expunge(struct store *s, const char *folder,
	    const uint32_t *uids, size_t n);

/*
 * store_set_flags: replace the flags of one message, keeping its keywords
 * (rename its file to the new ":2," letters, fsync, bump the modseq;
 * nothing when they are the same).  Bits outside the STORE_* flags are
 * dropped.  store_msgs_store (store_imap.h) does this for many messages,
 * with keywords and UNCHANGEDSINCE.  Returns 0, or -1 (errno ENOENT, not
 * logged, when the UID is unknown or its file gone).
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

/*
 * store_deliver_once: smtpd's delivery (store_once.c): durably add to
 * the INBOX of the Maildir at maildir (created 0700 with its parents
 * when missing) the headlen bytes at head (the caller's Return-Path: and
 * Delivered-To: lines) followed by the first msglen bytes of the file
 * open at msgfd (read with pread from offset 0; what follows them is not
 * the message: the queue keeps its envelope there; a file shorter than
 * msglen is a temporary failure, EIO; LF or CRLF line ends, stored with
 * LF), as store_deliver does: tmp/, fsync, rename into new/, fsync new/,
 * so imapd's IDLE and the next POP3 session see it.
 *
 * key (1..64 bytes of [0-9a-z-]; the queue uses "<queue id>-<recipient
 * index>") goes into the file's name as "Q<key>.", which imapd keeps
 * when it moves the file to cur/ and adds ,S= ,W= ,U= and flags.  With
 * recovering set (the queue does not know whether an earlier attempt
 * finished: the message was loaded at start-up, or the deliver process
 * died), a file of new/ or cur/ holding that key counts as this very
 * delivery, and nothing is written; and a file of tmp/ holding it is
 * what a killed attempt left half written: it is removed first.  (A copy
 * the user has since moved to another folder or deleted is not found: it
 * is delivered again.)
 *
 * The quota: when the Maildir has a postern-quota limit, the index's
 * usage plus the W= sizes waiting in new/ plus this message must fit,
 * else nothing is written (store_deliver_room with no fallback).
 *
 * Returns 0 when delivered, 1 when recovering found the earlier copy,
 * -1 with the reason in err and errno: EDQUOT over quota (a temporary
 * failure, 4.2.2), EINVAL an invalid key, anything else from the file
 * system (temporary).  Nothing is left in new/ on failure.
 */
int	store_deliver_once(const char *maildir, const char *key,
	    const void *head, size_t headlen, int msgfd, uint64_t msglen,
	    int recovering, char *err, size_t errlen);

/*
 * store_deliver_room: whether size more bytes fit the quota of the
 * Maildir at maildir: its postern-quota limit (which the mail role keeps
 * equal to authd's at each login) against the index's usage plus the W=
 * sizes waiting in new/.  A Maildir without postern-quota (its user never
 * logged in; also one that does not exist yet) has the limit fallback
 * (bytes, 0: none) and the usage of new/ alone.  Without a limit it
 * answers at once, reading neither the index nor new/.  Returns 0 (room), 1
 * (over quota; err says by how much), -1 (the usage could not be
 * counted; err says why).
 */
int	store_deliver_room(const char *maildir, uint64_t size,
	    uint64_t fallback, char *err, size_t errlen);

#endif
