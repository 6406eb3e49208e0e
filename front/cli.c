/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "early-repair.h"
#include "engine.h"
#include "log.h"

int cli_load_config(int argc, char **argv, const char *short_options,
                    const struct option *long_options, RepairOptions *o) {
        const char *path = NULL;
        int c, r;

        /* A first, silent pass only looks for --config; the second pass reports errors. */
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) >= 0)
                if (c == ARG_CONFIG)
                        path = optarg;
        opterr = 1;
        optind = 0;

        if (!path)
                path = getenv("AUTOFS_RESTORE_HOOK_CONFIG");
        if (path) {
                r = repair_options_load_file(o, path);
                if (r == -ENOENT)
                        return log_error_errno(r, "Cannot read config file %s: %m", path);
                return r;
        }

        r = repair_options_load_file(o, DEFAULT_CONFIG_FILE);
        if (r == -ENOENT)
                return 0;
        return r;
}

int cli_apply_common_option(RepairOptions *o, int opt, const char *arg) {
        int r;

        switch (opt) {
        case ARG_UNIT:
        case ARG_EXCLUDE:
                r = repair_options_add_glob(opt == ARG_UNIT ? &o->unit_globs : &o->exclude_globs, arg);
                if (r < 0)
                        return log_error_errno(r, "Invalid glob '%s': %m", arg);
                return 0;
        case ARG_TIMEOUT:
                r = parse_timeout(arg, &o->timeout);
                if (r < 0)
                        return log_error_errno(r, "Invalid timeout '%s': expected seconds, more than 0 and at most 86400.",
                                               arg);
                return 0;
        case ARG_DRY_RUN:
                o->dry_run = true;
                return 0;
        case ARG_NO_REARM_PSI:
                o->rearm_psi = false;
                return 0;
        case ARG_NESTED:
                r = nested_policy_from_string(arg, &o->nested);
                if (r < 0)
                        return log_error_errno(r, "Invalid --nested policy '%s': expected skip, catatonic or reattach.",
                                               arg);
                return 0;
        case ARG_CONFIG:
                return 0; /* read before the other options */
        case ARG_VERBOSE:
                o->log_level = LOG_DEBUG;
                return 0;
        case ARG_QUIET:
                o->log_level = LOG_WARNING;
                return 0;
        case ARG_STATE_DIR:
                if (arg[0] != '/')
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--state-dir needs an absolute path.");
                free(o->state_dir);
                o->state_dir = strdup(arg);
                return o->state_dir ? 0 : log_oom();
        case ARG_HELP:
        case ARG_VERSION:
                return 1;
        default:
                return -ENOKEY;
        }
}

int criu_action_requested(void) {
        return getenv("CRTOOLS_SCRIPT_ACTION") != NULL;
}

/* Post-resume: the early repairer started at pre-resume repairs, and its lines are shown here;
 * the repair that follows finds the units repaired, or does the work if it could not. */
static ExitStatus repair_after_resume(Container *c, const RepairOptions *o) {
        early_repair_collect(c, o);
        return repair_container(c, o);
}

ExitStatus criu_action_run(const RepairOptions *o) {
        const char *action = getenv("CRTOOLS_SCRIPT_ACTION"), *pid_string;
        bool pre_resume;
        int pid, r;

        /* pre-resume: every task restored, none running yet; the pressure triggers go back
         * before systemd could spin on them, and the early repairer takes a handle on every
         * autofs before anything can wait on one, then repairs as soon as the tasks run.
         * post-resume: the tasks run, systemd answers; the work is normally done by then. */
        pre_resume = streq_ptr(action, "pre-resume");
        if (!pre_resume && !streq_ptr(action, "post-resume")) {
                log_debug("CRIU action '%s': nothing to do.", action ?: "");
                return EXIT_STATUS_OK;
        }

        pid_string = getenv("CRTOOLS_INIT_PID");
        r = parse_pid(pid_string, &pid);
        if (r < 0) {
                log_error("CRIU action %s: CRTOOLS_INIT_PID='%s' is not a PID.", action,
                          pid_string ?: "");
                return EXIT_STATUS_USAGE;
        }
        if (!pre_resume)
                return cli_repair_pid(pid, repair_after_resume, o);
        /* A failure at pre-resume would make CRIU abandon the restore: whatever went wrong was
         * said, and post-resume repairs as before. */
        (void) cli_repair_pid(pid, early_repair_start, o);
        return EXIT_STATUS_OK;
}

ExitStatus cli_repair_pid(pid_t pid, ExitStatus (*action)(Container *c, const RepairOptions *o),
                          const RepairOptions *o) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        int r;

        /* The PID the user or CRIU gave is pinned here, and only the handle goes on. */
        r = container_pin(pid, &c);
        if (r < 0) {
                container_log_refusal(pid, r);
                return EXIT_STATUS_REFUSED;
        }
        return action(&c, o);
}

int cli_ensure_stdio_open(void) {
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
                int null_fd;

                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                null_fd = open("/dev/null", (fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) | O_NOCTTY);
                if (null_fd < 0)
                        return -errno;
                /* The lowest free fd is the one that was closed. */
                if (null_fd != fd) {
                        (void) close(null_fd);
                        return -EBADF;
                }
        }
        return 0;
}

int cli_start(const char *program, int argc, char **argv, const struct option *long_options,
              RepairOptions *o) {
        int r;

        repair_options_init(o);
        r = cli_ensure_stdio_open();
        if (r < 0)
                return r; /* nowhere to log to yet */
        log_setup(program, LOG_TARGET_STDERR | LOG_TARGET_JOURNAL, LOG_INFO);
        r = cli_load_config(argc, argv, CLI_COMMON_SHORT_OPTIONS, long_options, o);
        return r < 0 ? -EINVAL : 0;
}

int cli_common_option(RepairOptions *o, int opt, const char *arg, void (*help)(void)) {
        int r;

        if (opt == '?')
                return -EINVAL; /* getopt said what was wrong */
        r = cli_apply_common_option(o, opt, arg);
        if (r == -ENOKEY)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Unhandled option %d.", opt);
        if (r <= 0)
                return r;
        if (opt == ARG_HELP)
                help();
        else
                printf("%s %s\n", log_program(), VERSION);
        return 1;
}

int cli_pid_option(const char *arg, int *ret) {
        if (parse_pid(arg, ret) < 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid PID '%s'.", arg);
        return 0;
}
