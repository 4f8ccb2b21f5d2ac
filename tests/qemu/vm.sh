#!/bin/bash
# autowg: not a test (a harness that tests run)
# Boot Debian's real kernel under qemu with its real wireguard.ko and run one
# shell script inside; the script's output (TAP lines) reaches stdout as is.
#
#   tests/qemu/vm.sh [--file HOSTPATH[:GUESTPATH]]... [--module NAME]...
#                    [--mem MB] [--smp N] [--timeout S] -- GUEST_SCRIPT [ARG]...
#
# GUEST_SCRIPT is a host file, or - for stdin; sh (the host's dash) runs it in
# the guest as root with ARGs, in /tmp, stdin from /dev/null, stderr joined to
# stdout. Other commands are busybox applets; busybox's own env, xargs and
# timeout prefer applets to PATH, so give them absolute paths.
# Every --file is copied into the guest (GUESTPATH defaults to HOSTPATH made
# absolute; a directory is copied whole), with the shared libraries of any ELF
# file (ldd). The guest also has busybox, the host's ip and wg, /dev
# (devtmpfs), tmpfs on /run (= /var/run), /tmp and /dev/shm (files put there
# with --file stay), lo up, the host's time, /run/netns for ip netns, and the
# modules wireguard and veth plus --module ones, loaded with everything they
# depend on in modules.dep order.
#
# Output: only what the guest script prints, between the markers /init writes
# (AUTOWG-VM-BEGIN, AUTOWG-VM-EXIT <status>); the kernel logs only emergencies
# to the console, and lines that look like kernel log lines ("[   1.23] ...")
# are dropped: print dmesg with a prefix (dmesg | sed 's/^/# /').
# Exit status: the guest script's. 124: timed out; 125: no result (boot
# failure, kernel panic, qemu error); 126: bad usage or no kernel. A "# vm:"
# line gives the boot and run times; diagnostics go to stderr.
#
# From a test (see smoke.sh, kernel-backend.sh):
#   "$TOP/tests/qemu/vm.sh" --file "$B/tests/wg/x:/opt/x" -- guest.sh /opt/x
#
# The kernel: the package linux-image-amd64 depends on, fetched with apt-get
# download once into the cache (tests/qemu/cache, keyed by version).
# Environment: AUTOWG_VM_ACCEL=tcg or kvm forces one (default: KVM when a
# probe boot under /dev/kvm works, a verdict cached per host, else TCG);
# AUTOWG_VM_CACHE moves the cache; AUTOWG_VM_KEEP=1 keeps the work directory
# (initramfs tree, full console log).
set -u
set -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/kernel.sh"
. "$HERE/lib/initramfs.sh"

usage() {
	cat >&2 <<-'EOF'
	usage: vm.sh [--file HOSTPATH[:GUESTPATH]]... [--module NAME]... [--mem MB]
	             [--smp N] [--timeout S] -- GUEST_SCRIPT|- [ARG]...
	EOF
	exit 126
}
die() { echo "vm.sh: $*" >&2; exit 126; }

files=() modules=(wireguard veth) mem=512 smp=2 timeout=120
while [ $# -gt 0 ]; do
	case $1 in
	--file) [ $# -ge 2 ] || usage; files+=("$2"); shift 2 ;;
	--module) [ $# -ge 2 ] || usage; modules+=("$2"); shift 2 ;;
	--mem) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; mem=$2; shift 2 ;;
	--smp) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; smp=$2; shift 2 ;;
	--timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -ge 1 ] || usage
script=$1
shift
for t in qemu-system-x86_64 busybox cpio gzip dpkg-deb depmod apt-get ldd flock; do
	command -v "$t" >/dev/null || die "$t is missing: run make deps"
done

work=$(mktemp -d /tmp/autowg-vm.XXXXXX) || die "mktemp failed"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -f "$work/qemu.pid" ] && [ ! -f "$work/qemu.rc" ] && kill "$(cat "$work/qemu.pid")" 2>/dev/null && wait
	if [ "${AUTOWG_VM_KEEP:-0}" = 1 ]; then echo "vm.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$script" = - ]; then
	cat >"$work/guest.sh"
else
	[ -f "$script" ] || die "no guest script $script"
	cp "$script" "$work/guest.sh"
fi

kernel_prepare "${AUTOWG_VM_CACHE:-$HERE/cache}" "${modules[@]}" || die "no kernel to boot"
initramfs_build "$work" "$K_MODS" "$work/guest.sh" "${files[@]}" -- "$@" || die "cannot build the initramfs"

# pick_accel: KVM when /dev/kvm works, else TCG. Nested KVM can be there and
# still hang at boot or reject the host CPU model (seen here), so the first
# run on a host boots a probe under KVM and the verdict is cached.
pick_accel() {
	local verdict
	verdict=${AUTOWG_VM_CACHE:-$HERE/cache}/kvm-$(uname -n -r | md5sum | cut -c1-12)
	case ${AUTOWG_VM_ACCEL:-auto} in
	tcg) return 1 ;;
	kvm) return 0 ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	if [ ! -f "$verdict" ]; then
		if timeout -k 2 10 qemu-system-x86_64 -no-user-config -nodefaults -display none \
			-serial stdio -nic none -no-reboot -accel kvm -cpu host -m 256 \
			-kernel "$K_IMAGE" -initrd "$work/initrd.gz" \
			-append "console=ttyS0 panic=-1 quiet loglevel=1 autowg.probe=1" \
			</dev/null 2>/dev/null | grep -q AUTOWG-VM-PROBE; then
			echo kvm >"$verdict.$$"
		else
			echo "vm.sh: /dev/kvm does not boot a guest here; using TCG (cached in $verdict)" >&2
			echo tcg >"$verdict.$$"
		fi
		mv "$verdict.$$" "$verdict"
	fi
	[ "$(cat "$verdict")" = kvm ]
}
accel=(-accel tcg -cpu max)
pick_accel && accel=(-accel kvm -cpu host)
append="console=ttyS0 panic=-1 quiet loglevel=1 printk.time=1 random.trust_cpu=on"
append="$append mitigations=off autowg.time=$(date +%s)"

start=$(date +%s%N)
# In the background with wait, so that a signal to vm.sh is handled at once
# (cleanup stops qemu through its timeout, which has a process group of its
# own). stdin from /dev/null: qemu must not read or configure a terminal.
{
	timeout -k 5 "$timeout" qemu-system-x86_64 -no-user-config -nodefaults \
		-display none -serial stdio -nic none -no-reboot "${accel[@]}" \
		-smp "$smp" -m "$mem" -kernel "$K_IMAGE" -initrd "$work/initrd.gz" \
		-append "$append" </dev/null 2>"$work/qemu.err" &
	echo $! >"$work/qemu.pid"
	wait $!
	echo $? >"$work/qemu.rc"
} | tee "$work/console.log" | awk -v statusfile="$work/status" '
	# Only what the guest script prints, between the two markers, goes out;
	# kernel lines there (printk.time stamps them) are dropped.
	{ sub(/\r$/, "") }
	state == 0 && /^AUTOWG-VM-BEGIN / { state = 1; print $0 > statusfile; fflush(statusfile); next }
	state == 1 && (i = index($0, "AUTOWG-VM-EXIT ")) {
		# A last line without a newline ends up in front of the marker.
		if (i > 1) { print substr($0, 1, i - 1); fflush() }
		print substr($0, i) > statusfile
		state = 2
		next
	}
	state == 1 && /^\[ *[0-9]+\.[0-9]+\] / { next }
	state == 1 { print; fflush() }' &
wait $!
qrc=$(cat "$work/qemu.rc" 2>/dev/null || echo 125)
wall=$((($(date +%s%N) - start) / 1000000))

read -r _ begin accel_used <"$work/status" 2>/dev/null
line=$(grep '^AUTOWG-VM-EXIT ' "$work/status" 2>/dev/null)
if [ -z "$line" ]; then
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		echo "vm.sh: no result from the guest: timed out after ${timeout}s" >&2
		rc=124
	elif grep -q 'Kernel panic' "$work/console.log"; then
		echo "vm.sh: no result from the guest: $(grep -m1 -o 'Kernel panic.*' "$work/console.log" | tr -d '\r')" >&2
		rc=125
	else
		echo "vm.sh: no result from the guest: qemu exited with status $qrc (boot failure?)" >&2
		rc=125
	fi
	sed 's/^/vm.sh: qemu: /' "$work/qemu.err" >&2
	echo "vm.sh: last console lines:" >&2
	tail -n 30 "$work/console.log" | tr -d '\r' | sed 's/^/vm.sh: | /' >&2
	exit "$rc"
fi
read -r _ rc end <<<"$line"
awk -v b="$begin" -v e="$end" -v w="$wall" -v k="$K_VERSION" -v a="${accel_used:-?}" 'BEGIN {
	printf "# vm: %s, %s: boot to script %.1fs, script %.1fs, boot to result %.1fs, wall %.1fs\n",
		k, a, b, e - b, e, w / 1000 }'
exit "$rc"
