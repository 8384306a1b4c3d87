/*
 * view.h: the selected folder as one IMAP session sees it: its messages
 * in sequence-number order (UID, flags, modseq) and what the session has
 * told the client, so that what other sessions, POP3 and deliveries
 * change reaches it as EXISTS, RECENT, EXPUNGE (or VANISHED after ENABLE
 * QRESYNC) and FETCH FLAGS, exactly once each.
 *
 * Runs in imapd's mail process; trusts the store.  24 bytes a message.
 */
#ifndef IMAPD_VIEW_H
#define IMAPD_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "common/store.h"
#include "common/store_folder.h"
#include "common/store_imap.h"
#include "imapd/session.h"

struct imap_vmsg {
	uint32_t	uid;
	uint32_t	flags;		/* STORE_* */
	uint32_t	keywords;	/* bit i: the folder's keyword i */
	uint64_t	modseq;
};

struct imap_view {
	char			 folder[STORE_FOLDER_NAME_MAX];
	int			 readonly;	/* EXAMINE */
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;
	uint64_t		 highestmodseq;
	struct imap_vmsg	*msgs;		/* seq n is msgs[n - 1] */
	uint32_t		 n;
	size_t			 cap;
	uint32_t		 recent;	/* \Recent to this session */
	uint32_t		 recent_uid;	/* UIDs from here are recent */
	struct store_probe	 probe;		/* cheap "anything new?" */
	struct store_keywords	 kw;		/* the folder's keywords */
	int			 kw_loaded;
};

/*
 * view_open: select folder (UTF-8 store name) for session s: sync it,
 * list it, and fill a new view.  Returns 0 and *vp, or -1 with errno
 * (ENOENT: no such folder; anything else: logged).
 */
int	view_open(struct imap_sess *s, const char *folder, int readonly,
	    struct imap_view **vp);
void	view_close(struct imap_view *v);

/* view_keep: the session leaves s->view (CLOSE, UNSELECT, another
 * SELECT): it is kept as s->lastview, which view_open takes again when
 * the same folder is selected and nothing changed there. */
void	view_keep(struct imap_sess *s);

/*
 * view_refresh: look for changes to s->view made by others and report
 * them as untagged responses; with expunge_ok 0 (during FETCH, STORE or
 * SEARCH by sequence number) nothing is reported, so that sequence
 * numbers hold.  Returns 0, or -1 when the store failed (logged).
 */
int	view_refresh(struct imap_sess *s, int expunge_ok);

/* view_lower: the index of the first message whose UID is >= uid (n
 * when none is). */
uint32_t view_lower(const struct imap_view *v, uint32_t uid);

/* view_seq: the sequence number of uid, or 0 when it is not in view. */
uint32_t view_seq(const struct imap_view *v, uint32_t uid);

/* view_remove: the messages at the sorted 0-based indexes idx[0..n-1]
 * left the view (this session expunged them); they are reported by the
 * caller. */
void	view_remove(struct imap_view *v, const uint32_t *idx, size_t n);

/* view_flags_put: "(\Seen \Flagged $Junk ...)" of the message at
 * index i of the view, to the client. */
void	view_flags_put(struct imap_sess *s, uint32_t i);

/* view_keywords: the folder's keyword names, read again when a message
 * shows a keyword the view does not know (another session made it). */
const struct store_keywords *view_keywords(struct imap_sess *s);

#endif
