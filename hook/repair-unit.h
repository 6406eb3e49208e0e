/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "macro.h"
#include "mount-stack.h"
#include "options.h"
#include "record.h"
#include "stash.h"
#include "systemd-jobs.h"
#include "worker.h"

/* What one run of the repair sequence (repair.c) knows about each automount unit, shared by the
 * files that hold its parts: tree-custody.c, repair-verify.c, repair-report.c. */

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
        const Record *previous; /* what earlier runs for this container recorded */
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

/* Sets the unit's state, and why, as a reason for the report. */
_printf_(3, 4)
void unit_set(UnitRepair *u, UnitState state, const char *format, ...);

/* Like unit_set(), with %m in format standing for error (a negative errno). */
_printf_(4, 5)
void unit_set_errno(UnitRepair *u, UnitState state, int error, const char *format, ...);

/* How many units are in state. */
size_t repair_count_units(const Repair *rp, UnitState state);
