#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# oci-autofs-restore as an OCI hook, with real runc, real podman and the rig's real
# CRIU: the hook tells a restore from a normal start, leaves a detached watcher that repairs once
# CRIU has resumed the container, and refuses bad input with one line and exit status 2.
# Containers and images are named arh-oci-*.

load test_helper
load oci_helper

teardown() {
        oci_teardown
        rig_teardown
}

# repaired_in_time LOG ID NAME: the watcher's summary for ID is in LOG within the repair budget
# after the restore returned (RESTORED_MS); then every automount answers and every file is read
# back within the answer budget.
repaired_in_time() {
        local log=$1 id=$2 name=$3 elapsed
        # Wait for the watcher's summary before touching the mounts: an access made before the
        # repair would stay blocked on the old autofs for good.
        oci_wait_for_log "$log" "^oci-autofs-restore: $id: [0-9]+ automount unit\(s\): " \
                "$OCI_REPAIR_BUDGET_MS" || {
                cat "$log" >&2
                fail "no repair within $OCI_REPAIR_BUDGET_MS ms of the restore"
        }
        elapsed=$(($(now_ms) - RESTORED_MS))
        echo "# $CT_RUNTIME restore returned -> repair logged: $elapsed ms" >&3
        ((elapsed < OCI_REPAIR_BUDGET_MS)) || fail "repaired after $elapsed ms"
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$name" || fail "a file on an automount was lost"
        elapsed=$(($(now_ms) - RESTORED_MS))
        echo "# $CT_RUNTIME restore returned -> all ${#AUTOMOUNTS[@]} automounts answered, files checked: $elapsed ms" >&3
        ((elapsed < OCI_ANSWER_BUDGET_MS)) || fail "took $elapsed ms"
}

@test "runc, hook in config.json, no CRIU config: repaired within 1 s of restore, files kept" {
        oci_require criu
        local name log watcher
        name=$(oci_name)
        log=$BATS_TEST_TMPDIR/hook.log
        oci_runc_start "$name" "createRuntime --stage=createRuntime,--log-file=$log"
        run jq -r '.annotations["org.criu.config"] // "none"' "$RUNC_BUNDLE/config.json"
        assert_output none
        run oci_log "$log"
        assert_output "oci-autofs-restore: $name: Normal start (stage createRuntime, status creating, pid $CT_PID): nothing to do."

        write_files "$name"
        checkpoint_container "$name"
        restore_container "$name"

        repaired_in_time "$log" "$name" "$name"

        run oci_log "$log"
        assert_line --regexp "^oci-autofs-restore: $name: Restore of process $CT_PID under way; watcher [0-9]+ repairs the automounts once CRIU has resumed it\.$"
        assert_line "oci-autofs-restore: $name: 9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        for where in "${WITH_FILES[@]}"; do
                assert_line --regexp "^oci-autofs-restore: $name: $(automount_unit "$where") \($where\): repaired: .*tmpfs .* set aside and put back\.$"
        done
        # The watcher is done and gone.
        watcher=$(oci_watcher_pid "$log")
        wait_process_gone "$watcher" 2000 || fail "watcher $watcher is still running"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}" || fail "an autofs beneath a tmpfs does not answer"
}

@test "podman, shipped hooks.d file: checkpoint/restore, repaired within 1 s, files kept" {
        oci_require criu podman
        local name log id
        # The file as shipped: format 1.0.0, the stage and arguments the hook needs.
        run jq -r '[.version, (.stages | join(",")), .hook.path, (.hook.args | join(" "))] | join(" ")' \
                "$OCI_HOOKS_D_IN"
        assert_output "1.0.0 createRuntime @BINDIR@/oci-autofs-restore oci-autofs-restore --stage=createRuntime"

        use_runtime podman
        name=$(oci_name podman)
        log=$BATS_TEST_TMPDIR/hook.log
        oci_podman_image
        oci_hooks_dir "$log"
        oci_podman_start "$name"
        id=$(rig_timeout 30 podman inspect -f '{{.Id}}' "$name")
        run oci_log "$log"
        assert_output "oci-autofs-restore: $id: Normal start (stage createRuntime, status creating, pid $CT_PID): nothing to do."

        write_files "$name"
        checkpoint_container "$name"
        restore_container "$name"

        repaired_in_time "$log" "$id" "$name"

        run oci_log "$log"
        assert_line --regexp "^oci-autofs-restore: $id: Restore of process $CT_PID under way; watcher [0-9]+ "
        assert_line "oci-autofs-restore: $id: 9 automount unit(s): 8 repaired, 0 failed, 1 not touched."
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}" || fail "an autofs beneath a tmpfs does not answer"
}

@test "runc, hook and CRIU action script both configured: each unit repaired once, no error" {
        oci_require criu
        local name log conf watcher where log_lines n
        name=$(oci_name)
        log=$BATS_TEST_TMPDIR/hook.log
        conf=$BATS_TEST_TMPDIR/criu.conf
        echo "action-script $OCI_HOOK_BIN" >"$conf"
        oci_runc_start "$name" "createRuntime --stage=createRuntime,--log-file=$log" -- \
                --annotation "org.criu.config=$conf"
        write_files "$name"
        checkpoint_container "$name"
        restore_container "$name"

        watcher=$(oci_watcher_pid "$log")
        [[ -n $watcher ]] || fail "the hook started no watcher: $(cat "$log")"
        wait_process_gone "$watcher" 10000 || fail "watcher $watcher did not finish"

        # CRIU ran the action script (twice per action under runc); its lines are in CRIU's
        # log. Together with the watcher's, every unit was repaired exactly once.
        log_lines=$( (oci_log "$log"; cat "$RIG_IMAGES/$name/restore.log") | grep '^oci-autofs-restore: ')
        echo "$log_lines"
        for where in "${AUTOMOUNTS[@]}"; do
                n=$(grep -cF "$(automount_unit "$where") ($where): repaired:" <<<"$log_lines")
                [[ $n == 1 ]] || fail "$where repaired $n times"
                n=$(grep -cF "$(automount_unit "$where") ($where): already repaired for this restore" <<<"$log_lines")
                ((n >= 1)) || fail "no run found $where already repaired"
        done
        oci_log "$log" | grep -q 'Restore of process .* under way' || fail "the hook did not see the restore"
        ! grep -Ei ' [1-9][0-9]* failed|error|cannot|warning' <<<"$log_lines" || fail "a run reported a problem"
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$name" || fail "a file on an automount was lost"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}" || fail "an autofs beneath a tmpfs does not answer"
}

# PIDs of the processes running this build's hook binary (the hook itself, its watcher, or the
# watcher's worker).
hook_processes() {
        local exe p
        for p in /proc/[0-9]*; do
                exe=$(readlink "$p/exe" 2>/dev/null) || continue
                [[ $exe == "$OCI_HOOK_BIN" ]] && echo "${p#/proc/}"
        done
        return 0
}

# Every automount unit's ActiveState and whether it was ever stopped since boot, one line each.
units_restarted() {
        local where
        for where in "${AUTOMOUNTS[@]}"; do
                printf '%s %s\n' "$(automount_unit "$where")" \
                        "$(runc exec "$1" systemctl show -P ActiveState,InactiveEnterTimestampMonotonic "$(automount_unit "$where")" |
                                paste -sd ' ' | sed -E 's/ [1-9][0-9]*$/ restarted/; s/ 0$/ never-stopped/')"
        done
}

@test "runc, hook args [\"oci-autofs-restore\", \"createRuntime\"] as oci-umount takes them: the container starts, and a real restore is repaired" {
        oci_require criu
        local name watcher deadline
        name=$(oci_name)
        oci_runc_start "$name" "createRuntime createRuntime"
        run jq -c '.hooks.createRuntime' "$RUNC_BUNDLE/config.json"
        assert_output "[{\"path\":\"$OCI_HOOK_BIN\",\"args\":[\"oci-autofs-restore\",\"createRuntime\"]}]"
        # The normal start touched nothing.
        run units_restarted "$name"
        echo "$output"
        assert_equal "$(grep -c ' active never-stopped$' <<<"$output")" "${#AUTOMOUNTS[@]}"

        write_files "$name"
        checkpoint_container "$name"
        restore_container "$name"
        # The hook ran at createRuntime during the restore and left a watcher, which logs only to
        # the journal here: wait until systemd reports every unit restarted (asking systemd
        # touches no mount point; an access made before the repair would stay blocked), then
        # until no process runs the hook any more.
        deadline=$(($(now_ms) + OCI_REPAIR_BUDGET_MS))
        until [[ $(units_restarted "$name" | grep -c ' active restarted$') -eq ${#AUTOMOUNTS[@]} ]]; do
                (($(now_ms) < deadline)) || {
                        units_restarted "$name"
                        fail "not every unit restarted within $OCI_REPAIR_BUDGET_MS ms of the restore"
                }
                sleep 0.05
        done
        for watcher in $(hook_processes); do
                wait_process_gone "$watcher" 5000 || fail "watcher $watcher did not finish"
        done
        echo "# runc restore returned -> every unit restarted: $(($(now_ms) - RESTORED_MS)) ms" >&3
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$name" || fail "a file on an automount was lost"
        run units_restarted "$name"
        echo "$output"
        assert_equal "$(grep -c ' active restarted$' <<<"$output")" "${#AUTOMOUNTS[@]}"
}

@test "runc run with the hook: the container starts, nothing is touched, the log says normal start" {
        oci_require
        local name log state_dir hook
        name=$(oci_name)
        log=$BATS_TEST_TMPDIR/hook.log
        state_dir=$BATS_TEST_TMPDIR/state
        hook="--log-file=$log,--state-dir=$state_dir"
        oci_runc_start "$name" "createRuntime --stage=createRuntime,$hook;prestart --stage=prestart,$hook;poststart --stage=poststart,$hook"

        run oci_log "$log"
        # runc 1.1 runs prestart before createRuntime, and reports "created" to poststart hooks.
        assert_line --index 0 "oci-autofs-restore: $name: Normal start (stage prestart, status creating, pid $CT_PID): nothing to do."
        assert_line --index 1 "oci-autofs-restore: $name: Normal start (stage createRuntime, status creating, pid $CT_PID): nothing to do."
        assert_line --index 2 "oci-autofs-restore: $name: Normal start (stage poststart, status created, pid $CT_PID): nothing to do."
        assert_equal "${#lines[@]}" 3
        # The engine never ran: it would have made its state directory for the record and lock.
        [[ ! -e $state_dir ]] || fail "the hook touched $state_dir"
        automounts_never_stopped "$name"

        # A normal create is decided from the state alone: a PID that is the host itself would
        # be refused (exit status 3) by anything that inspected it.
        local start end
        start=$(now_ms)
        run "$OCI_HOOK_BIN" --stage=createRuntime <<<"$(oci_state "$name-by-hand" creating 1)"
        end=$(now_ms)
        assert_success
        assert_output "oci-autofs-restore: $name-by-hand: Normal start (stage createRuntime, status creating, pid 1): nothing to do."
        echo "# normal create decided in $((end - start)) ms" >&3
        ((end - start < $(rig_budget_ms 500))) || fail "a normal create took $((end - start)) ms"
}

@test "bad state JSON: one line on stderr, exit status 2" {
        [[ -x $OCI_HOOK_BIN ]] || rig_unavailable "$OCI_HOOK_BIN not built (make)"
        local name input
        local -A cases=(
                [empty]=''
                [malformed]='{"ociVersion":"1.0.2","id":"x","status":'
                [not-an-object]='["ociVersion","1.0.2"]'
                [missing-pid]='{"ociVersion":"1.0.2","id":"x","status":"creating","bundle":"/b"}'
                [pid-is-a-string]='{"ociVersion":"1.0.2","id":"x","status":"creating","pid":"42","bundle":"/b"}'
                [pid-huge]='{"ociVersion":"1.0.2","id":"x","status":"creating","pid":184467440737095516160,"bundle":"/b"}'
                [pid-negative]='{"ociVersion":"1.0.2","id":"x","status":"creating","pid":-1,"bundle":"/b"}'
                [id-is-a-number]='{"ociVersion":"1.0.2","id":7,"status":"creating","pid":42,"bundle":"/b"}'
                [annotations-array]='{"ociVersion":"1.0.2","id":"x","status":"creating","pid":42,"bundle":"/b","annotations":["a"]}'
                [nested-garbage]='{"ociVersion":"1.0.2","id":"x","status":"creating","pid":42,"bundle":"/b","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'
                [annotation-value-invalid]='{"ociVersion":"1.0.2","id":"x","status":"stopped","pid":42,"bundle":"/b","annotations":{"org.autofs-restore-hook.restore":"perhaps"}}'
        )
        for name in "${!cases[@]}"; do
                input=${cases[$name]}
                run bash -c 'printf "%s" "$1" | "$2" --stage=createRuntime' _ "$input" "$OCI_HOOK_BIN"
                echo "$name: status $status: $output"
                assert_failure 2
                assert_equal "${#lines[@]}" 1
                assert_output --regexp '^oci-autofs-restore: (x: )?[A-Z][^'$'\n'']+\.$'
        done

        # More than 64 KiB, whatever it is.
        run bash -c 'head -c 70000 /dev/zero | tr "\0" " " | "$1"' _ "$OCI_HOOK_BIN"
        assert_failure 2
        assert_output "oci-autofs-restore: Invalid container state on stdin: too large: more than 65536 bytes."

        run "$OCI_HOOK_BIN" --stage=bogus </dev/null
        assert_failure 2
        assert_output "oci-autofs-restore: Unknown hook stage 'bogus'; expected createRuntime, prestart or poststart."
}

@test "poststart with the restore annotation repairs synchronously; false disables" {
        oci_require criu
        local name state
        name=$(oci_name)
        # No hook during the restore: the automounts stay broken until the poststart run.
        oci_runc_start "$name" ""
        write_files "$name"
        checkpoint_container "$name"
        restore_container "$name"

        state=$(oci_state "$name" running "$CT_PID" '{"org.autofs-restore-hook.restore":"false"}')
        run "$OCI_HOOK_BIN" --stage=poststart <<<"$state"
        assert_success
        assert_output "oci-autofs-restore: $name: Annotation org.autofs-restore-hook.restore says not to repair this container (stage poststart): nothing to do."

        # An orchestrator's own annotation, named with --restore-annotation.
        state=$(oci_state "$name" running "$CT_PID" '{"io.example.restored":"yes"}')
        run "$OCI_HOOK_BIN" --stage=poststart --restore-annotation=io.example.restored=yes <<<"$state"
        assert_success
        assert_line "oci-autofs-restore: $name: Poststart of a container marked as restored: repairing process $CT_PID now."
        assert_line "oci-autofs-restore: $name: 9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        # Synchronous: repaired by the time the hook returned.
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        files_intact "$name" || fail "a file on an automount was lost"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}" || fail "an autofs beneath a tmpfs does not answer"
}

@test "the detached watcher: the hook returns at once; the watcher gives up at its deadline, or ends when the process dies" {
        [[ -x $OCI_HOOK_BIN ]] || rig_unavailable "$OCI_HOOK_BIN not built (make)"
        local log sleeper state start end watcher fds out
        log=$BATS_TEST_TMPDIR/hook.log
        # A process that is never restored: it never changes what it runs. In a mount namespace
        # of its own, since the hook refuses the host's before any watcher exists.
        unshare -m --propagation private sleep 60 >/dev/null 2>&1 3>&- &
        sleeper=$!
        state=$(oci_state arh-oci-watcher creating "$sleeper" '{"org.autofs-restore-hook.restore":"true"}')

        # $(...) returns only once every copy of its pipe is closed: the watcher keeps none.
        start=$(now_ms)
        out=$("$OCI_HOOK_BIN" --stage=createRuntime --wait-timeout=2 --log-file="$log" <<<"$state" 2>&1)
        end=$(now_ms)
        echo "$out"
        ((end - start < $(rig_budget_ms 1000))) || fail "the hook took $((end - start)) ms"
        watcher=$(oci_watcher_pid "$log")
        [[ -n $watcher && -e /proc/$watcher ]] || fail "no watcher: $(cat "$log")"
        # Its own session; stdio on /dev/null, the log file, and the pidfd of the process it waits
        # for: nothing of the runtime's.
        [[ $(ps -o sid= -p "$watcher") != $(ps -o sid= -p $$) ]] || fail "watcher in our session"
        fds=$(find "/proc/$watcher/fd" -mindepth 1 -printf '%f -> %l\n' | sort -n)
        echo "$fds"
        assert_equal "$(grep -c . <<<"$fds")" 5
        grep -qx "0 -> /dev/null" <<<"$fds" || fail "stdin is not /dev/null"
        grep -qx "1 -> /dev/null" <<<"$fds" || fail "stdout is not /dev/null"
        grep -qx "2 -> /dev/null" <<<"$fds" || fail "stderr is not /dev/null"
        grep -q " -> $log\$" <<<"$fds" || fail "the log file is not open"
        grep -q 'anon_inode:\[pidfd\]' <<<"$fds" || fail "no pidfd"

        wait_process_gone "$watcher" 5000 || fail "the watcher did not give up"
        oci_log "$log" | grep -q "arh-oci-watcher: The restore of process $sleeper did not complete within 2 s; giving up without repairing." ||
                fail "$(cat "$log")"

        # A log file that cannot be opened costs the log, not the repair: the watcher runs.
        out=$("$OCI_HOOK_BIN" --stage=createRuntime --wait-timeout=60 \
                --log-file="$BATS_TEST_TMPDIR/missing/hook.log" <<<"$state" 2>&1) || fail "the hook failed: $out"
        echo "$out"
        watcher=$(sed -n 's/.* watcher \([0-9][0-9]*\) repairs .*/\1/p' <<<"$out")
        [[ -n $watcher ]] || fail "no watcher reported"
        sleep 0.3
        [[ -e /proc/$watcher ]] || fail "the watcher $watcher died at once"
        kill "$watcher"

        # The process dies while the watcher waits: the watcher ends at once.
        "$OCI_HOOK_BIN" --stage=createRuntime --wait-timeout=60 --log-file="$log" <<<"$state" 2>/dev/null ||
                fail "the hook failed"
        watcher=$(oci_watcher_pid "$log")
        kill "$sleeper"
        wait "$sleeper" 2>/dev/null || true
        wait_process_gone "$watcher" 2000 || fail "the watcher outlived the process it waited for"
        oci_log "$log" | grep -q "arh-oci-watcher: Process $sleeper exited before its restore completed; nothing to repair." ||
                fail "$(cat "$log")"
}
