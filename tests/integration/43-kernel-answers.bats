#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the running kernel does with a process that blocked on an autofs which a unit's restart
# then replaced, for each answer the old autofs could get (docs/how-it-works.md, "What a
# released process sees"). The repair answers with catatonic; these checks say why no better
# answer is used and fail when the kernel changes under us.

load test_helper

PROBE=$RIG_TOP/build/autofs-answer-probe

setup() {
        [[ $(id -u) -eq 0 ]] || rig_unavailable "needs root"
        [[ -c /dev/autofs ]] || rig_unavailable "no /dev/autofs"
        [[ -x $PROBE ]] || rig_unavailable "$PROBE not built (make)"
        DIR=$BATS_TEST_TMPDIR/probe
        mkdir -p "$DIR"
}

probe() {
        run "$PROBE" "$DIR" "$1" "$2"
        echo "$output"
        assert_success
}

@test "kernel: catatonic releases a waiter with ENOENT, whatever it was doing" {
        for access in open stat cwd; do
                probe catatonic "$access"
                assert_output "$access: ENOENT "
        done
}

@test "kernel: -ESTALE on the waiter's token makes it look again and find the new autofs" {
        probe estale open
        assert_output "open: ok repaired"
        probe estale stat
        assert_output "stat: ok size 8"
        # Even from a working directory on the old autofs, the walk starts again at the root.
        probe estale cwd
        assert_output "cwd: ok repaired"
}

@test "kernel: only the daemon's process group may answer a request: EACCES for anyone else" {
        probe foreign open
        assert_line --index 0 "answer: EACCES"
        assert_line --index 1 "open: ENOENT "
}

@test "kernel: any other error on the token is returned as is; READY leaves the waiter waiting" {
        probe eagain open
        assert_output "open: EAGAIN "
        probe ready open
        assert_output "open: still waiting"
}
