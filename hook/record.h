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

typedef struct Record {
        RecordEntry *entries;
        size_t n;
} Record;

void record_done(Record *r);

/* Opens and locks the record of this container, waiting for another run until the deadline
 * (-ETIMEDOUT). Removes records of containers that are gone. */
int record_open_locked(const char *state_dir, const Container *c, usec_t deadline);

/* True while another run holds the record of this container. */
bool record_is_locked(const char *state_dir, const Container *c);

int record_read(int fd, Record *ret);
int record_write(int fd, const Record *r);
int record_add(Record *r, const char *unit, const AutofsIdentity *autofs);

/* The autofs recorded for unit, NULL if none. */
const AutofsIdentity *record_lookup(const Record *r, const char *unit);
bool autofs_identity_equal(const AutofsIdentity *a, const AutofsIdentity *b);

/* Parses the text of a record; exposed for unit tests. */
int record_parse(const char *text, Record *ret);
