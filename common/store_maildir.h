/*
 * store_maildir.h: the Maildir side of the mail store (internal to
 * store*.c): parsing and building message file names, listing cur/ and
 * new/, measuring files, the per-folder postern-uids file and its lock.
 * Runs wherever store.c runs (imapd/pop3d mail process, smtpd deliver).
 * Trusts nothing it reads from disk: every name is checked by
 * maildir_name_parse before use, every file is opened O_NOFOLLOW and must
 * be a regular file.  All paths are relative to directory descriptors.
 */
#ifndef POSTERN_STORE_MAILDIR_H
#define POSTERN_STORE_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

#define MAILDIR_MSGS_MAX	1000000		/* per folder and directory */
#define MAILDIR_UID_MAX		0xfffffffeU	/* highest UID ever given */

/*
 * A parsed file name.  base is the unique part with our S=, W= and U=
 * fields taken out (other ",x=y" fields stay, in order); a field that is
 * repeated or malformed counts as absent, so the file is measured again or
 * given a fresh UID instead of being trusted.
 */
struct maildir_name {
	char		base[STORE_NAME_MAX];
	uint64_t	size;		/* S=, when has_size */
	uint64_t	wsize;		/* W=, when has_wsize */
	uint32_t	uid;		/* U=, 0 when absent or invalid */
	uint32_t	flags;		/* STORE_* from ":2,<letters>" */
	uint32_t	keywords;	/* bit i: letter 'a'+i (Dovecot) */
	int		has_size;
	int		has_wsize;
	int		has_info;	/* ":2," present, or to build */
};

/* maildir_name_parse: 0 and *mn when name is usable: 1..STORE_NAME_MAX-1
 * bytes of printable ASCII without blanks or '/', not starting with '.' or
 * ',', at most one ':'.  -1 otherwise (the caller salvages the file). */
int	maildir_name_parse(const char *name, struct maildir_name *mn);

/* maildir_name_build: base[,S=][,W=][,U=][:2,<flags><keywords>] into buf,
 * the flags' capitals then the keywords' small letters, each sorted. 
 * Returns 0, or -1 when it would not fit in len or STORE_NAME_MAX. */
int	maildir_name_build(const struct maildir_name *mn, char *buf,
	    size_t len);

/* maildir_name_cmp: delivery order: the leading seconds, then the ".M"
 * microseconds, numerically, then strcmp. */
int	maildir_name_cmp(const char *a, const char *b);

/* maildir_flags_string: the Maildir letters of flags, sorted (DFRST),
 * then those of keywords (a..z, Dovecot's), NUL-terminated; buf holds
 * at least MAILDIR_FLAGS_MAX bytes. */
#define MAILDIR_FLAGS_MAX	32
void	maildir_flags_string(uint32_t flags, uint32_t keywords, char *buf);

/* One file found in cur/ or new/; the name lives in the list's arena. */
struct maildir_ent {
	size_t		off;		/* of the name in maildir_list.names */
	uint32_t	uid;		/* from U=; 0: needs one */
	uint32_t	flags;
	uint32_t	keywords;
	uint64_t	size;		/* S= */
	uint64_t	wsize;		/* W= */
	int64_t		mtime;
	uint64_t	modseq;		/* from the index, when known */
	int		sized;		/* size and wsize known */
	int		in_new;		/* found in new/ */
	int		known;		/* 0 no, 1 same uid, 2 same name */
	int		dead;		/* vanished or unusable: leave out */
};

struct maildir_list {
	struct maildir_ent *ent;
	size_t		n, cap;
	char		*names;
	size_t		nlen, ncap;
	size_t		skipped;	/* over MAILDIR_MSGS_MAX */
	char		*bad;		/* unusable names, NUL-separated */
	size_t		nbad, badlen, badcap;
};

/*
 * maildir_list_read: append the usable files of folderfd's sub ("cur" or
 * "new") to l, at most MAILDIR_MSGS_MAX in all (the rest are counted in
 * l->skipped).  Names starting with '.' are left out, as Maildir readers
 * must; every other name that maildir_name_parse refuses, or that is not
 * a regular file, goes to l->bad (at most MAILDIR_BAD_MAX per read, the
 * rest counted in skipped) for maildir_list_salvage.  Returns 0 or -1
 * (errno, logged).  maildir_list_free releases l's memory (l may be
 * zeroed).
 */
#define MAILDIR_BAD_MAX		1000
int	maildir_list_read(struct maildir_list *l, int folderfd,
	    const char *sub, int in_new);

/*
 * maildir_list_salvage: for each name read from sub into l->bad, log a
 * warning naming folder, sub and the file (unprintable bytes as \ooo)
 * and, when it is a regular file, rename it with maildir_salvage and add
 * it to l under its new name, to be given a UID like any new file.
 * Files that are not regular files, or that cannot be renamed, are left
 * where they are, with the reason in the warning.  Empties l->bad.  The
 * caller MUST hold the folder's lock (maildir_lock).  Returns 0, or -1
 * (ENOMEM, logged).
 */
int	maildir_list_salvage(struct maildir_list *l, int folderfd,
	    const char *sub, int in_new, const char *folder);

/*
 * maildir_salvage: give the regular file name in dirfd, whose name the
 * store cannot use (not printable ASCII, a blank, more than one ':', too
 * long to take S=, W= and U=), a fresh unique name as delivery makes
 * them, keeping the flags of a trailing ":2,<letters>" (none when what
 * follows is not letters only), and no U=, so it gets a fresh UID.  The
 * new name goes into buf (len bytes, at least STORE_NAME_MAX).  Returns
 * 0, or -1 with errno: EINVAL when name is not a regular file (a symlink
 * is never followed), or the error of fstatat or renameat2.
 */
int	maildir_salvage(int dirfd, const char *name, char *buf, size_t len);

/* maildir_unique_base: "<secs>.M<usecs>P<pid>R<random>.<host>", the
 * unique part of a name, as delivery makes it.  0, or -1 when it does
 * not fit len. */
int	maildir_unique_base(char *base, size_t len);

/* maildir_name_vis: name for a log line: bytes outside printable ASCII
 * and '\\' as \ooo; cut with "..." to fit len (at least 4). */
void	maildir_name_vis(const char *name, char *buf, size_t len);
void	maildir_list_free(struct maildir_list *l);
const char *maildir_list_name(const struct maildir_list *l,
	    const struct maildir_ent *e);
/* maildir_list_rename: point e at a copy of name in l.  0 or -1 (ENOMEM). */
int	maildir_list_rename(struct maildir_list *l, struct maildir_ent *e,
	    const char *name);

/* maildir_ent_stat: fill e->mtime from the file name in dirfd (must be a
 * regular file, not a symlink) and, unless e->sized with a matching S=,
 * read it to find size and wsize.  Returns 0 or -1 (errno). */
int	maildir_ent_stat(int dirfd, const char *name, struct maildir_ent *e);

/* maildir_measure: read fd to its end: *size bytes, *wsize the size with
 * every bare LF counted as CRLF.  Returns 0 or -1 (errno). */
int	maildir_measure(int fd, uint64_t *size, uint64_t *wsize);

/* maildir_subdir_open: an O_DIRECTORY descriptor of sub in dirfd, without
 * following symlinks.  -1 (errno) otherwise. */
int	maildir_subdir_open(int dirfd, const char *sub);

/* maildir_mkdirs: create cur/ new/ tmp/ (0700) in dirfd where missing and
 * fsync dirfd when one was made.  0 or -1 (errno). */
int	maildir_mkdirs(int dirfd);

/* maildir_fsync_dir: fsync the directory sub of dirfd ("." for itself). */
int	maildir_fsync_dir(int dirfd, const char *sub);

/* The folder's UID state, in postern-uids. */
struct maildir_uids {
	uint32_t	uidvalidity;
	uint32_t	uidnext;
};

/* maildir_uids_read: 0 and *u; 1 when the file is missing or malformed
 * (logged); -1 on other errors (errno, logged). */
int	maildir_uids_read(int folderfd, struct maildir_uids *u);

/* maildir_uids_write: replace postern-uids durably (tmp, fsync, rename,
 * fsync folderfd).  The caller MUST hold maildir_lock.  0 or -1 (logged). */
int	maildir_uids_write(int folderfd, const struct maildir_uids *u);

/* maildir_lock: take the folder's exclusive lock (flock on
 * postern-uids.lock), waiting for it.  Returns the lock's descriptor, to
 * pass to maildir_unlock, or -1 (logged). */
int	maildir_lock(int folderfd);
void	maildir_unlock(int lockfd);

/* maildir_mkpath: mkdir -p path, each missing component 0700 (a user's
 * first Maildir).  0, or -1 with errno. */
int	maildir_mkpath(const char *path);

#endif
