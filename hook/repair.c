/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autofs-guard.h"
#include "fd-util.h"
#include "log.h"
#include "mount-table.h"
#include "path-util.h"
#include "repair-plan.h"
#include "repair-report.h"
#include "repair-unit.h"
#include "repair-verify.h"
#include "repair.h"
#include "systemd-units.h"
#include "tree-custody.h"

/* The repair sequence: ask systemd for the units, plan each from the mount table, set the trees
 * aside, restart, put the trees back, verify, report. The parts live in tree-custody.c,
 * repair-verify.c and repair-report.c; the decisions in repair-plan.c. */

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

static void autofs_guard_donep(AutofsGuard **g) {
        if (*g)
                autofs_guard_done(*g);
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
                        unit_set_errno(u, UNIT_FAILED, wheres[i].error, "failed to read Where=: %m");
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

static void plan_units(Repair *rp) {
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

                switch (repair_plan_unit(t, u->where, record_lookup(rp->previous, u->name), s, u->reason,
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

static int connect_systemd(Repair *rp) {
        const Worker *w = rp->worker;
        usec_t left = usec_until(w->deadline);
        int r;

        /* Keep a fifth of the time, at most 2 s, for putting trees back whatever systemd does. */
        rp->soft_deadline = w->deadline == USEC_INFINITY ? USEC_INFINITY :
                            w->deadline - (left / 5 < 2 * USEC_PER_SEC ? left / 5 : 2 * USEC_PER_SEC);

        r = systemd_bus_open(w->container->pidns_fd, w->container->pid, rp->soft_deadline, &rp->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the container's systemd at /run/systemd/private: %m");
        return 0;
}

/* Sets the tree of each pending unit aside and queues its restart in jobs; a unit whose tree
 * cannot be copied is not restarted. Returns how many were queued. */
static size_t set_trees_aside(Repair *rp, RestartJob *jobs) {
        size_t n = 0;

        for (size_t i = 0; i < rp->n_units; i++) {
                UnitRepair *u = &rp->units[i];
                int r;

                if (u->state != UNIT_PENDING)
                        continue;
                r = set_tree_aside(rp, u);
                if (r < 0) {
                        /* Without a copy of its tree a restart could lose data: skip the unit. */
                        unit_set_errno(u, UNIT_FAILED, r, "not restarted: cannot take a copy of the %s on top: %m",
                                       u->before.top_fstype);
                        u->tree_fd = safe_close(u->tree_fd);
                        continue;
                }
                jobs[n++].unit = u->name;
        }
        return n;
}

/* Each job goes back to its unit (jobs follow the order of the units), with its verdict. */
static void take_jobs(Repair *rp, RestartJob *jobs, size_t n) {
        for (size_t i = 0, j = 0; i < rp->n_units && j < n; i++) {
                UnitRepair *u = &rp->units[i];

                if (u->state != UNIT_PENDING || !streq_ptr(u->name, jobs[j].unit))
                        continue;
                u->job = jobs[j];
                jobs[j++] = (RestartJob) {};
                (void) unit_job_ran(u);
        }
}

/* Sets the trees of the pending units aside (count: how many are pending) and has systemd
 * restart those units. */
static int restart_pending(Repair *rp, size_t count) {
        _cleanup_free_ RestartJob *jobs = NULL;
        const Worker *w = rp->worker;
        size_t n;
        int r;

        r = rp->stash_name ? stash_create(&rp->stash, rp->stash_name) : -ENOKEY;
        if (r < 0)
                log_warning_errno(r, "Cannot make a stash in %s (%m); trees set aside are held only by this process.",
                                  STASH_PARENT);

        jobs = calloc(count, sizeof *jobs);
        if (!jobs)
                return log_oom();
        n = set_trees_aside(rp, jobs);

        test_stop_point("set-aside");
        /* Three quarters of what is left after the soft deadline go to cancelling unfinished
         * jobs (a systemd that loops too fast sleeps a second at a time before it answers), the
         * rest stays for putting trees back, which takes milliseconds. */
        r = systemd_restart_units(rp->bus, jobs, n, rp->soft_deadline,
                                  w->deadline == USEC_INFINITY ? USEC_INFINITY :
                                  rp->soft_deadline + (w->deadline - rp->soft_deadline) / 4 * 3);
        if (r == -ETIMEDOUT)
                log_error("systemd did not finish the restart jobs within the deadline; the unfinished ones were cancelled.");
        else if (r < 0)
                log_error_errno(r, "Waiting for the restart jobs failed: %m");
        test_stop_point("restarted");

        take_jobs(rp, jobs, n);
        return 0;
}

static RepairResult repair_sequence(Repair *rp, AutofsGuard *guard) {
        size_t pending;

        if (!is_systemd_running()) {
                log_notice("PID 1 of the container (%s) is not systemd; nothing to do.",
                           rp->worker->container->comm);
                return REPAIR_RESULT_NOT_SYSTEMD;
        }
        if (connect_systemd(rp) < 0 || load_units(rp) < 0)
                return REPAIR_RESULT_ERROR;

        if (!rp->options->dry_run)
                recover_stashed_trees(rp);
        plan_units(rp);
        guard_units(rp, guard);

        pending = repair_count_units(rp, UNIT_PENDING);
        if (rp->options->dry_run || pending == 0)
                return report_without_restart(rp, pending);

        if (restart_pending(rp, pending) < 0)
                return REPAIR_RESULT_ERROR;
        /* Results are in the units; every tree goes back, whatever the outcome. */
        check_units_active(rp);
        for (size_t i = 0; i < rp->n_units; i++)
                put_tree_back(rp, &rp->units[i]);

        verify_units(rp);
        release_units(rp, guard);
        return report_repair(rp);
}

int repair_in_container(const Worker *w, void *userdata) {
        const RepairRequest *req = userdata;
        _cleanup_(repair_done) Repair rp = {
                .worker = w,
                .options = req->options,
                .previous = req->previous,
                .stash_name = req->stash_name,
                .stash = STASH_NULL,
        };
        _cleanup_(autofs_guard_donep) AutofsGuard *own_guard = NULL;
        AutofsGuard local_guard;
        RepairResult result;

        if (!req->guard) {
                autofs_guard_init(&local_guard, w, req->autofs_control_fd, req->nested,
                                  req->options->nested, req->options->dry_run);
                own_guard = &local_guard;
        }

        result = repair_sequence(&rp, req->guard ?: own_guard);

        /* However the run ended, the record names what is still in stashes, and no longer
         * this run's stash if it holds nothing. */
        if (!rp.options->dry_run && !rp.record_written && write_record(&rp, false) < 0)
                log_warning("Failed to record the run.");
        if (req->resumed != 0)
                log_info("Done %.1f ms after the tasks resumed.",
                         (double) (now_usec(CLOCK_MONOTONIC) - req->resumed) / USEC_PER_MSEC);
        return result;
}
