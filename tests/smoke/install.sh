#!/bin/bash
# make install / make uninstall as an operator or a packager runs them: into a
# DESTDIR with PREFIX=/usr, then the installed tree is used as installed: every
# file there with its mode, each program's --version and --help, autowg-addr on
# a contract vector, each man page rendered without a warning and carrying the
# sections an operator looks for, the units' ExecStart pointing at installed
# programs. Last, make uninstall removes exactly what install put there.
. "$(dirname "$0")/../lib.sh"

PREFIX=/usr
ROOT=$T_TMP/root
P=$ROOT$PREFIX
# make runs in $TOP with the runner's build tree, so nothing is rebuilt elsewhere.
case $B in "$TOP"/*) MB=${B#"$TOP"/} ;; *) MB=$B ;; esac
mk() { make -C "$TOP" -s --no-print-directory B="$MB" "$@" >"$T_TMP/make.log" 2>&1; }

PROGS_SBIN="autowg-helper autowg-ctl autowg-client"
PROGS_BIN="autowg-fcgi autowg-addr"
MAN1="autowg-addr.1"
MAN8="autowg-helper.8 autowg-ctl.8 autowg-fcgi.8 autowg-client.8"
EXAMPLES="Caddyfile autowg-fcgi@.service autowg-helper@.service bird-autowg.conf bird-core.conf lighttpd-autowg-limit.lua lighttpd-autowg.conf nginx-autowg-multi.conf nginx-autowg.conf"
UNITS="autowg-fcgi@.service autowg-helper@.service"

# expected: "MODE PATH" for every file install must create, sorted.
expected() {
	local f
	for f in $PROGS_SBIN; do echo "755 $PREFIX/sbin/$f"; done
	for f in $PROGS_BIN; do echo "755 $PREFIX/bin/$f"; done
	for f in $MAN1; do echo "644 $PREFIX/share/man/man1/$f"; done
	for f in $MAN8; do echo "644 $PREFIX/share/man/man8/$f"; done
	echo "644 $PREFIX/share/doc/autowg/README.md"
	for f in $EXAMPLES; do echo "644 $PREFIX/share/doc/autowg/examples/$f"; done
	for f in $UNITS; do echo "644 $PREFIX/lib/systemd/system/$f"; done
	echo "644 /etc/iproute2/rt_protos.d/autowg.conf"
}
quiet() { "$@" >/dev/null 2>&1; }
tree() { (cd "$ROOT" && find . -type f -printf '%m /%P\n' | sort); }

if mk install DESTDIR="$ROOT" PREFIX="$PREFIX"; then
	ok "make install DESTDIR=... PREFIX=$PREFIX"
else
	not_ok "make install DESTDIR=... PREFIX=$PREFIX" "$(tail -n 20 "$T_TMP/make.log")"
	done_testing
	exit 1
fi
expect_eq "installed tree: every file, nothing else, with its mode" \
	"$(expected | sort)" "$(tree)"
# A second install over the first must work too (upgrades do that).
check "make install again over an installed tree" mk install DESTDIR="$ROOT" PREFIX="$PREFIX"
expect_eq "installed tree unchanged by the second install" "$(expected | sort)" "$(tree)"

# --- The version: one string, from the Makefile into every program and page --
VER=$(awg_version)
expect_match "the Makefile sets VERSION" '^[0-9]+\.[0-9]+' "$VER"
expect_eq "no source spells the version itself: the Makefile passes it" "" \
	"$(cd "$TOP" && grep -lE "(\"|VERSION=)${VER//./\\.}(\"|[[:space:]]|\$)" core/* wg/* fcgi/* contrib/*)"
for page in $MAN1 $MAN8; do
	sec=${page##*.}
	expect_eq "$page: the version filled in from the Makefile" "$VER" \
		"$(sed -n 's/^\.TH .*"autowg \([^"]*\)".*/\1/p' "$P/share/man/man$sec/$page")"
done

# --- Programs, run from DESTDIR ---------------------------------------------
for f in $PROGS_SBIN $PROGS_BIN; do
	case " $PROGS_SBIN " in *" $f "*) exe=$P/sbin/$f ;; *) exe=$P/bin/$f ;; esac
	out=$("$exe" --version 2>&1)
	rc=$?
	expect_eq "$f --version: prints \"$f $VER\" and exits 0" "$f $VER/0" "$out/$rc"
	out=$("$exe" --help 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -qi "usage: *$f"; then
		ok "$f --help: usage text, exit 0"
	else
		not_ok "$f --help: usage text, exit 0" "exit $rc" "$(printf '%s' "$out" | head -n 3)"
	fi
	printf '%s\n' "$out" >"$T_TMP/help-$f"
done

out=$("$P/bin/autowg-addr" --pool fde3:25fb:7f6c:1::/64 1234 2>&1)
expect_eq "installed autowg-addr: direct-bcd CN 1234" "fde3:25fb:7f6c:1::1234" "$out"
out=$("$P/bin/autowg-addr" --pool fde3:25fb:7f6c:1::/64 --converter metans \
	--cn-pattern 'smart-toilet-(\d+)' --metans-template 'st%s.0' smart-toilet-1234 2>&1)
expect_eq "installed autowg-addr: metans smart-toilet-1234" \
	"fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad" "$out"

# --- Man pages, as installed -----------------------------------------------
# Each page rendered with warnings on, as installed.
for page in $MAN1 $MAN8; do
	sec=${page##*.}
	file=$P/share/man/man$sec/$page
	name=${page%.*}
	TEXT=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$file" 2>"$T_TMP/man.err")
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T_TMP/man.err" ] && [ -n "$TEXT" ]; then
		ok "$page renders without warnings"
	else
		not_ok "$page renders without warnings" "exit $rc" "$(head -n 5 "$T_TMP/man.err")"
	fi
	check "$page: whatis can read its NAME line" quiet lexgrog "$file"
	want="NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES EXIT.STATUS EXAMPLES SEE.ALSO"
	case $name in autowg-helper | autowg-fcgi | autowg-ctl) want="$want SECURITY" ;; esac
	missing=
	for s in $want; do printf '%s\n' "$TEXT" | grep -qx "$s" || missing="$missing $s"; done
	expect_eq "$page: has every section" "" "$missing"
	expect_eq "$page: no @PLACEHOLDER@ left" "" \
		"$(grep -o '@[A-Z]*@' "$file" | sort -u | tr '\n' ' ')"
	# Every flag the program's --help names is documented under OPTIONS.
	opts=$(printf '%s\n' "$TEXT" | sed -n '/^OPTIONS$/,/^ENVIRONMENT$/p')
	missing=
	while read -r o; do
		printf '%s\n' "$opts" | grep -qE -- "(^|[ ,])$o( |,|=|$)" || missing="$missing $o"
	done < <(grep -oE -- '--[a-z][a-z-]*' "$T_TMP/help-$name" | sort -u)
	expect_eq "$page: OPTIONS documents every flag of $name --help" "" "$missing"
done
# The security rules the operator must know, in the pages that need them.
TEXT=$(MANWIDTH=200 man -l "$P/share/man/man8/autowg-fcgi.8" 2>/dev/null)
for w in SSL_CLIENT_VERIFY SSL_CLIENT_CERT SSL_CLIENT_S_DN 'HTTP_\*' REMOTE_USER HTTP_AUTH AUTOWG_HTTP_AUTH AUTOWG_SOCKET \
	AUTOWG_CLIENT_CA AUTOWG_CLIENT_CRL autowg-web 'who registered'; do
	expect_match "autowg-fcgi.8 names $w" "$w" "$TEXT"
done
expect_match "autowg-fcgi.8: HTTP_AUTH only in FastCGI mode" "HTTP_AUTH.*only in FastCGI mode" \
	"$(printf '%s' "$TEXT" | tr '\n' ' ' | tr -s ' ')"

# --- the routing protocol's name (--install-routes) -------------------------
proto=$(sed -n 's/.*proto \([0-9]*\) (autowg).*/\1/p' "$T_TMP/help-autowg-helper")
expect_eq "rt_protos.d/autowg.conf names the protocol autowg-helper --help says it uses" \
	"${proto:-?} autowg" "$(grep -v '^#' "$ROOT/etc/iproute2/rt_protos.d/autowg.conf")"

# --- systemd units ---------------------------------------------------------
for u in $UNITS; do
	f=$P/lib/systemd/system/$u
	exec_line=$(sed -n 's/^ExecStart=//p' "$f")
	expect_eq "$u: no /usr/local left in ExecStart" "" "$(printf '%s' "$exec_line" | grep -o /usr/local)"
	progs=$(printf '%s\n' "$exec_line" | grep -oE "$PREFIX/s?bin/autowg-[a-z]+")
	bad=
	for p in $progs; do [ -x "$ROOT$p" ] || bad="$bad $p"; done
	if [ -n "$progs" ] && [ -z "$bad" ]; then
		ok "$u: ExecStart runs the installed ${progs//$'\n'/ }"
	else
		not_ok "$u: ExecStart runs installed programs" "ExecStart=$exec_line" "missing:$bad"
	fi
	expect_eq "$u: the example copy equals the installed unit" "" \
		"$(cmp "$f" "$P/share/doc/autowg/examples/$u" 2>&1)"
done
doc=$(sed -n 's|^Documentation=file://||p' "$P/lib/systemd/system/autowg-helper@.service")
check "helper unit: Documentation= names the installed README" test -f "$ROOT$doc"
# The rewritten units are still valid units (programs pointed into DESTDIR).
if command -v systemd-analyze >/dev/null; then
	d=$T_TMP/units
	mkdir -p "$d"
	for u in $UNITS; do
		as=${u/@.service/@wg0.service}
		sed "/^ExecStart=/s|$PREFIX/\(s\{0,1\}bin/autowg-\)|$P/\1|g" "$P/lib/systemd/system/$u" >"$d/$as"
		if out=$(cd "$d" && SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no "./$as" 2>&1) &&
			! printf '%s' "$out" | grep -qiE 'unknown|ignoring|invalid|failed|not executable'; then
			ok "$u: systemd-analyze verify after the rewrite"
		else
			not_ok "$u: systemd-analyze verify after the rewrite" "$out"
		fi
	done
else
	not_ok "systemd-analyze is installed (package systemd)"
fi

# --- The default PREFIX is /usr/local --------------------------------------
R2=$T_TMP/root2
if mk install DESTDIR="$R2"; then
	check "default PREFIX: programs in /usr/local" test -x "$R2/usr/local/sbin/autowg-helper" -a \
		-x "$R2/usr/local/bin/autowg-fcgi"
	expect_match "default PREFIX: units keep /usr/local" \
		'^ExecStart=/usr/local/sbin/autowg-helper ' \
		"$(grep '^ExecStart=' "$R2/usr/local/lib/systemd/system/autowg-helper@.service")"
	check "default PREFIX: uninstall leaves no file" \
		bash -c "make -C '$TOP' -s B='$MB' uninstall DESTDIR='$R2' >/dev/null 2>&1 && [ -z \"\$(find '$R2' -type f)\" ]"
else
	not_ok "make install with the default PREFIX" "$(tail -n 20 "$T_TMP/make.log")"
fi

# --- make uninstall: exactly what install put there ------------------------
echo keep >"$P/bin/not-autowg"
echo keep >"$P/share/man/man8/not-autowg.8"
chmod 0644 "$P/bin/not-autowg" "$P/share/man/man8/not-autowg.8"
if mk uninstall DESTDIR="$ROOT" PREFIX="$PREFIX"; then
	ok "make uninstall"
else
	not_ok "make uninstall" "$(tail -n 20 "$T_TMP/make.log")"
fi
expect_eq "uninstall: no installed file left, other files kept" \
	"$(printf '644 %s\n' "$PREFIX/bin/not-autowg" "$PREFIX/share/man/man8/not-autowg.8" | sort)" "$(tree)"
check "uninstall: the doc directory is gone" test ! -e "$P/share/doc/autowg"

done_testing
