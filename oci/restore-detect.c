/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "restore-detect.h"

static const char *const stage_names[] = {
        [OCI_STAGE_PRESTART]         = "prestart",
        [OCI_STAGE_CREATE_RUNTIME]   = "createRuntime",
        [OCI_STAGE_CREATE_CONTAINER] = "createContainer",
        [OCI_STAGE_START_CONTAINER]  = "startContainer",
        [OCI_STAGE_POSTSTART]        = "poststart",
        [OCI_STAGE_POSTSTOP]         = "poststop",
};

int oci_stage_from_string(const char *s, OciStage *ret) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(stage_names); i++)
                if (stage_names[i] && strcmp(s, stage_names[i]) == 0) {
                        *ret = (OciStage) i;
                        return 0;
                }
        return -EINVAL;
}

const char *oci_stage_to_string(OciStage s) {
        if ((size_t) s < ELEMENTSOF(stage_names) && stage_names[s])
                return stage_names[s];
        return "unknown";
}

int oci_stage_from_args(const char *option, char *const *args, size_t n_args, const char **ret) {
        if (n_args > 1)
                return -E2BIG;
        if (n_args == 0) {
                *ret = option;
                return 0;
        }
        if (option && !streq_ptr(option, args[0]))
                return -EINVAL;
        *ret = args[0];
        return 0;
}

OciStage oci_stage_infer(OciStatus status) {
        switch (status) {
        case OCI_STATUS_CREATING:
        case OCI_STATUS_STOPPED:
                /* prestart and createRuntime run at the same moment with the same state; what
                 * this hook does there is the same too. */
                return OCI_STAGE_CREATE_RUNTIME;
        case OCI_STATUS_RUNNING:
                return OCI_STAGE_POSTSTART;
        case OCI_STATUS_CREATED:
                /* runc 1.1 says "created" at poststart, crun 1.8 at createRuntime and prestart. */
        case OCI_STATUS_OTHER:
        default:
                return OCI_STAGE_UNKNOWN;
        }
}

static int parse_boolean(const char *v) {
        static const char *const yes[] = { "true", "yes", "1" }, *const no[] = { "false", "no", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(v, yes[i]) == 0)
                        return 1;
                if (strcmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int restore_mark_from_state(const OciState *s, const char *extra_key, const char *extra_value,
                            RestoreMark *ret, const char **ret_bad_value) {
        const char *v;
        int b;

        v = oci_state_annotation(s, RESTORE_ANNOTATION);
        if (v) {
                b = parse_boolean(v);
                if (b < 0) {
                        if (ret_bad_value)
                                *ret_bad_value = v;
                        return -EINVAL;
                }
                /* The project's own annotation is the user's last word, also over extra_key. */
                *ret = b ? RESTORE_MARK_YES : RESTORE_MARK_NO;
                return 0;
        }

        if (extra_key) {
                v = oci_state_annotation(s, extra_key);
                if (v && streq_ptr(v, extra_value ?: "true")) {
                        *ret = RESTORE_MARK_YES;
                        return 0;
                }
        }

        *ret = RESTORE_MARK_NONE;
        return 0;
}

const char *hook_action_to_string(HookAction a) {
        switch (a) {
        case HOOK_ACTION_NORMAL_START:
                return "normal-start";
        case HOOK_ACTION_DISABLED:
                return "disabled";
        case HOOK_ACTION_NOT_RESTORING:
                return "not-restoring";
        case HOOK_ACTION_GONE:
                return "gone";
        case HOOK_ACTION_UNSUPPORTED_STAGE:
                return "unsupported-stage";
        case HOOK_ACTION_DEFER_REPAIR:
                return "defer-repair";
        case HOOK_ACTION_REPAIR_NOW:
                return "repair-now";
        default:
                return "invalid";
        }
}

HookDecision restore_decide(OciStage stage, OciStatus status, RestoreMark mark, RestoreProbe probe,
                            void *userdata) {
        HookDecision d = { .action = HOOK_ACTION_NORMAL_START };

        switch (stage) {
        case OCI_STAGE_CREATE_RUNTIME:
        case OCI_STAGE_PRESTART:
                if (mark == RESTORE_MARK_NO) {
                        d.action = HOOK_ACTION_DISABLED;
                        break;
                }
                /* The user's word needs no confirmation: the watcher waits for the process to
                 * run its own program, whichever way it gets there. */
                if (mark == RESTORE_MARK_YES) {
                        d.action = HOOK_ACTION_DEFER_REPAIR;
                        break;
                }
                /* runc and podman (with runc) run these hooks during a restore with "stopped"; a
                 * normal create says "creating". A proposed runc (runc#5296) runs them later in
                 * the restore, once CRIU has restored the mounts, with "created" — which is also
                 * what crun says on every normal create. Neither status is proof, so the process
                 * must be one that CRIU is restoring: traced. */
                if (status != OCI_STATUS_STOPPED && status != OCI_STATUS_CREATED) {
                        d.action = HOOK_ACTION_NORMAL_START;
                        break;
                }
                d.probe_result = probe ? probe(userdata) : -EOPNOTSUPP;
                if (d.probe_result > 0)
                        d.action = HOOK_ACTION_DEFER_REPAIR;
                else if (d.probe_result == -ESRCH)
                        d.action = HOOK_ACTION_GONE;
                else if (d.probe_result == 0 && status == OCI_STATUS_CREATED)
                        /* crun's normal create. */
                        d.action = HOOK_ACTION_NORMAL_START;
                else
                        /* Not traced, or cannot tell: doing nothing never harms a container;
                         * a repair based on a guess might. The caller reports the error. */
                        d.action = HOOK_ACTION_NOT_RESTORING;
                break;

        case OCI_STAGE_POSTSTART:
                /* No runtime runs poststart on a restore; only the user's mark says one is. */
                if (mark == RESTORE_MARK_YES)
                        d.action = HOOK_ACTION_REPAIR_NOW;
                else if (mark == RESTORE_MARK_NO)
                        d.action = HOOK_ACTION_DISABLED;
                else
                        d.action = HOOK_ACTION_NORMAL_START;
                break;

        case OCI_STAGE_CREATE_CONTAINER:
        case OCI_STAGE_START_CONTAINER:
        case OCI_STAGE_POSTSTOP:
        case OCI_STAGE_UNKNOWN:
        default:
                d.action = HOOK_ACTION_UNSUPPORTED_STAGE;
                break;
        }
        return d;
}
