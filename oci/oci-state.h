/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OCI container state a runtime writes on a hook's stdin (runtime-spec, "State"). Every JSON
 * detail lives in oci-state.c, so that the JSON library can be replaced without touching the
 * rest; callers only see this plain structure. */

#include <stddef.h>
#include <sys/types.h>

#include "time-util.h"

/* A state is a few hundred bytes plus the annotations; anything near this size is not a state. */
#define OCI_STATE_MAX_SIZE (64 * 1024)
/* Deeper than any state needs (annotations are at depth 2): refused before the JSON parser, whose
 * tree is freed recursively, ever sees it. */
#define OCI_STATE_MAX_DEPTH 32
#define OCI_STATE_ID_MAX 1024

typedef enum OciStatus {
        OCI_STATUS_CREATING,
        OCI_STATUS_CREATED,
        OCI_STATUS_RUNNING,
        OCI_STATUS_STOPPED,
        OCI_STATUS_OTHER,       /* a runtime's own extension, e.g. runc's "paused" */
} OciStatus;

const char *oci_status_to_string(OciStatus s);

typedef struct OciAnnotation {
        char *key;
        char *value;
} OciAnnotation;

typedef struct OciState {
        char *oci_version;
        char *id;
        char *status_string;    /* as the runtime wrote it */
        OciStatus status;
        pid_t pid;
        char *bundle;
        OciAnnotation *annotations;
        size_t n_annotations;
} OciState;

#define OCI_STATE_NULL (OciState) {}

void oci_state_done(OciState *s);

/* Parses and validates a state: an object with ociVersion (a version string), id (printable, at
 * most OCI_STATE_ID_MAX bytes), status (a string), pid (an integer 1..4194304, written as plain
 * digits), bundle (an absolute path) and optionally annotations (an object of strings). Other
 * members are ignored; a member named twice is refused. buf need not be NUL-terminated and may
 * hold anything: no input makes it crash or read beyond len.
 *
 * Returns 0, or -EINVAL (invalid), -E2BIG (larger than OCI_STATE_MAX_SIZE or deeper than
 * OCI_STATE_MAX_DEPTH), -ENOMEM. On failure, *ret_error (if ret_error is not NULL) is a
 * one-line description to free(), or NULL when even that could not be allocated. Never logs. */
int oci_state_parse(const char *buf, size_t len, OciState *ret, char **ret_error);

/* The value of an annotation, NULL if the state has none of that name. */
const char *oci_state_annotation(const OciState *s, const char *key);

/* Reads a state from fd (the hook's stdin) up to EOF: at most OCI_STATE_MAX_SIZE bytes (-E2BIG),
 * and only until the deadline (CLOCK_MONOTONIC; -ETIMEDOUT), because a runtime that never closes
 * our stdin must not hold up the container forever. The result is NUL-terminated. */
int oci_state_read(int fd, usec_t deadline, char **ret, size_t *ret_len);
