/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oci-autofs-restore: repairs the systemd automounts of a container restored by CRIU, as an OCI
 * hook, as a CRIU action script, or by hand for one container. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "log.h"
#include "oci-hook.h"
#include "restore-detect.h"

enum {
        ARG_PID = ARG_FRONT_END_FIRST,
        ARG_STAGE,
        ARG_LOG_FILE,
        ARG_RESTORE_ANNOTATION,
        ARG_WAIT_TIMEOUT,
};

static const struct option long_options[] = {
        CLI_COMMON_LONG_OPTIONS,
        { "pid",                required_argument, NULL, ARG_PID },
        { "stage",              required_argument, NULL, ARG_STAGE },
        { "log-file",           required_argument, NULL, ARG_LOG_FILE },
        { "restore-annotation", required_argument, NULL, ARG_RESTORE_ANNOTATION },
        { "wait-timeout",       required_argument, NULL, ARG_WAIT_TIMEOUT },
        {}
};

static void help(void) {
        printf("Usage: oci-autofs-restore [OPTIONS] --pid PID\n"
               "       oci-autofs-restore [OPTIONS] [--stage=STAGE | STAGE] < state.json   (OCI hook)\n"
               "       CRTOOLS_SCRIPT_ACTION=... oci-autofs-restore                 (CRIU action script)\n"
               "\n"
               "Repairs the systemd automounts of a container restored by CRIU: sets aside what is\n"
               "mounted on each autofs, restarts the .automount units over systemd's private bus,\n"
               "and puts everything back. Runs nothing inside the container.\n"
               "\n"
               "      --pid=PID         repair the container whose init has host PID PID\n"
               "      --stage=STAGE     OCI hook stage (createRuntime, prestart, poststart), also\n"
               "                        accepted as the one positional argument;\n"
               "                        default: inferred from the state's status\n"
               "      --log-file=FILE   OCI hook: also append log lines, the watcher's\n"
               "                        included, to FILE (default: journal and stderr only)\n"
               "      --restore-annotation=KEY[=VALUE]\n"
               "                        OCI hook: annotation KEY with VALUE (default true) also\n"
               "                        marks a start as a restore, like\n"
               "                        org.autofs-restore-hook.restore=true\n"
               "      --wait-timeout=SEC\n"
               "                        OCI hook: how long the watcher waits for CRIU to\n"
               "                        finish a restore (default 300)\n"
               CLI_COMMON_HELP
               "\n"
               CLI_EXIT_STATUS_HELP
               "See oci-autofs-restore(8).\n");
}

int main(int argc, char **argv) {
        _cleanup_(repair_options_done) RepairOptions o = {};
        OciHookOptions h = OCI_HOOK_OPTIONS_DEFAULT;
        _cleanup_free_ char *annotation = NULL;
        int pid = 0, c, r;

        r = cli_start("oci-autofs-restore", argc, argv, long_options, &o);
        if (r < 0)
                return r == -EINVAL ? EXIT_STATUS_USAGE : EXIT_STATUS_UNITS_FAILED;

        while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT_OPTIONS, long_options, NULL)) >= 0) {
                switch (c) {
                case ARG_PID:
                        if (cli_pid_option(optarg, &pid) < 0)
                                return EXIT_STATUS_USAGE;
                        break;
                case ARG_STAGE:
                        h.stage = optarg;
                        break;
                case ARG_LOG_FILE:
                        if (optarg[0] != '/') {
                                log_error("--log-file needs an absolute path.");
                                return EXIT_STATUS_USAGE;
                        }
                        h.log_file = optarg;
                        break;
                case ARG_RESTORE_ANNOTATION: {
                        char *eq;

                        free(annotation);
                        annotation = strdup(optarg);
                        if (!annotation) {
                                log_oom();
                                return EXIT_STATUS_USAGE;
                        }
                        eq = strchr(annotation, '=');
                        if (eq)
                                *eq = '\0';
                        if (annotation[0] == '\0' || (eq && eq[1] == '\0')) {
                                log_error("Invalid --restore-annotation '%s': expected KEY or KEY=VALUE.",
                                          optarg);
                                return EXIT_STATUS_USAGE;
                        }
                        h.restore_annotation_key = annotation;
                        h.restore_annotation_value = eq ? eq + 1 : NULL;
                        break;
                }
                case ARG_WAIT_TIMEOUT:
                        r = parse_timeout(optarg, &h.restore_wait);
                        if (r < 0) {
                                log_error("Invalid --wait-timeout '%s': expected seconds, more than 0 and at most 86400.",
                                          optarg);
                                return EXIT_STATUS_USAGE;
                        }
                        break;
                default:
                        r = cli_common_option(&o, c, optarg, help);
                        if (r < 0)
                                return EXIT_STATUS_USAGE;
                        if (r > 0)
                                return EXIT_STATUS_OK;
                        break;
                }
        }
        r = oci_stage_from_args(h.stage, argv + optind, (size_t) (argc - optind), &h.stage);
        if (r == -E2BIG) {
                log_error("Unexpected argument '%s'; only the hook stage may be given without an option. See --help.",
                          argv[optind + 1]);
                return EXIT_STATUS_USAGE;
        }
        if (r < 0) {
                log_error("Hook stage '%s' given as argument, but --stage=%s.", argv[optind], h.stage);
                return EXIT_STATUS_USAGE;
        }
        log_set_max_level(o.log_level);

        if (pid > 0)
                return cli_repair_pid(pid, repair_container, &o);
        if (criu_action_requested())
                return criu_action_run(&o);
        return oci_hook_run(&h, &o);
}
