/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "autofs-dev.h"
#include "autofs-guard.h"
#include "autofs-guard-internal.h"
#include "fd-util.h"
#include "log.h"
#include "mount-ops.h"
#include "mount-table.h"

/* The copies of a guarded autofs in the container's other mount namespaces: counted before the
 * repair (with or without propagation from the main namespace), and afterwards, by the policy,
 * made catatonic or replaced by the new autofs with the original tree back on top. */

/* "shared:N master:M propagate_from:P unbindable" */
static void parse_groups(const char *fields, unsigned *ret_shared, unsigned *ret_master) {
        const char *p;

        *ret_shared = *ret_master = 0;
        if (!fields)
                return;
        p = strstr(fields, "shared:");
        if (p)
                (void) sscanf(p, "shared:%u", ret_shared);
        p = strstr(fields, "master:");
        if (p)
                (void) sscanf(p, "master:%u", ret_master);
}

static struct libmnt_fs *parent_of(struct libmnt_table *t, struct libmnt_fs *fs) {
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *p, *found = NULL;
        int id = mnt_fs_get_parent_id(fs);

        while (it && !found && mnt_table_next_fs(t, it, &p) == 0)
                if (mnt_fs_get_id(p) == id)
                        found = p;
        if (it)
                mnt_free_iter(it);
        return found;
}

void autofs_guard_read_main_groups(AutofsGuard *g) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;

        if (mount_table_read_autofs(g->worker->mountinfo_fd, &t) < 0)
                return;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return;
        while (mnt_table_next_fs(t, it, &fs) == 0) {
                GuardedAutofs *a;
                struct libmnt_fs *parent;
                unsigned shared, master;

                if (!streq_ptr(mnt_fs_get_fstype(fs), "autofs"))
                        continue;
                a = autofs_guard_find(g, mnt_fs_get_devno(fs));
                if (!a || !streq_ptr(mnt_fs_get_target(fs), a->where))
                        continue;
                parent = parent_of(t, fs);
                if (!parent)
                        continue;
                parse_groups(mnt_fs_get_optional_fields(parent), &shared, &master);
                a->parent_group = shared;
        }
        mnt_free_iter(it);
}

static int back_to_main(const AutofsGuard *g) {
        const Container *c = g->worker->container;
        int r = enter_mount_namespace(c->mntns_fd, c->root_fd);

        /* Without our own namespace back, every later step would act on the wrong one. */
        if (r < 0) {
                log_error_errno(r, "Failed to return to the container's main mount namespace: %m");
                _exit(EXIT_FAILURE);
        }
        return 0;
}

static void describe_ns(const NestedNamespace *ns, char *buf, size_t size) {
        snprintf(buf, size, "mount namespace of PID %d (%s%s)", (int) ns->pid, ns->comm,
                 ns->n_processes > 1 ? " and others" : "");
}

/* Replaces the stale autofs at target (with what is stacked on it) by new_tree, and puts what
 * was on top back on the new autofs. */
static int reattach(const char *target, dev_t old_dev, int new_tree_fd, int mountinfo_fd) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        _cleanup_close_ int where_fd = -EBADF, top_fd = -EBADF, parent_fd = -EBADF;
        _cleanup_free_ char *parent = NULL;
        const char *slash, *base;
        AutofsStack s;
        int r, k;

        r = mount_table_read_at(mountinfo_fd, (char *const[]) { (char *) target }, 1, &t);
        if (r < 0)
                return r;
        r = mount_table_autofs_stack(t, target, &s);
        if (r < 0)
                return r;
        if (!s.has_autofs || s.autofs_dev != old_dev)
                return -ESTALE;
        if (s.n_on_top > 1)
                return -ENOTUNIQ;

        slash = strrchr(target, '/');
        if (!slash)
                return -EINVAL;
        parent = strndup(target, slash == target ? 1 : (size_t) (slash - target));
        if (!parent)
                return -ENOMEM;
        base = slash + 1;
        parent_fd = open_path_no_symlinks(AT_FDCWD, parent, O_DIRECTORY);
        if (parent_fd < 0)
                return parent_fd;

        if (s.n_on_top > 0) {
                where_fd = open_path_no_symlinks(AT_FDCWD, target, 0);
                if (where_fd < 0)
                        return where_fd;
                top_fd = clone_mount_tree(where_fd);
                if (top_fd < 0)
                        return top_fd;
                where_fd = safe_close(where_fd);
        }

        /* The copy taken above holds what was on top; the stale autofs holds nothing. */
        for (unsigned i = 0; i <= s.n_on_top; i++) {
                r = unmount_at(parent_fd, base, MNT_DETACH);
                if (r < 0)
                        break;
        }
        if (r >= 0) {
                where_fd = open_path_no_symlinks(AT_FDCWD, target, 0);
                r = where_fd < 0 ? where_fd : attach_mount_tree(new_tree_fd, where_fd);
                where_fd = safe_close(where_fd);
        }
        if (top_fd >= 0) {
                /* Whatever happened, the tree goes back on top of what is there now. */
                where_fd = open_path_no_symlinks(AT_FDCWD, target, 0);
                k = where_fd < 0 ? where_fd : attach_mount_tree(top_fd, where_fd);
                if (k < 0 && r >= 0)
                        r = k;
        }
        return r;
}

static void release_copy(AutofsGuard *g, const NestedNamespace *ns, GuardedAutofs *a,
                         const char *target, int new_tree_fd, const char *ns_text) {
        int r;

        if (g->policy == NESTED_REATTACH && new_tree_fd >= 0) {
                r = reattach(target, a->dev, new_tree_fd, ns->mountinfo_fd);
                if (r >= 0) {
                        log_info("%s (%s): %s: stale copy replaced by the new autofs, the original tree back on top.",
                                 guarded_autofs_label(a), a->where, ns_text);
                        return;
                }
                log_warning_errno(r, "%s (%s): %s: cannot replace the stale copy (%m); making it catatonic instead.",
                                  guarded_autofs_label(a), a->where, ns_text);
        }

        if (a->handle < 0) {
                /* Nothing waits on it in here now, perhaps: a handle taken in this namespace
                 * works as well, the superblock is the same. */
                int fd = autofs_guard_control(g);

                if (fd >= 0)
                        fd = autofs_dev_open_mount(fd, target, a->dev);
                if (fd >= 0)
                        r = autofs_dev_make_catatonic(g->control_fd, fd);
                else
                        r = fd;
                safe_close(fd);
                if (r < 0) {
                        log_error_errno(r, "%s (%s): %s: stale copy left as it is, it cannot be made catatonic (%m); CRIU will refuse to checkpoint the container.",
                                        guarded_autofs_label(a), a->where, ns_text);
                        return;
                }
                a->handle_error = 0;
        }
        log_info("%s (%s): %s: stale copy made catatonic; accesses there fail at once, and the container can be checkpointed again.",
                 guarded_autofs_label(a), a->where, ns_text);
        (void) ns;
}

/* A detached copy of the new autofs alone (not what is on top of it), to put in a nested
 * namespace. Made here: a mount can be cloned only from the namespace it is in. */
static int clone_new_autofs(AutofsGuard *g, const GuardedAutofs *a) {
        _cleanup_close_ int handle = -EBADF;
        int fd = autofs_guard_control(g), tree;

        if (fd < 0)
                return fd;
        handle = autofs_dev_open_mount(fd, a->where, a->new_dev);
        if (handle < 0)
                return handle;
        tree = open_tree(handle, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        return tree < 0 ? -errno : tree;
}

/* Copies of the new autofs for one nested namespace: each move into a namespace uses one up. */
static int *clone_new_autofs_all(AutofsGuard *g) {
        int *trees = calloc(g->n, sizeof *trees);

        if (!trees)
                return NULL;
        for (size_t i = 0; i < g->n; i++) {
                trees[i] = -EBADF;
                if (!g->autofs[i].replaced || g->autofs[i].n_private_copies == 0)
                        continue;
                trees[i] = clone_new_autofs(g, &g->autofs[i]);
                if (trees[i] < 0)
                        log_warning_errno(trees[i], "%s (%s): cannot take a copy of the new autofs: %m",
                                          guarded_autofs_label(&g->autofs[i]), g->autofs[i].where);
        }
        return trees;
}

static void close_all(int *fds, size_t n) {
        for (size_t i = 0; fds && i < n; i++)
                safe_close(fds[i]);
        free(fds);
}

/* Walks the copies of held autofs in each nested namespace. */
void autofs_guard_walk_nested(AutofsGuard *g, CopyAction action) {
        for (size_t i = 0; g->nested && i < g->nested->n; i++) {
                const NestedNamespace *ns = &g->nested->ns[i];
                _cleanup_mnt_table_ struct libmnt_table *t = NULL;
                struct libmnt_iter *it;
                struct libmnt_fs *fs;
                int *new_tree_fds = NULL;
                char ns_text[80];
                int r;

                describe_ns(ns, ns_text, sizeof ns_text);
                if (action == COPY_RELEASE && g->policy == NESTED_REATTACH)
                        new_tree_fds = clone_new_autofs_all(g);
                r = enter_mount_namespace(ns->mntns_fd, ns->root_fd);
                if (r < 0) {
                        log_warning_errno(r, "Cannot enter the %s: %m", ns_text);
                        back_to_main(g);
                        close_all(new_tree_fds, g->n);
                        continue;
                }
                r = mount_table_read_autofs(ns->mountinfo_fd, &t);
                it = r < 0 ? NULL : mnt_new_iter(MNT_ITER_FORWARD);
                while (it && mnt_table_next_fs(t, it, &fs) == 0) {
                        struct libmnt_fs *parent;
                        GuardedAutofs *a;
                        unsigned shared, master;
                        bool propagates;
                        size_t idx;

                        if (!streq_ptr(mnt_fs_get_fstype(fs), "autofs"))
                                continue;
                        a = autofs_guard_find(g, mnt_fs_get_devno(fs));
                        if (!a) {
                                const GuardedAutofs *n = action == COPY_RELEASE ?
                                                         autofs_guard_find_new(g, mnt_fs_get_devno(fs)) : NULL;
                                if (n)
                                        log_info("%s (%s): %s: has the new autofs, through propagation from the main namespace; nothing to do there.",
                                                 guarded_autofs_label(n), n->where, ns_text);
                                continue;
                        }
                        idx = (size_t) (a - g->autofs);
                        parent = parent_of(t, fs);
                        parse_groups(parent ? mnt_fs_get_optional_fields(parent) : NULL, &shared, &master);
                        propagates = a->parent_group != 0 &&
                                     (shared == a->parent_group || master == a->parent_group);

                        if (action == COPY_SCAN) {
                                if (propagates)
                                        a->n_propagated_copies++;
                                else
                                        a->n_private_copies++;
                                if (a->unit)
                                        log_info("%s (%s): %s holds a copy %s.", a->unit, a->where,
                                                 ns_text,
                                                 propagates ? "that receives mount events from the main namespace" :
                                                 g->policy == NESTED_SKIP ? "without propagation: the unit is left alone (nested=skip)" :
                                                 "without propagation");
                                continue;
                        }
                        if (!a->replaced)
                                continue;
                        /* Still the old autofs after the repair: nothing reached it. */
                        release_copy(g, ns, a, mnt_fs_get_target(fs),
                                     new_tree_fds ? new_tree_fds[idx] : -EBADF, ns_text);
                }
                if (it)
                        mnt_free_iter(it);
                if (r < 0)
                        log_warning_errno(r, "Cannot read the mount table of the %s: %m", ns_text);
                back_to_main(g);
                close_all(new_tree_fds, g->n);
        }
}

