/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Opens a path from inside the container as an O_PATH fd without following any symlink or
 * magic link on the way and without triggering an automount: paths come from the container,
 * which controls every component. */
int open_path_no_symlinks(int dir_fd, const char *path, int flags);

/* A detached copy of the mount tree whose root is at fd (the whole tree, submounts included),
 * as an fd. The copy keeps the filesystems alive whatever happens at the original place. */
int clone_mount_tree(int fd);

/* Attaches a detached tree (or moves one) on top of whatever is mounted at target_fd. */
int attach_mount_tree(int tree_fd, int target_fd);

/* Unmounts the topmost mount at name relative to dir_fd, without following a final symlink.
 * MNT_DETACH in flags only for our own copies: it never loses data that is mounted elsewhere. */
int unmount_at(int dir_fd, const char *name, int flags);
