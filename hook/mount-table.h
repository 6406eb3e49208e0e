/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libmount.h>

#include "macro.h"
#include "mount-stack.h"

/* The mount table as libmount parses it, with an index by target path hung off it, so that the
 * questions of mount-stack.h cost a binary search each. */

/* Frees a table made by mount_table_read() or mount_table_parse_string(), with its index. */
void mount_table_free(struct libmnt_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mount_table_free);
#define _cleanup_mnt_table_ _cleanup_(mount_table_freep)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

/* Parses the mount table from an open mountinfo file, read again from its start: the worker's
 * own mountinfo, opened after it joined the container's mount namespace and root (the
 * container's procfs does not show the worker), describes that namespace as seen from that
 * root. */
int mount_table_read(int mountinfo_fd, struct libmnt_table **ret);

/* Like mount_table_read(), but only the mounts at the given paths go through the parser: the
 * table then answers for those paths alone, for a fraction of the cost of parsing thousands of
 * unrelated mounts. */
int mount_table_read_at(int mountinfo_fd, char *const *paths, size_t n_paths,
                        struct libmnt_table **ret);

/* Like mount_table_read(), but only the autofs mounts and the mounts they sit on go through the
 * parser: enough to find every autofs and the peer group of its parent, whatever else the
 * namespace holds. */
int mount_table_read_autofs(int mountinfo_fd, struct libmnt_table **ret);

/* Parses a mountinfo text; used by the above and by unit tests. */
int mount_table_parse_string(const char *text, struct libmnt_table **ret);

/* The mounts whose target is where, in table order, into at[] (at most max: -E2BIG beyond). A
 * binary search in the index of a table made by the functions above, a pass over any other. */
int mount_table_find_at(struct libmnt_table *t, const char *where, struct libmnt_fs **at,
                        size_t max, size_t *ret_n);
