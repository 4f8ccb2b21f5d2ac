#!/bin/bash
# make demo, run as a user runs it (into a fresh build directory, so the
# compiler runs too) and watched with strace: it shows the three devices
# registering and a request without a certificate refused, leaves nothing
# behind, and "tools/deps demo" installs exactly what it runs. Every program
# it executes comes from a package in that set, from one they depend on, or
# from one every Debian has (Essential or Priority required); and every
# package in the set is used (a file of it executed or opened; a package of
# dependencies only, through one of them). The demo's set is part of the
# full set that make deps installs.
. "$(dirname "$0")/../lib.sh"

ROOT=$(realpath "$TOP")
# The responders run as nobody from the build directory: it must be reachable.
chmod 0711 "$T_TMP"
BUILD=$T_TMP/build
TRACE=$T_TMP/trace
DEMO_TIMEOUT=300 # seconds; the demo takes about 15 s under strace here

mapfile -t DEMO < <("$TOP/tools/deps" --list demo)
mapfile -t FULL < <("$TOP/tools/deps" --list)
if [ ${#DEMO[@]} -eq 0 ] || [ ${#FULL[@]} -le ${#DEMO[@]} ]; then
	not_ok "tools/deps --list names the demo's set and a larger full set" \
		"demo: ${DEMO[*]}" "full: ${FULL[*]}"
	done_testing
	exit 1
fi
missing=$(printf '%s\n' "${DEMO[@]}" | grep -vxF -f <(printf '%s\n' "${FULL[@]}"))
expect_eq "make deps (the full set) installs every package of the demo's set" "" "$missing"

on_exit "rm -rf '$BUILD'"
(cd "$TOP" && timeout -k 10 "$DEMO_TIMEOUT" strace -f -z -qq -s 512 -e trace=execve,openat,open \
	-o "$TRACE" make -s B="$BUILD" demo) >"$T_TMP/demo.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "make demo runs to the end (exit 0)"
else
	not_ok "make demo runs to the end (exit 0)" "exit $rc; last lines:" "$(tail -n 15 "$T_TMP/demo.out")"
fi
OUT=$(cat "$T_TMP/demo.out")
for cn in 1001 1002 1003; do
	expect_match "the demo shows device $cn registered with its address" \
		"autowg-client: .* registered: ip fde3:25fb:7f6c:1::$cn," "$OUT"
done
expect_match "the demo shows a request without a certificate refused by nginx" \
	'400 No required SSL certificate was sent' "$OUT"

# Nothing left: the demo's namespaces and WireGuard sockets are gone.
mapfile -t made < <(printf '%s\n' "$OUT" | grep -oE 'netns aw[cd][0-9a-f]+(-[0-9]+)?' | awk '{print $2}' | sort -u)
mapfile -t ifs < <(printf '%s\n' "$OUT" | grep -oE 'WireGuard aw[cd][0-9a-f]+' | awk '{print $2}' | sort -u)
left=""
for ns in "${made[@]}"; do ip netns list | grep -qw "$ns" && left="$left netns:$ns"; done
for i in "${ifs[@]}"; do [ -e "/var/run/wireguard/$i.sock" ] && left="$left sock:$i"; done
check "the demo named the namespaces it made (${#made[@]})" test "${#made[@]}" -ge 4
expect_eq "the demo leaves no namespace and no WireGuard socket behind" "" "$left"

# --- What ran, and where it comes from ---------------------------------------
# Programs: successful execve calls, absolute, outside this tree and the
# build (our own programs and scripts), not /proc/self/exe (a re-exec).
mapfile -t RAN < <(sed -nE 's/^[0-9]+ +execve\("(\/[^"]*)".*/\1/p' "$TRACE" | sort -u |
	grep -vE "^($ROOT|$T_TMP|/proc)/")
# Files: every absolute path opened or executed, canonical; not directories
# (every package "has" /usr).
sed -nE 's/^[0-9]+ +(execve|open|openat)\((AT_FDCWD, )?"(\/[^"]*)".*/\3/p' "$TRACE" | sort -u |
	tr '\n' '\0' | xargs -0 realpath -m -- | sort -u |
	while IFS= read -r f; do [ -d "$f" ] || echo "$f"; done >"$T_TMP/used"
check "strace saw the demo run programs (${#RAN[@]}) and open files ($(wc -l <"$T_TMP/used"))" \
	test "${#RAN[@]}" -gt 10

# aliases PATH: the path, its target, and each with and without /usr:
# Debian 12 has merged /usr, but dpkg records the paths as packaged.
aliases() {
	local p r
	for p in "$1" "$(realpath -m -- "$1")"; do
		r=${p#/usr}
		echo "$p"
		[ "$r" != "$p" ] && echo "$r" || echo "/usr$p"
	done
}
declare -A OWNER
while IFS= read -r line; do
	case $line in diversion*) continue ;; esac
	OWNER[${line#*: }]=${line%%: *}
done < <(for p in "${RAN[@]}"; do aliases "$p"; done | sort -u | xargs dpkg -S 2>/dev/null)

mapfile -t CLOSURE < <(apt-cache depends --recurse --installed --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "${DEMO[@]}" 2>/dev/null | grep -v '^ ' | sort -u)
declare -A IN_CLOSURE BASE
for p in "${CLOSURE[@]}"; do IN_CLOSURE[$p]=1; done
while read -r p e prio; do
	[ "$e" = yes ] || [ "$prio" = required ] && BASE[$p]=1
done < <(dpkg-query -W -f='${Package} ${Essential} ${Priority}\n')

uncovered=()
for prog in "${RAN[@]}"; do
	pkg=""
	while IFS= read -r a; do [ -n "${OWNER[$a]:-}" ] && { pkg=${OWNER[$a]}; break; }; done < <(aliases "$prog")
	if [ -z "$pkg" ]; then
		uncovered+=("$prog (no package owns it)")
		continue
	fi
	covered=0
	for q in ${pkg//,/ }; do
		q=${q%%:*}
		[ -n "${IN_CLOSURE[$q]:-}" ] || [ -n "${BASE[$q]:-}" ] && covered=1
	done
	[ "$covered" -eq 1 ] || uncovered+=("$prog (package $pkg)")
done
expect_none "every program make demo runs comes from tools/deps demo, its dependencies, or every Debian" \
	"make demo on a fresh machine would not find:" "${uncovered[@]}"

# used PKG: a file of PKG was opened or executed.
used() {
	dpkg -L "$1" 2>/dev/null | tr '\n' '\0' | xargs -0 realpath -m -- 2>/dev/null |
		grep -qxF -f "$T_TMP/used"
}
# only_doc PKG: PKG ships nothing but documentation (a metapackage).
only_doc() { ! dpkg -L "$1" 2>/dev/null | grep -vqE '^/(\.|usr|usr/share(/.*)?)$'; }
unused=()
for p in "${DEMO[@]}"; do
	used "$p" && continue
	if only_doc "$p"; then
		dep_used=0
		for d in $(apt-cache depends --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
			--no-replaces --no-enhances "$p" 2>/dev/null | sed -n 's/^ *|\?Depends: //p'); do
			used "$d" && { dep_used=1; break; }
		done
		[ "$dep_used" -eq 1 ] && continue
	fi
	unused+=("$p")
done
expect_none "every package tools/deps demo installs is used by make demo" \
	"installed for nothing:" "${unused[@]}"
done_testing
