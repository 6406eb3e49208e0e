/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "log.h"
#include "mount-ops.h"
#include "mount-probe.h"
#include "mount-table.h"
#include "path-util.h"
#include "tree-custody.h"

int unit_stack_at(const Repair *rp, const UnitRepair *u, int where_fd,
                  struct libmnt_table **table, int *table_error, AutofsStack *ret) {
        int r;

        r = mount_probe_stack(where_fd, ret);
        if (r >= 0 || r == -E2BIG)
                return r;
        if (r != -EOPNOTSUPP)
                log_debug_errno(r, "%s: cannot ask the kernel about the mounts at %s (%m); reading the mount table.",
                                u->name, u->where);
        if (!*table && *table_error == 0)
                *table_error = mount_table_read(rp->worker->mountinfo_fd, table);
        if (*table_error < 0)
                return *table_error;
        return mount_table_autofs_stack(*table, u->where, ret);
}

/* What is mounted at Where now, before a tree goes back. */
static int stack_now(const Repair *rp, const UnitRepair *u, int where_fd, AutofsStack *ret) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int table_error = 0;

        return unit_stack_at(rp, u, where_fd, &t, &table_error, ret);
}

/* Puts tree_fd on top of whatever is mounted at Where now. If a filesystem was mounted on the
 * new autofs meanwhile (an access raced us, or users worked on it since an interrupted run), it
 * may hold data by now: it stays, under our tree, and the log says so. */
static int put_tree_on_top(const Repair *rp, const UnitRepair *u, int tree_fd,
                           const FsIdentity *tree, bool *ret_already_there) {
        _cleanup_close_ int target_fd = -EBADF;
        AutofsStack now;
        int r;

        *ret_already_there = false;
        target_fd = open_path_no_symlinks(AT_FDCWD, u->where, 0);
        if (target_fd < 0)
                return target_fd;
        r = stack_now(rp, u, target_fd, &now);
        /* A stack of a shape the parser refuses is no reason to keep the tree away; not being
         * able to look at all is. */
        if (r < 0 && r != -ENOENT && r != -ENOTUNIQ && r != -E2BIG)
                return r;
        if (r == 0 && fs_identity_equal(&now.visible, tree)) {
                *ret_already_there = true;
                return 0;
        }
        if (r == 0 && now.has_autofs && now.n_on_top > 0)
                log_warning("%s (%s): a %s was mounted there meanwhile; it may hold new data and is kept, under the original.",
                            u->name, u->where, now.top_fstype);

        return attach_mount_tree(tree_fd, target_fd);
}

static UnitRepair *find_unit(Repair *rp, const char *name) {
        for (size_t i = 0; i < rp->n_units; i++)
                if (strcmp(rp->units[i].name, name) == 0)
                        return &rp->units[i];
        return NULL;
}

/* Puts back the tree an interrupted run left at name in stash; t is the mount table read before
 * any was put back. */
static void recover_one_tree(Repair *rp, struct libmnt_table *t, Stash *stash, const char *name) {
        _cleanup_close_ int tree_fd = -EBADF;
        UnitRepair *u = find_unit(rp, name);
        char stash_path[PATH_MAX];
        AutofsStack stashed;
        bool already;
        int r;

        snprintf(stash_path, sizeof stash_path, "%s/%s", stash->path, name);
        if (!u || !u->where_valid) {
                log_warning("%s holds a tree of no active automount unit of this container; leaving it there.",
                            stash_path);
                return;
        }
        if (mount_table_autofs_stack(t, stash_path, &stashed) < 0)
                return;

        tree_fd = stash_clone(stash, name);
        if (tree_fd < 0) {
                log_error_errno(tree_fd, "%s: failed to take the tree set aside by an interrupted run: %m",
                                u->name);
                return;
        }
        r = put_tree_on_top(rp, u, tree_fd, &stashed.visible, &already);
        if (r < 0) {
                log_error_errno(r, "%s: failed to put back the tree set aside by an interrupted run; it stays at %s: %m",
                                u->name, stash_path);
                if (u->state == UNIT_PENDING)
                        unit_set(u, UNIT_FAILED, "a tree set aside by an interrupted run could not be put back");
                return;
        }
        log_notice("%s (%s): %s set aside by an interrupted run, %s.", u->name, u->where, name,
                   already ? "was still in place" : "put back");
        r = stash_drop(stash, name);
        if (r < 0)
                log_warning_errno(r, "Failed to remove %s: %m", stash_path);
}

/* Puts back what an interrupted run left in one of its stashes; t is the mount table read
 * before any was put back (what we move does not change what the other stashes hold). */
static void recover_one_stash(Repair *rp, struct libmnt_table *t, const char *stash_name) {
        _cleanup_strv_free_ char **names = NULL;
        Stash stash = STASH_NULL;
        int r;

        r = stash_open(&stash, stash_name);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Cannot use the stash %s/%s of an earlier run: %m", STASH_PARENT,
                                  stash_name);
                return;
        }

        r = mount_table_children_of(t, stash.path, &names);
        if (r < 0)
                log_warning_errno(r, "Failed to look for set-aside trees in %s: %m", stash.path);
        for (char **n = names; n && *n; n++)
                recover_one_tree(rp, t, &stash, *n);

        if (!stash_close(&stash))
                (void) record_add_stash(&rp->kept, stash_name);
}

void recover_stashed_trees(Repair *rp) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        const Record *previous = rp->previous;
        int r;

        /* One read of the mount table for all of them, and none when there is nothing to look
         * for. */
        for (size_t i = 0; i < previous->n_stashes && !t; i++) {
                if (streq_ptr(previous->stashes[i], rp->stash_name))
                        continue;
                r = mount_table_read(rp->worker->mountinfo_fd, &t);
                if (r < 0) {
                        /* Not looked at: every recorded stash stays in the record. */
                        log_warning_errno(r, "Failed to read the mount table to look for set-aside trees: %m");
                        return;
                }
        }

        rp->recovered = true;
        for (size_t i = 0; t && i < previous->n_stashes; i++)
                if (!streq_ptr(previous->stashes[i], rp->stash_name))
                        recover_one_stash(rp, t, previous->stashes[i]);
}

int set_tree_aside(Repair *rp, UnitRepair *u) {
        _cleanup_close_ int where_fd = -EBADF;
        struct stat st;
        int r;

        if (u->before.n_on_top == 0)
                return 0;

        where_fd = open_path_no_symlinks(AT_FDCWD, u->where, 0);
        if (where_fd < 0)
                return where_fd;
        u->tree_fd = clone_mount_tree(where_fd);
        if (u->tree_fd < 0)
                return u->tree_fd;

        /* The path may have changed under us since we read the mount table. */
        if (fstat(u->tree_fd, &st) < 0)
                return -errno;
        if (st.st_dev != u->before.top.dev)
                return -ESTALE;

        /* The stash's copy is cloned from the mount at Where, not from our detached copy:
         * older kernels (6.1 and 6.12 among them) refuse to clone a mount that is in no
         * namespace (EINVAL). */
        if (rp->stash.dir_fd >= 0) {
                r = stash_put(&rp->stash, u->name, where_fd);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot keep a copy in %s (%m); the tree is held only by this process until it is back.",
                                          u->name, rp->stash.path);
                else
                        u->stashed = true;
        }
        return 0;
}

void put_tree_back(Repair *rp, UnitRepair *u) {
        bool already = false;
        int r;

        if (u->tree_fd < 0)
                return;

        r = put_tree_on_top(rp, u, u->tree_fd, &u->before.top, &already);
        if (r < 0) {
                log_error_errno(r, "%s: failed to put the %s back on %s: %m%s%s%s", u->name,
                                u->before.top_fstype, u->where,
                                u->stashed ? "; it is kept at " : "",
                                u->stashed ? rp->stash.path : "", u->stashed ? "/" : "");
                unit_set(u, UNIT_FAILED, "the filesystem on top could not be put back%s%s%s",
                         u->stashed ? " (kept in " : "", u->stashed ? rp->stash.path : "",
                         u->stashed ? ")" : "");
                return;
        }
        u->tree_back = true;
        u->tree_fd = safe_close(u->tree_fd);
        /* A restart that may still run would detach the tree again: the copy in the stash is
         * then all that keeps the data. */
        if (u->stashed && restart_job_may_still_run(&u->job)) {
                log_error("%s: its restart may still run in systemd and detach the %s again; a copy stays at %s/%s until a later run puts it back.",
                          u->name, u->before.top_fstype, rp->stash.path, u->name);
                return;
        }
        if (u->stashed) {
                r = stash_drop(&rp->stash, u->name);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove %s/%s: %m", rp->stash.path, u->name);
                else
                        u->stashed = false;
        }
}
