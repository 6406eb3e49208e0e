/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "record.h"

/* Where, inside the container, trees are kept while their automount is restarted. A detached
 * copy alone would die with us if we were killed at the wrong moment; an attached copy here
 * survives, and the next run puts it back. /run is a tmpfs in every systemd container, also in
 * those with a read-only root.
 *
 * The container's root controls /run: it could put a symlink, a file, a FIFO or a directory of
 * its own at any name we could predict, to switch the stash off or to feed us trees to mount.
 * So each run makes a directory of a random name (STASH_NAME_PREFIX and 16 hex digits), which
 * the caller writes into the host-side record before the run starts; a later run trusts only
 * the stashes that record names. */
#define STASH_PARENT "/run"

typedef struct Stash {
        int dir_fd;             /* -EBADF: no stash available, trees live only as fds */
        char path[sizeof STASH_PARENT + STASH_NAME_SIZE];
} Stash;

#define STASH_NULL (Stash) { .dir_fd = -EBADF }

/* A new random stash name, for the caller to record before the run. */
int stash_name_new(char ret[static STASH_NAME_SIZE]);

/* Makes STASH_PARENT/name, which must not exist yet (-EEXIST: the container took the name, and
 * it is not used), and opens it. */
int stash_create(Stash *s, const char *name);

/* Opens an existing stash made by an earlier run; -ENOENT if it is gone. Refuses anything but
 * a private directory of ours, reached without a symlink, with -EPERM. */
int stash_open(Stash *s, const char *name);

/* Attaches a copy of the mount tree at tree_fd (a mount point in our mount namespace: older
 * kernels do not clone a detached tree) at name in the stash. */
int stash_put(Stash *s, const char *name, int tree_fd);

/* A detached copy of the tree kept at name in the stash. */
int stash_clone(Stash *s, const char *name);

/* Unmounts name in the stash (lazily: the tree is mounted elsewhere by now) and removes it. */
int stash_drop(Stash *s, const char *name);

/* Closes the stash; removes the directory if it is empty, so a run leaves nothing behind.
 * Returns true if the directory is gone. */
bool stash_close(Stash *s);
