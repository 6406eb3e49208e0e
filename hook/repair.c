/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "autofs-guard.h"
#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "mount-ops.h"
#include "mount-probe.h"
#include "mount-table.h"
#include "path-util.h"
#include "record.h"
#include "repair-plan.h"
#include "repair.h"
#include "stash.h"
#include "systemd-jobs.h"
#include "systemd-units.h"

typedef enum UnitState {
        UNIT_PENDING,           /* selected and to be repaired */
        UNIT_ALREADY_REPAIRED,  /* this restore was repaired by an earlier run */
        UNIT_NOT_TOUCHED,       /* left alone, for the reason given */
        UNIT_REPAIRED,
        UNIT_FAILED,
} UnitState;

typedef struct UnitRepair {
        char *name;
        char *object_path;
        char *where;
        bool where_valid;       /* checked against the unit name */
        UnitState state;
        char reason[256];

        AutofsStack before;
        AutofsStack after;
        int tree_fd;            /* detached copy of the tree on top of the autofs */
        bool stashed;           /* an attached copy waits in the stash */
        bool tree_back;         /* the tree is on top at Where again */
        RestartJob job;
} UnitRepair;

typedef struct Repair {
        const Worker *worker;
        const RepairOptions *options;
        usec_t soft_deadline;   /* for systemd; what is left after it is for putting trees back */
        sd_bus *bus;
        Stash stash;
        const char *stash_name;
        Record kept;            /* stashes that still hold trees, for the next run */
        bool recovered;         /* the recorded stashes were looked at */
        bool record_written;
        UnitRepair *units;
        size_t n_units;
} Repair;

static void repair_done(Repair *rp) {
        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];
                free(u->name);
                free(u->object_path);
                free(u->where);
                safe_close(u->tree_fd);
                restart_job_done(&u->job);
        }
        free(rp->units);
        stash_close(&rp->stash);
        record_done(&rp->kept);
        /* Without a flush: everything we wait for was answered, and a peer that stops reading
         * must not hold us past the deadline. */
        sd_bus_close_unref(rp->bus);
}

_printf_(3, 4)
static void unit_set(UnitRepair *u, UnitState state, const char *format, ...) {
        va_list ap;

        u->state = state;
        va_start(ap, format);
        vsnprintf(u->reason, sizeof u->reason, format, ap);
        va_end(ap);
}

static void format_dev(dev_t d, char buf[static 32]) {
        snprintf(buf, 32, "%u:%u", major(d), minor(d));
}

static int load_units(Repair *rp) {
        AutomountUnitInfo *info = NULL;
        _cleanup_free_ const char **states = NULL;
        _cleanup_free_ PropertyQuery *wheres = NULL;
        size_t n = 0;
        int r;

        r = systemd_list_automounts(rp->bus, rp->soft_deadline, &info, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to list automount units: %m");

        rp->units = calloc(n ?: 1, sizeof *rp->units);
        states = calloc(n ?: 1, sizeof *states);
        wheres = calloc(n ?: 1, sizeof *wheres);
        if (!rp->units || !states || !wheres) {
                automount_unit_info_free_array(info, n);
                return log_oom();
        }

        for (size_t i = 0; i < n; i++) {
                UnitRepair *u = &rp->units[rp->n_units];

                if (!unit_name_is_valid(info[i].name, ".automount")) {
                        log_warning("Ignoring a unit with an invalid name from the container's systemd.");
                        continue;
                }
                if (!repair_options_unit_selected(rp->options, info[i].name)) {
                        log_debug("%s: not selected.", info[i].name);
                        continue;
                }

                *u = (UnitRepair) {
                        .name = TAKE_PTR(info[i].name),
                        .object_path = TAKE_PTR(info[i].object_path),
                        .tree_fd = -EBADF,
                };
                u->job.unit = u->name;
                states[rp->n_units] = info[i].active_state;
                wheres[rp->n_units].object_path = u->object_path;
                rp->n_units++;
        }

        /* Where= of inactive units too: a tree an interrupted run set aside for a unit that
         * failed since must still find its way back. All asked at once: one round trip. */
        (void) systemd_get_units_property(rp->bus, wheres, rp->n_units,
                                          "org.freedesktop.systemd1.Automount", "Where",
                                          rp->soft_deadline);

        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];

                if (!wheres[i].value) {
                        unit_set(u, UNIT_FAILED, "failed to read Where=: %s", strerror(-wheres[i].error));
                        continue;
                }
                u->where = TAKE_PTR(wheres[i].value);
                /* Where= and the unit name come from the container: both are checked before
                 * any use. */
                if (repair_check_where(u->name, u->where, u->reason, sizeof u->reason) < 0) {
                        u->state = UNIT_NOT_TOUCHED;
                        continue;
                }
                u->where_valid = true;

                if (strcmp(states[i], "active") != 0)
                        unit_set(u, UNIT_NOT_TOUCHED, "not touched: unit is %s", states[i]);
        }
        for (size_t i = 0; i < rp->n_units; i++)
                property_query_done(&wheres[i]);
        automount_unit_info_free_array(info, n);
        return 0;
}

static UnitRepair *find_unit(Repair *rp, const char *name) {
        for (size_t i = 0; i < rp->n_units; i++)
                if (strcmp(rp->units[i].name, name) == 0)
                        return &rp->units[i];
        return NULL;
}

/* What is mounted at Where (where_fd is Where, opened): the kernel is asked about those mounts
 * alone, so that N units do not read the whole mount table N times. The table is read, once for
 * all the calls that share *table, only where the kernel cannot answer (before Linux 6.8, or a
 * mount out of sight). */
static int stack_at(const Repair *rp, const UnitRepair *u, int where_fd,
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

        return stack_at(rp, u, where_fd, &t, &table_error, ret);
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
        if (r < 0) {
                log_warning_errno(r, "Failed to look for set-aside trees in %s: %m", stash.path);
                goto finish;
        }

        for (char **n = names; *n; n++) {
                _cleanup_close_ int tree_fd = -EBADF;
                UnitRepair *u = find_unit(rp, *n);
                char stash_path[PATH_MAX];
                AutofsStack stashed;
                bool already;

                snprintf(stash_path, sizeof stash_path, "%s/%s", stash.path, *n);
                if (!u || !u->where_valid) {
                        log_warning("%s holds a tree of no active automount unit of this container; leaving it there.",
                                    stash_path);
                        continue;
                }
                if (mount_table_autofs_stack(t, stash_path, &stashed) < 0)
                        continue;

                tree_fd = stash_clone(&stash, *n);
                if (tree_fd < 0) {
                        log_error_errno(tree_fd, "%s: failed to take the tree set aside by an interrupted run: %m",
                                        u->name);
                        continue;
                }
                r = put_tree_on_top(rp, u, tree_fd, &stashed.visible, &already);
                if (r < 0) {
                        log_error_errno(r, "%s: failed to put back the tree set aside by an interrupted run; it stays at %s: %m",
                                        u->name, stash_path);
                        if (u->state == UNIT_PENDING)
                                unit_set(u, UNIT_FAILED, "a tree set aside by an interrupted run could not be put back");
                        continue;
                }
                log_notice("%s (%s): %s set aside by an interrupted run, %s.", u->name, u->where,
                           *n, already ? "was still in place" : "put back");
                r = stash_drop(&stash, *n);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove %s: %m", stash_path);
        }

finish:
        if (!stash_close(&stash))
                (void) record_add_stash(&rp->kept, stash_name);
}

/* A previous run was killed while trees were set aside: put each back, then repair as usual.
 * Only stashes the host-side record names are looked at: anything else in the container's /run
 * was made by the container. */
static void recover_stash(Repair *rp, const Record *previous) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
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

static void plan_units(Repair *rp, const Record *record) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        _cleanup_free_ char **wheres = NULL;
        size_t n = 0;
        int r;

        /* One read, and only what is mounted at the units' places is parsed: thousands of
         * unrelated mounts cost the kernel's text and one pass over it. */
        wheres = calloc(rp->n_units ?: 1, sizeof *wheres);
        if (!wheres)
                r = -ENOMEM;
        else {
                for (size_t i = 0; i < rp->n_units; i++)
                        if (rp->units[i].state == UNIT_PENDING)
                                wheres[n++] = rp->units[i].where;
                r = mount_table_read_at(rp->worker->mountinfo_fd, wheres, n, &t);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read the container's mount table: %m");
                for (size_t i = 0; i < rp->n_units; i++)
                        if (rp->units[i].state == UNIT_PENDING)
                                unit_set(&rp->units[i], UNIT_FAILED, "mount table unreadable");
                return;
        }

        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];
                AutofsStack *s = &u->before;

                if (u->state != UNIT_PENDING)
                        continue;

                switch (repair_plan_unit(t, u->where, record_lookup(record, u->name), s, u->reason,
                                         sizeof u->reason)) {
                case PLAN_NOT_TOUCHED:
                        u->state = UNIT_NOT_TOUCHED;
                        break;
                case PLAN_ALREADY_REPAIRED:
                        u->state = UNIT_ALREADY_REPAIRED;
                        break;
                case PLAN_REPAIR:
                default:
                        break;
                }
        }
}

/* Takes a copy of the tree on top before systemd detaches it, and parks another copy in the
 * stash, so that the data survives a failed restart and our own death. */
static int set_aside(Repair *rp, UnitRepair *u) {
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

        if (rp->stash.dir_fd >= 0) {
                r = stash_put(&rp->stash, u->name, u->tree_fd);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot keep a copy in %s (%m); the tree is held only by this process until it is back.",
                                          u->name, rp->stash.path);
                else
                        u->stashed = true;
        }
        return 0;
}

/* Whether the unit's restart job ran: if not, the unit has failed, and why. */
static bool job_ran(UnitRepair *u) {
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

/* "done" says the job ran, not that the unit is up: ActiveState of every unit whose job ran,
 * all asked at once. */
static void check_active(Repair *rp) {
        _cleanup_free_ PropertyQuery *q = NULL;
        _cleanup_free_ UnitRepair **units = NULL;
        size_t n = 0;

        q = calloc(rp->n_units ?: 1, sizeof *q);
        units = calloc(rp->n_units ?: 1, sizeof *units);
        if (!q || !units) {
                for (size_t i = 0; i < rp->n_units; i++)
                        if (rp->units[i].state == UNIT_PENDING)
                                unit_set(&rp->units[i], UNIT_FAILED, "cannot read ActiveState after the restart: %s",
                                         strerror(ENOMEM));
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
                        unit_set(units[i], UNIT_FAILED, "cannot read ActiveState after the restart: %s",
                                 strerror(-q[i].error));
                else if (strcmp(q[i].value, "active") != 0)
                        unit_set(units[i], UNIT_FAILED, "the unit is %s after the restart", q[i].value);
                property_query_done(&q[i]);
        }
}

static void put_back(Repair *rp, UnitRepair *u) {
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

/* What is at Where after the restart and the put-back: asked of the kernel unit by unit (a few
 * syscalls each), or from one read of the mount table on kernels without statmount(2). */
static int stack_after(const Repair *rp, const UnitRepair *u, struct libmnt_table **table,
                       int *table_error, AutofsStack *ret) {
        _cleanup_close_ int where_fd = -EBADF;

        where_fd = open_path_no_symlinks(AT_FDCWD, u->where, 0);
        if (where_fd < 0)
                return where_fd;
        return stack_at(rp, u, where_fd, table, table_error, ret);
}

static void verify_units(Repair *rp) {
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

/* Hands the new record to the caller, which alone holds the host file. After a repair it names
 * the units repaired; otherwise (full == false) what earlier runs recorded stays. Either way it
 * names the stashes that still hold trees. */
static int write_record(Repair *rp, const Record *previous, bool full) {
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

/* Before the restart: a handle on each old autofs, so that it can be made catatonic after the
 * restart (releasing whoever waits on it, and its copies in nested namespaces); and, with
 * nested=skip, the units whose autofs has copies nothing would reach are left alone. */
static void guard_units(Repair *rp, AutofsGuard *g) {
        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];

                if (u->state == UNIT_PENDING)
                        autofs_guard_hold(g, u->name, u->where, u->before.autofs_dev);
        }
        autofs_guard_scan_nested(g);
        if (rp->options->nested != NESTED_SKIP)
                return;
        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];
                unsigned n;

                if (u->state != UNIT_PENDING)
                        continue;
                n = autofs_guard_private_copies(g, u->before.autofs_dev);
                if (n > 0)
                        unit_set(u, UNIT_NOT_TOUCHED, "not touched: %u mount namespace(s) without propagation hold a copy of its autofs (nested=skip)",
                                 n);
        }
}

/* After the restart: every old autofs that was replaced is released. */
static void release_units(Repair *rp, AutofsGuard *g) {
        for (size_t i = 0; i < rp->n_units; i++) {
                const UnitRepair *u = &rp->units[i];

                if (u->state == UNIT_REPAIRED)
                        autofs_guard_replaced(g, u->before.autofs_dev, u->after.autofs_dev);
        }
        (void) autofs_guard_release(g);
}

#ifdef AUTOFS_RESTORE_HOOK_FAULT_INJECTION
/* Only in the test build (build/test-bin/, never installed): tests need to kill us at exact
 * points of the sequence. With AUTOFS_RESTORE_HOOK_STOP_AT=<point> in the environment the worker
 * stops itself there (SIGSTOP) and goes on when continued. An installed hook must not let its
 * inherited environment stop a root process half-way through a repair. */
static void test_stop_point(const char *point) {
        const char *e = getenv("AUTOFS_RESTORE_HOOK_STOP_AT");

        if (e && strcmp(e, point) == 0) {
                log_notice("Stopping at %s as requested by AUTOFS_RESTORE_HOOK_STOP_AT.", point);
                (void) raise(SIGSTOP);
        }
}
#else
static void test_stop_point(const char *point) {
}
#endif

static bool is_systemd_running(void) {
        struct stat st;

        /* What sd_booted() checks: systemd creates this directory early at boot. */
        return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

int repair_in_container(const Worker *w, void *userdata) {
        const RepairRequest *req = userdata;
        Repair rp = {
                .worker = w,
                .options = req->options,
                .stash_name = req->stash_name,
                .stash = STASH_NULL,
        };
        const Record *record = req->previous;
        AutofsGuard local_guard, *guard = req->guard;
        size_t pending = 0, repaired = 0, failed = 0, untouched = 0;
        _cleanup_free_ RestartJob *jobs = NULL;
        usec_t left = usec_until(w->deadline);
        int r, result;

        if (!guard) {
                autofs_guard_init(&local_guard, w, req->autofs_control_fd, req->nested,
                                  req->options->nested, req->options->dry_run);
                guard = &local_guard;
        }

        if (!is_systemd_running()) {
                log_notice("PID 1 of the container (%s) is not systemd; nothing to do.",
                           w->container->comm);
                result = REPAIR_RESULT_NOT_SYSTEMD;
                goto finish;
        }

        /* Keep a fifth of the time, at most 2 s, for putting trees back whatever systemd does. */
        rp.soft_deadline = w->deadline == USEC_INFINITY ? USEC_INFINITY :
                           w->deadline - (left / 5 < 2 * USEC_PER_SEC ? left / 5 : 2 * USEC_PER_SEC);

        r = systemd_bus_open(w->container->pidns_fd, w->container->pid, rp.soft_deadline, &rp.bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the container's systemd at /run/systemd/private: %m");
                result = REPAIR_RESULT_ERROR;
                goto finish;
        }

        r = load_units(&rp);
        if (r < 0) {
                result = REPAIR_RESULT_ERROR;
                goto finish;
        }

        if (!rp.options->dry_run)
                recover_stash(&rp, record);
        plan_units(&rp, record);
        guard_units(&rp, guard);

        for (size_t i = 0; i < rp.n_units; i++)
                if (rp.units[i].state == UNIT_PENDING)
                        pending++;

        if (rp.options->dry_run || pending == 0) {
                for (size_t i = 0; i < rp.n_units; i++)
                        report_unit(&rp.units[i], rp.options->dry_run);
                for (size_t i = 0; i < rp.n_units; i++)
                        if (rp.units[i].state == UNIT_FAILED)
                                failed++;
                if (rp.n_units == 0)
                        log_info("No automount units%s.",
                                 rp.options->unit_globs ? " match the selection" : "");
                else if (!rp.options->dry_run)
                        log_info("%zu automount unit(s): nothing to repair.", rp.n_units);
                result = failed > 0 ? REPAIR_RESULT_SOME_FAILED :
                         pending > 0 ? REPAIR_RESULT_REPAIRED : REPAIR_RESULT_NOTHING_TO_DO;
                goto finish;
        }

        r = rp.stash_name ? stash_create(&rp.stash, rp.stash_name) : -ENOKEY;
        if (r < 0)
                log_warning_errno(r, "Cannot make a stash in %s (%m); trees set aside are held only by this process.",
                                  STASH_PARENT);

        jobs = calloc(pending, sizeof *jobs);
        if (!jobs) {
                result = REPAIR_RESULT_ERROR;
                goto finish;
        }

        pending = 0;
        for (size_t i = 0; i < rp.n_units; i++) {
                UnitRepair *u = &rp.units[i];

                if (u->state != UNIT_PENDING)
                        continue;
                r = set_aside(&rp, u);
                if (r < 0) {
                        /* Without a copy of its tree a restart could lose data: skip the unit. */
                        unit_set(u, UNIT_FAILED, "not restarted: cannot take a copy of the %s on top: %s",
                                 u->before.top_fstype, strerror(-r));
                        u->tree_fd = safe_close(u->tree_fd);
                        continue;
                }
                jobs[pending++].unit = u->name;
        }

        test_stop_point("set-aside");
        /* Three quarters of what is left after the soft deadline go to cancelling unfinished
         * jobs (a systemd that loops too fast sleeps a second at a time before it answers), the
         * rest stays for putting trees back, which takes milliseconds. */
        r = systemd_restart_units(rp.bus, jobs, pending, rp.soft_deadline,
                                  w->deadline == USEC_INFINITY ? USEC_INFINITY :
                                  rp.soft_deadline + (w->deadline - rp.soft_deadline) / 4 * 3);
        if (r == -ETIMEDOUT)
                log_error("systemd did not finish the restart jobs within the deadline; the unfinished ones were cancelled.");
        else if (r < 0)
                log_error_errno(r, "Waiting for the restart jobs failed: %m");
        test_stop_point("restarted");

        /* Results go back to the units, then every tree goes back, whatever the outcome. */
        for (size_t i = 0, j = 0; i < rp.n_units && j < pending; i++) {
                UnitRepair *u = &rp.units[i];

                if (u->state != UNIT_PENDING || !streq_ptr(u->name, jobs[j].unit))
                        continue;
                u->job = jobs[j];
                jobs[j++] = (RestartJob) {};
                (void) job_ran(u);
        }
        check_active(&rp);
        for (size_t i = 0; i < rp.n_units; i++)
                put_back(&rp, &rp.units[i]);

        verify_units(&rp);
        release_units(&rp, guard);

        for (size_t i = 0; i < rp.n_units; i++) {
                report_unit(&rp.units[i], false);
                switch (rp.units[i].state) {
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
                 rp.n_units, repaired, failed, untouched);

        r = write_record(&rp, record, true);
        if (r < 0)
                log_warning_errno(r, "Failed to record the repair: %m");

        result = failed > 0 ? REPAIR_RESULT_SOME_FAILED : REPAIR_RESULT_REPAIRED;

finish:
        /* However the run ended, the record names what is still in stashes, and no longer
         * this run's stash if it holds nothing. */
        if (!rp.options->dry_run && !rp.record_written && write_record(&rp, record, false) < 0)
                log_warning("Failed to record the run.");
        if (guard == &local_guard)
                autofs_guard_done(&local_guard);
        if (req->resumed != 0)
                log_info("Done %.1f ms after the tasks resumed.",
                         (double) (now_usec(CLOCK_MONOTONIC) - req->resumed) / USEC_PER_MSEC);
        repair_done(&rp);
        return result;
}
