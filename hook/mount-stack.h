/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libmount.h>

/* The stack of mounts at one path, as a table of mount-table.h (or the kernel, mount-probe.h)
 * shows it, and what the engine asks of a table about one path. */

typedef enum AutofsMode {
        AUTOFS_MODE_UNKNOWN,
        AUTOFS_MODE_DIRECT,
        AUTOFS_MODE_INDIRECT,
        AUTOFS_MODE_OFFSET,
} AutofsMode;

/* A filesystem as a mount shows it: which superblock, and which directory of it is the root of
 * this mount (bind mounts of subdirectories share a superblock). */
typedef struct FsIdentity {
        dev_t dev;
        char root[256];
} FsIdentity;

bool fs_identity_equal(const FsIdentity *a, const FsIdentity *b);

/* What is mounted at one path: the topmost autofs there and what is stacked on it. */
typedef struct AutofsStack {
        bool has_autofs;
        int autofs_id;
        dev_t autofs_dev;
        uint64_t pipe_ino;
        AutofsMode mode;

        unsigned n_on_top;      /* mounts stacked on the autofs at the same path */
        FsIdentity top;         /* the topmost of them, when n_on_top > 0 */
        char top_fstype[64];

        FsIdentity visible;     /* the topmost mount at this path, whatever it is */
} AutofsStack;

/* The mode and pipe inode of an autofs from its superblock options ("fd=5,...,direct,pipe_ino=9").
 * AUTOFS_MODE_UNKNOWN and 0 for what is not there. */
void autofs_options_parse(const char *options, AutofsMode *ret_mode, uint64_t *ret_pipe_ino);

/* Describes the mounts at where, found with mount_table_find_at(). -ENOENT if nothing is mounted
 * there; -ENOTUNIQ if the mounts at where do not form a single stack (so moving things around
 * could lose track of one). */
int mount_table_autofs_stack(struct libmnt_table *t, const char *where, AutofsStack *ret);

/* Mount targets directly below dir (one level), e.g. the entries of our stash directory. */
int mount_table_children_of(struct libmnt_table *t, const char *dir, char ***ret);
