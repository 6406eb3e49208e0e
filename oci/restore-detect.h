/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Decides what one hook invocation does: nothing (a normal start), hand the repair to a watcher
 * that waits for CRIU to finish (a restore seen at createRuntime/prestart), or repair at once
 * (poststart of a container the user marked as restored). Pure logic: the one fact that needs
 * the system, whether the process is being restored, is asked through a callback, and only when
 * the answer matters, so that a normal start with status "creating" (runc, podman) never looks at
 * the process at all. */

#include <stdbool.h>

#include "oci-state.h"

/* The annotation a user sets to say "this start is a restore" (true) or "never repair this
 * container" (false). */
#define RESTORE_ANNOTATION "org.autofs-restore-hook.restore"

typedef enum OciStage {
        OCI_STAGE_UNKNOWN,
        OCI_STAGE_PRESTART,
        OCI_STAGE_CREATE_RUNTIME,
        OCI_STAGE_CREATE_CONTAINER,
        OCI_STAGE_START_CONTAINER,
        OCI_STAGE_POSTSTART,
        OCI_STAGE_POSTSTOP,
} OciStage;

/* Accepts the runtime-spec's stage names (as in config.json and hooks.d). -EINVAL otherwise. */
int oci_stage_from_string(const char *s, OciStage *ret);
const char *oci_stage_to_string(OciStage s);

/* The stage named on the command line: --stage=STAGE (option, NULL if absent) or, as oci-umount
 * and oci-systemd-hook take it, the one positional argument (args[0..n_args)). Both may be
 * given if they agree. Returns 0 with *ret set (NULL: no stage given), -E2BIG for more than one
 * positional argument, -EINVAL if the two disagree. The name itself is checked by
 * oci_stage_from_string(). */
int oci_stage_from_args(const char *option, char *const *args, size_t n_args, const char **ret);

/* The stage a hook started without --stage is running in, from the state's status where that
 * tells: runc says "creating" at createRuntime/prestart and "stopped" there during a restore;
 * crun says "running" at poststart. "created" is ambiguous (runc's poststart, crun's
 * createRuntime/prestart) and gives OCI_STAGE_UNKNOWN, like any other status. */
OciStage oci_stage_infer(OciStatus status);

typedef enum RestoreMark {
        RESTORE_MARK_NONE,      /* no annotation: detect */
        RESTORE_MARK_YES,       /* the user says this start is a restore */
        RESTORE_MARK_NO,        /* the user says never repair this container */
} RestoreMark;

/* Reads RESTORE_ANNOTATION ("true"/"false", also "yes"/"no", "1"/"0") and, if extra_key is set,
 * a user-chosen annotation that means "restore" when its value is extra_value. A value that is
 * neither gives -EINVAL with *ret_bad_value pointing at it. */
int restore_mark_from_state(const OciState *s, const char *extra_key, const char *extra_value,
                            RestoreMark *ret, const char **ret_bad_value);

typedef enum HookAction {
        HOOK_ACTION_NORMAL_START,       /* a normal create or start: nothing to do */
        HOOK_ACTION_DISABLED,           /* RESTORE_MARK_NO */
        HOOK_ACTION_NOT_RESTORING,      /* "stopped" (or "created"), but nobody is restoring
                                         * the process, or that cannot be told */
        HOOK_ACTION_GONE,               /* the process is gone */
        HOOK_ACTION_UNSUPPORTED_STAGE,  /* a stage this hook has nothing to do in */
        HOOK_ACTION_DEFER_REPAIR,       /* restore under way: a watcher waits, then repairs */
        HOOK_ACTION_REPAIR_NOW,         /* poststart of a container marked as restored */
} HookAction;

const char *hook_action_to_string(HookAction a);

/* Returns 1 if the process is being restored by CRIU (traced), 0 if not, -ESRCH if it is gone,
 * another negative errno if that cannot be told. */
typedef int (*RestoreProbe)(void *userdata);

typedef struct HookDecision {
        HookAction action;
        int probe_result;       /* what it returned */
} HookDecision;

HookDecision restore_decide(OciStage stage, OciStatus status, RestoreMark mark, RestoreProbe probe,
                            void *userdata);
