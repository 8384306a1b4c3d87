/*
 * session.h: the IMAP authenticated and selected states (RFC 3501 /
 * RFC 9051 sections 6.3 and 6.4, and the extensions of capa.h): the
 * session engine of imapd on the daemon skeleton, and the interface its
 * command modules share.
 *
 * Runs in imapd's mail process: chrooted into the user's Maildir as the
 * mail uid, sandboxed, after authd accepted the login.  The descriptor is
 * the socketpair to the net process, which relays the client's plaintext;
 * every byte on it is client input, and so is the handover (the login
 * command's tag).  It trusts the store for the mailbox contents.
 *
 * Shape: session.c reads commands (reader.h), parses them (parse.h) and
 * runs each through the table of handlers below; a handler appends
 * untagged responses with imap_printf/imap_put/imap_put_sb and ends with
 * exactly one of imap_ok, imap_no or imap_bad.  Before the tagged answer,
 * session.c reports what other sessions and deliveries changed in the
 * selected folder (view.h), holding back EXPUNGE while a FETCH, STORE or
 * SEARCH by sequence number is answered (RFC 3501 7.4.1).  Output goes
 * out through a fixed buffer, flushed when full, so a large FETCH is
 * streamed, never held.
 */
#ifndef IMAPD_SESSION_H
#define IMAPD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/sessio.h"
#include "common/skel.h"
#include "common/store.h"
#include "common/store_imap.h"
#include "common/strbuf.h"
#include "imapd/parse.h"
#include "imapd/reader.h"

#define IMAP_OUT_MAX		65536	/* the output buffer */
#define IMAP_IN_MAX		65536	/* one read from the net process */
#define IMAP_MAX_ERRORS		30	/* BAD in a row, then BYE */
#define IMAP_IDLE_POLL_MS	500	/* IDLE looks for changes this often */

/* ENABLEd extensions (RFC 5161). */
#define IMAP_EN_REV2		0x01	/* IMAP4rev2 */
#define IMAP_EN_CONDSTORE	0x02	/* also on at the first CONDSTORE use */
#define IMAP_EN_QRESYNC		0x04
#define IMAP_EN_UTF8		0x08	/* UTF8=ACCEPT */

struct imap_view;

struct imap_sess {
	struct skel_mail	*m;
	struct store		*store;
	const struct config	*cfg;
	struct sessio		 io;		/* output, waits */
	int			 state;		/* IMAP_S_AUTH or _SELECTED */
	uint32_t		 enabled;	/* IMAP_EN_* */
	struct imap_view	*view;		/* the selected folder */
	struct imap_view	*lastview;	/* the last one (view_keep) */
	const struct imap_cmd	*cmd;		/* being answered */
	int			 errors;	/* BAD in a row */
	int			 done;		/* LOGOUT, BYE: stop */
	int			 result;	/* enum skel_end, once done */

	/* SEARCHRES (RFC 5182): the UIDs SEARCH ... SAVE kept. */
	uint32_t		*saved;
	size_t			 nsaved;

	/* APPEND with an external literal: the file being written. */
	struct store_tmp	 lit;
	int			 lit_open;	/* lit holds a file */
	int			 lit_failed;	/* writing it failed */

	/* IDLE (RFC 2177): waiting for DONE, reporting changes. */
	int			 idling;
	char			 idle_tag[IMAP_TAG_MAX + 1];

	struct imap_reader	 rd;
	char			*cmdbuf;	/* the reader's buffer */
	size_t			 cmdbufsize;
	struct imap_cmd		 parsed;

	char			 out[IMAP_OUT_MAX];

	/* what the session did, for the log line that ends it */
	unsigned long		 ncommands;
	unsigned long		 nfetched;
	unsigned long		 nappended;
	unsigned long		 nexpunged;
};

/* session_run for the skeleton (skel_daemon.session). */
int	imap_session(struct skel_mail *m);

/* imap_handover_tag: the login command's tag from the handover (len
 * octets from the net process: hostile), or "*" when it is not a tag. */
void	imap_handover_tag(const uint8_t *handover, size_t len,
	    char tag[IMAP_TAG_MAX + 1]);

/* imap_summary: the session's last log line (skel_daemon.summary). */
void	imap_summary(const char *user, int end, const char *why);

/* ---- output ------------------------------------------------------------ */

/* imap_put: n octets to the client; imap_printf: a formatted line part
 * (at most 4096 octets at once); imap_put_sb: a strbuf's content.  On a
 * write error s->ioerr is set and later output is dropped. */
void	imap_put(struct imap_sess *s, const char *p, size_t n);
void	imap_printf(struct imap_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	imap_put_sb(struct imap_sess *s, const struct strbuf *sb);
/* imap_put_string: an IMAP string (quoted or literal, strbuf.h rules). */
void	imap_put_string(struct imap_sess *s, const char *p, size_t n);
/* imap_put_mailbox: a mailbox name as IMAP shows it: modified UTF-7, or
 * UTF-8 after ENABLE UTF8=ACCEPT; quoted or literal. */
void	imap_put_mailbox(struct imap_sess *s, const char *utf8);
/* imap_flush: send what is buffered; -1 on a write error or when authd
 * ended the session while the client was not reading. */
int	imap_flush(struct imap_sess *s);

/* The tagged completion of the command being answered: exactly one per
 * command.  code may be NULL ("[code] " is then left out). */
void	imap_ok(struct imap_sess *s, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	imap_no(struct imap_sess *s, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	imap_bad(struct imap_sess *s, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- the command handlers (one file each group) -------------------------- */

typedef void	imap_handler(struct imap_sess *s, const struct imap_cmd *c);

/* cmd_state.c: CAPABILITY NOOP CHECK LOGOUT ID ENABLE NAMESPACE SELECT
 * EXAMINE CLOSE UNSELECT EXPUNGE IDLE */
imap_handler	cmd_capability, cmd_noop, cmd_logout, cmd_id, cmd_enable,
		cmd_namespace, cmd_select, cmd_close, cmd_unselect,
		cmd_expunge, cmd_idle;

/* cmd_folder.c: CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB
 * STATUS GETQUOTA GETQUOTAROOT SETQUOTA */
imap_handler	cmd_create, cmd_delete, cmd_rename, cmd_subscribe, cmd_list,
		cmd_status, cmd_getquota, cmd_getquotaroot, cmd_setquota;

/* imap_folders_prepare (cmd_folder.c): at the start of a session, give a
 * new mailbox (no folder but INBOX, no subscription) its special-use
 * folders Sent, Drafts, Trash, Junk and Archive, subscribed (RFC 6154).
 * A failure is logged; the session goes on without them. */
void	imap_folders_prepare(struct imap_sess *s);

/* cmd_message.c: APPEND STORE COPY MOVE */
imap_handler	cmd_append, cmd_store, cmd_copy;

/* fetch.c, search.c */
imap_handler	cmd_fetch, cmd_search;

/*
 * cmd_message.c: an APPEND message literal too large for the command
 * buffer arrives in pieces before the command is complete: begin (its
 * size in s->rd.lit_size; the client has not been sent "+" yet for a
 * synchronizing one: begin may refuse it with imap_reader_refuse), data
 * (the next octets), and then the APPEND command runs with it in s->lit.
 * drop discards it (the command was dropped, or the session ends).
 */
void	imap_literal_begin(struct imap_sess *s);
void	imap_literal_data(struct imap_sess *s, const char *p, size_t n);
void	imap_literal_drop(struct imap_sess *s);
/*
 * imap_literal_refused: the reader dropped a command for a literal too
 * large (TOOBIG): when it was an APPEND, answer it (with what
 * imap_literal_begin decided when it refused the message, else NO
 * [TOOBIG] as RFC 7889 asks for a message over APPENDLIMIT) and return
 * 1; return 0 for any other command (the caller answers BAD [TOOBIG]).
 */
int	imap_literal_refused(struct imap_sess *s);

/* imap_folder_arg: a mailbox argument decoded to the store's UTF-8 name
 * into out (len octets): modified UTF-7 (or UTF-8 after UTF8=ACCEPT),
 * "INBOX" in any case as "INBOX".  0, or -1 after a tagged NO/BAD. */
int	imap_folder_arg(struct imap_sess *s, const struct imap_str *name,
	    char *out, size_t len);
/* imap_folder_decode: the same without an answer: 0, or -1 with the
 * reason (static text) in *why. */
int	imap_folder_decode(struct imap_sess *s, const struct imap_str *name,
	    char *out, size_t len, const char **why);

/*
 * imap_set_resolve: the messages a sequence set names, as 0-based
 * indexes into s->view->msgs, ascending and each once: by sequence
 * number, or by UID when uid is set ("*" is the last message either way;
 * UIDs not in the folder are left out); "$" is the saved search result
 * (RFC 5182).  *idx is allocated (the caller frees it; NULL when *n is
 * 0).  A sequence number past the last message is a BAD.  Returns 0, or
 * -1 after a tagged BAD.
 */
int	imap_set_resolve(struct imap_sess *s, const struct imap_seqset *set,
	    int uid, uint32_t **idx, size_t *n);

/* imap_want_condstore: a command used CONDSTORE (RFC 7162 3.1): from now
 * on FETCH reports MODSEQ and the session says HIGHESTMODSEQ. */
void	imap_want_condstore(struct imap_sess *s);

#endif
