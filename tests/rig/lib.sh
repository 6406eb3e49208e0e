# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Variables set here are read by the scripts that source this file:
# shellcheck disable=SC2034
#
# Shared by every rig script, the bats helpers and the demo. Holds paths, logging and the runc
# plumbing that more than one caller needs; nothing here is specific to bats.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_TOP=$(cd "$RIG_DIR/../.." && pwd)

# Downloads and built trees that are expensive to make and never modified once made.
RIG_CACHE=${AUTOFS_RIG_CACHE:-/var/cache/autofs-restore-hook}
# Per-container state (bundles, overlay upper dirs, checkpoint images): thrown away after use.
RIG_WORK=${AUTOFS_RIG_WORK:-/var/tmp/autofs-restore-hook}
RIG_BUNDLES=$RIG_WORK/bundles
RIG_IMAGES=$RIG_WORK/images

# Every container, bundle and image the rig makes is named with this prefix, so that a stale one
# can be recognised and removed without touching anybody else's.
RIG_PREFIX=arh-

RIG_PROG=${RIG_PROG:-${0##*/}}

rig_log() {
        printf '%s: %s\n' "$RIG_PROG" "$*" >&2
}

rig_warn() {
        printf '%s: warning: %s\n' "$RIG_PROG" "$*" >&2
}

die() {
        printf '%s: error: %s\n' "$RIG_PROG" "$*" >&2
        exit 1
}

# The Debian mirror this host's apt uses (the URI of its first source for the host's own
# release, deb822 or one-line format), or $AUTOFS_RIG_MIRROR. The repository names no mirror.
rig_mirror() {
        local codename uri f
        local -a files=()
        if [[ -n ${AUTOFS_RIG_MIRROR:-} ]]; then
                printf '%s\n' "$AUTOFS_RIG_MIRROR"
                return 0
        fi
        codename=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")
        [[ -n $codename ]] || die "cannot tell this host's Debian release (/etc/os-release)"
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
                [[ -r $f ]] && files+=("$f")
        done
        uri=$(awk -v want="$codename" '
                # One-line format: deb [options] URI SUITE COMPONENT...
                FILENAME ~ /\.list$/ && $1 == "deb" {
                        i = 2
                        if ($i ~ /^\[/) while ($i !~ /\]$/) i++
                        if ($i ~ /^\[/ || $i ~ /\]$/) i++
                        if ($(i + 1) == want) { print $i; exit }
                }
                # deb822: stanzas separated by blank lines.
                FILENAME ~ /\.sources$/ {
                        if ($0 ~ /^[ \t]*$/) { types = uris = suites = ""; next }
                        if ($1 == "Types:") types = $0
                        if ($1 == "URIs:") uris = $2
                        if ($1 == "Suites:") suites = $0 " "
                        if (types ~ /[ \t]deb([ \t]|$)/ && uris != "" && index(suites, " " want " ")) {
                                print uris; exit
                        }
                }' "${files[@]}" /dev/null)
        [[ -n $uri ]] || die "no Debian $codename source in this host's apt sources; set AUTOFS_RIG_MIRROR"
        printf '%s\n' "${uri%/}"
}

# rig_apt_download WORK SUITE DEST PACKAGE...: downloads PACKAGEs of the Debian SUITE into DEST
# with a private apt (its own sources, lists and cache under WORK), so that the host's apt state
# never sees another release. Sets RIG_APT_OPTS for further apt calls on the same lists.
rig_apt_download() {
        local work=$1 suite=$2 dest=$3 apt mirror
        shift 3
        apt=$work/apt
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dest"
        mirror=$(rig_mirror) || exit 1
        printf 'deb %s %s main\n' "$mirror" "$suite" >"$apt/sources.list"
        RIG_APT_OPTS=(
                -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=-
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
                -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=-
                -o APT::Sandbox::User=root -o Debug::NoLocking=1 -q
        )
        if [[ ! -e $apt/updated ]]; then
                rig_log "fetching $suite package lists"
                apt-get "${RIG_APT_OPTS[@]}" update >"$work/apt.log" 2>&1 ||
                        { cat "$work/apt.log" >&2; die "apt-get update ($suite) failed"; }
                : >"$apt/updated"
        fi
        (($# > 0)) || return 0
        rig_log "downloading $# packages of $suite"
        (cd "$dest" && apt-get "${RIG_APT_OPTS[@]}" download "$@") >"$work/apt.log" 2>&1 ||
                { cat "$work/apt.log" >&2; die "apt-get download ($suite: $*) failed"; }
}

rig_need_root() {
        [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# Serialises writers of one cache entry: two test runs building the rootfs at once would
# otherwise both debootstrap and race on the final rename. The lock fd stays open until the
# calling script exits.
rig_lock() {
        local name=$1
        mkdir -p "$RIG_CACHE"
        exec {RIG_LOCK_FD}>"$RIG_CACHE/.lock-$name"
        flock "$RIG_LOCK_FD" || die "cannot lock $RIG_CACHE/.lock-$name"
}

rig_valid_name() {
        [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid name '$1'"
}

# "unified" on a pure cgroup2 host (what current distributions boot), "hybrid" or "legacy"
# where cgroup v1 hierarchies are mounted.
rig_cgroup_mode() {
        if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then
                echo unified
        elif [[ -d /sys/fs/cgroup/unified ]]; then
                echo hybrid
        else
                echo legacy
        fi
}

# The container systemd's command line, one word a line. On a cgroup2 host systemd runs as users
# run it. Only where the host itself is hybrid does it run in its legacy mode, the one mode that
# host gives a container's systemd a consistent view.
rig_systemd_args() {
        printf '%s\n' "${1:-/sbin/init}"
        [[ $(rig_cgroup_mode) == unified ]] && return 0
        printf '%s\n' systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1
}

rig_bundle_dir() {
        printf '%s/%s\n' "$RIG_BUNDLES" "$1"
}

# --- runc containers -------------------------------------------------------------------------

rig_container_exists() {
        runc state "$1" >/dev/null 2>&1
}

rig_container_status() {
        runc state "$1" 2>/dev/null | jq -r .status
}

rig_container_pid() {
        local pid
        pid=$(runc state "$1" 2>/dev/null | jq -r .pid) || return 1
        [[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]] || return 1
        printf '%s\n' "$pid"
}

# runc run -d hands its own stdio to the container: a caller's pipe (bats, $(...)) would then
# never see EOF. The container writes to a log file in its bundle instead. A container with a
# user namespace is created, given its cgroups, then started.
rig_runc_run() {
        local name=$1 bundle=$2 hostid
        hostid=$(jq -r '.linux.uidMappings[0].hostID // empty' "$bundle/config.json")
        if [[ -z $hostid ]]; then
                rig_timeout 60 runc run -d --bundle "$bundle" "$name" \
                        </dev/null >>"$bundle/console.log" 2>&1 3>&-
                return
        fi
        rig_timeout 60 runc create --bundle "$bundle" "$name" \
                </dev/null >>"$bundle/console.log" 2>&1 3>&- ||
                return
        rig_delegate_cgroups "$name" "$hostid" || { rig_remove_container "$name"; return 1; }
        rig_timeout 60 runc start "$name" </dev/null >>"$bundle/console.log" 2>&1 3>&-
}

# systemd must create cgroups below its own, but runc leaves the container's cgroup directories
# to the host's root, which is nobody in the container's user namespace: hand them to the
# container's root. Only directories named after the container are touched.
rig_delegate_cgroups() {
        local name=$1 uid=$2 pid ctrl path dir
        pid=$(rig_container_pid "$name") || return 1
        while IFS=: read -r _ ctrl path; do
                [[ $path == */"$name" ]] || continue
                case $ctrl in
                "")
                        dir=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
                        [[ -n $dir ]] || continue
                        dir=$dir$path
                        ;;
                name=systemd) dir=/sys/fs/cgroup/systemd$path ;;
                *) dir=/sys/fs/cgroup/$ctrl$path ;;
                esac
                [[ -d $dir ]] || continue
                chown -R "$uid:$uid" "$dir" || return 1
        done <"/proc/$pid/cgroup"
}

# rig_wait_systemd NAME [TIMEOUT] [EXEC...]: waits until systemd in the container NAME reports
# running or degraded, and prints that state. EXEC... is how to run a command in the container
# (default: runc exec NAME). Prints the last state and fails after TIMEOUT seconds (default 30),
# or at once when the container is gone.
rig_wait_systemd() {
        local name=$1 timeout=${2:-30} state="" deadline
        local -a exec=("${@:3}")
        ((${#exec[@]} > 0)) || exec=(runc exec "$name")
        deadline=$((SECONDS + $(rig_budget_s "$timeout")))
        while ((SECONDS < deadline)); do
                state=$(rig_timeout 5 "${exec[@]}" systemctl is-system-running 2>/dev/null </dev/null) || true
                case $state in
                running | degraded)
                        printf '%s\n' "$state"
                        return 0
                        ;;
                *) ;;
                esac
                # systemctl prints a state whenever it runs at all: without one, the container may
                # be gone, and then it will not come up: do not wait for the deadline.
                if [[ -z $state ]] && ! rig_timeout 5 "${exec[@]}" true </dev/null >/dev/null 2>&1; then
                        printf 'container %s gone\n' "$name"
                        return 1
                fi
                sleep 0.2
        done
        printf '%s\n' "${state:-unknown}"
        return 1
}

rig_container_journal() {
        rig_timeout 10 runc exec "$1" journalctl --no-pager -b -n "${2:-80}" </dev/null 2>&1 || true
}

# Removes a container whatever its state; a no-op when it does not exist.
rig_remove_container() {
        local name=$1
        rig_container_exists "$name" || return 0
        rig_timeout 30 runc delete -f "$name" >/dev/null 2>&1 || true
        if rig_container_exists "$name"; then
                rig_warn "runc delete -f $name failed"
                return 1
        fi
}

# Removes a bundle made by make-bundle: unmounts its overlay root first, so that rm never walks
# into the cached lower layer through the merged view.
rig_remove_bundle() {
        local dir
        dir=$(rig_bundle_dir "$1")
        [[ -d $dir ]] || return 0
        if mountpoint -q "$dir/rootfs"; then
                umount "$dir/rootfs" 2>/dev/null || umount -l "$dir/rootfs" ||
                        { rig_warn "cannot unmount $dir/rootfs"; return 1; }
        fi
        rm -rf --one-file-system "$dir"
}

rig_remove_images() {
        rm -rf --one-file-system "${RIG_IMAGES:?}/$1"
}

# --- who owns what ---------------------------------------------------------------------------
#
# Everything the rig makes carries the identity of the run that made it ("PID STARTTIME" of,
# in that order: $ARH_RIG_OWNER, the bats run, the caller's shell). The sweep for leftovers
# removes only what belongs to a run that is over, so that two runs on one machine (a developer
# and a test suite, say) do not remove each other's containers.

# "PID STARTTIME" of a process: unlike the PID alone, it does not survive PID reuse.
rig_proc_identity() {
        local stat fields
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        read -r -a fields <<<"${stat##*) }"
        printf '%s %s\n' "$1" "${fields[19]}"
}

rig_owner() {
        if [[ -n ${ARH_RIG_OWNER:-} ]]; then
                printf '%s\n' "$ARH_RIG_OWNER"
        else
                rig_proc_identity "${BATS_ROOT_PID:-$PPID}"
        fi
}

# True when OWNER ("PID STARTTIME") is a live process other than the current run.
rig_owner_alive() {
        local owner=$1 pid
        [[ -n $owner ]] || return 1
        [[ $owner == "$(rig_owner 2>/dev/null)" ]] && return 1
        pid=${owner%% *}
        [[ $(rig_proc_identity "$pid" 2>/dev/null) == "$owner" ]]
}

# Everything named with the rig's prefix that an earlier run left behind and whose owner is
# gone: runc containers, LXC containers (owner in /var/lib/lxc/NAME/arh-owner), podman
# containers (label arh.owner), bundles and images.
rig_cleanup_stale() {
        local name bundle owner
        for name in $(runc list -q 2>/dev/null); do
                [[ $name == "$RIG_PREFIX"* ]] || continue
                bundle=$(runc state "$name" 2>/dev/null | jq -r '.bundle // empty')
                owner=$(cat "$bundle/owner" 2>/dev/null) || owner=
                if rig_owner_alive "$owner"; then
                        rig_log "keeping $name: its run (PID ${owner%% *}) is still going"
                        continue
                fi
                rig_remove_container "$name"
        done
        if command -v lxc-ls >/dev/null; then
                for name in $(lxc-ls -1 2>/dev/null); do
                        [[ $name == "$RIG_PREFIX"* ]] || continue
                        owner=$(cat "/var/lib/lxc/$name/arh-owner" 2>/dev/null) || owner=
                        rig_owner_alive "$owner" && continue
                        rig_timeout 30 lxc-stop -k -n "$name" >/dev/null 2>&1 || true
                        rig_timeout 30 lxc-destroy -n "$name" >/dev/null 2>&1 || true
                done
        fi
        if command -v podman >/dev/null; then
                for name in $(rig_timeout 30 podman ps -a --format '{{.Names}}' 2>/dev/null); do
                        [[ $name == "$RIG_PREFIX"* ]] || continue
                        owner=$(rig_timeout 30 podman inspect -f '{{index .Config.Labels "arh.owner"}}' \
                                "$name" 2>/dev/null) || owner=
                        rig_owner_alive "$owner" && continue
                        rig_timeout 60 podman rm -f "$name" >/dev/null 2>&1
                done
        fi
        for bundle in "$RIG_BUNDLES/$RIG_PREFIX"*; do
                [[ -d $bundle ]] || continue
                owner=$(cat "$bundle/owner" 2>/dev/null) || owner=
                rig_owner_alive "$owner" && continue
                rig_container_exists "${bundle##*/}" && continue
                rig_remove_bundle "${bundle##*/}"
        done
        for name in "$RIG_IMAGES/$RIG_PREFIX"*; do
                [[ -d $name ]] || continue
                [[ -d $RIG_BUNDLES/${name##*/} ]] && continue
                rm -rf --one-file-system "$name"
        done
        return 0
}

# --- accesses to automounts ------------------------------------------------------------------

# Host PID of the single child of PID (nsenter's child in the container's PID namespace).
rig_child_of() {
        local kids
        kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
        kids=${kids%% *}
        [[ -n $kids ]] || return 1
        printf '%s\n' "$kids"
}

# "STATE WCHAN" of a process, e.g. "D autofs_wait".
rig_proc_state() {
        local stat state wchan
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        # The command name may contain spaces: the state is the first field after its ')'.
        stat=${stat##*) }
        state=${stat%% *}
        wchan=$(cat "/proc/$1/wchan" 2>/dev/null) || wchan='?'
        printf '%s %s\n' "$state" "${wchan:-?}"
}

# Starts "stat PATH/." inside the container's mount and PID namespaces, in the background.
# Only a process in the PID namespace of the container's systemd waits for a broken autofs:
# the kernel lets every other caller through at once, so the access has to be made from there.
# Sets RIG_ACCESS_WRAPPER (a subshell, our child), RIG_ACCESS_NSENTER (its child) and
# RIG_ACCESS_PID (the stat, nsenter's child in the container's PID namespace).
rig_access_start() {
        local pid=$1 path=$2 i
        RIG_ACCESS_WRAPPER='' RIG_ACCESS_NSENTER='' RIG_ACCESS_PID=''
        # nsenter re-raises the signal that killed its child, and bash prints "Killed" for a
        # job that dies by a signal: a subshell whose stderr is discarded takes that message.
        # "PATH/." and not PATH: stat(1) asks for AT_NO_AUTOMOUNT, which never triggers a mount.
        # (A second command keeps bash from replacing the subshell with nsenter.)
        # fd 3 is closed because bats waits for every holder of its fd 3 before it goes on.
        (
                nsenter -t "$pid" -m -p -- stat -- "$path/."
                exit $?
        ) </dev/null >/dev/null 2>&1 3>&- &
        RIG_ACCESS_WRAPPER=$!
        for ((i = 0; i < 300; i++)); do
                if [[ -z $RIG_ACCESS_NSENTER ]]; then
                        RIG_ACCESS_NSENTER=$(rig_child_of "$RIG_ACCESS_WRAPPER") || RIG_ACCESS_NSENTER=
                fi
                if [[ -n $RIG_ACCESS_NSENTER ]]; then
                        RIG_ACCESS_PID=$(rig_child_of "$RIG_ACCESS_NSENTER") && return 0
                        RIG_ACCESS_PID=
                fi
                # Done already (or nsenter failed): nothing to find.
                kill -0 "$RIG_ACCESS_WRAPPER" 2>/dev/null || return 0
                sleep 0.01
        done
        return 0
}

# Kills the access started by rig_access_start by its own PIDs (never by name) and reaps it.
# The blocked process goes first: nsenter then reaps it and exits by itself. Killing nsenter
# first would leave the process to be reaped by the host's init, which may never do it.
rig_access_kill() {
        local wrapper=${RIG_ACCESS_WRAPPER:-} i p
        for p in ${RIG_ACCESS_PID:-} ${RIG_ACCESS_NSENTER:-}; do
                kill -KILL "$p" 2>/dev/null || true
                for ((i = 0; i < 100; i++)); do
                        [[ -e /proc/$p ]] || break
                        # A zombie is gone as far as we are concerned: its parent reaps it.
                        [[ $(rig_proc_state "$p") == Z* ]] && break
                        sleep 0.02
                done
        done
        if [[ -n $wrapper ]]; then
                kill -KILL "$wrapper" 2>/dev/null || true
                wait "$wrapper" 2>/dev/null || true
        fi
        RIG_ACCESS_PID='' RIG_ACCESS_NSENTER='' RIG_ACCESS_WRAPPER=''
}

# Accesses PATH in the container whose init is PID. Returns 0 when the access succeeded within
# TIMEOUT seconds (default 2, fractions allowed), 2 when it failed quickly, 1 when it hung: the
# hung process is then killed by its PID (RIG_HANG_PID) and reaped, and RIG_HANG_STATE says
# what it was waiting on ("D autofs_wait").
rig_automount_answers() {
        local pid=$1 path=$2 timeout=${3:-2} deadline rc
        RIG_HANG_STATE='' RIG_HANG_PID=''
        deadline=$(($(date +%s%N) + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1e9 }')))
        rig_access_start "$pid" "$path"
        while (($(date +%s%N) < deadline)); do
                if ! kill -0 "$RIG_ACCESS_WRAPPER" 2>/dev/null; then
                        rc=0
                        wait "$RIG_ACCESS_WRAPPER" 2>/dev/null || rc=$?
                        RIG_ACCESS_PID='' RIG_ACCESS_NSENTER='' RIG_ACCESS_WRAPPER=''
                        ((rc == 0)) && return 0
                        return 2
                fi
                sleep 0.02
        done
        [[ -n $RIG_ACCESS_PID ]] && RIG_HANG_STATE=$(rig_proc_state "$RIG_ACCESS_PID")
        RIG_HANG_PID=$RIG_ACCESS_PID
        rig_access_kill
        return 1
}

# Accesses every PATH at once and reports, one line each, whether it was still blocked after
# TIMEOUT seconds. Every access is killed by its PID and reaped before returning. Returns 0
# when all of them hung waiting for the automount daemon (autofs_wait).
rig_all_hang() {
        local pid=$1 timeout=$2 i st rc=0
        shift 2
        local -a paths=("$@") wrappers=() nsenters=() pids=()
        for i in "${!paths[@]}"; do
                rig_access_start "$pid" "${paths[i]}"
                wrappers[i]=$RIG_ACCESS_WRAPPER nsenters[i]=$RIG_ACCESS_NSENTER pids[i]=$RIG_ACCESS_PID
        done
        sleep "$timeout"
        for i in "${!paths[@]}"; do
                st=
                [[ -n ${pids[i]} ]] && st=$(rig_proc_state "${pids[i]}")
                if kill -0 "${wrappers[i]}" 2>/dev/null && [[ $st == "D autofs_wait" ]]; then
                        printf '%s: blocked (%s)\n' "${paths[i]}" "$st"
                elif kill -0 "${wrappers[i]}" 2>/dev/null && [[ -n $st && $st != Z* ]]; then
                        # Blocked, but not waiting for the automount daemon: not the hang meant.
                        printf '%s: blocked elsewhere (%s)\n' "${paths[i]}" "$st"
                        rc=1
                else
                        printf '%s: answered\n' "${paths[i]}"
                        rc=1
                fi
                RIG_ACCESS_WRAPPER=${wrappers[i]} RIG_ACCESS_NSENTER=${nsenters[i]}
                RIG_ACCESS_PID=${pids[i]}
                rig_access_kill
        done
        return $rc
}

# --- the container's mount table, as its init sees it -----------------------------------------

# "WHERE MAJOR:MINOR" of every autofs mount.
rig_autofs_mounts() {
        awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "autofs") print $5, $3 }' \
                "/proc/$1/mountinfo"
}

# MAJOR:MINOR of the topmost mount at WHERE (the one no other mount at WHERE sits on).
rig_top_dev() {
        awk -v where="$2" '
                $5 == where { dev[$1] = $3; parent[$1] = $2 }
                END {
                        for (id in dev) {
                                top = 1
                                for (o in dev) if (parent[o] == id) top = 0
                                if (top) { print dev[id]; exit }
                        }
                }' "/proc/$1/mountinfo"
}

# --- CPU use ---------------------------------------------------------------------------------

# rig_busy_processes PID [SECONDS] [PERCENT]: samples the CPU time of every process in the PID
# namespace of PID over SECONDS (default 2) and prints "PID COMM PERCENT%" for each that used
# more than PERCENT (default 10) of a CPU meanwhile. Prints nothing when none did.
rig_busy_processes() {
        local pid=$1 secs=${2:-2} max=${3:-10} ns p hz
        local -A before=() comm=()
        ns=$(readlink "/proc/$pid/ns/pid") || return 1
        hz=$(getconf CLK_TCK)
        for p in /proc/[0-9]*; do
                [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$ns" ]] || continue
                before[${p#/proc/}]=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$p/stat" 2>/dev/null) || continue
                comm[${p#/proc/}]=$(cat "$p/comm" 2>/dev/null)
        done
        sleep "$secs"
        for p in "${!before[@]}"; do
                awk -v b="${before[$p]}" -v hz="$hz" -v s="$secs" -v max="$max" -v pid="$p" -v c="${comm[$p]}" \
                        '{ sub(/^.*\) /, ""); pct = ($12 + $13 - b) * 100 / hz / s;
                           if (pct > max) printf "%s %s %d%%\n", pid, c, pct }' "/proc/$p/stat" 2>/dev/null
        done
}

# --- time budgets ----------------------------------------------------------------------------
#
# The tests' time budgets were set on the machine kind the project is developed on, where one
# fork and exec of /bin/true takes about 1 ms (measured: 0.99 to 1.18 ms). In a slower place (the
# project's VM under software emulation: 5 to 7 times slower) every budget is multiplied by how
# much slower the same measurement is there, so that a budget keeps its meaning instead of being
# loosened by hand.
RIG_REFERENCE_EXEC_US=1000

# Prints the factor (at least 1, one decimal): $ARH_TIME_SCALE if set, 1 on a host, else measured.
rig_time_scale() {
        local best= us s i round
        if [[ -n ${ARH_TIME_SCALE:-} ]]; then
                printf '%s\n' "$ARH_TIME_SCALE"
                return 0
        fi
        if [[ -z ${ARH_VM_GUEST:-} ]]; then
                echo 1
                return 0
        fi
        for round in 1 2 3; do
                s=$(date +%s%N)
                for ((i = 0; i < 20; i++)); do /bin/true; done
                us=$((($(date +%s%N) - s) / 20000))
                [[ -z $best ]] || ((us < best)) && best=$us
        done
        awk -v us="$best" -v ref="$RIG_REFERENCE_EXEC_US" \
                'BEGIN { f = us / ref; if (f < 1) f = 1; printf "%.1f\n", f }'
}

# rig_budget_ms MS: MS scaled by $ARH_TIME_SCALE (see rig_time_scale), as a whole number.
rig_budget_ms() {
        awk -v ms="$1" -v f="${ARH_TIME_SCALE:-1}" 'BEGIN { printf "%d\n", ms * f }'
}

# rig_budget_s S: S seconds scaled the same way, rounded up.
rig_budget_s() {
        awk -v s="$1" -v f="${ARH_TIME_SCALE:-1}" 'BEGIN { t = s * f; printf "%d\n", (t == int(t)) ? t : int(t) + 1 }'
}

# rig_timeout S COMMAND...: timeout(1) with its limit scaled: the rig's limits guard against a
# hang, and a slower machine must not turn slowness into one.
rig_timeout() {
        local s=$1
        shift
        timeout "$(rig_budget_s "$s")" "$@"
}

# Measured once per run in the test VM, then inherited by everything the run starts.
if [[ -n ${ARH_VM_GUEST:-} && -z ${ARH_TIME_SCALE:-} ]]; then
        ARH_TIME_SCALE=$(rig_time_scale)
        export ARH_TIME_SCALE
fi
