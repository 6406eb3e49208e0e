/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmount.h>

#include "repair-unit.h"

/* Custody of the trees mounted on top of the autofs while their unit is restarted: a detached
 * copy held by us and an attached one in the stash (stash.h) that survives our death; putting
 * them back; and putting back what an interrupted run left in its stashes. */

/* What is mounted at the unit's Where= (where_fd is Where, opened): the kernel is asked about
 * those mounts alone, so that N units do not read the whole mount table N times. The table is
 * read, once for all the calls that share *table, only where the kernel cannot answer (before
 * Linux 6.8, or a mount out of sight); *table_error tells why it could not be. */
int unit_stack_at(const Repair *rp, const UnitRepair *u, int where_fd,
                  struct libmnt_table **table, int *table_error, AutofsStack *ret);

/* A previous run was killed while trees were set aside: puts each back (the unit fails if its
 * tree cannot be), and notes the stashes that still hold trees in rp->kept. Only stashes the
 * host-side record names are looked at: anything else in the container's /run was made by the
 * container. */
void recover_stashed_trees(Repair *rp);

/* Takes a copy of the tree on top before systemd detaches it, and parks another copy in the
 * stash, so that the data survives a failed restart and our own death. */
int set_tree_aside(Repair *rp, UnitRepair *u);

/* Puts the unit's tree back on top at Where=, and drops its copy in the stash unless the
 * restart may still run; a failure fails the unit. */
void put_tree_back(Repair *rp, UnitRepair *u);
