#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A runtime that runs its restore hooks once CRIU has restored the tasks reports the status
# "created" and a process that already runs its restored program, still traced by CRIU. The
# detached watcher must then take the end of the tracing alone as the end of the restore. A real
# tracer (strace) stands in for CRIU here, and a process in a mount namespace of its own (the
# hook refuses the host's) for the container's init; it runs no systemd, so the repair that
# follows finds nothing to do, which shows that the wait ended.

load test_helper
load oci_helper

teardown() {
        [[ -n ${TRACEE:-} ]] && kill -KILL "$TRACEE" 2>/dev/null
        [[ -n ${TRACER:-} ]] && kill -KILL "$TRACER" 2>/dev/null
        wait 2>/dev/null
        return 0
}

@test "status created and a traced process: the watcher repairs as soon as the tracing ends" {
        oci_require
        command -v strace >/dev/null || rig_unavailable "strace not installed"
        local log=$BATS_TEST_TMPDIR/hook.log i
        unshare -m --propagation private sleep 1000 &
        TRACEE=$!
        strace -qq -e trace=none -p "$TRACEE" 2>/dev/null &
        TRACER=$!
        for ((i = 0; i < 100; i++)); do
                [[ $(awk '/^TracerPid:/ { print $2 }' "/proc/$TRACEE/status") == "$TRACER" ]] && break
                sleep 0.05
        done
        [[ $(awk '/^TracerPid:/ { print $2 }' "/proc/$TRACEE/status") == "$TRACER" ]] ||
                fail "strace did not attach"

        run "$OCI_HOOK_BIN" createRuntime --log-file="$log" --wait-timeout=20 \
                < <(oci_state arh-oci-late created "$TRACEE")
        assert_success
        assert_output --regexp "Restore of process $TRACEE under way; watcher [0-9]+ repairs"

        kill -TERM "$TRACER"
        wait "$TRACER" 2>/dev/null || true
        TRACER=
        oci_wait_for_log "$log" "Restore complete after [0-9.]+ s; repairing the automounts of process $TRACEE\.$" 5000 || {
                cat "$log" >&2
                fail "the watcher did not see the end of the restore"
        }
        oci_wait_for_log "$log" "PID 1 of the container \(sleep\) is not systemd; nothing to do\.$" 5000 || {
                cat "$log" >&2
                fail "no repair attempt after the restore"
        }
}
