#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The container is the attacker: a PID 1 of ours (tests/rig/hostile-systemd.c) plays a lying,
# flooding or stalling systemd on /run/systemd/private, and the container's root looks for a
# way out through the hook's processes.

load test_helper
load repair_helper

HOSTILE=$RIG_TOP/build/hostile-systemd
HOSTILE_IN_CT=/usr/local/sbin/hostile-systemd
LXC_HOOK=${ARH_LXC_HOOK:-$RIG_TOP/build/lxc-autofs-restore}

setup() {
        rig_require autofs-break
        [[ -x $HOSTILE ]] || rig_unavailable "$HOSTILE not built (make)"
        NAME=$(rig_name)
        CT_PID=
        HOOK_PID=
        MARKER_DIR=
}

teardown() {
        [[ -n $HOOK_PID ]] && kill -KILL "$HOOK_PID" 2>/dev/null
        [[ -n $MARKER_DIR ]] && rm -rf "$MARKER_DIR"
        rig_teardown
}

# boot_hostile SCENARIO [ARGS...]: a container whose PID 1 is hostile-systemd; sets CT_PID.
boot_hostile() {
        local i
        start_runc_container "$NAME" --bind "$HOSTILE=$HOSTILE_IN_CT" --init "$HOSTILE_IN_CT $*"
        for ((i = 0; i < 100; i++)); do
                [[ -e /proc/$CT_PID/root/run/hostile-systemd.ready ]] && return 0
                sleep 0.05
        done
        cat "$(rig_bundle_dir "$NAME")/console.log" >&2
        fail "hostile-systemd $* did not come up"
}

# The file the hostile PID 1 leaves on the tmpfs on top of its autofs at /srv/a1.
file_intact() {
        [[ $(nsenter -t "$CT_PID" -m cat /srv/a1/file) == "content of /srv/a1" ]] ||
                fail "/srv/a1/file lost or changed"
}

# Run inside the container as its root: every process of the hook it can see, every fd of it,
# and every way out that such an fd could open, tried against a file only the host has.
# shellcheck disable=SC2016 # expanded inside the container
ESCAPE_CHECK='
marker=$1 found=0 escapes=0
for d in /proc/[0-9]*; do
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        case $comm in oci-autofs-res*|lxc-autofs-res*) ;; *) continue ;; esac
        found=$((found + 1))
        for fd in "$d"/fd/*; do
                echo "${d#/proc/} ${fd##*/} -> $(readlink "$fd" 2>/dev/null)"
                for p in "$fd$marker" "$fd/..$marker" "$fd/../1/root$marker" "$fd/1/root$marker" \
                         "$fd/root$marker" "$fd/../../1/root$marker" "$fd/../../..$marker"; do
                        if [ -e "$p" ]; then
                                echo "ESCAPE: $p"
                                escapes=$((escapes + 1))
                        fi
                done
        done
done
echo "hook processes seen: $found, ways out: $escapes"
[ "$found" -gt 0 ] && [ "$escapes" -eq 0 ]
'

@test "a container with CAP_SYS_PTRACE finds no hook fd that leads outside (stalled private socket)" {
        boot_hostile stall
        MARKER_DIR=$(mktemp -d /var/tmp/arh-host-only.XXXXXX)
        echo "host only" >"$MARKER_DIR/marker"
        ! nsenter -t "$CT_PID" -m test -e "$MARKER_DIR/marker" || fail "the marker is visible inside"

        "$REPAIR_HOOK" --pid "$CT_PID" --timeout 10 >"$BATS_TEST_TMPDIR/hook.log" 2>&1 &
        HOOK_PID=$!
        # The worker forks the connector into the container's PID namespace, where it waits in
        # connect() on the full backlog.
        for ((i = 0; i < 100; i++)); do
                worker=$(rig_child_of "$HOOK_PID") || worker=
                connector=
                [[ -n $worker ]] && connector=$(rig_child_of "$worker")
                [[ -n $connector ]] && break
                sleep 0.05
        done
        [[ -n $connector ]] || fail "no connector appeared: $(cat "$BATS_TEST_TMPDIR/hook.log")"
        sleep 0.2

        run rig_timeout 20 runc exec "$NAME" /bin/sh -c "$ESCAPE_CHECK" sh "$MARKER_DIR/marker"
        echo "$output"
        assert_success
        assert_output --partial "hook processes seen: 1,"

        # The worker itself is outside the container's PID namespace, but its PID 1 can get a
        # pidfd for it (SO_PASSPIDFD) and take its fds: none may be a host directory or a host
        # file. The one directory it keeps is the container's own root (whose ".." is itself);
        # the one device besides /dev/null is the autofs control device, 10:235, a leaf.
        ct_root=$(stat -L -c '%d:%i' "/proc/$CT_PID/root")
        for fd in "/proc/$worker/fd/"*; do
                link=$(readlink "$fd") || continue
                echo "worker fd ${fd##*/} -> $link"
                if [[ -d $fd ]]; then
                        [[ $(stat -L -c '%d:%i' "$fd") == "$ct_root" ]] ||
                                fail "the worker holds a directory that is not the container's root: $link"
                        continue
                fi
                case $link in
                pipe:* | socket:* | anon_inode:* | /dev/null | mnt:* | pid:* | "/proc/$worker/mountinfo") ;;
                /dev/autofs)
                        [[ $(stat -L -c '%F %t:%T' "$fd") == "character special file a:eb" ]] ||
                                fail "the worker holds /dev/autofs that is not the autofs control device"
                        ;;
                *) fail "the worker holds $link" ;;
                esac
        done
        # The connector keeps no capability either.
        assert_equal "$(awk '/^CapEff:/ { print $2 }' "/proc/$connector/status")" 0000000000000000

        status=0
        wait "$HOOK_PID" || status=$?
        HOOK_PID=
        assert_equal "$status" 1
        grep -q "Failed to connect to the container's systemd" "$BATS_TEST_TMPDIR/hook.log"
        file_intact
}

@test "a peer that accepts but never authenticates ends the run at the soft deadline, not by a kill" {
        boot_hostile silent
        start=$(date +%s%N)
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 4
        elapsed_ms=$((($(date +%s%N) - start) / 1000000))
        assert_failure 1
        ((elapsed_ms < 4000 + $(rig_budget_ms 500))) || fail "took ${elapsed_ms} ms with a 4 s deadline"
        assert_output --partial "Failed to connect to the container's systemd"
        refute_output --partial "killing the worker"
}

@test "strings from the container cannot forge log lines, priorities or escape codes" {
        boot_hostile lie
        log=$BATS_TEST_TMPDIR/hook.file.log
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 10 --log-file "$log"
        echo "$output"
        # One line each, escaped; the unit whose Where= lies and the one with an invalid name
        # are not touched.
        assert_output --partial 'srv-a1.automount (/srv/a1): not touched: unit is inactive\x0a<0>FORGED by the container \x1b[31mred\x1b[0m\x0d\x07'
        assert_output --partial "srv-a2.automount (/etc): Where= does not match the unit name"
        assert_output --partial "Ignoring a unit with an invalid name"
        for text in "$output" "$(cat "$log")"; do
                ! grep -q '^<0>' <<<"$text" || fail "a forged priority line"
                ! grep -q 'FORGED' <<<"$(grep -v 'not touched' <<<"$text")" || fail "a line split"
                ! grep -q $'\x1b' <<<"$text" || fail "a raw escape code"
                ! grep -q $'\r' <<<"$text" || fail "a raw carriage return"
        done
        file_intact
}

@test "a flooding systemd does not grow the worker's memory" {
        boot_hostile flood 2000 65536
        "$REPAIR_HOOK" --pid "$CT_PID" --timeout 60 >"$BATS_TEST_TMPDIR/hook.log" 2>&1 &
        HOOK_PID=$!
        peak=0
        while kill -0 "$HOOK_PID" 2>/dev/null; do
                worker=$(rig_child_of "$HOOK_PID") || worker=
                if [[ -n $worker ]]; then
                        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$worker/status" 2>/dev/null) || hwm=
                        [[ -n $hwm ]] && ((hwm > peak)) && peak=$hwm
                fi
                sleep 0.05
        done
        status=0
        wait "$HOOK_PID" || status=$?
        HOOK_PID=
        cat "$BATS_TEST_TMPDIR/hook.log"
        echo "worker peak RSS: $peak kB"
        # 2000 signals of 64 KiB are 128 MiB per call if kept.
        ((peak > 0 && peak < 65536)) || fail "the worker's peak RSS was $peak kB"
        assert_equal "$status" 1
        grep -q "srv-a1.automount (/srv/a1): FAILED" "$BATS_TEST_TMPDIR/hook.log"
        grep -q "the original filesystem is back on top" "$BATS_TEST_TMPDIR/hook.log"
        file_intact
}

@test "restart jobs that never finish: the run ends at its deadline, cancels them, and the tree is back" {
        boot_hostile slow-jobs
        start=$(date +%s%N)
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 4
        elapsed_ms=$((($(date +%s%N) - start) / 1000000))
        assert_failure 1
        ((elapsed_ms < 4000 + $(rig_budget_ms 500))) || fail "took ${elapsed_ms} ms with a 4 s deadline"
        assert_output --partial "srv-a1.automount (/srv/a1): FAILED: systemd did not run the restart before the deadline; it was cancelled"
        file_intact
        no_leftovers_in "$CT_PID"
}

@test "a restart job systemd will not cancel: the tree is back and a copy stays in the stash, named" {
        local stash
        boot_hostile stuck-jobs
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 4
        assert_failure 1
        assert_output --partial "srv-a1.automount (/srv/a1): FAILED: the restart did not finish before the deadline, and systemd did not confirm its cancellation"
        assert_output --regexp "srv-a1\.automount: its restart may still run in systemd and detach the tmpfs again; a copy stays at /run/autofs-restore-hook\.[0-9a-f]{16}/srv-a1\.automount until a later run puts it back\."
        file_intact
        # The copy is mounted in the stash the line names.
        stash=$(grep -o '/run/autofs-restore-hook\.[0-9a-f]\{16\}' <<<"$output" | head -n 1)
        awk -v p="$stash/srv-a1.automount" '$5 == p' "/proc/$CT_PID/mountinfo" | grep -q tmpfs ||
                fail "no copy at $stash/srv-a1.automount"
}

@test "a process other than the container's init serving /run/systemd/private is not talked to" {
        boot_hostile impostor
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 10
        assert_failure 1
        assert_output --regexp "/run/systemd/private is served by PID [0-9]+, not by the container's init \(PID $CT_PID\); refusing to talk to it\."
        refute_output --partial "repaired"
        file_intact
        no_leftovers_in "$CT_PID"
}

@test "a systemd that says done but re-creates nothing is not believed" {
        boot_hostile done-lie
        run "$REPAIR_HOOK" --pid "$CT_PID" --timeout 10
        assert_failure 1
        assert_output --partial "srv-a1.automount (/srv/a1): FAILED: the autofs at Where was not re-created"
        file_intact
        no_leftovers_in "$CT_PID"
}

@test "a symlink, file or FIFO at a stash name does not switch the stash off" {
        start_runc_container "$NAME"
        write_files "$NAME"
        for kind in symlink file fifo; do
                nsenter -t "$CT_PID" -m rm -rf /run/autofs-restore-hook
                case $kind in
                symlink) nsenter -t "$CT_PID" -m ln -s /etc /run/autofs-restore-hook ;;
                file) nsenter -t "$CT_PID" -m sh -c 'echo data > /run/autofs-restore-hook' ;;
                fifo) nsenter -t "$CT_PID" -m mkfifo /run/autofs-restore-hook ;;
                *) fail "$kind" ;;
                esac
                "$REPAIR_BREAK" --pid "$CT_PID" >/dev/null
                # Stopped with the trees set aside: they are in a stash of the run's own.
                start_hook_stopped_at set-aside
                grep -Eq ' /run/autofs-restore-hook\.[0-9a-f]{16}/srv-a1\.automount ' "/proc/$CT_PID/mountinfo" ||
                        fail "$kind: no tree in a stash: $(cat "$BATS_TEST_TMPDIR/hook.log")"
                kill -CONT "$WORKER_PID"
                status=0
                wait "$HOOK_PID" || status=$?
                HOOK_PID=
                cat "$BATS_TEST_TMPDIR/hook.log"
                assert_equal "$status" 0
                ! grep -q "held only by this process" "$BATS_TEST_TMPDIR/hook.log" || fail "$kind: the stash was switched off"
                grep -q "9 repaired, 0 failed" "$BATS_TEST_TMPDIR/hook.log"
                files_intact "$NAME"
                no_leftovers_in "$CT_PID"
        done
        # What the container made is left as it was.
        [[ $(nsenter -t "$CT_PID" -m stat -c %F /run/autofs-restore-hook) == fifo ]]
}

@test "trees in a stash-like directory the container made are not mounted by the hook" {
        start_runc_container "$NAME"
        write_files "$NAME"
        tops_before=$(tops_of "$CT_PID")
        for dir in /run/autofs-restore-hook /run/autofs-restore-hook.0123456789abcdef; do
                nsenter -t "$CT_PID" -m sh -c "mkdir -p -m 0700 $dir/srv-a1.automount && chmod 0700 $dir &&
                        mount -t tmpfs planted $dir/srv-a1.automount && echo planted > $dir/srv-a1.automount/file"
        done
        "$REPAIR_BREAK" --pid "$CT_PID"
        run "$REPAIR_HOOK" --pid "$CT_PID"
        echo "$output"
        assert_success
        refute_output --partial "set aside by an interrupted run"
        assert_output --partial "9 repaired, 0 failed"
        files_intact "$NAME"
        assert_equal "$(tops_of "$CT_PID")" "$tops_before"
        # The planted mounts are still where the container put them.
        assert_equal "$(grep -c ' planted ' "/proc/$CT_PID/mountinfo")" 2
}

@test "--name in the LXC front end ignores a container process titled like an LXC monitor" {
        start_runc_container "$NAME" --init "sleep infinity"
        rig_timeout 10 runc exec -d "$NAME" bash -c 'exec -a "[lxc monitor] /var/lib/lxc arhspoof40" sleep 600' </dev/null
        for ((i = 0; i < 100; i++)); do
                pgrep -f '^\[lxc monitor\] /var/lib/lxc arhspoof40' >/dev/null && break
                sleep 0.05
        done
        pgrep -f '^\[lxc monitor\] /var/lib/lxc arhspoof40' >/dev/null || fail "the fake monitor did not start"
        run "$LXC_HOOK" --name arhspoof40
        echo "$output"
        assert_failure
        assert_output --partial "No running container named 'arhspoof40'"
}

@test "a FIFO in place of the configuration file does not hang the hook" {
        mkfifo "$BATS_TEST_TMPDIR/conf"
        run rig_timeout 10 env AUTOFS_RESTORE_HOOK_CONFIG="$BATS_TEST_TMPDIR/conf" "$REPAIR_HOOK" --pid 1
        assert_failure 2
        assert_output --partial "not a regular file"
}
