/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fd-util.h"
#include "mount-ops.h"
#include "mount-table.h"
#include "repair-plan.h"
#include "repair-verify.h"
#include "systemd-units.h"
#include "tree-custody.h"

bool unit_job_ran(UnitRepair *u) {
        if (u->job.error) {
                unit_set(u, UNIT_FAILED, "systemd refused the restart: %s", u->job.error);
                return false;
        }
        if (!u->job.finished) {
                unit_set(u, UNIT_FAILED, "the restart did not finish before the deadline%s",
                         u->job.cancel_sent ? ", and systemd did not confirm its cancellation" : "");
                return false;
        }
        if (u->job.cancel_sent && streq_ptr(u->job.result, "canceled")) {
                unit_set(u, UNIT_FAILED, "systemd did not run the restart before the deadline; it was cancelled");
                return false;
        }
        if (!streq_ptr(u->job.result, "done")) {
                unit_set(u, UNIT_FAILED, "the restart job ended with '%s'", u->job.result ?: "?");
                return false;
        }
        return true;
}

void check_units_active(Repair *rp) {
        _cleanup_free_ PropertyQuery *q = NULL;
        _cleanup_free_ UnitRepair **units = NULL;
        size_t n = 0;

        q = calloc(rp->n_units ?: 1, sizeof *q);
        units = calloc(rp->n_units ?: 1, sizeof *units);
        if (!q || !units) {
                for (size_t i = 0; i < rp->n_units; i++)
                        if (rp->units[i].state == UNIT_PENDING)
                                unit_set_errno(&rp->units[i], UNIT_FAILED, -ENOMEM,
                                               "cannot read ActiveState after the restart: %m");
                return;
        }
        for (size_t i = 0; i < rp->n_units; i++)
                if (rp->units[i].state == UNIT_PENDING) {
                        units[n] = &rp->units[i];
                        q[n++].object_path = rp->units[i].object_path;
                }

        (void) systemd_get_units_property(rp->bus, q, n, "org.freedesktop.systemd1.Unit",
                                          "ActiveState", rp->soft_deadline);

        for (size_t i = 0; i < n; i++) {
                if (!q[i].value)
                        unit_set_errno(units[i], UNIT_FAILED, q[i].error,
                                       "cannot read ActiveState after the restart: %m");
                else if (strcmp(q[i].value, "active") != 0)
                        unit_set(units[i], UNIT_FAILED, "the unit is %s after the restart", q[i].value);
                property_query_done(&q[i]);
        }
}

/* What is at Where after the restart and the put-back: asked of the kernel unit by unit (a few
 * syscalls each), or from one read of the mount table on kernels without statmount(2). */
static int stack_after(const Repair *rp, const UnitRepair *u, struct libmnt_table **table,
                       int *table_error, AutofsStack *ret) {
        _cleanup_close_ int where_fd = -EBADF;

        where_fd = open_path_no_symlinks(AT_FDCWD, u->where, 0);
        if (where_fd < 0)
                return where_fd;
        return unit_stack_at(rp, u, where_fd, table, table_error, ret);
}

void verify_units(Repair *rp) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int table_error = 0;

        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];
                int r;

                if (u->state != UNIT_PENDING)
                        continue;
                r = stack_after(rp, u, &t, &table_error, &u->after);
                if (table_error < 0) {
                        unit_set(u, UNIT_FAILED, "cannot read the mount table to verify");
                        continue;
                }
                if (!repair_verify_stack(r, &u->before, &u->after, u->reason, sizeof u->reason)) {
                        u->state = UNIT_FAILED;
                        continue;
                }
                u->state = UNIT_REPAIRED;
        }
}
