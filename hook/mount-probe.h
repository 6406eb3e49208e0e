/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mount-stack.h"

/* Describes the mounts stacked where fd (an O_PATH fd of a mount point, which resolves to the
 * topmost mount there) is, asking the kernel about those mounts alone (statx() and
 * statmount(2)) instead of reading the whole mount table. Fills visible, and, when an autofs is
 * in the stack, has_autofs, autofs_id, autofs_dev, pipe_ino, mode, n_on_top with top and
 * top_fstype; the other fields stay zero. Unlike the parser it follows the stack from its top
 * down, so it does not see a mount hidden beside the stack. -EOPNOTSUPP on kernels without
 * statmount(2) or without the options it returns (before 6.11): read the mount table then. */
int mount_probe_stack(int fd, AutofsStack *ret);
