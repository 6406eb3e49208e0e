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

void autofs_guard_init(AutofsGuard *g, const Worker *w, int control_fd,
                       const NestedNamespaces *nested, NestedPolicy policy, bool dry_run) {
        *g = (AutofsGuard) {
                .worker = w,
                .nested = nested,
                .policy = policy,
                .dry_run = dry_run,
                .control_fd = control_fd,
        };
}

void autofs_guard_done(AutofsGuard *g) {
        for (size_t i = 0; i < g->n; i++) {
                free(g->autofs[i].unit);
                free(g->autofs[i].where);
                safe_close(g->autofs[i].handle);
        }
        free(g->autofs);
        g->autofs = NULL;
        g->n = 0;
        g->control_fd = -EBADF;
}

GuardedAutofs *autofs_guard_find(const AutofsGuard *g, dev_t dev) {
        for (size_t i = 0; i < g->n; i++)
                if (g->autofs[i].dev == dev)
                        return &g->autofs[i];
        return NULL;
}

GuardedAutofs *autofs_guard_find_new(const AutofsGuard *g, dev_t dev) {
        for (size_t i = 0; i < g->n; i++)
                if (g->autofs[i].replaced && g->autofs[i].new_dev == dev)
                        return &g->autofs[i];
        return NULL;
}

int autofs_guard_control(const AutofsGuard *g) {
        return g->control_fd >= 0 ? g->control_fd : -ENODEV;
}

const char *guarded_autofs_label(const GuardedAutofs *a) {
        return a->unit ?: "autofs";
}

static GuardedAutofs *add(AutofsGuard *g, const char *where, dev_t dev) {
        GuardedAutofs *grown, *a;
        int fd;

        grown = realloc(g->autofs, (g->n + 1) * sizeof *g->autofs);
        if (!grown)
                return NULL;
        g->autofs = grown;
        a = &g->autofs[g->n];
        *a = (GuardedAutofs) { .dev = dev, .handle = -EBADF, .where = strdup(where) };
        if (!a->where)
                return NULL;
        g->n++;

        fd = autofs_guard_control(g);
        if (fd >= 0)
                fd = autofs_dev_open_mount(fd, where, dev);
        if (fd < 0)
                a->handle_error = fd;
        else
                a->handle = fd;
        return a;
}

int autofs_guard_hold_all(AutofsGuard *g) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        int r, n = 0;

        r = mount_table_read_autofs(g->worker->mountinfo_fd, &t);
        if (r < 0)
                return r;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(t, it, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs);
                GuardedAutofs *a;

                if (!streq_ptr(mnt_fs_get_fstype(fs), "autofs") || !target ||
                    autofs_guard_find(g, mnt_fs_get_devno(fs)))
                        continue;
                a = add(g, target, mnt_fs_get_devno(fs));
                if (!a) {
                        mnt_free_iter(it);
                        return -ENOMEM;
                }
                if (a->handle >= 0)
                        n++;
                else
                        log_debug_errno(a->handle_error, "No handle on the autofs at %s: %m", target);
        }
        mnt_free_iter(it);
        return n;
}

void autofs_guard_hold(AutofsGuard *g, const char *unit, const char *where, dev_t dev) {
        GuardedAutofs *a = autofs_guard_find(g, dev);

        if (!a || !streq_ptr(a->where, where)) {
                if (a && a->handle >= 0)
                        log_debug("%s: the autofs held at %s is now at %s.", unit, a->where, where);
                if (!a)
                        a = add(g, where, dev);
                if (!a) {
                        log_oom();
                        return;
                }
        }
        if (!a->unit)
                a->unit = strdup(unit);
        if (a->handle >= 0 || g->dry_run)
                return;
        if (a->handle_error == -ENOENT)
                log_notice("%s (%s): no handle on the restored autofs (a request is already pending on it); a process that waits on it now cannot be released after the repair.",
                           unit, where);
        else
                log_notice_errno(a->handle_error, "%s (%s): no handle on the restored autofs (%m); a process that waits on it now cannot be released after the repair.",
                                 unit, where);
}

void autofs_guard_scan_nested(AutofsGuard *g) {
        if (!g->nested || g->nested->n == 0 || g->n == 0)
                return;
        autofs_guard_read_main_groups(g);
        autofs_guard_walk_nested(g, COPY_SCAN);
}

unsigned autofs_guard_private_copies(const AutofsGuard *g, dev_t dev) {
        const GuardedAutofs *a = autofs_guard_find(g, dev);
        return a ? a->n_private_copies : 0;
}

void autofs_guard_replaced(AutofsGuard *g, dev_t dev, dev_t new_dev) {
        GuardedAutofs *a = autofs_guard_find(g, dev);

        if (a) {
                a->replaced = true;
                a->new_dev = new_dev;
        }
}

int autofs_guard_release(AutofsGuard *g) {
        int failed = 0, r;

        if (g->dry_run)
                return 0;

        for (size_t i = 0; i < g->n; i++) {
                GuardedAutofs *a = &g->autofs[i];

                if (!a->replaced || a->handle < 0)
                        continue;
                r = autofs_dev_make_catatonic(g->control_fd, a->handle);
                if (r < 0) {
                        log_warning_errno(r, "%s (%s): cannot make the old autofs catatonic: %m",
                                          guarded_autofs_label(a), a->where);
                        a->handle = safe_close(a->handle);
                        a->handle_error = r;
                        failed++;
                        continue;
                }
                log_debug("%s (%s): old autofs %u:%u made catatonic; whatever waited on it returns.",
                          guarded_autofs_label(a), a->where, major(a->dev), minor(a->dev));
        }

        if (!g->nested || g->nested->n == 0)
                return failed;

        autofs_guard_walk_nested(g, COPY_RELEASE);
        return failed;
}
