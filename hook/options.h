/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "time-util.h"

#define DEFAULT_STATE_DIR   "/run/autofs-restore-hook"
#define DEFAULT_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define MAX_GLOBS 64

/* What the engine is asked to do. Filled from the config file first, then the command line. */
typedef struct RepairOptions {
        char **unit_globs;      /* NULL-terminated; empty: every .automount unit */
        char **exclude_globs;
        usec_t timeout;         /* one deadline for the whole run */
        bool dry_run;
        bool rearm_psi;         /* write back the pressure triggers CRIU does not restore */
        char *state_dir;        /* host-side records and locks */
        char *container_name;   /* for log lines only */
        int log_level;
} RepairOptions;

void repair_options_init(RepairOptions *o);
void repair_options_done(RepairOptions *o);

int repair_options_add_glob(char ***globs, const char *glob);

/* Parses "SEC" or "SEC.FRACTION" into microseconds, 0 < t <= one day. */
int parse_timeout(const char *s, usec_t *ret);
int parse_log_level(const char *s, int *ret);
int parse_pid(const char *s, int *ret);
/* yes/no, true/false, on/off, 1/0. */
int parse_boolean(const char *s, bool *ret);

/* True if a unit is selected by the include and exclude globs. */
bool repair_options_unit_selected(const RepairOptions *o, const char *unit);
