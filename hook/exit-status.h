/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Exit codes of both commands, documented in their man pages. */
typedef enum ExitStatus {
        EXIT_STATUS_OK           = 0,   /* repaired, or nothing needed repair */
        EXIT_STATUS_UNITS_FAILED = 1,   /* some units could not be repaired, or the run failed */
        EXIT_STATUS_USAGE        = 2,   /* bad arguments, configuration or input */
        EXIT_STATUS_REFUSED      = 3,   /* the target is the host, gone, or cannot be inspected */
} ExitStatus;
