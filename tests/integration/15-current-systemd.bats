#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Restores of a container with current systemd (Debian 13, systemd 257). Since v254 systemd
# and journald arm a memory pressure (PSI) trigger that CRIU does not restore: without the
# hook writing it back, both spin at 100% CPU and systemd runs no job. Every runtime path is
# covered: runc with the hook only, runc with the action script, podman, LXC.

load test_helper
load oci_helper
load lxc_helper

setup() {
        # Every rootfs, bundle and LXC container of this file is the trixie one.
        export AUTOFS_RIG_RELEASE=trixie
        NAME=$(rig_name)
}

teardown() {
        oci_teardown
        lxc_teardown
        rig_teardown
}

# No process of the container keeps a CPU busy (sampled over 2 s).
nothing_spins() {
        local busy
        busy=$(rig_busy_processes "$1" 2 10)
        [[ -z $busy ]] || fail "still spinning after the repair: $busy"
}

# The lines the hook wrote for the re-armed PSI triggers: systemd's and journald's, each once.
rearmed_systemd_and_journald() {
        local log_lines=$1
        grep -E "Re-armed the pressure trigger of PID [0-9]+ \(systemd\), fd [0-9]+ \(/proc/pressure/memory\): \"some 200000 2000000\"\." <<<"$log_lines" ||
                fail "systemd's trigger was not re-armed: $log_lines"
        grep -E "Re-armed the pressure trigger of PID [0-9]+ \(systemd-journal\), fd [0-9]+ \(/proc/pressure/memory\)" <<<"$log_lines" ||
                fail "journald's trigger was not re-armed: $log_lines"
}

@test "trixie, runc with the hook only: triggers re-armed, every automount answers, nothing spins, files kept" {
        oci_require criu
        local log
        log=$BATS_TEST_TMPDIR/hook.log
        oci_runc_start "$NAME" "createRuntime --stage=createRuntime,--log-file=$log"
        run runc exec "$NAME" systemctl --version
        assert_line --index 0 --regexp '^systemd 25[4-9]|^systemd 2[6-9][0-9]'
        write_files "$NAME"
        checkpoint_container "$NAME"
        restore_container "$NAME"

        oci_wait_for_log "$log" "^oci-autofs-restore: $NAME: [0-9]+ automount unit\(s\): " "$(rig_budget_ms 10000)" || {
                cat "$log" >&2
                fail "no repair within 10 s of the restore"
        }
        run oci_log "$log"
        assert_line "oci-autofs-restore: $NAME: 9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        rearmed_systemd_and_journald "$output"
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$NAME" || fail "a file on an automount was lost"
        nothing_spins "$CT_PID"
}

@test "trixie, runc with the action script: re-armed at pre-resume, repaired at post-resume" {
        oci_require criu
        local conf=$BATS_TEST_TMPDIR/criu.conf log_lines
        echo "action-script $OCI_HOOK_BIN" >"$conf"
        oci_runc_start "$NAME" "" -- --annotation "org.criu.config=$conf"
        write_files "$NAME"
        checkpoint_container "$NAME"
        restore_container "$NAME"

        # No wait: both steps ran before runc restore returned.
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$NAME" || fail "a file on an automount was lost"
        nothing_spins "$CT_PID"

        # Not "lines": bats' run sets that array.
        log_lines=$(grep -a '^oci-autofs-restore: ' "$RIG_IMAGES/$NAME/restore.log")
        echo "$log_lines"
        rearmed_systemd_and_journald "$log_lines"
        # The triggers went back before the tasks ran: the repair found them armed.
        run grep -c 'Pressure triggers: 2 re-armed' <<<"$log_lines"
        assert_output 1
        run grep -cF '9 automount unit(s): 9 repaired, 0 failed, 0 not touched.' <<<"$log_lines"
        assert_output 1
}

@test "trixie, podman: triggers re-armed, every automount answers, nothing spins, files kept" {
        oci_require criu podman
        local log id
        log=$BATS_TEST_TMPDIR/hook.log
        use_runtime podman
        NAME=$(oci_name podman)
        oci_podman_image
        oci_hooks_dir "$log"
        oci_podman_start "$NAME"
        id=$(rig_timeout 30 podman inspect -f '{{.Id}}' "$NAME")
        write_files "$NAME"
        checkpoint_container "$NAME"
        restore_container "$NAME"

        oci_wait_for_log "$log" "^oci-autofs-restore: $id: [0-9]+ automount unit\(s\): " "$(rig_budget_ms 10000)" || {
                cat "$log" >&2
                fail "no repair within 10 s of the restore"
        }
        run oci_log "$log"
        # /proc/sys is read-only under podman: binfmt_misc's automount is inactive there.
        assert_line "oci-autofs-restore: $id: 9 automount unit(s): 8 repaired, 0 failed, 1 not touched."
        rearmed_systemd_and_journald "$output"
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$NAME" || fail "a file on an automount was lost"
        nothing_spins "$CT_PID"
}

@test "trixie, lxc-checkpoint -r -A: triggers re-armed, every automount answers, nothing spins, files kept" {
        lxc_require
        use_runtime lxc
        NAME=$(lxc_name)
        lxc_create "$NAME"
        lxc_start "$NAME"
        write_files "$NAME"
        checkpoint_container "$NAME"
        restore_container "$NAME" -A "$LXC_HOOK"

        run grep -a "^lxc-autofs-restore: " "$(lxc_dir "$NAME")/images/restore.log"
        echo "$output"
        assert_line --regexp "^lxc-autofs-restore: $NAME: [0-9]+ automount unit\(s\): 8 repaired, 0 failed"
        rearmed_systemd_and_journald "$output"
        all_answer "$CT_PID"
        files_intact "$NAME"
        nothing_spins "$CT_PID"
}

@test "trixie, re-arming off: --dry-run lists the triggers, a repair fails with the reason and leaves no job queued" {
        oci_require criu
        local conf=$BATS_TEST_TMPDIR/hook.conf
        oci_runc_start "$NAME" ""
        checkpoint_container "$NAME"
        restore_container "$NAME"

        # The spin CRIU leaves behind, before anything else runs (systemd throttles its own
        # loop, journald does not).
        run rig_busy_processes "$CT_PID" 2 10
        assert_line --regexp '^[0-9]+ systemd [0-9]+%$'
        assert_line --regexp '^[0-9]+ systemd-journal [0-9]+%$'

        run "$OCI_HOOK_BIN" --pid "$CT_PID" --dry-run
        assert_success
        assert_line --regexp "PID [0-9]+ \(systemd\): fd [0-9]+ \(/proc/pressure/memory\) has no pressure trigger; would write \"some 200000 2000000\"\.$"
        assert_line --partial "Pressure triggers: 2 to re-arm, 0 already armed, 0 unknown, 0 failed."
        run rig_busy_processes "$CT_PID" 2 10
        assert_line --regexp '^[0-9]+ systemd-journal [0-9]+%$'

        printf 'rearm-psi = no\n' >"$conf"
        run env AUTOFS_RESTORE_HOOK_CONFIG="$conf" "$OCI_HOOK_BIN" --pid "$CT_PID" --timeout 10 --unit 'srv-a[1-3].automount'
        assert_failure 1
        refute_line --partial "Re-armed"
        # A spinning systemd throttles itself with pauses of a second: it may not answer the
        # Cancel() in time, but it gets it before anything asked later (list-jobs below).
        assert_line --regexp "srv-a1\.automount \(/srv/a1\): FAILED: (systemd did not run the restart before the deadline; it was cancelled|the restart did not finish before the deadline, and systemd did not confirm its cancellation)$"
        assert_line --regexp "The container's init \(PID $CT_PID, systemd\) used [0-9]+% of a CPU during the repair: it is busy-looping, not running jobs\.$"
        assert_line --regexp "PID $CT_PID \(systemd\) polls fd [0-9]+ \(/proc/pressure/memory\), a pressure file without trigger"
        # Nothing of ours stays queued to run later.
        run runc exec "$NAME" systemctl list-jobs --no-legend
        refute_output --partial "automount"

        run "$OCI_HOOK_BIN" --pid "$CT_PID"
        assert_success
        assert_line --partial "9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        nothing_spins "$CT_PID"
}
