#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The repair engine against real systemd containers, broken by the restore simulator.

load test_helper
load repair_helper

setup() {
        rig_require autofs-break
        NAME=$(rig_name)
        CT_PID=
        STOPPED_PIDS=
}

teardown() {
        # shellcheck disable=SC2086 # two PIDs
        [[ -n $STOPPED_PIDS ]] && kill -KILL $STOPPED_PIDS 2>/dev/null
        [[ -n $CT_PID ]] && kill -CONT "$CT_PID" 2>/dev/null
        rig_teardown
}

@test "a simulated restore of 9 automounts is repaired, files and filesystems on top kept" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")
        all_hang "$CT_PID"

        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        assert_output --partial "proc-sys-fs-binfmt_misc.automount (/proc/sys/fs/binfmt_misc): repaired"

        all_answer "$CT_PID"
        files_intact "$NAME"
        # The same superblock, not a copy of the files, is on top again.
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        no_leftovers_in "$CT_PID"
        # The tmpfs on top answers whatever the autofs beneath does: that one must work too.
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "a second run for the same restore restarts nothing" {
        start_runc_container "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        table=$(grep autofs "/proc/$CT_PID/mountinfo")

        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "srv-a1.automount (/srv/a1): already repaired for this restore"
        refute_output --partial "repaired:"
        assert_equal "$(grep autofs "/proc/$CT_PID/mountinfo")" "$table"
}

@test "two concurrent runs repair each unit once" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        "$REPAIR_HOOK" --pid "$CT_PID" >"$BATS_TEST_TMPDIR/one" 2>&1 &
        one=$!
        "$REPAIR_HOOK" --pid "$CT_PID" >"$BATS_TEST_TMPDIR/two" 2>&1 &
        two=$!
        wait "$one"
        wait "$two"
        repaired=$(cat "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two" | grep -c ': repaired:')
        already=$(cat "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two" | grep -c 'already repaired')
        assert_equal "$repaired" 9
        assert_equal "$already" 9
        all_answer "$CT_PID"
        files_intact "$NAME"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "--dry-run prints the plan and changes nothing" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        table=$(cat "/proc/$CT_PID/mountinfo")

        run "$REPAIR_HOOK" --pid "$CT_PID" --dry-run --state-dir "$BATS_TEST_TMPDIR/state"
        assert_success
        # Nothing on the host either: no state directory, no record, no lock.
        [[ ! -e $BATS_TEST_TMPDIR/state ]] || fail "--dry-run made $BATS_TEST_TMPDIR/state"
        assert_output --partial "srv-a1.automount (/srv/a1): would restart"
        assert_output --partial "would set aside tmpfs"
        assert_equal "$(cat "/proc/$CT_PID/mountinfo")" "$table"
        automount_hangs "$CT_PID" /srv/a5
}

@test "--unit and --exclude choose the units" {
        start_runc_container "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        run "$REPAIR_HOOK" --pid "$CT_PID" --unit 'srv-a*' --exclude 'srv-a[2-8].automount'
        assert_success
        assert_output --partial "1 automount unit(s): 1 repaired, 0 failed, 0 not touched."
        automount_answers "$CT_PID" /srv/a1 3
        automount_hangs "$CT_PID" /srv/a2
        automount_hangs "$CT_PID" /proc/sys/fs/binfmt_misc
}

@test "a container with a read-only root is repaired without writing to it" {
        start_runc_container "$NAME" --readonly-root
        run ct_sh "$NAME" "touch /probe"
        assert_failure
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        all_answer "$CT_PID"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "a unit whose restart fails keeps its files, the others are repaired" {
        start_runc_container "$NAME"
        write_files "$NAME"
        # The restart's start job depends on a service that fails: systemd stops the
        # automount, which detaches everything at /srv/a1, and then cannot start it.
        ct_sh "$NAME" 'mkdir -p /run/systemd/system/srv-a1.automount.d &&
                printf "[Service]\nType=oneshot\nExecStart=/bin/false\n" > /run/systemd/system/arh-fail.service &&
                printf "[Unit]\nRequires=arh-fail.service\nAfter=arh-fail.service\n" > /run/systemd/system/srv-a1.automount.d/fail.conf &&
                systemctl daemon-reload'
        "$REPAIR_BREAK" --pid "$CT_PID"

        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_failure 1
        assert_output --partial "srv-a1.automount (/srv/a1): FAILED"
        assert_output --partial "the original filesystem is back on top"
        assert_output --partial "9 automount unit(s): 8 repaired, 1 failed, 0 not touched."
        files_intact "$NAME"
        automount_answers "$CT_PID" /srv/a2 3
        no_leftovers_in "$CT_PID"
}

@test "a process blocked before the repair is reported by its host PID" {
        start_runc_container "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        # Blocked on the old autofs: a restart helps only new accesses.
        start_blocked_access "$CT_PID" /srv/a5
        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        # It made a request before the run: no handle can be taken on that autofs, and the run
        # names the process and says what would have prevented it.
        assert_output --partial "srv-a5.automount (/srv/a5): no handle on the restored autofs (a request is already pending on it)"
        assert_output --regexp "1 process\(es\) of the container still wait on an automount from before the repair \(host PIDs $BLOCKED_PID \([a-z]+\)\): they blocked before a handle could be taken, and only a kill releases them\. The hook as CRIU action script"
        assert_equal "$(rig_proc_state "$BLOCKED_PID")" "D autofs_wait"
        automount_answers "$CT_PID" /srv/a5 3
        kill_blocked_access "$BLOCKED_PID"

        # Nothing blocked: nothing reported.
        "$REPAIR_BREAK" --pid "$CT_PID"
        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        refute_output --partial "still wait on an automount"
}

@test "ten restores in a row are each repaired" {
        start_runc_container "$NAME"
        write_files "$NAME"
        start=$SECONDS
        for i in $(seq 10); do
                "$REPAIR_BREAK" --pid "$CT_PID" >/dev/null
                run "$REPAIR_HOOK" --pid "$CT_PID"
                assert_success
                        assert_output --partial "9 automount unit(s): 9 repaired, 0 failed, 0 not touched."
        done
        all_answer "$CT_PID"
        files_intact "$NAME"
        # systemd's start rate limit (5 in 10 s) would have failed units without the reset.
        (((SECONDS - start) * 1000 < $(rig_budget_ms 20000)))
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

# The createRuntime hook and a manual run take their handles on the old autofs while the
# container's tasks run: what blocks from that moment on must be released by the repair.
@test "a process that blocks after the worker took its handles returns after the repair, and the automount then answers" {
        start_runc_container "$NAME" --automounts 2
        "$REPAIR_BREAK" --pid "$CT_PID"
        start_hook_stopped_at set-aside
        start_blocked_access "$CT_PID" /srv/a2
        kill -CONT "$WORKER_PID"
        wait "$HOOK_PID" || fail "the hook failed: $(cat "$BATS_TEST_TMPDIR/hook.log")"
        STOPPED_PIDS=
        cat "$BATS_TEST_TMPDIR/hook.log"
        for ((i = 0; i < 20; i++)); do
                [[ -d /proc/$BLOCKED_PID ]] || break
                sleep 0.05
        done
        [[ ! -d /proc/$BLOCKED_PID ]] ||
                fail "the access is still there one second after the repair: $(rig_proc_state "$BLOCKED_PID")"
        kill_blocked_access "$BLOCKED_PID"
        run grep -c 'still wait on an automount' "$BATS_TEST_TMPDIR/hook.log"
        assert_output 0
        automount_answers "$CT_PID" /srv/a2 3 || fail "/srv/a2 hangs after the repair"
        all_answer "$CT_PID"
}

@test "a run killed after systemd detached the originals is recovered by the next run" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")

        start_hook_stopped_at restarted
        # The originals are gone from their places and live on in the stash only.
        [[ $(top_mount "$CT_PID" /srv/a1) != "$(grep '^/srv/a1=' <<<"$tops_before" | cut -d= -f2)" ]]
        grep -Eq ' /run/autofs-restore-hook\.[0-9a-f]{16}/srv-a1\.automount ' "/proc/$CT_PID/mountinfo"
        kill -KILL "$WORKER_PID" "$HOOK_PID"
        wait "$HOOK_PID" || true

        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "set aside by an interrupted run, put back"
        all_answer "$CT_PID"
        files_intact "$NAME"
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        no_leftovers_in "$CT_PID"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "recovery keeps what users wrote to the new filesystem since the interrupted run" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        start_hook_stopped_at restarted
        kill -KILL "$WORKER_PID" "$HOOK_PID"
        wait "$HOOK_PID" || true
        STOPPED_PIDS=
        # The restarted automount serves a new, empty tmpfs: someone works on it.
        ct_sh "$NAME" "echo 'new data' > /srv/a1/newfile" || fail "cannot write to the new /srv/a1"

        run "$REPAIR_HOOK" --pid "$CT_PID"
        echo "$output"
        assert_success
        assert_output --partial "srv-a1.automount (/srv/a1): a tmpfs was mounted there meanwhile; it may hold new data and is kept, under the original."
        assert_output --partial "set aside by an interrupted run, put back"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"
        # Under the original lies the new filesystem, with its file.
        nsenter -t "$CT_PID" -m umount /srv/a1
        assert_equal "$(nsenter -t "$CT_PID" -m cat /srv/a1/newfile)" "new data"
}

@test "a SIGTERM to the hook's process group after the restart takes no tree with it" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")
        # A process group of its own, as a terminal or a runtime would give it. (Background jobs
        # of a script ignore SIGINT, so a Ctrl-C cannot be played here; SIGTERM is what a runtime
        # sends.)
        HOOK_LAUNCHER=setsid start_hook_stopped_at restarted
        kill -TERM -- "-$HOOK_PID"
        kill -CONT "$WORKER_PID"
        wait "$HOOK_PID" || true
        for ((i = 0; i < 100; i++)); do
                [[ -d /proc/$WORKER_PID ]] || break
                sleep 0.1
        done
        [[ ! -d /proc/$WORKER_PID ]] || fail "the worker is still there"
        STOPPED_PIDS=
        files_intact "$NAME"
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        no_leftovers_in "$CT_PID"
}

@test "a run killed right after setting trees aside loses nothing" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")

        start_hook_stopped_at set-aside
        kill -KILL "$WORKER_PID" "$HOOK_PID"
        wait "$HOOK_PID" || true
        files_intact "$NAME"

        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "was still in place"
        all_answer "$CT_PID"
        files_intact "$NAME"
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        no_leftovers_in "$CT_PID"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "the installed hook ignores AUTOFS_RESTORE_HOOK_STOP_AT" {
        dest=$BATS_TEST_TMPDIR/install
        make -C "$RIG_TOP" --no-print-directory install DESTDIR="$dest" PREFIX=/usr >/dev/null
        for b in oci-autofs-restore lxc-autofs-restore; do
                ! grep -aq AUTOFS_RESTORE_HOOK_STOP_AT "$dest/usr/bin/$b" ||
                        fail "the installed $b knows the stop points"
        done
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        run rig_timeout 60 env AUTOFS_RESTORE_HOOK_STOP_AT=set-aside "$dest/usr/bin/oci-autofs-restore" \
                --pid "$CT_PID" --timeout 20
        assert_success
        refute_output --partial "Stopping at"
        assert_output --partial "9 repaired, 0 failed"
        all_answer "$CT_PID"
        files_intact "$NAME"
}

@test "a container that dies during the repair ends the run at once" {
        start_runc_container "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        start_hook_stopped_at set-aside
        runc kill "$NAME" KILL
        for ((i = 0; i < 100; i++)); do
                [[ -d /proc/$CT_PID ]] || break
                sleep 0.05
        done
        start=$SECONDS
        kill -CONT "$WORKER_PID"
        status=0
        wait "$HOOK_PID" || status=$?
        assert_equal "$status" 1
        (((SECONDS - start) * 1000 < $(rig_budget_ms 5000)))
        STOPPED_PIDS=
        # No worker or connector is left behind.
        run pgrep -f "oci-autofs-restore --pid $CT_PID"
        assert_failure
}

@test "a frozen systemd: the run ends at its deadline and loses nothing" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")
        kill -STOP "$CT_PID"
        start=$(date +%s%N)
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 2
        elapsed_ms=$((($(date +%s%N) - start) / 1000000))
        kill -CONT "$CT_PID"
        assert_failure 1
        ((elapsed_ms < 2000 + $(rig_budget_ms 1000))) || fail "took ${elapsed_ms} ms with a 2 s deadline"
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"
}

@test "systemd frozen while the originals are detached: they come back at the deadline" {
        start_runc_container "$NAME"
        write_files "$NAME"
        "$REPAIR_BREAK" --pid "$CT_PID"
        tops_before=$(tops_of "$CT_PID")

        # The dangerous window: systemd has restarted the units and so detached the trees on top;
        # they live on in the stash and in the worker only. systemd freezes there.
        start_hook_stopped_at restarted --timeout 4
        [[ $(top_mount "$CT_PID" /srv/a1) != "$(grep '^/srv/a1=' <<<"$tops_before" | cut -d= -f2)" ]] ||
                fail "the original of /srv/a1 is still on top at the stop point"
        kill -STOP "$CT_PID"
        start=$(date +%s%N)
        kill -CONT "$WORKER_PID"
        status=0
        wait "$HOOK_PID" || status=$?
        elapsed_ms=$((($(date +%s%N) - start) / 1000000))
        STOPPED_PIDS=
        cat "$BATS_TEST_TMPDIR/hook.log"
        # The trees are back before systemd moves again.
        tops_frozen=$(tops_of "$CT_PID")
        kill -CONT "$CT_PID"
        assert_equal "$status" 1
        ((elapsed_ms < 4000 + $(rig_budget_ms 1000))) || fail "took ${elapsed_ms} ms with a 4 s deadline"
        assert_equal "$tops_frozen" "$tops_before"
        grep -q "the original filesystem is back on top" "$BATS_TEST_TMPDIR/hook.log" ||
                fail "the log does not say the originals are back"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"
}

@test "a container whose PID 1 is not systemd is left alone" {
        start_runc_container "$NAME" --init "sleep infinity"
        run "$REPAIR_HOOK" --pid "$CT_PID"
        assert_success
        assert_output --partial "is not systemd; nothing to do"
}

@test "the host is refused" {
        run "$REPAIR_HOOK" --pid $$
        assert_failure 3
        assert_output --partial "shares our mount namespace"
}

@test "a process that is gone is refused" {
        sleep 0 &
        gone=$!
        wait "$gone"
        run "$REPAIR_HOOK" --pid "$gone"
        assert_failure 3
        assert_output --partial "does not exist"
}

@test "a process that cannot be inspected is refused with exit status 3" {
        local target
        # Root's process in a mount namespace of its own, looked at by an unprivileged caller:
        # its namespace links need ptrace access, which nobody lacks.
        unshare -m --propagation private sleep 60 &
        target=$!
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$REPAIR_HOOK" --pid "$target"
        kill "$target"
        wait "$target" 2>/dev/null || true
        assert_failure 3
        assert_output --partial "Cannot inspect process $target: Permission denied"
}

@test "bad arguments: one line, exit status 2" {
        run "$REPAIR_HOOK" --pid abc
        assert_failure 2
        assert_output "oci-autofs-restore: Invalid PID 'abc'."
        run "$REPAIR_HOOK" --pid 1 --timeout 0
        assert_failure 2
        run "$REPAIR_HOOK" --pid 1 --bogus
        assert_failure 2
        run env AUTOFS_RESTORE_HOOK_CONFIG=/nonexistent "$REPAIR_HOOK" --pid 1
        assert_failure 2
}

@test "a repair executes no program, neither the container's nor the host's" {
        start_runc_container "$NAME"
        write_files "$NAME"
        # Canaries: each of these, run from anywhere, leaves a line in /run/canary.log
        # before doing its job.
        ct_sh "$NAME" 'mkdir -p /run/canary.real && for p in /usr/bin/systemctl /usr/bin/mount /usr/bin/umount /usr/bin/nsenter /usr/bin/mktemp /bin/sh; do
                        real=/run/canary.real/${p##*/}; cp -a "$(readlink -f "$p")" "$real"
                        printf "#!/bin/bash\necho \"\$0 \$*\" >> /run/canary.log\nexec %s \"\$@\"\n" "$real" > "$p.canary"
                        chmod 755 "$p.canary"; done'
        ct_sh "$NAME" 'for p in /usr/bin/systemctl /usr/bin/mount /usr/bin/umount /usr/bin/nsenter /usr/bin/mktemp /bin/sh; do
                        mv -f "$p.canary" "$p"; done'
        # The canaries work: a use of one is recorded.
        rig_timeout 10 runc exec "$NAME" /usr/bin/systemctl --version >/dev/null
        grep -q systemctl < <(nsenter -t "$CT_PID" -m cat /run/canary.log)
        nsenter -t "$CT_PID" -m truncate -s0 /run/canary.log

        "$REPAIR_BREAK" --pid "$CT_PID"
        strace -f -qq -e trace=execve,execveat -o "$BATS_TEST_TMPDIR/exec" "$REPAIR_HOOK" --pid "$CT_PID"
        assert_equal "$(nsenter -t "$CT_PID" -m cat /run/canary.log)" ""
        # One execve: the hook's own start; no execveat (fexecve and friends) at all.
        cat "$BATS_TEST_TMPDIR/exec"
        assert_equal "$(grep -c 'execve(' "$BATS_TEST_TMPDIR/exec")" 1
        assert_equal "$(grep -c 'execveat(' "$BATS_TEST_TMPDIR/exec")" 0
        all_answer "$CT_PID"
        files_intact "$NAME"
}

@test "a container with its own user namespace is handled as its root, with its powers" {
        start_runc_container "$NAME" --userns
        [[ $(awk '{ print $1, $2 }' "/proc/$CT_PID/uid_map") == "0 100000" ]]
        # The kernel mounts no autofs inside a user namespace, so systemd's automounts fail
        # there; what matters is that systemd accepted us as root of its namespace.
        run "$REPAIR_HOOK" --pid "$CT_PID" -v
        assert_success
        assert_output --partial "srv-a1.automount (/srv/a1): not touched: unit is failed"
        refute_output --partial "Failed to connect"
}
