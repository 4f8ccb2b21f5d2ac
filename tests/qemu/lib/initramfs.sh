# shellcheck shell=bash
# Sourced by vm.sh: the initramfs a test VM boots.
#
#   initramfs_build WORK MODS GUEST_SCRIPT [FILESPEC]... -- [ARG]...
#     writes WORK/initrd.gz (cpio newc, gzip); WORK/root is its tree.
#
# Contents: busybox and its applet links, the host's real dash (as /bin/sh),
# ip and wg (they replace busybox's applets), every FILESPEC (HOSTPATH[:GUESTPATH]), the
# shared libraries of every ELF file (ldd), MODS/*.ko with MODS/load.order,
# the guest script with its arguments, and /init.

_i_log() { echo "vm.sh: $*" >&2; }

_i_is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# _i_libs ROOT FILE: copy FILE's shared libraries (and its loader) to the
# same paths under ROOT. A static binary has none.
_i_libs() {
	local root=$1 f=$2 lib
	_i_is_elf "$f" || return 0
	for lib in $(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]+\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root${lib%/*}" && cp -L "$lib" "$root$lib" || return 1
	done
}

# _i_add ROOT HOSTPATH GUESTPATH: a file or directory, and the libraries of
# every ELF file in it. A real binary named like a busybox applet wins.
_i_add() {
	local root=$1 src=$2 dst=$3 f d
	if [ ! -e "$src" ]; then
		_i_log "--file $src: no such file"
		return 1
	fi
	mkdir -p "$root${dst%/*}" || return 1
	rm -rf "${root:?}$dst"
	cp -rL "$src" "$root$dst" || return 1
	while IFS= read -r f; do
		_i_libs "$root" "$f" || { _i_log "cannot copy the libraries of $f"; return 1; }
	done < <(find -L "$src" -type f)
	[ -d "$src" ] && return 0
	for d in bin sbin usr/bin usr/sbin; do
		f=$root/$d/${dst##*/}
		[ "$f" != "$root$dst" ] && [ -L "$f" ] && [ "$(readlink "$f")" = /bin/busybox ] && rm -f "$f"
	done
	return 0
}

# _i_quote ARG: ARG as one single-quoted sh word.
_i_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

_i_init() {
	cat <<'EOF'
#!/bin/sh
# /init of an autowg test VM, written by tests/qemu/vm.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
# tmpfs on /run and /tmp, keeping what --file put there.
for d in run tmp; do
	mkdir -p /.keep/$d
	cp -a /$d/. /.keep/$d/
done
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
for d in run tmp; do cp -a /.keep/$d/. /$d/; done
rm -rf /.keep
mkdir -p /run/netns /run/wireguard
# Only emergencies on the console: the host reads it.
echo 1 >/proc/sys/kernel/printk
for a in $(cat /proc/cmdline); do
	case $a in
	autowg.time=*) date -u -s "@${a#*=}" >/dev/null ;;
	# vm.sh checking that KVM can boot a guest at all.
	autowg.probe=1) echo AUTOWG-VM-PROBE; poweroff -f ;;
	esac
done
hostname autowg-vm
ip link set lo up
: >/run/insmod.log
while read -r m; do
	insmod "/lib/modules/$m.ko" >>/run/insmod.log 2>&1 || echo "insmod $m failed" >>/run/insmod.log
done </lib/modules/load.order
accel=tcg
grep -q '^flags.* hypervisor' /proc/cpuinfo && dmesg | grep -q 'Hypervisor detected: KVM' && accel=kvm
echo "AUTOWG-VM-BEGIN $(cut -d' ' -f1 /proc/uptime) $accel"
sed 's/^/# vm: /' /run/insmod.log
cd /tmp
. /autowg/args
sh /autowg/guest.sh "$@" </dev/null 2>&1
rc=$?
echo "AUTOWG-VM-EXIT $rc $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
echo o >/proc/sysrq-trigger
sleep 10
EOF
}

initramfs_build() {
	local work=$1 mods=$2 guest=$3 root a bb
	shift 3
	root=$work/root
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/modules,proc,sys,dev,run,tmp,var,etc,root,autowg} || return 1
	ln -s ../run "$root/var/run"
	ln -s ../proc/self/mounts "$root/etc/mtab"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
	bb=$(command -v busybox)
	if ! _i_is_elf "$bb" || ldd "$bb" >/dev/null 2>&1; then
		_i_log "$bb is not a static binary: install busybox-static"
		return 1
	fi
	cp "$bb" "$root/bin/busybox" || return 1
	for a in $(busybox --list-full); do
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	# Debian's static busybox runs its own applets before anything on PATH
	# (FEATURE_SH_STANDALONE), so its sh would run its ip, not iproute2's:
	# the host's dash is /bin/sh instead.
	_i_add "$root" "$(command -v dash || echo /bin/sh)" /bin/sh || return 1
	_i_add "$root" "$(command -v ip)" /usr/sbin/ip || return 1
	_i_add "$root" "$(command -v wg)" /usr/bin/wg || return 1
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		local src=${1%%:*} dst=${1#*:}
		case $src in /*) ;; *) src=$PWD/$src ;; esac
		[ "$dst" = "$1" ] && dst=$src
		case $dst in /*) ;; *) dst=/$dst ;; esac
		_i_add "$root" "$src" "$dst" || return 1
		shift
	done
	[ "${1:-}" = -- ] && shift
	cp "$mods"/*.ko "$mods/load.order" "$root/lib/modules/" || return 1
	cp "$guest" "$root/autowg/guest.sh" || return 1
	{
		printf 'set --'
		for a in "$@"; do printf ' %s' "$(_i_quote "$a")"; done
		echo
	} >"$root/autowg/args"
	_i_init >"$root/init" && chmod 755 "$root/init" || return 1
	# The kernel opens /dev/console before /init runs; as root, give it one.
	[ "$(id -u)" -eq 0 ] && mknod -m 600 "$root/dev/console" c 5 1
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
}
