/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxc-autofs-restore: repairs the systemd automounts of an LXC container restored by
 * lxc-checkpoint, as an LXC hook, as a CRIU action script, or by hand for one container. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "log.h"
#include "lxc-hook.h"

extern char **environ;

enum {
        ARG_PID = ARG_FRONT_END_FIRST,
        ARG_NAME,
        ARG_LXCPATH,
        ARG_LOG_FILE,
};

static const struct option long_options[] = {
        CLI_COMMON_LONG_OPTIONS,
        { "pid",      required_argument, NULL, ARG_PID },
        { "name",     required_argument, NULL, ARG_NAME },
        { "lxcpath",  required_argument, NULL, ARG_LXCPATH },
        { "log-file", required_argument, NULL, ARG_LOG_FILE },
        {}
};

static void help(void) {
        printf("Usage: lxc-autofs-restore [OPTIONS] --pid PID\n"
               "       lxc-autofs-restore [OPTIONS] --name NAME [--lxcpath DIR]\n"
               "       lxc-autofs-restore [OPTIONS] [NAME SECTION TYPE]            (LXC hook)\n"
               "       CRTOOLS_SCRIPT_ACTION=... lxc-autofs-restore                 (CRIU action script)\n"
               "\n"
               "Repairs the systemd automounts of a container restored by CRIU: sets aside what is\n"
               "mounted on each autofs, restarts the .automount units over systemd's private bus,\n"
               "and puts everything back. Runs nothing inside the container.\n"
               "\n"
               "As lxc.hook.pre-start it does nothing on a normal start; during lxc-checkpoint -r\n"
               "it returns at once and leaves a watcher that repairs once CRIU has resumed the\n"
               "container.\n"
               "\n"
               "      --pid=PID         repair the container whose init has host PID PID\n"
               "      --name=NAME       repair the running LXC container NAME\n"
               "      --lxcpath=DIR     with --name: the container's lxcpath (default: any)\n"
               "      --log-file=FILE   hook mode: the watcher also appends its log to FILE\n"
               CLI_COMMON_HELP
               "\n"
               CLI_EXIT_STATUS_HELP
               "See lxc-autofs-restore(8).\n");
}

int main(int argc, char **argv) {
        _cleanup_(repair_options_done) RepairOptions o = {};
        const char *name = NULL, *lxcpath = NULL, *log_file = NULL;
        int pid = 0, c, r;

        r = cli_start("lxc-autofs-restore", argc, argv, long_options, &o);
        if (r < 0)
                return r == -EINVAL ? EXIT_STATUS_USAGE : EXIT_STATUS_UNITS_FAILED;

        while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT_OPTIONS, long_options, NULL)) >= 0) {
                switch (c) {
                case ARG_PID:
                        if (cli_pid_option(optarg, &pid) < 0)
                                return EXIT_STATUS_USAGE;
                        break;
                case ARG_NAME:
                        name = optarg;
                        break;
                case ARG_LXCPATH:
                        lxcpath = optarg;
                        break;
                case ARG_LOG_FILE:
                        if (optarg[0] != '/') {
                                log_error("--log-file needs an absolute path: the watcher runs in /.");
                                return EXIT_STATUS_USAGE;
                        }
                        log_file = optarg;
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
        log_set_max_level(o.log_level);

        if (pid > 0 || name) {
                if (pid > 0 && name) {
                        log_error("--pid and --name exclude each other.");
                        return EXIT_STATUS_USAGE;
                }
                if (optind < argc) {
                        log_error("Unexpected argument '%s'. See --help.", argv[optind]);
                        return EXIT_STATUS_USAGE;
                }
                if (pid > 0)
                        return cli_repair_pid(pid, repair_container, &o);
                return lxc_repair_by_name(name, lxcpath, &o);
        }
        if (lxcpath) {
                log_error("--lxcpath only goes with --name.");
                return EXIT_STATUS_USAGE;
        }
        /* CRIU's environment under lxc-checkpoint also has LXC_* variables: CRIU first. */
        if (criu_action_requested())
                return lxc_action_script_run(environ, &o);
        return lxc_hook_run(argc - optind, argv + optind, environ, &o, log_file);
}
