/*
 * authctl_mailbox.h: what "user del" and "user add" do with a user's
 * Maildir: set it aside under a name no user can get, put it back when
 * the command fails, or remove it for good (user del --purge).
 *
 * Runs in authctl.  The Maildir belongs to the mail user, and the
 * commands run as the auth user after the privilege drop, so as root the
 * work is done by a helper: ctl_mailbox_fork, called before the drop,
 * forks; the child goes on to drop privileges and run the command, the
 * root parent stays and does the three file operations when the child
 * asks over a socketpair, then exits with the child's status.  The parent
 * trusts the child only to name an operation: the path comes from the
 * command line, checked by mailpath_dir in the parent.  In development
 * mode (not root) the same operations run in the one process.
 *
 * The mailbox <mail>/<domain>/<local part> is set aside by renaming it
 * within its domain directory to ".<local part>.deleted-YYYYMMDDTHHMMSSZ"
 * (UTC; "-2" to "-9" appended when that exists): a name that starts with
 * a dot is refused for every user by mailpath_name_check, so no later user
 * can be handed the old mail.  Each rename is fsynced with its directory
 * before it is reported.
 */
#ifndef POSTERN_AUTHCTL_MAILBOX_H
#define POSTERN_AUTHCTL_MAILBOX_H

#include <stddef.h>

#include "authd/authctl.h"

/*
 * ctl_mailbox_fork: as root, before the drop: remember user's mailbox path
 * and fork the helper.  Returns CTL_OK in the child; the parent never
 * returns (it exits with the child's status, after a message if the child
 * ended with the mailbox set aside and neither kept nor put back).
 * Returns CTL_ERR after a message when the socketpair or fork fails.
 */
int	ctl_mailbox_fork(struct ctl *c, const char *user);

/*
 * ctl_mailbox_aside: set user's mailbox aside, as above.  Returns 1 when
 * it was moved, with its new absolute path in aside (len bytes); 0 when
 * there is none (or the name can have no mail directory: a note says so),
 * aside set to ""; -1 after an error line when it exists but cannot be
 * moved (not a directory, rename failed), in which case nothing moved and
 * the caller MUST change nothing either.
 */
int	ctl_mailbox_aside(struct ctl *c, const char *user, char *aside,
	    size_t len);

/*
 * After a 1 from ctl_mailbox_aside, the caller MUST call exactly one of:
 * ctl_mailbox_keep when its transaction committed; ctl_mailbox_restore
 * when it did not (renames the mailbox back; -1 after an error line that
 * names both paths, if that fails: then nothing is lost, but the mail is
 * at the aside path); ctl_mailbox_purge after a commit with --purge
 * (removes the set-aside tree without following symbolic links; -1 after
 * an error line that names what is left).  Each returns 0 on success.
 */
void	ctl_mailbox_keep(struct ctl *c);
int	ctl_mailbox_restore(struct ctl *c);
int	ctl_mailbox_purge(struct ctl *c);

#endif
