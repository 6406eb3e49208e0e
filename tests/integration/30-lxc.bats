#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lxc-autofs-restore with real LXC (lxc-start, lxc-checkpoint) and the rig's real CRIU: the
# pre-start hook, the CRIU action script, both at once, normal starts, manual mode, and what a
# malformed LXC environment gets.

load test_helper
load lxc_helper

setup() {
        NAME=$(lxc_name)
        use_runtime lxc
}

teardown() {
        lxc_teardown
}

# Boots NAME, leaves files on half of the automounts and checkpoints it (stopping it). The other
# half is never accessed: with nothing mounted on them, an access after an unrepaired restore
# hangs, so they show whether the repair happened.
boot_write_checkpoint() {
        lxc_start "$NAME"
        write_files "$NAME"
        run automount_stops "$NAME"
        assert_success
        refute_output --regexp ' [1-9][0-9]*$'
        checkpoint_container "$NAME"
}

# Every automount unit was stopped (by a restart) exactly once since the boot.
restarted_once() {
        local deadline=$((SECONDS + $(rig_budget_ms 10000) / 1000))
        # journald may take a moment to have the last lines on disk.
        while :; do
                run automount_stops "$NAME"
                assert_success
                [[ $(grep -c ' 1$' <<<"$output") -eq ${#AUTOMOUNTS[@]} ]] && break
                ((SECONDS < deadline)) || break
                sleep 0.5
        done
        echo "$output"
        refute_output --regexp ' ([02-9]|[1-9][0-9]+)$'
        [[ $(grep -c ' 1$' <<<"$output") -eq ${#AUTOMOUNTS[@]} ]]
}

@test "lxc-checkpoint -r with only the config include: every automount answers, files survive" {
        lxc_require
        lxc_create "$NAME"
        lxc_config "$NAME" "lxc.hook.version = 1" "lxc.include = $(lxc_include "$NAME")"
        boot_write_checkpoint

        restore_container "$NAME"
        # The hook returned at once and named its watcher; the repair ends when the watcher does.
        watcher=$(hook_watcher_pid "$NAME")
        [[ -n $watcher ]] || fail "the pre-start hook reported no watcher: $(grep -a 'produced output' "$(lxc_dir "$NAME")/lxc.log")"
        grep -a "produced output: .*Restore (the hook's parent is lxc-checkpoint)" "$(lxc_dir "$NAME")/lxc.log"
        took=$(hook_duration_ms "$NAME")
        echo "the pre-start hook took $took ms"
        ((took < 1000))
        wait_process_gone "$watcher" 60000 || fail "watcher $watcher still runs after 60 s"

        all_answer "$CT_PID"
        files_intact "$NAME"
        restarted_once
        # The repair was recorded for this container incarnation.
        compgen -G "$(lxc_dir "$NAME")/state/$CT_PID-*.record"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "lxc-checkpoint -r -A with no hook lines: repaired at post-resume, logged with the container name" {
        lxc_require
        lxc_create "$NAME"
        boot_write_checkpoint

        restore_container "$NAME" -A "$LXC_HOOK"
        # CRIU keeps the action script's output in its restore log; the repair is over when
        # lxc-checkpoint returns.
        run grep -a "^lxc-autofs-restore: " "$(lxc_dir "$NAME")/images/restore.log"
        echo "$output"
        assert_line "lxc-autofs-restore: $NAME: 9 automount unit(s): 8 repaired, 0 failed, 1 not touched."
        refute_line --partial "FAILED"
        refute_line --regexp "^lxc-autofs-restore: pid [0-9]+:"
        refute grep -a "Executing script" "$(lxc_dir "$NAME")/lxc.log"

        all_answer "$CT_PID"
        files_intact "$NAME"
        restarted_once
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "hook (version 0) and action script together: repaired once" {
        lxc_require
        lxc_create "$NAME"
        log=$(lxc_dir "$NAME")/watcher.log
        lxc_config "$NAME" "lxc.hook.version = 0" "lxc.hook.pre-start = $LXC_HOOK --log-file=$log"
        boot_write_checkpoint
        [[ ! -s $log ]] || fail "the hook left a watcher on a normal start: $(cat "$log")"

        restore_container "$NAME" -A "$LXC_HOOK"
        watcher=$(hook_watcher_pid "$NAME")
        [[ -n $watcher ]] || fail "the pre-start hook reported no watcher"
        wait_process_gone "$watcher" 60000 || fail "watcher $watcher still runs after 60 s"

        # The action script repaired at post-resume, while CRIU waited...
        run grep -a -c "^lxc-autofs-restore: $NAME: srv-a[0-9].automount (/srv/a[0-9]): repaired" \
                "$(lxc_dir "$NAME")/images/restore.log"
        assert_output 8
        # ... and the watcher, which starts only once CRIU is gone, found nothing left to do.
        run cat "$log"
        echo "$output"
        assert_line --partial "$NAME: The container's init $CT_PID runs, restored by CRIU"
        [[ $(grep -c ": already repaired for this restore" <<<"$output") -eq 8 ]]
        refute_line --partial "repaired: autofs re-created"

        all_answer "$CT_PID"
        files_intact "$NAME"
        restarted_once
}

@test "normal lxc-start with the include, hook versions 1 and 0: nothing touched" {
        lxc_require
        lxc_create "$NAME"
        lxc_config "$NAME" "lxc.hook.version = 1" "lxc.include = $(lxc_include "$NAME")" \
                "lxc.hook.start-host = $LXC_HOOK"
        for version in 1 0; do
                lxc_unconfig "$NAME" '^lxc.hook.version'
                lxc_config "$NAME" "lxc.hook.version = $version"
                : >"$(lxc_dir "$NAME")/lxc.log"
                lxc_start "$NAME"

                run grep -a "produced output" "$(lxc_dir "$NAME")/lxc.log"
                echo "$output"
                assert_line --partial "lxc-autofs-restore: $NAME: Normal start (the hook's parent is already an LXC monitor): nothing to repair."
                assert_line --partial "lxc-autofs-restore: $NAME: Normal start (init $CT_PID): nothing to repair."
                refute_output --partial "watcher"
                took=$(hook_duration_ms "$NAME")
                echo "the hooks took $took ms"
                ((took < 1000))

                all_answer "$CT_PID"
                run automount_stops "$NAME"
                refute_output --regexp ' [1-9][0-9]*$'
                run compgen -G "$(lxc_dir "$NAME")/state/*"
                assert_failure
                rig_timeout 30 lxc-stop -P "$(lxc_path "$NAME")" -n "$NAME" -k
        done
}

@test "--name repairs a container restored without any hook; a second run changes nothing" {
        lxc_require
        lxc_create "$NAME"
        boot_write_checkpoint
        restore_container "$NAME"

        # Without a repair the automounts hang (the rig kills the stuck access by its PID).
        automount_hangs "$CT_PID" /srv/a5 2

        run "$LXC_HOOK" --name "$NAME" --lxcpath "$(lxc_path "$NAME")/"
        echo "$output"
        assert_success
        assert_line "lxc-autofs-restore: $NAME: 9 automount unit(s): 8 repaired, 0 failed, 1 not touched."
        all_answer "$CT_PID"
        files_intact "$NAME"

        run "$LXC_HOOK" --name "$NAME"
        assert_success
        [[ $(grep -c ": already repaired for this restore" <<<"$output") -eq 8 ]]
        restarted_once

        run "$LXC_HOOK" --name "$NAME" --lxcpath /nonexistent
        assert_equal "$status" 3
        assert_output --partial "No running container named '$NAME' in /nonexistent"
}

@test "another liblxc caller: a restore is recognised by its CRIU child, a foreground start is left alone" {
        lxc_require
        lxc_create "$NAME"
        log=$(lxc_dir "$NAME")/watcher.log
        lxc_config "$NAME" "lxc.hook.version = 1" "lxc.hook.pre-start = $LXC_HOOK --log-file=$log"
        # The same LXC tools under other names: what the hook sees of LXD, Incus or a script
        # using liblxc, which it cannot recognise by name.
        bin=$(lxc_dir "$NAME")/bin
        mkdir -p "$bin"
        cp /usr/bin/lxc-checkpoint "$bin/arh-restorer"
        cp /usr/bin/lxc-start "$bin/arh-starter"

        # A foreground start has no monitor title yet: the watcher watches, sees the init
        # cloned without CRIU, and leaves.
        lxc_run "$bin/arh-starter" -F -P "$(lxc_path "$NAME")" -n "$NAME" -l DEBUG -o "$(lxc_dir "$NAME")/lxc.log" \
                </dev/null >"$(lxc_dir "$NAME")/starter.out" 2>&1 3>&- &
        starter=$!
        for ((i = 0; i < 100; i++)); do
                CT_PID=$(lxc_pid "$NAME") && break
                sleep 0.1
        done
        [[ -n $CT_PID ]] || fail "the foreground start did not come up: $(cat "$(lxc_dir "$NAME")/starter.out"; grep -a ERROR "$(lxc_dir "$NAME")/lxc.log")"
        wait_for_systemd "$NAME"
        for ((i = 0; i < 50; i++)); do
                grep -q "nothing to repair" "$log" 2>/dev/null && break
                sleep 0.1
        done
        run cat "$log"
        echo "$output"
        assert_line --partial "$NAME: The container's init $CT_PID was started without CRIU: a normal start, nothing to repair."
        run compgen -G "$(lxc_dir "$NAME")/state/*"
        assert_failure
        write_files "$NAME"
        checkpoint_container "$NAME"
        wait "$starter" || true

        : >"$log"
        LXC_CHECKPOINT_TOOL=$bin/arh-restorer restore_container "$NAME"
        grep -a "produced output: .*Not known yet (the hook's parent is neither lxc-start nor lxc-checkpoint)" \
                "$(lxc_dir "$NAME")/lxc.log"
        watcher=$(hook_watcher_pid "$NAME")
        [[ -n $watcher ]] || fail "the pre-start hook reported no watcher"
        wait_process_gone "$watcher" 60000 || fail "watcher $watcher still runs after 60 s"
        run cat "$log"
        echo "$output"
        assert_line --partial "$NAME: The container's init $CT_PID runs, restored by CRIU"
        assert_line --regexp "$NAME: 9 automount unit\(s\): 8 repaired, 0 failed, 1 not touched\.$"

        all_answer "$CT_PID"
        files_intact "$NAME"
        restarted_once
}

@test "malformed or missing LXC environment: one clear error line, exit 2" {
        [[ -x $LXC_HOOK ]] || rig_unavailable "$LXC_HOOK not built (make)"

        run env -i "$LXC_HOOK"
        assert_equal "$status" 2
        assert_equal "${#lines[@]}" 1
        assert_output --partial "Not run by LXC: neither LXC_HOOK_TYPE in the environment nor NAME SECTION TYPE arguments"

        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=pre-start LXC_HOOK_SECTION=lxc "$LXC_HOOK"
        assert_equal "$status" 2
        assert_equal "${#lines[@]}" 1
        assert_output --partial "LXC_NAME is not set."

        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=start-host LXC_HOOK_SECTION=lxc LXC_NAME=x LXC_PID=12ab "$LXC_HOOK"
        assert_equal "$status" 2
        assert_equal "${#lines[@]}" 1
        assert_output --partial "LXC_PID='12ab' is not a process ID."

        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=start-host LXC_HOOK_SECTION=lxc LXC_NAME=x "$LXC_HOOK"
        assert_equal "$status" 2
        assert_output --partial "start-host hook without LXC_PID."

        run env -i LXC_HOOK_VERSION=0 LXC_NAME=x "$LXC_HOOK" x lxc
        assert_equal "$status" 2
        assert_equal "${#lines[@]}" 1
        assert_output --partial "Hook version 0 expects the arguments NAME SECTION TYPE, got 2 arguments."

        run env -i LXC_HOOK_VERSION=3 LXC_HOOK_TYPE=pre-start LXC_HOOK_SECTION=lxc LXC_NAME=x "$LXC_HOOK"
        assert_equal "$status" 2
        assert_output --partial "LXC_HOOK_VERSION='3' is neither 0 nor 1."

        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=pre-start LXC_HOOK_SECTION=lxc LXC_NAME=a/b "$LXC_HOOK"
        assert_equal "$status" 2
        assert_output --partial "'a/b' is not a valid container name."

        # Variables the hook does not use cannot fail it.
        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=pre-start LXC_HOOK_SECTION=lxc LXC_NAME=x \
                LXC_CONFIG_FILE=config LXC_ROOTFS_MOUNT= "$LXC_HOOK"
        assert_success
        refute_output --partial "LXC_CONFIG_FILE"
        refute_output --partial "LXC_ROOTFS_MOUNT"

        # Unknown and irrelevant hook types are not errors.
        run env -i LXC_HOOK_VERSION=1 LXC_HOOK_TYPE=post-frobnicate LXC_HOOK_SECTION=lxc LXC_NAME=x "$LXC_HOOK"
        assert_success
        assert_output --partial "x: Unknown hook type 'post-frobnicate': nothing to do."
        run env -i LXC_HOOK_VERSION=0 LXC_NAME=x "$LXC_HOOK" x lxc post-stop
        assert_success
        assert_output --partial "x: Nothing to do in the post-stop hook."
        run env -i LXC_HOOK_VERSION=0 LXC_NAME=x "$LXC_HOOK" x net up eth0
        assert_success
        assert_output --partial "Nothing to do for the up hook of section net."

        # Manual mode: conflicting or misplaced options.
        run "$LXC_HOOK" --pid 1 --name x
        assert_equal "$status" 2
        run "$LXC_HOOK" --lxcpath /var/lib/lxc
        assert_equal "$status" 2
}
