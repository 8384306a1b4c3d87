/*
 * skel_roles.h: the parent's side of the long-lived roles (skel_roles.c):
 * the keyholder's start, and the supervision of a daemon's own group of
 * roles (struct skel_roles in skel.h).  Called by skel_parent.c only.
 */
#ifndef POSTERN_SKEL_ROLES_H
#define POSTERN_SKEL_ROLES_H

#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/skel.h"

/* skel_roles_init: what every spawn needs: the daemon's name, this
 * program's path, the configuration file, -d and -v. */
void	skel_roles_init(const char *name, const char *self, const char *conf,
	    int debug, int verbose);
/* skel_roles_child: in a spawned role, before its main: parent is the
 * process that spawned it (for skel_role_tie). */
void	skel_roles_child(pid_t parent);
/* skel_roles_keyholder: spawn the keyholder (-K) with fd as 3. */
pid_t	skel_roles_keyholder(int fd);
/* skel_roles_start: start the group r (NULL: none) with cfg, which MUST
 * outlive it. */
void	skel_roles_start(const struct skel_roles *r,
	    const struct config *cfg);
/* skel_roles_reaped: pid ended with status: 1 when it was one of the
 * group's (the rest are stopped, a restart is due), else 0. */
int	skel_roles_reaped(pid_t pid, int status);
/* skel_roles_due: mono_ms() of the next restart, or -1; skel_roles_tick
 * restarts the group once that time came and the old one is gone. */
int64_t	skel_roles_due(void);
void	skel_roles_tick(void);
/* skel_roles_stop: SIGTERM to the group (the daemon stops). */
void	skel_roles_stop(void);

#endif
