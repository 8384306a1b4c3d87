/*
 * store_imap.h: what the mail store offers IMAP beyond store.h: keywords,
 * STORE with CONDSTORE, APPEND (from memory or streamed into tmp/), COPY
 * and MOVE with UIDPLUS, QRESYNC's expunged UIDs and changed messages,
 * a per-message cache, quota, and a cheap probe for IDLE.  Runs where
 * store.h runs (the imapd mail process, chrooted to the user's Maildir;
 * authctl for quota).  Folder names follow store_folder.h.  Every change
 * runs under the folder's lock and is durable (files and directories
 * fsynced, the index committed) before the function returns 0.
 *
 * Modseqs (RFC 7162): every change of a message's flags or keywords, and
 * every expunge, takes the folder's HIGHESTMODSEQ + 1; one call's changes
 * share one modseq.  Expunged UIDs are logged in the index with the
 * modseq of their expunge, so "what vanished since M" is exact.  The
 * index is a cache: when it is rebuilt (missing, corrupt, or a folder
 * renamed) the log starts empty and the folder's record notes from which
 * modseq on it is complete (its floor, the rebuild's HIGHESTMODSEQ, which
 * starts at the clock in microseconds, so HIGHESTMODSEQ never goes back).
 * For an M below the floor the answer is conservative: every UID below
 * UIDNEXT that is not in the folder counts as vanished, and every
 * message as changed.
 */
#ifndef POSTERN_STORE_IMAP_H
#define POSTERN_STORE_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

/* ---- keywords ---------------------------------------------------------
 *
 * A message's keywords are the small letters a..z after ":2," in its
 * file name (Dovecot's convention), so they survive a rebuild of the
 * index; letter i names the folder's keyword i, listed in the folder's
 * dovecot-keywords file as Dovecot writes it: lines "<i> <name>" (written
 * with tmp + fsync + rename).  Hence at most STORE_KEYWORDS_MAX (26) per
 * folder.  A name is an IMAP atom (no SP, CTL, "(){%*\"\\]"), not
 * starting with '\\', at most STORE_KEYWORD_LEN-1 bytes; matched without
 * regard to case, kept as first written.
 */
#define STORE_KEYWORD_LEN	64

struct store_keywords {
	uint32_t	defined;	/* bit i: name[i] is set */
	char		name[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
};

/* store_keywords_get: folder's keywords (none when it has no file; bad
 * lines are skipped).  0, or -1 with errno (EINVAL: bad folder name). */
int	store_keywords_get(struct store *s, const char *folder,
	    struct store_keywords *kw);

/*
 * store_keyword_find: the index (0..25) of keyword name in folder; with
 * create, a keyword not yet listed gets the lowest free index, written to
 * dovecot-keywords durably.  Returns the index, or -1 with errno: ENOENT
 * (not listed, create 0), EMLINK (26 listed already: imapd answers NO
 * [LIMIT]), EINVAL (not a keyword name, or a bad folder name), or a
 * system error (logged).
 */
int	store_keyword_find(struct store *s, const char *folder,
	    const char *name, int create);

/* ---- STORE --------------------------------------------------------- */

#define STORE_OP_SET		0	/* flags and keywords become these */
#define STORE_OP_ADD		1
#define STORE_OP_REMOVE		2
#define STORE_OP_SET_FLAGS	3	/* flags become these; keywords stay */
#define STORE_UNCHANGED_ANY	UINT64_MAX	/* no UNCHANGEDSINCE */

struct store_change {
	int		op;		/* STORE_OP_* */
	uint32_t	flags;		/* STORE_SEEN ... */
	uint32_t	keywords;	/* bit i: the folder's keyword i */
	uint64_t	unchangedsince;	/* STORE_UNCHANGED_ANY, or change
					 * only a message whose modseq is
					 * <= it (RFC 7162 3.1.3) */
};

/*
 * store_msgs_store: apply c to the n messages uids of folder (renaming
 * each file to its new ":2," letters, fsync of cur/, one new modseq for
 * all that changed).  A message whose flags and keywords would not change
 * keeps its modseq.  out (n entries, caller's) receives the state after
 * the change of every message that exists and was not refused, in the
 * order of uids, *nout of them; failed (n entries, caller's, may be NULL
 * when c has no UNCHANGEDSINCE) receives the UIDs refused because their
 * modseq was above c->unchangedsince, *nfailed of them.  UIDs that do not
 * exist (expunged) are left out of both.  Processed in batches of a few
 * thousand, each durable.  Returns 0, or -1 with errno (EINVAL for a bad
 * name or op; system errors logged); after -1 some batches may be done.
 */
int	store_msgs_store(struct store *s, const char *folder,
	    const uint32_t *uids, size_t n, const struct store_change *c,
	    struct store_msg *out, size_t *nout, uint32_t *failed,
	    size_t *nfailed);

/* ---- APPEND ----------------------------------------------------------
 *
 * A message is added either from memory (store_append) or streamed: open
 * a file in the folder's tmp/ (store_tmp_open), write the literal as it
 * arrives (store_tmp_write: CRLF becomes LF, sizes are counted), then
 * store_append_tmp, or store_tmp_abort to drop it.  The message gets its
 * UID at once (",U=" in its name in cur/), its flags and keywords in the
 * name, and date as the file's mtime (the internal date; utimensat).
 * Quota: the user's usage plus the message's W= size must stay within
 * the limit (store_quota_set), else EDQUOT (imapd: NO [OVERQUOTA]).
 */
struct store_tmp {
	int		fd;
	char		key[256];
	char		name[STORE_NAME_MAX];
	uint64_t	size;		/* bytes in the file */
	uint64_t	lfs;		/* LF in the file */
	int		cr;		/* a CR is pending */
	int		last;		/* the last byte written */
};

struct store_appended {
	uint32_t	uidvalidity;	/* UIDPLUS APPENDUID / COPYUID */
	uint32_t	uid;
};

/* store_tmp_open: create a new file in folder's tmp/ into *t.  0, or -1
 * with errno (ENOENT: no such folder; EINVAL: bad name). */
int	store_tmp_open(struct store *s, const char *folder,
	    struct store_tmp *t);

/* store_tmp_write: append len bytes (CRLF turned into LF across calls).
 * 0, or -1 with errno (the caller then calls store_tmp_abort). */
int	store_tmp_write(struct store_tmp *t, const void *p, size_t len);

/* store_tmp_abort: close and remove the file. */
void	store_tmp_abort(struct store *s, struct store_tmp *t);

/*
 * store_append_tmp: add the message written into t to its folder with
 * flags, keywords and internal date (seconds; 0: now), durably; t is
 * consumed (closed, and removed on failure).  Fills *res.  Returns 0, or
 * -1 with errno: EDQUOT (over quota), ENOENT (the folder was deleted),
 * or a system error (logged).
 */
int	store_append_tmp(struct store *s, struct store_tmp *t, uint32_t flags,
	    uint32_t keywords, int64_t date, struct store_appended *res);

/* store_append: the same from len bytes at data (LF or CRLF ends). */
int	store_append(struct store *s, const char *folder, const void *data,
	    size_t len, uint32_t flags, uint32_t keywords, int64_t date,
	    struct store_appended *res);

/*
 * store_msgs_copy: copy (move 0) or move (move 1) the n messages uids
 * of from into to.  Each copy is a hard link under a new name with a new UID
 * (content and internal date shared; a byte copy where links fail), its
 * flags kept and its keywords mapped by name into to's keywords (one
 * that does not fit, to having 26, is dropped).  UIDs are given in the
 * order of uids: newuids (n entries, caller's) receives each one, 0 for
 * a UID that no longer exists; res->uidvalidity is to's and res->uid the
 * first new UID (0 when none).  A copy must fit the quota (EDQUOT); a
 * move does not add to usage.  MOVE is copy, then expunge from from, both
 * durable before 0 is returned; after -1 from keeps every message.
 * Both folders are locked, in key order.  Returns 0, or -1 with errno
 * (EDQUOT, ENOENT for a missing folder, EINVAL, system errors logged).
 */
int	store_msgs_copy(struct store *s, const char *from, const uint32_t *uids,
	    size_t n, const char *to, int move, uint32_t *newuids,
	    struct store_appended *res);

/* ---- CONDSTORE / QRESYNC ------------------------------------------- */

struct store_range {
	uint32_t	first, last;
};

/*
 * store_vanished: the UIDs of folder expunged at a modseq above since,
 * as ascending ranges in a new array (caller frees; NULL when *n is 0);
 * conservative below the expunge log's floor (see above).  Returns 0, or
 * -1 with errno.
 */
int	store_vanished(struct store *s, const char *folder, uint64_t since,
	    struct store_range **r, size_t *n);

/* store_changed: folder's messages with a modseq above since, ascending
 * by UID, in a new array (caller frees).  0 or -1. */
int	store_changed(struct store *s, const char *folder, uint64_t since,
	    struct store_msg **msgs, size_t *n);

/* ---- per-message cache ---------------------------------------------
 *
 * Two opaque strings per message (imapd's rendered ENVELOPE and
 * BODYSTRUCTURE), in the index: dropped when the message is expunged or
 * the index rebuilt.  At most 1 MiB together.
 */
/* store_cache_put: 0, or -1 with errno (EINVAL: too big or bad name;
 * EIO).  Writes are batched (a few commits for thousands of messages);
 * store_cache_flush commits what waits, as does store_close; until
 * then store_cache_get does not see it.  A message expunged before its batch is committed is
 * skipped. */
int	store_cache_flush(struct store *s);
int	store_cache_put(struct store *s, const char *folder, uint32_t uid,
	    const void *a, size_t alen, const void *b, size_t blen);

/* store_cache_get: each string NUL-terminated in a new buffer (caller
 * frees both).  0, or -1 with errno ENOENT (nothing cached). */
int	store_cache_get(struct store *s, const char *folder, uint32_t uid,
	    char **a, size_t *alen, char **b, size_t *blen);

/* ---- quota --------------------------------------------------------- */

struct store_quota {
	uint64_t	limit;		/* bytes; 0: none */
	uint64_t	bytes;		/* W= sizes of every message */
	uint64_t	messages;	/* over all folders */
};

/*
 * store_quota_get: the user's usage and limit.  Usage is kept in the
 * index per folder (count and W= bytes, updated by every change) and
 * summed here; after a rebuild of the index (or a rename) the folders
 * without a record are synced first, so it is recounted.  The limit is
 * in postern-quota in the Maildir's root (so it survives the index and
 * travels with a backup).  0 or -1 (logged).
 */
int	store_quota_get(struct store *s, struct store_quota *q);

/*
 * The check before APPEND and COPY runs under the destination folder's
 * lock against every folder's record, so two sessions adding to two
 * different folders at the same moment may each pass it and together end
 * up to one message over the limit; nothing is lost, and the next
 * addition is refused.
 */

/* store_quota_set: set the limit in bytes (0: none), durably.  0 or -1. */
int	store_quota_set(struct store *s, uint64_t limit);

/* store_quota_record: make the Maildir at maildir hold limit (authd's
 * word: smtpd's deliver role, for a user who may never have logged in),
 * opening the store only when the recorded limit differs.  A missing
 * Maildir is left alone (its first delivery creates it).  0, or -1 with
 * the reason in err. */
int	store_quota_record(const char *maildir, uint64_t limit, char *err,
	    size_t errlen);

/* ---- IDLE ---------------------------------------------------------- */

/* What a probe saw; zero it before the first call. */
struct store_probe {
	int64_t		cur_mtime;
	int64_t		new_mtime;
	uint64_t	highestmodseq;
	uint32_t	uidnext;
	uint32_t	exists;
};

/*
 * store_probe: has folder changed since p was filled?  Costs two
 * fstatat calls (its cur/ and new/) and one index lookup.  Returns 1
 * (changed, or first call: p refreshed; the caller then runs store_sync
 * and looks), 0 (nothing), or -1 with errno.  With inotify, watch the
 * directories store_folder_path gives, plus "/cur" and "/new" appended
 * (IN_CREATE, IN_MOVED_TO, IN_MOVED_FROM, IN_DELETE): every delivery,
 * flag change and expunge of any session renames or removes there; then
 * probe (or sync) when one fires.
 */
int	store_probe(struct store *s, const char *folder,
	    struct store_probe *p);

/* store_folder_path: folder's directory relative to the Maildir ("."
 * for INBOX, ".Archive.2026"...).  0, or -1 with errno EINVAL. */
int	store_folder_path(const char *folder, char *buf, size_t len);

#endif
