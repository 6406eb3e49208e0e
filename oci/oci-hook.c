/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "detach.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "oci-hook.h"
#include "oci-state.h"
#include "restore-detect.h"
#include "restore-wait.h"

/* --log-file for the hook and its watcher; a file that cannot be opened is not worth failing a
 * container start over: the journal still has everything. */
static const char *open_log_file(const char *path) {
        int r;

        if (!path)
                return NULL;
        r = log_open_file(path);
        if (r < 0) {
                log_warning_errno(r, "Cannot open log file %s, logging to the journal only: %m", path);
                return NULL;
        }
        return path;
}

/* The line a runtime shows when the hook fails: what was wrong, on one line. */
static ExitStatus input_error(const char *what, const char *detail) {
        log_error("Invalid container state on stdin: %s%s%s.", what, detail ? ": " : "",
                   detail ?: "");
        return EXIT_STATUS_USAGE;
}

/* The container as the hook first sees it: pinned once, here, and carried to the repair. */
typedef struct Probe {
        pid_t pid;              /* from the state, used only to pin */
        Container container;
        RestoreWatch watch;
} Probe;

static void probe_done(Probe *p) {
        container_close(&p->container);
}

/* Pins the process and takes the first look at it, now because only now is it still CRIU's:
 * what it runs (criu, or the loader that runs criu) is what the watcher later waits to change.
 * The host is refused here, before any watcher exists. */
static int probe_restoring(void *userdata) {
        Probe *p = userdata;
        int r;

        r = container_pin(p->pid, &p->container);
        if (r < 0)
                return r;
        r = restore_watch_start(&p->container, &p->watch);
        if (r < 0)
                return r;
        return restore_watch_is_traced(&p->watch);
}

typedef struct DeferredRepair {
        Container *container;
        const RestoreWatch *watch;
        const RepairOptions *options;
        usec_t wait;
} DeferredRepair;

/* Runs in the watcher, the detached process left by the hook, after the hook has returned and the runtime went on with the
 * restore. */
static int deferred_repair(void *userdata) {
        const DeferredRepair *d = userdata;
        usec_t start = now_usec(CLOCK_MONOTONIC);
        int r;

        r = restore_watch_wait(d->watch, start + d->wait);
        if (r == -ESRCH) {
                log_warning("Process %d exited before its restore completed; nothing to repair.",
                            (int) d->container->pid);
                return EXIT_STATUS_OK;
        }
        if (r == -ETIMEDOUT) {
                log_error("The restore of process %d did not complete within %.0f s; giving up without repairing.",
                          (int) d->container->pid, (double) d->wait / USEC_PER_SEC);
                return EXIT_STATUS_UNITS_FAILED;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot watch the restore of process %d: %m", (int) d->container->pid);
                return EXIT_STATUS_UNITS_FAILED;
        }

        log_info("Restore complete after %.2f s; repairing the automounts of process %d.",
                 (double) (now_usec(CLOCK_MONOTONIC) - start) / USEC_PER_SEC, (int) d->container->pid);
        return repair_container(d->container, d->options);
}

static ExitStatus defer_repair(Probe *p, bool exe_final, const OciHookOptions *h,
                               const char *log_file, const RepairOptions *o) {
        DeferredRepair d = { .container = &p->container, .watch = &p->watch, .options = o,
                             .wait = h->restore_wait };
        pid_t watcher = 0;
        int r;

        if (p->container.pidfd < 0) {
                r = container_pin(p->pid, &p->container);
                if (r == 0)
                        r = restore_watch_start(&p->container, &p->watch);
                if (r == -ESRCH) {
                        log_warning("Process %d is gone; nothing to repair.", (int) p->pid);
                        return EXIT_STATUS_OK;
                }
                if (r < 0) {
                        container_log_refusal(p->pid, r);
                        return EXIT_STATUS_REFUSED;
                }
        }
        p->watch.exe_final = exe_final;

        /* The watcher keeps only the pin: the process it waits for can never be confused with a
         * later one that got the same PID, and its /proc directory is opened again from it. */
        container_unload(&p->container);
        r = detach_process(deferred_repair, &d, (const int[]) { p->container.pidfd }, 1, log_file,
                           &watcher);
        if (r < 0) {
                log_error_errno(r, "Cannot start the watcher that repairs after the restore: %m");
                return EXIT_STATUS_UNITS_FAILED;
        }
        log_info("Restore of process %d under way; watcher %d repairs the automounts once CRIU has resumed it.",
                  (int) p->pid, (int) watcher);
        return EXIT_STATUS_OK;
}

/* The state on stdin, read and parsed: EXIT_STATUS_OK, or what to exit with. */
static ExitStatus read_state(const OciHookOptions *h, OciState *ret) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t len = 0;
        int r;

        if (isatty(STDIN_FILENO)) {
                log_error("As an OCI hook, this reads the container state from stdin; for a manual repair use --pid PID. See --help.");
                return EXIT_STATUS_USAGE;
        }

        r = oci_state_read(STDIN_FILENO, now_usec(CLOCK_MONOTONIC) + h->state_read_timeout, &text,
                           &len);
        if (r == -ETIMEDOUT)
                return input_error("stdin was not closed within the time limit", NULL);
        if (r == -E2BIG) {
                char limit[32];
                snprintf(limit, sizeof limit, "more than %d bytes", OCI_STATE_MAX_SIZE);
                return input_error("too large", limit);
        }
        if (r < 0) {
                log_error_errno(r, "Cannot read the container state from stdin: %m");
                return EXIT_STATUS_USAGE;
        }

        r = oci_state_parse(text, len, ret, &error);
        if (r == -ENOMEM)
                return input_error("out of memory", NULL);
        if (r < 0)
                return input_error(error ?: "cannot be parsed", NULL);
        return EXIT_STATUS_OK;
}

static ExitStatus act(const HookDecision *d, OciStage stage, const OciState *state, Probe *probe,
                      const OciHookOptions *h, const char *log_file, RepairOptions *o) {
        ExitStatus status;

        switch (d->action) {
        case HOOK_ACTION_NORMAL_START:
                log_info("Normal start (stage %s, status %s, pid %d): nothing to do.",
                          oci_stage_to_string(stage), state->status_string, (int) state->pid);
                return EXIT_STATUS_OK;
        case HOOK_ACTION_DISABLED:
                log_info("Annotation %s says not to repair this container (stage %s): nothing to do.",
                          RESTORE_ANNOTATION, oci_stage_to_string(stage));
                return EXIT_STATUS_OK;
        case HOOK_ACTION_NOT_RESTORING:
                if (d->probe_result < 0)
                        log_warning_errno(d->probe_result,
                                       "Status is '%s' but process %d cannot be inspected (%m); not repairing.",
                                       state->status_string, (int) state->pid);
                else
                        log_notice("Status is '%s' but process %d is not being restored by CRIU (not traced); nothing to do.",
                                    state->status_string, (int) state->pid);
                return EXIT_STATUS_OK;
        case HOOK_ACTION_GONE:
                log_warning("Process %d is gone; nothing to repair.", (int) state->pid);
                return EXIT_STATUS_OK;
        case HOOK_ACTION_UNSUPPORTED_STAGE:
                if (!h->stage)
                        log_notice("Cannot tell the hook stage from status '%s' (runc's poststart and crun's createRuntime both say 'created'); pass --stage. Nothing to do.",
                                    state->status_string);
                else
                        log_notice("Nothing to do at stage %s; run as a createRuntime, prestart or poststart hook.",
                                    oci_stage_to_string(stage));
                return EXIT_STATUS_OK;
        case HOOK_ACTION_DEFER_REPAIR:
                /* runc's stopped: the hook runs at CRIU's setup-namespaces, the process is still
                 * CRIU's program. "created": the tasks are restored, it runs its own. */
                return defer_repair(probe, state->status == OCI_STATUS_CREATED, h, log_file, o);
        case HOOK_ACTION_REPAIR_NOW:
                log_info("Poststart of a container marked as restored: repairing process %d now.",
                          (int) state->pid);
                status = probe->container.pidfd >= 0 ? repair_container(&probe->container, o) :
                         cli_repair_pid(state->pid, repair_container, o);
                log_info("Repair finished with exit status %d.", (int) status);
                return status;
        default:
                return EXIT_STATUS_UNITS_FAILED;
        }
}

static ExitStatus hook_run(const OciHookOptions *h, RepairOptions *o, const char *log_file) {
        _cleanup_(oci_state_done) OciState state = OCI_STATE_NULL;
        _cleanup_(probe_done) Probe probe = { .container = CONTAINER_NULL,
                                              .watch = RESTORE_WATCH_NULL };
        const char *bad_value = NULL;
        OciStage stage = OCI_STAGE_UNKNOWN;
        RestoreMark mark;
        ExitStatus status;
        HookDecision d;

        if (h->stage && oci_stage_from_string(h->stage, &stage) < 0) {
                log_error("Unknown hook stage '%s'; expected createRuntime, prestart or poststart.",
                           h->stage);
                return EXIT_STATUS_USAGE;
        }
        status = read_state(h, &state);
        if (status != EXIT_STATUS_OK)
                return status;

        /* From here on, every line names the container. The engine keeps this context. */
        log_set_context(state.id);
        free(o->container_name);
        o->container_name = strdup(state.id);
        if (!o->container_name)
                return input_error("out of memory", NULL);

        if (restore_mark_from_state(&state, h->restore_annotation_key, h->restore_annotation_value,
                                    &mark, &bad_value) < 0) {
                log_error("Annotation %s=\"%.64s\" is neither true nor false.", RESTORE_ANNOTATION,
                           bad_value);
                return EXIT_STATUS_USAGE;
        }
        if (!h->stage)
                stage = oci_stage_infer(state.status);

        probe.pid = state.pid;
        d = restore_decide(stage, state.status, mark, probe_restoring, &probe);
        return act(&d, stage, &state, &probe, h, log_file, o);
}

ExitStatus oci_hook_run(const OciHookOptions *h, RepairOptions *o) {
        const char *log_file = open_log_file(h->log_file);
        ExitStatus status = hook_run(h, o, log_file);

        log_close_file();
        return status;
}
