/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the OCI hook decides for each stage, status and annotation, and that a normal start never
 * looks at the process. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "restore-detect.h"
#include "tap.h"

typedef struct FakeProbe {
        int result;
        unsigned calls;
} FakeProbe;

static int fake_probe(void *userdata) {
        FakeProbe *p = userdata;

        p->calls++;
        return p->result;
}

static HookDecision decide(OciStage stage, OciStatus status, RestoreMark mark, int probe_result,
                           unsigned *ret_calls) {
        FakeProbe p = { .result = probe_result };
        HookDecision d = restore_decide(stage, status, mark, fake_probe, &p);

        *ret_calls = p.calls;
        return d;
}

static void test_stages(void) {
        static const char *const names[] = {
                "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        };
        OciStage s = OCI_STAGE_UNKNOWN;

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                check(oci_stage_from_string(names[i], &s) == 0 && strcmp(oci_stage_to_string(s), names[i]) == 0,
                      "stage %s round-trips", names[i]);
        check_int(oci_stage_from_string("CreateRuntime", &s), -EINVAL, "stage names are case-sensitive");
        check_int(oci_stage_from_string("", &s), -EINVAL, "empty stage");
        check_int(oci_stage_from_string(NULL, &s), -EINVAL, "NULL stage");
        check_str(oci_stage_to_string((OciStage) 99), "unknown", "out-of-range stage prints as unknown");

        check_int(oci_stage_infer(OCI_STATUS_CREATING), OCI_STAGE_CREATE_RUNTIME, "creating → createRuntime");
        check_int(oci_stage_infer(OCI_STATUS_STOPPED), OCI_STAGE_CREATE_RUNTIME, "stopped → createRuntime (restore)");
        check_int(oci_stage_infer(OCI_STATUS_RUNNING), OCI_STAGE_POSTSTART, "running → poststart");
        check_int(oci_stage_infer(OCI_STATUS_CREATED), OCI_STAGE_UNKNOWN, "created (runc poststart, crun createRuntime) → unknown");
        check_int(oci_stage_infer(OCI_STATUS_OTHER), OCI_STAGE_UNKNOWN, "other → unknown");
}

/* oci-umount and oci-systemd-hook take the stage as their first argument; users copy their
 * hooks.d lines. */
static void test_stage_arguments(void) {
        char *create_runtime[] = { (char *) "createRuntime" }, *two[] = { (char *) "prestart", (char *) "x" };
        const char *stage = "sentinel";

        check(oci_stage_from_args(NULL, NULL, 0, &stage) == 0 && stage == NULL, "no stage given: NULL");
        check(oci_stage_from_args("prestart", NULL, 0, &stage) == 0 && streq_ptr(stage, "prestart"),
              "--stage alone");
        check(oci_stage_from_args(NULL, create_runtime, 1, &stage) == 0 && streq_ptr(stage, "createRuntime"),
              "positional stage alone");
        check(oci_stage_from_args("createRuntime", create_runtime, 1, &stage) == 0 &&
              streq_ptr(stage, "createRuntime"), "--stage and the same positional stage");
        check_int(oci_stage_from_args("prestart", create_runtime, 1, &stage), -EINVAL,
                  "--stage and a different positional stage: refused");
        check_int(oci_stage_from_args(NULL, two, 2, &stage), -E2BIG, "two positional arguments: refused");
}

static OciState state_with(OciAnnotation *a, size_t n) {
        return (OciState) { .id = (char *) "x", .annotations = a, .n_annotations = n };
}

static void test_marks(void) {
        OciAnnotation a[2] = {};
        const char *bad = NULL;
        RestoreMark m = RESTORE_MARK_NONE;
        OciState s;

        s = state_with(NULL, 0);
        check(restore_mark_from_state(&s, NULL, NULL, &m, &bad) == 0 && m == RESTORE_MARK_NONE,
              "no annotations: no mark");

        static const char *const yes[] = { "true", "yes", "1" }, *const no[] = { "false", "no", "0" };
        for (size_t i = 0; i < 3; i++) {
                a[0] = (OciAnnotation) { (char *) RESTORE_ANNOTATION, (char *) yes[i] };
                s = state_with(a, 1);
                check(restore_mark_from_state(&s, NULL, NULL, &m, &bad) == 0 && m == RESTORE_MARK_YES,
                      "%s=%s marks a restore", RESTORE_ANNOTATION, yes[i]);
                a[0].value = (char *) no[i];
                check(restore_mark_from_state(&s, NULL, NULL, &m, &bad) == 0 && m == RESTORE_MARK_NO,
                      "%s=%s disables", RESTORE_ANNOTATION, no[i]);
        }

        a[0] = (OciAnnotation) { (char *) RESTORE_ANNOTATION, (char *) "maybe" };
        s = state_with(a, 1);
        check(restore_mark_from_state(&s, NULL, NULL, &m, &bad) == -EINVAL && bad && strcmp(bad, "maybe") == 0,
              "an invalid value is reported");
        a[0].value = (char *) "True";
        check_int(restore_mark_from_state(&s, NULL, NULL, &m, &bad), -EINVAL, "values are case-sensitive");
        a[0].value = (char *) "";
        check_int(restore_mark_from_state(&s, NULL, NULL, &m, &bad), -EINVAL, "empty value");

        a[0] = (OciAnnotation) { (char *) "io.example.restored", (char *) "true" };
        s = state_with(a, 1);
        check(restore_mark_from_state(&s, "io.example.restored", NULL, &m, &bad) == 0 && m == RESTORE_MARK_YES,
              "extra annotation with the default value true");
        check(restore_mark_from_state(&s, NULL, NULL, &m, &bad) == 0 && m == RESTORE_MARK_NONE,
              "the same annotation without --restore-annotation means nothing");
        check(restore_mark_from_state(&s, "io.example.restored", "yes", &m, &bad) == 0 && m == RESTORE_MARK_NONE,
              "extra annotation with another value does not match");
        a[0].value = (char *) "checkpoint-42";
        check(restore_mark_from_state(&s, "io.example.restored", "checkpoint-42", &m, &bad) == 0 &&
              m == RESTORE_MARK_YES, "extra annotation with a chosen value");
        check(restore_mark_from_state(&s, "io.example.other", NULL, &m, &bad) == 0 && m == RESTORE_MARK_NONE,
              "extra annotation absent");

        a[1] = (OciAnnotation) { (char *) RESTORE_ANNOTATION, (char *) "false" };
        s = state_with(a, 2);
        check(restore_mark_from_state(&s, "io.example.restored", "checkpoint-42", &m, &bad) == 0 &&
              m == RESTORE_MARK_NO, "the project's own annotation wins over the extra one");
}

static void test_decisions(void) {
        unsigned calls = 0;
        HookDecision d;

        /* Normal creates: nothing, and not even a look at the process. */
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATING, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 0,
              "createRuntime, creating: normal start, process not probed");
        d = decide(OCI_STAGE_PRESTART, OCI_STATUS_CREATING, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 0, "prestart, creating: normal start, not probed");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_OTHER, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 0, "createRuntime, unknown status: normal start");

        /* runc/podman restore: "stopped" and a traced process. */
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_DEFER_REPAIR && calls == 1 && d.probe_result == 1,
              "createRuntime, stopped, traced: defer the repair");
        d = decide(OCI_STAGE_PRESTART, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_DEFER_REPAIR && calls == 1, "prestart, stopped, traced: defer the repair");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, 0, &calls);
        check(d.action == HOOK_ACTION_NOT_RESTORING && calls == 1, "stopped but not traced: nothing");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, -ESRCH, &calls);
        check(d.action == HOOK_ACTION_GONE, "stopped, process gone");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, -EACCES, &calls);
        check(d.action == HOOK_ACTION_NOT_RESTORING && d.probe_result == -EACCES,
              "stopped, cannot inspect: nothing, error kept for the report");
        d = restore_decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, NULL, NULL);
        check(d.action == HOOK_ACTION_NOT_RESTORING && d.probe_result == -EOPNOTSUPP, "no probe: nothing");

        /* A runc that runs the restore hooks once CRIU has restored the mounts (runc#5296)
         * reports "created", as crun does on every normal create: only a traced process is a
         * restore. */
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_DEFER_REPAIR && calls == 1,
              "createRuntime, created, traced (later runc restore): defer the repair");
        d = decide(OCI_STAGE_PRESTART, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_DEFER_REPAIR && calls == 1,
              "prestart, created, traced (later runc restore): defer the repair");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 0, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 1,
              "createRuntime, created, not traced (crun create): normal start");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATED, RESTORE_MARK_NONE, -ESRCH, &calls);
        check(d.action == HOOK_ACTION_GONE, "createRuntime, created, process gone");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATED, RESTORE_MARK_NONE, -EACCES, &calls);
        check(d.action == HOOK_ACTION_NOT_RESTORING && d.probe_result == -EACCES,
              "createRuntime, created, cannot inspect: nothing, error kept for the report");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATED, RESTORE_MARK_NO, 1, &calls);
        check(d.action == HOOK_ACTION_DISABLED && calls == 0, "created, marked false: disabled, not probed");
        d = decide(OCI_STAGE_POSTSTART, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 0,
              "poststart, created (runc 1.1 normal start): normal start, not probed");

        /* The user's marks. */
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_STOPPED, RESTORE_MARK_NO, 1, &calls);
        check(d.action == HOOK_ACTION_DISABLED && calls == 0, "marked false: disabled even during a restore");
        d = decide(OCI_STAGE_CREATE_RUNTIME, OCI_STATUS_CREATING, RESTORE_MARK_YES, 0, &calls);
        check(d.action == HOOK_ACTION_DEFER_REPAIR && calls == 0, "marked true at createRuntime: defer, no probe");
        d = decide(OCI_STAGE_POSTSTART, OCI_STATUS_RUNNING, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_NORMAL_START && calls == 0, "poststart unmarked: normal start");
        d = decide(OCI_STAGE_POSTSTART, OCI_STATUS_RUNNING, RESTORE_MARK_YES, 1, &calls);
        check(d.action == HOOK_ACTION_REPAIR_NOW && calls == 0, "poststart marked true: repair now");
        d = decide(OCI_STAGE_POSTSTART, OCI_STATUS_RUNNING, RESTORE_MARK_NO, 1, &calls);
        check(d.action == HOOK_ACTION_DISABLED, "poststart marked false: disabled");

        /* Stages this hook has no business in. */
        d = decide(OCI_STAGE_CREATE_CONTAINER, OCI_STATUS_CREATED, RESTORE_MARK_YES, 1, &calls);
        check(d.action == HOOK_ACTION_UNSUPPORTED_STAGE && calls == 0, "createContainer: unsupported");
        d = decide(OCI_STAGE_START_CONTAINER, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_UNSUPPORTED_STAGE, "startContainer: unsupported");
        d = decide(OCI_STAGE_POSTSTOP, OCI_STATUS_STOPPED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_UNSUPPORTED_STAGE && calls == 0, "poststop, stopped: unsupported, not probed");
        d = decide(OCI_STAGE_UNKNOWN, OCI_STATUS_CREATED, RESTORE_MARK_NONE, 1, &calls);
        check(d.action == HOOK_ACTION_UNSUPPORTED_STAGE, "stage unknown: unsupported");

        check_str(hook_action_to_string(HOOK_ACTION_DEFER_REPAIR), "defer-repair", "action names");
        check_str(hook_action_to_string((HookAction) 99), "invalid", "out-of-range action");
}

int main(void) {
        test_stages();
        test_stage_arguments();
        test_marks();
        test_decisions();
        return tap_done();
}
