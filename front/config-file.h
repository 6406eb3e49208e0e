/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

#define DEFAULT_CONFIG_FILE SYSCONFDIR "/autofs-restore-hook.conf"

/* Reads KEY=VALUE lines (unit=, exclude=, timeout=, log-level=, state-dir=, rearm-psi=). A missing file is
 * fine when it is the default file (-ENOENT is returned and may be ignored); malformed lines
 * are an error naming the line. */
int repair_options_load_file(RepairOptions *o, const char *path);
