# shellcheck shell=bash disable=SC2012,SC2013
# Sourced by vm.sh: fetch Debian's current kernel package once and prepare
# what a test VM boots: vmlinuz and the wanted modules (with every module they
# depend on, decompressed, in load order).
#
#   kernel_prepare CACHE MODULE...
#     sets K_IMAGE (the kernel to boot: vmlinux when it has a PVH entry, else
#     vmlinuz), K_VERSION, K_DIR, K_MODS (holds *.ko and load.order)
#
# The cache is keyed by package and version: $CACHE/<pkg>_<version>/ keeps the
# .deb (so another module set needs no download) and one mods-<set>/ per set.
# A new kernel version replaces the old entries. Without apt lists or mirror
# access, the newest prepared entry is used.

_k_log() { echo "vm.sh: $*" >&2; }

# _k_resolve: K_PKG and K_VER from apt's view of linux-image-amd64.
_k_resolve() {
	K_PKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$K_PKG" ] || return 1
	K_VER=$(apt-cache policy "$K_PKG" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
	[ -n "$K_VER" ] && [ "$K_VER" != "(none)" ]
}

_k_apt_update() {
	if [ "$(id -u)" -ne 0 ]; then
		_k_log "apt lists are missing or stale, and only root can run apt-get update"
		return 1
	fi
	_k_log "running apt-get update"
	apt-get update -qq >&2
}

# _k_download DIR: the .deb of K_PKG=K_VER into DIR; prints its path.
_k_download() {
	local dir=$1 opt=() deb
	# As root apt drops to _apt, which cannot write into our cache dir.
	[ "$(id -u)" -eq 0 ] && opt=(-o APT::Sandbox::User=root)
	(cd "$dir" && apt-get download -qq "${opt[@]}" "$K_PKG=$K_VER" >&2) || return 1
	deb=$(ls "$dir"/"${K_PKG}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] && echo "$deb"
}

# _k_order MODDIR MODULE...: module paths (relative to MODDIR) in load order.
# modules.dep lists each module's full dependency set; visiting every
# dependency before the module itself gives an order insmod accepts.
_k_order() {
	local md=$1
	shift
	awk -v want="$*" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z0-9]+)?$/, "", p); gsub(/-/, "_", p); return p }
	FILENAME ~ /modules\.builtin$/ { builtin[base($0)] = 1; next }
	{
		key = $1; sub(/:$/, "", key)
		deps[key] = ""
		for (i = 2; i <= NF; i++) deps[key] = deps[key] " " $i
		byname[base(key)] = key
	}
	function visit(p,    n, a, i) {
		if (p in seen) return
		seen[p] = 1
		n = split(deps[p], a, " ")
		for (i = 1; i <= n; i++) visit(a[i])
		print p
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			m = w[i]; gsub(/-/, "_", m)
			if (m in byname) visit(byname[m])
			else if (!(m in builtin)) { print "vm.sh: no module " w[i] > "/dev/stderr"; bad = 1 }
		}
		exit bad
	}' "$md/modules.builtin" "$md/modules.dep"
}

# _k_vmlinux BZIMAGE OUT: the uncompressed kernel inside BZIMAGE. qemu boots
# such an ELF straight at its PVH entry, skipping the xz decompression that
# takes seconds under TCG.
_k_vmlinux() {
	local bz=$1 out=$2 m magic dec off
	for m in xz zstd gzip; do
		case $m in
		xz) magic=$'\xfd7zXZ' dec="xz -dcq --single-stream" ;;
		zstd) magic=$'\x28\xb5\x2f\xfd' dec="zstd -dcq" ;;
		gzip) magic=$'\x1f\x8b\x08' dec="gzip -dcq" ;;
		esac
		off=$(LC_ALL=C grep -abo "$magic" "$bz" 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || continue
		# Trailing data after the stream makes some decoders fail: check the result.
		tail -c +$((off + 1)) "$bz" | $dec >"$out" 2>/dev/null
		[ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ] && return 0
	done
	rm -f "$out"
	return 1
}

# _k_extract DEB ENTRY MODSET MODULE...: vmlinuz and the module set into ENTRY.
_k_extract() {
	local deb=$1 entry=$2 set=$3 tmp kver md p out
	shift 3
	tmp=$(mktemp -d "$entry/x.XXXXXX") || return 1
	dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; return 1; }
	# Newer packages ship /usr/lib/modules only; depmod -b wants <base>/lib/modules.
	[ -d "$tmp/lib/modules" ] || ln -s usr/lib "$tmp/lib"
	kver=$(ls "$tmp/lib/modules" | head -n 1)
	md=$tmp/lib/modules/$kver
	if [ -z "$kver" ] || [ ! -f "$tmp/boot/vmlinuz-$kver" ]; then
		_k_log "no kernel or modules in $deb"
		rm -rf "$tmp"
		return 1
	fi
	# The package carries no modules.dep: depmod makes it at install time.
	depmod -b "$tmp" "$kver" || { rm -rf "$tmp"; return 1; }
	cp "$tmp/boot/vmlinuz-$kver" "$entry/vmlinuz" || { rm -rf "$tmp"; return 1; }
	if grep -q '^CONFIG_PVH=y' "$tmp/boot/config-$kver" && _k_vmlinux "$entry/vmlinuz" "$entry/vmlinux"; then
		echo vmlinux >"$entry/boot"
	else
		echo vmlinuz >"$entry/boot"
	fi
	echo "$kver" >"$entry/kver"
	out=$entry/$set.new
	rm -rf "$out"
	mkdir -p "$out"
	: >"$out/load.order"
	_k_order "$md" "$@" >"$tmp/order" || { rm -rf "$tmp" "$out"; return 1; }
	for p in $(cat "$tmp/order"); do
		local name=${p##*/}
		case $name in
		*.ko.xz) name=${name%.xz}; xz -dc "$md/$p" >"$out/$name" ;;
		*.ko.zst) name=${name%.zst}; zstd -qdc "$md/$p" >"$out/$name" ;;
		*.ko.gz) name=${name%.gz}; gzip -dc "$md/$p" >"$out/$name" ;;
		*) cp "$md/$p" "$out/$name" ;;
		esac || { rm -rf "$tmp" "$out"; return 1; }
		echo "${name%.ko}" >>"$out/load.order"
	done
	rm -rf "$tmp" "${entry:?}/$set"
	mv "$out" "$entry/$set"
}

kernel_prepare() {
	local cache=$1 set entry deb e rc=0
	shift
	set=mods-$(printf '%s\n' "$@" | sort -u | paste -sd+ -)
	mkdir -p "$cache" || return 1
	# Tests may run side by side: one fetch at a time.
	exec 9>"$cache/.lock"
	flock 9
	if ! _k_resolve; then
		_k_apt_update && _k_resolve
	fi
	if [ -z "${K_PKG:-}" ] || [ -z "${K_VER:-}" ]; then
		entry=$(ls -td "$cache"/linux-image-*/ 2>/dev/null | head -n 1)
		entry=${entry%/}
		if [ -n "$entry" ] && [ -f "$entry/boot" ]; then
			_k_log "apt cannot name the kernel package; using cached ${entry##*/}"
		else
			_k_log "cannot find linux-image-amd64's kernel package (apt-cache depends linux-image-amd64)"
			rc=1
		fi
	else
		entry=$cache/${K_PKG}_${K_VER}
	fi
	if [ "$rc" -eq 0 ] && { [ ! -f "$entry/boot" ] || [ ! -f "$entry/$set/load.order" ]; }; then
		mkdir -p "$entry"
		deb=$(ls "$entry"/*.deb 2>/dev/null | head -n 1)
		if [ -z "$deb" ]; then
			_k_log "fetching $K_PKG $K_VER (about 70 MB, once)"
			deb=$(_k_download "$entry") ||
				{ _k_apt_update && _k_resolve && entry=$cache/${K_PKG}_${K_VER} &&
					mkdir -p "$entry" && deb=$(_k_download "$entry"); } ||
				{ _k_log "apt-get download $K_PKG=$K_VER failed"; rc=1; }
		fi
		if [ "$rc" -eq 0 ]; then
			_k_extract "$deb" "$entry" "$set" "$@" || { _k_log "cannot prepare the kernel from $deb"; rc=1; }
		fi
		if [ "$rc" -eq 0 ]; then
			# Only the current version is worth its 70 MB.
			for e in "$cache"/linux-image-*; do
				[ "$e" = "$entry" ] || rm -rf "$e"
			done
		fi
	fi
	exec 9>&-
	[ "$rc" -eq 0 ] || return 1
	# shellcheck disable=SC2034 # for vm.sh
	K_DIR=$entry K_MODS=$entry/$set K_VERSION=$(cat "$entry/kver")
	# shellcheck disable=SC2034 # for vm.sh
	K_IMAGE=$entry/$(cat "$entry/boot")
}
