# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Variables set here are read by the scripts that source this file:
# shellcheck disable=SC2034
#
# Shared by the VM scripts (build-image, run, probe-kvm): where images live and what a guest of
# each release is made of. The guest is the suite's own machine when the host kernel cannot
# serve the tests (no autofs): a Debian guest, booted with qemu, sharing the checkout over 9p.

# shellcheck source=tests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../rig/lib.sh"

VM_DIR=$RIG_TOP/tests/vm
VM_CACHE=$RIG_CACHE/vm
# The guest's userland (VM_RELEASE) and the kernel it boots (VM_KERNEL, a Debian release whose
# linux-image-amd64 is booted; default: the guest's own).
VM_RELEASE=${VM_RELEASE:-trixie}
VM_KERNEL=${VM_KERNEL:-}

# What every guest has: the kernel and boot, the runtimes the suite drives, the test runner,
# and the run-time libraries of our binaries (built on the host against the same sonames).
VM_PACKAGES_COMMON=(
        linux-image-amd64 initramfs-tools systemd-sysv udev kmod dbus e2fsprogs
        runc lxc podman conmon uidmap slirp4netns catatonit fuse-overlayfs
        iptables iproute2 jq psmisc util-linux mount procps perl strace time bc fuse3
        bats bats-assert bats-support
        # 10-repair checks what "make install" installs (from the host's build, nothing compiled)
        make
        libyajl2 libmount1 libsystemd0 libasan8 libubsan1
)
vm_packages() {
        case $1 in
        bookworm) printf '%s\n' "${VM_PACKAGES_COMMON[@]}" containernetworking-plugins ;;
        trixie | sid) printf '%s\n' "${VM_PACKAGES_COMMON[@]}" criu crun netavark aardvark-dns ;;
        *) die "unknown guest release '$1' (bookworm, trixie or sid)" ;;
        esac
}

vm_valid_release() {
        case $1 in
        bookworm | trixie | sid) ;;
        *) die "unknown release '$1' (bookworm, trixie or sid)" ;;
        esac
}

# Whether this host's own kernel can serve the tests that need autofs: "yes" or the reason why
# not, in words for the user.
vm_host_has_autofs() {
        if ! grep -qw autofs /proc/filesystems 2>/dev/null; then
                echo "this host's kernel ($(uname -r)) has no autofs"
        elif [[ ! -c /dev/autofs ]]; then
                echo "this host has no /dev/autofs"
        else
                echo yes
        fi
}

# Where the integration tests and the demo run: prints "native REASON" or "vm REASON". VM=1
# forces the VM, VM=0 the host. Otherwise the host is used when its kernel has autofs, the
# runtimes are installed and the rig's CRIU passes "criu check" on it.
vm_where() {
        local why tool criu
        case ${VM:-} in
        1) echo "vm VM=1 asks for the VM"; return 0 ;;
        0) echo "native VM=0 asks for this host"; return 0 ;;
        "") ;;
        *) die "VM must be 0 or 1, not '$VM'" ;;
        esac
        why=$(vm_host_has_autofs)
        if [[ $why != yes ]]; then
                echo "vm $why"
                return 0
        fi
        for tool in runc lxc-start podman; do
                command -v "$tool" >/dev/null || { echo "vm $tool is not installed here"; return 0; }
        done
        criu=$("$RIG_DIR/fetch-criu" 2>/dev/null) || { echo "vm no working CRIU for this host"; return 0; }
        "$criu/criu" check >/dev/null 2>&1 || { echo "vm criu check fails on this host"; return 0; }
        echo "native this host has autofs, the runtimes and a CRIU whose check passes"
}
