/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "exit-status.h"
#include "options.h"
#include "time-util.h"

/* How long the hook waits for the runtime to write the state and close our stdin. runc and
 * podman do both before they wait for us. */
#define OCI_STATE_READ_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* How long the watcher (the detached process of the hook) waits for CRIU to finish the restore it was started in. A small
 * container takes a second; a large one is mostly the time to read its memory pages back. */
#define DEFAULT_RESTORE_WAIT_USEC (300 * USEC_PER_SEC)

typedef struct OciHookOptions {
        const char *stage;                      /* --stage; NULL: inferred from the state */
        const char *log_file;                   /* --log-file; NULL: journal and stderr only */
        const char *restore_annotation_key;     /* --restore-annotation KEY[=VALUE] */
        const char *restore_annotation_value;
        usec_t restore_wait;                    /* --wait-timeout */
        usec_t state_read_timeout;
} OciHookOptions;

#define OCI_HOOK_OPTIONS_DEFAULT                                        \
        (OciHookOptions) { .restore_wait = DEFAULT_RESTORE_WAIT_USEC,   \
                           .state_read_timeout = OCI_STATE_READ_TIMEOUT_USEC }

/* Runs as an OCI runtime hook: the container state JSON on stdin, the stage from --stage or,
 * failing that, inferred from the state (see restore-detect.h). Exits 0 fast on a normal start;
 * during a restore, leaves a watcher behind (a detached process) that repairs once CRIU has resumed the
 * container; repairs synchronously at poststart of a container annotated as restored. */
ExitStatus oci_hook_run(const OciHookOptions *h, RepairOptions *o);
