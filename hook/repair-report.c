/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "io-util.h"
#include "log.h"
#include "repair-report.h"

_printf_(4, 0)
static void unit_set_va(UnitRepair *u, UnitState state, int error, const char *format, va_list ap) {
        int saved_errno = errno;

        u->state = state;
        /* Let %m render the error we were given, as log_full_errno() does. */
        errno = abs(error) & ~LOG_SYNTHETIC_FLAG;
        vsnprintf(u->reason, sizeof u->reason, format, ap);
        errno = saved_errno;
}

void unit_set(UnitRepair *u, UnitState state, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        unit_set_va(u, state, 0, format, ap);
        va_end(ap);
}

void unit_set_errno(UnitRepair *u, UnitState state, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        unit_set_va(u, state, error, format, ap);
        va_end(ap);
}

size_t repair_count_units(const Repair *rp, UnitState state) {
        size_t n = 0;

        for (size_t i = 0; i < rp->n_units; i++)
                if (rp->units[i].state == state)
                        n++;
        return n;
}

static void format_dev(dev_t d, char buf[static 32]) {
        snprintf(buf, 32, "%u:%u", major(d), minor(d));
}

static void report_unit(const UnitRepair *u, bool dry_run) {
        char old_dev[32], new_dev[32], top_dev[32];
        const char *where = u->where ?: "?";

        format_dev(u->before.autofs_dev, old_dev);
        format_dev(u->after.autofs_dev, new_dev);
        format_dev(u->before.top.dev, top_dev);

        switch (u->state) {
        case UNIT_PENDING:
                if (dry_run) {
                        if (u->before.n_on_top > 0)
                                log_info("%s (%s): would restart; autofs %s; would set aside %s %s and put it back.",
                                         u->name, where, old_dev, u->before.top_fstype, top_dev);
                        else
                                log_info("%s (%s): would restart; autofs %s; nothing mounted on top.",
                                         u->name, where, old_dev);
                } else
                        log_error("%s (%s): left in an unknown state.", u->name, where);
                break;
        case UNIT_REPAIRED:
                /* The device number alone may repeat (the kernel reuses freed ones); the pipe
                 * is what shows the autofs is systemd's new one. */
                if (u->before.n_on_top > 0)
                        log_info("%s (%s): repaired: autofs re-created (device %s -> %s, pipe %" PRIu64 " -> %" PRIu64 "); %s %s set aside and put back.",
                                 u->name, where, old_dev, new_dev, u->before.pipe_ino,
                                 u->after.pipe_ino, u->before.top_fstype, top_dev);
                else
                        log_info("%s (%s): repaired: autofs re-created (device %s -> %s, pipe %" PRIu64 " -> %" PRIu64 "); nothing mounted on top.",
                                 u->name, where, old_dev, new_dev, u->before.pipe_ino,
                                 u->after.pipe_ino);
                break;
        case UNIT_FAILED:
                log_error("%s (%s): FAILED: %s%s", u->name, where, u->reason,
                          u->tree_back ? "; the original filesystem is back on top" : "");
                break;
        case UNIT_ALREADY_REPAIRED:
        case UNIT_NOT_TOUCHED:
        default:
                log_info("%s (%s): %s.", u->name, where, u->reason);
                break;
        }
}

int write_record(Repair *rp, bool full) {
        const Record *previous = rp->previous;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        Record r = {};
        int k = 0;

        rp->record_written = true;
        if (rp->worker->output_fd < 0)
                return 0;
        for (size_t i = 0; !full && i < previous->n && k >= 0; i++)
                k = record_add(&r, previous->entries[i].unit, &previous->entries[i].autofs);
        for (size_t i = 0; full && i < rp->n_units && k >= 0; i++) {
                const UnitRepair *u = &rp->units[i];

                if (u->state == UNIT_REPAIRED)
                        k = record_add(&r, u->name, &(AutofsIdentity) {
                                u->after.autofs_id, u->after.autofs_dev, u->after.pipe_ino });
                else if (u->state == UNIT_ALREADY_REPAIRED)
                        k = record_add(&r, u->name, record_lookup(previous, u->name));
        }
        if (rp->stash.dir_fd >= 0 && !stash_close(&rp->stash))
                (void) record_add_stash(&rp->kept, rp->stash_name);
        for (size_t i = 0; i < rp->kept.n_stashes && k >= 0; i++)
                k = record_add_stash(&r, rp->kept.stashes[i]);
        /* Stashes of interrupted runs that this run did not get to look at stay recorded. */
        for (size_t i = 0; !rp->recovered && i < previous->n_stashes && k >= 0; i++)
                if (!streq_ptr(previous->stashes[i], rp->stash_name))
                        k = record_add_stash(&r, previous->stashes[i]);
        if (k >= 0)
                k = record_format(&r, &text, &size);
        if (k >= 0)
                k = write_all(rp->worker->output_fd, REPAIR_RECORD_HEADER, strlen(REPAIR_RECORD_HEADER));
        if (k >= 0)
                k = write_all(rp->worker->output_fd, text, size);
        record_done(&r);
        return k;
}

RepairResult report_without_restart(const Repair *rp, size_t pending) {
        bool dry_run = rp->options->dry_run;

        for (size_t i = 0; i < rp->n_units; i++)
                report_unit(&rp->units[i], dry_run);
        if (rp->n_units == 0)
                log_info("No automount units%s.", rp->options->unit_globs ? " match the selection" : "");
        else if (!dry_run)
                log_info("%zu automount unit(s): nothing to repair.", rp->n_units);
        return repair_count_units(rp, UNIT_FAILED) > 0 ? REPAIR_RESULT_SOME_FAILED :
               pending > 0 ? REPAIR_RESULT_REPAIRED : REPAIR_RESULT_NOTHING_TO_DO;
}

RepairResult report_repair(Repair *rp) {
        size_t repaired = 0, failed = 0, untouched = 0;
        int r;

        for (size_t i = 0; i < rp->n_units; i++) {
                report_unit(&rp->units[i], false);
                switch (rp->units[i].state) {
                case UNIT_REPAIRED:
                        repaired++;
                        break;
                case UNIT_FAILED:
                        failed++;
                        break;
                case UNIT_PENDING:
                case UNIT_ALREADY_REPAIRED:
                case UNIT_NOT_TOUCHED:
                default:
                        untouched++;
                        break;
                }
        }
        log_info("%zu automount unit(s): %zu repaired, %zu failed, %zu not touched.",
                 rp->n_units, repaired, failed, untouched);

        r = write_record(rp, true);
        if (r < 0)
                log_warning_errno(r, "Failed to record the repair: %m");

        return failed > 0 ? REPAIR_RESULT_SOME_FAILED : REPAIR_RESULT_REPAIRED;
}
