/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"
#include "record.h"
#include "worker.h"

/* How a run in the container ended; also the worker's exit status. */
typedef enum RepairResult {
        REPAIR_RESULT_REPAIRED       = 0,   /* every selected unit repaired */
        REPAIR_RESULT_SOME_FAILED    = 1,   /* at least one unit could not be repaired */
        REPAIR_RESULT_NOTHING_TO_DO  = 4,   /* no unit needed it (none, or already repaired) */
        REPAIR_RESULT_NOT_SYSTEMD    = 5,   /* the container's PID 1 is not systemd */
        REPAIR_RESULT_ERROR          = 6,   /* could not talk to systemd or read the mounts */
} RepairResult;

typedef struct RepairRequest {
        const RepairOptions *options;
        const Record *previous; /* what earlier runs for this container recorded */
        const char *stash_name; /* this run's stash, already in the record; NULL: none */
} RepairRequest;

/* The first line of the worker's output when it has a new record for the caller to keep; the
 * record's lines follow. The worker holds no host file: the caller writes the record. */
#define REPAIR_RECORD_HEADER "record\n"

/* The repair sequence, run by a worker inside the container (see worker.h). userdata is a
 * RepairRequest. */
int repair_in_container(const Worker *w, void *userdata);
