/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "time-util.h"

/* What a run left behind, kept on the host per container incarnation (init PID and start time):
 * for each unit it repaired, the autofs systemd set up then. A later run for the same restore
 * that finds the same autofs knows the unit is repaired and restarts nothing. The file is also
 * the lock that keeps two runs for one container from interleaving.
 *
 * An autofs is known by its mount ID, device and pipe inode together: a simulated restore keeps
 * systemd's pipe, and the kernel reuses freed mount IDs and device numbers, but a new autofs
 * made while the recorded one still exists differs from it in both. */
typedef struct AutofsIdentity {
        int mnt_id;
        uint64_t dev;
        uint64_t pipe_ino;
} AutofsIdentity;

typedef struct RecordEntry {
        AutofsIdentity autofs;
        char unit[256];
} RecordEntry;

/* The name of a stash directory in the container's /run: STASH_NAME_PREFIX and 16 hex digits,
 * chosen at random by the run that made it. */
#define STASH_NAME_PREFIX "autofs-restore-hook."
#define STASH_NAME_SIZE (sizeof STASH_NAME_PREFIX + 16)
#define RECORD_MAX_STASHES 16

typedef struct Record {
        RecordEntry *entries;
        size_t n;
        /* Stashes made by runs for this container that may still hold trees: only these are
         * trusted for recovery, whatever else the container put into its /run. */
        char stashes[RECORD_MAX_STASHES][STASH_NAME_SIZE];
        size_t n_stashes;
} Record;

void record_done(Record *r);

/* Opens and locks the record of this container, waiting for another run until the deadline
 * (-ETIMEDOUT). Removes records of containers that are gone. */
int record_open_locked(const char *state_dir, const Container *c, usec_t deadline);

/* Opens the record of this container for reading only, for --dry-run: creates, prunes and locks
 * nothing. -ENOENT if there is none. */
int record_open_readonly(const char *state_dir, const Container *c);

int record_read(int fd, Record *ret);
int record_write(int fd, const Record *r);
/* The text record_write() writes and record_parse() reads. */
int record_format(const Record *r, char **ret_text, size_t *ret_size);
int record_add(Record *r, const char *unit, const AutofsIdentity *autofs);

/* Adds a stash name (once); -E2BIG when RECORD_MAX_STASHES are recorded already. */
int record_add_stash(Record *r, const char *name);
bool stash_name_is_valid(const char *name);

/* The autofs recorded for unit, NULL if none. */
const AutofsIdentity *record_lookup(const Record *r, const char *unit);
bool autofs_identity_equal(const AutofsIdentity *a, const AutofsIdentity *b);

/* Parses the text of a record; exposed for unit tests. */
int record_parse(const char *text, Record *ret);
