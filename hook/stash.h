/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Where, inside the container, trees are kept while their automount is restarted. A detached
 * copy alone would die with us if we were killed at the wrong moment; an attached copy here
 * survives, and the next run puts it back. /run is a tmpfs in every systemd container, also in
 * those with a read-only root. */
#define STASH_DIR "/run/autofs-restore-hook"

typedef struct Stash {
        int dir_fd;             /* -EBADF: no stash available, trees live only as fds */
} Stash;

#define STASH_NULL (Stash) { .dir_fd = -EBADF }

/* Opens the stash directory, creating it if create is true. -ENOENT if it does not exist and
 * create is false. Refuses a directory we did not make (not a directory, a symlink, not ours,
 * accessible to others) with -EPERM. */
int stash_open(Stash *s, bool create);

/* Attaches a copy of tree_fd at STASH_DIR/name. */
int stash_put(Stash *s, const char *name, int tree_fd);

/* A detached copy of the tree kept at STASH_DIR/name. */
int stash_clone(Stash *s, const char *name);

/* Unmounts STASH_DIR/name (lazily: the tree is mounted elsewhere by now) and removes it. */
int stash_drop(Stash *s, const char *name);

/* Closes the stash; removes the directory if it is empty, so a run leaves nothing behind. */
void stash_close(Stash *s);
