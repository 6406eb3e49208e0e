#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The rig's own regression tests: they prove that the simulated restore (autofs-break) and a
# real CRIU restore leave automounts in the same broken state, that restarting the unit is what
# repairs new accesses, and that processes blocked earlier stay blocked (the baseline every
# repair is measured against). Real containers, real systemd, real CRIU: nothing is mocked.

load test_helper

teardown() {
        rig_teardown
}

# autofs_dev PID WHERE: device number of the autofs mount at WHERE.
autofs_dev() {
        rig_autofs_mounts "$1" | awk -v w="$2" '$1 == w { print $2 }'
}

@test "rig: autofs-break refuses a process that shares the host's mount namespace" {
        rig_require autofs-break
        run "$ARH_AUTOFS_BREAK" --pid $$
        assert_failure
        assert_output --partial "refusing"
}

@test "rig: after autofs-break every automount hangs until its unit is restarted" {
        rig_require autofs-break
        local name pid where top_before line
        local -A dev_before
        name=$(rig_name)
        start_runc_container "$name"
        pid=$(container_pid "$name")

        # One automount in use with a file on it; a write to the root, which must stay in the
        # container's overlay.
        run runc exec "$name" sh -c 'echo kept > /srv/a1/file && touch /etc/arh-written'
        assert_success
        top_before=$(rig_top_dev "$pid" /srv/a1)
        for where in "${AUTOMOUNTS[@]}"; do
                dev_before[$where]=$(autofs_dev "$pid" "$where")
                [[ -n ${dev_before[$where]} ]] || fail "no autofs at $where before the break"
        done

        run "$ARH_AUTOFS_BREAK" --pid "$pid"
        assert_success
        assert_equal "${#lines[@]}" "${#AUTOMOUNTS[@]}"

        # A new superblock everywhere; the tmpfs on top is the same one, files intact; the idle
        # timeout survives like it does through CRIU.
        for where in "${AUTOMOUNTS[@]}"; do
                line=$(autofs_dev "$pid" "$where")
                [[ -n $line && $line != "${dev_before[$where]}" ]] ||
                        fail "$where: device ${dev_before[$where]} -> '$line'"
        done
        assert_equal "$(rig_top_dev "$pid" /srv/a1)" "$top_before"
        run runc exec "$name" cat /srv/a1/file
        assert_output kept
        grep -E ' /srv/a8 .* autofs .*timeout=3600,' "/proc/$pid/mountinfo" ||
                fail "the idle timeout of /srv/a8 was lost"

        # Every automount with nothing on top hangs; systemd logs why.
        automounts_hang "$pid" 2 "${AUTOMOUNTS[@]:1}"
        run runc exec "$name" journalctl --no-pager -u srv-a2.automount
        assert_output --partial "Automount point already active?"

        # Restarting the units repairs new accesses; an automount not restarted stays broken.
        run runc exec "$name" systemctl restart srv-a2.automount srv-a3.automount
        assert_success
        automount_answers "$pid" /srv/a2 5 || fail "/srv/a2 still hangs after the restart"
        automount_answers "$pid" /srv/a3 5 || fail "/srv/a3 still hangs after the restart"
        automount_hangs "$pid" /srv/a4 1

        [[ ! -e $RIG_ROOTFS/etc/arh-written ]] || fail "the container wrote into the cached rootfs"
}

@test "rig: a real runc checkpoint/restore with CRIU leaves the automounts hung the same way" {
        rig_require criu
        local name pid where unit changed=() same=()
        local -A dev_before
        name=$(rig_name)
        start_runc_container "$name"
        pid=$(container_pid "$name")
        run runc exec "$name" sh -c 'echo kept > /srv/a1/file'
        assert_success
        for where in "${AUTOMOUNTS[@]}"; do
                dev_before[$where]=$(autofs_dev "$pid" "$where")
        done

        checkpoint_restore_container "$name"
        pid=$CT_PID

        run runc exec "$name" cat /srv/a1/file
        assert_output kept
        # CRIU makes new superblocks; their numbers are whatever is free on the host, so one
        # may, by chance, get its old number back: that automount is then not broken at all.
        for where in "${AUTOMOUNTS[@]:1}"; do
                if [[ $(autofs_dev "$pid" "$where") == "${dev_before[$where]}" ]]; then
                        same+=("$where")
                else
                        changed+=("$where")
                fi
        done
        echo "new device number: ${changed[*]}; same by chance: ${same[*]:-none}"
        ((${#changed[@]} > 0)) || fail "CRIU gave every autofs its old device number back"
        automounts_hang "$pid" 2 "${changed[@]}"

        unit=$(runc exec "$name" systemd-escape --path --suffix=automount "${changed[0]}")
        run runc exec "$name" systemctl restart "$unit"
        assert_success
        automount_answers "$pid" "${changed[0]}" 5 || fail "${changed[0]} still hangs after the restart"
}

@test "rig: a process blocked before the restart stays blocked after it (baseline)" {
        rig_require autofs-break
        local name pid blocked
        name=$(rig_name)
        start_runc_container "$name" --automounts 1
        pid=$(container_pid "$name")
        run "$ARH_AUTOFS_BREAK" --pid "$pid" --where /srv/a1
        assert_success

        start_blocked_access "$pid" /srv/a1
        blocked=$BLOCKED_PID

        run runc exec "$name" systemctl restart srv-a1.automount
        assert_success
        automount_answers "$pid" /srv/a1 5 || fail "a new access still hangs after the restart"

        # The restart answered new requests only: the old one waits on the old superblock,
        # which nobody will ever answer.
        sleep 1
        assert_equal "$(rig_proc_state "$blocked")" "D autofs_wait"

        kill_blocked_access "$blocked"
        [[ ! -e /proc/$blocked ]] || fail "blocked access $blocked survived SIGKILL"
}

@test "rig: the mount(2) fallback of autofs-break, on a read-only root" {
        rig_require autofs-break
        local name pid
        name=$(rig_name)
        start_runc_container "$name" --readonly-root --automounts 2
        pid=$(container_pid "$name")
        run runc exec "$name" touch /etc/arh-written
        assert_failure
        run runc exec "$name" sh -c 'echo kept > /srv/a1/file'
        assert_success

        run "$ARH_AUTOFS_BREAK" --pid "$pid" --legacy-mount --where /srv/a1 --where /srv/a2
        assert_success
        assert_equal "${#lines[@]}" 2

        run runc exec "$name" cat /srv/a1/file
        assert_output kept
        automounts_hang "$pid" 2 /srv/a2
        # Not named, so not broken.
        automount_answers "$pid" /proc/sys/fs/binfmt_misc 5 || fail "binfmt_misc was broken too"
}

@test "rig: a user-namespace container boots systemd and survives checkpoint/restore" {
        rig_require criu
        local name
        name=$(rig_name)
        start_runc_container "$name" --userns
        run runc exec "$name" cat /proc/self/uid_map
        assert_output --regexp '^ +0 +100000 +65536$'
        # The kernel does not let a user namespace mount autofs (it is not FS_USERNS_MOUNT):
        # systemd fails the automount units, so this variant has nothing to repair.
        run runc exec "$name" systemctl show -P Result srv-a1.automount
        assert_output resources

        checkpoint_restore_container "$name"
        run runc exec "$name" systemctl is-system-running
        assert_output --regexp '^(running|degraded)$'
}
