/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "autofs-guard.h"
#include "nested-ns.h"
#include "options.h"
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
        int record_fd;          /* host-side record of this container, locked; -EBADF: none */
        const NestedNamespaces *nested; /* the container's other mount namespaces; NULL: none */
        AutofsGuard *guard;     /* handles taken earlier (CRIU's pre-resume); NULL: taken here */
} RepairRequest;

/* The repair sequence, run by a worker inside the container (see worker.h). userdata is a
 * RepairRequest. */
int repair_in_container(const Worker *w, void *userdata);
