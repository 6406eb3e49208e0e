/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"

/* Processes that waited on an autofs before the repair keep waiting on the old superblock: a
 * restart helps new accesses only. Logs those of the container's PID namespace (wchan
 * autofs_wait), so that someone can deal with them, and returns how many there are. */
int report_blocked_processes(const Container *c);
