#!/bin/bash
# README.md's "Flags and variables" against the programs: for every program
# autowg builds or ships, the README lists exactly the flags, configuration
# keys and environment variables its --help prints; the --help names every
# long option and every environment variable its code reads; and each name
# is in its man page. So none of the three can drift from the code.
. "$(dirname "$0")/../lib.sh"

README=$TOP/README.md

# Where each program's code reads its options and environment: a new
# program gets a line here, or this test says it does not know it.
declare -A SOURCES=(
	[autowg-helper]="wg/*.c"
	[autowg-fcgi]="fcgi/*.c"
	[autowg-addr]="contrib/autowg-addr.c"
	[autowg-client]="contrib/autowg-client"
	[autowg-ctl]="contrib/autowg-ctl.c"
)
declare -A MANPAGE=(
	[autowg-helper]=man/autowg-helper.8 [autowg-fcgi]=man/autowg-fcgi.8
	[autowg-addr]=man/autowg-addr.1 [autowg-client]=man/autowg-client.8
	[autowg-ctl]=man/autowg-ctl.8
)
# Flags a program knows only to refuse them, with the reason.
declare -A REFUSED=([autowg-helper]="--http-host --http-port")

# The programs: what make builds, and the scripts in contrib/.
PROGS=()
for f in "$B"/autowg-* "$TOP"/contrib/autowg-*; do
	[ -f "$f" ] && [ -x "$f" ] && PROGS+=("$f")
done
if [ ${#PROGS[@]} -lt 4 ]; then
	not_ok "the programs are built ($B/autowg-*) and shipped (contrib/)" "found: ${PROGS[*]}"
	done_testing
	exit 1
fi

# norm: one name a line from tokens such as "--pool", "--metrics-per-peer=yes|no",
# "-p,": the flag, variable or key itself.
# shellcheck disable=SC2016 # backquotes, not an expansion
norm() { sed -E 's/[=,].*$//; s/^`//; s/`$//' | grep -E '^(--?[A-Za-z][A-Za-z0-9-]*|[A-Za-z][A-Za-z0-9_]*)$' | sort -u; }

# readme_names PROG: the first column of the README's table for PROG.
readme_names() {
	awk -v m="<!-- flags: $1 -->" '
		$0 == m { on = 1; next }
		on && /^(<!--|#)/ { exit }
		on && /^\| *`/ {
			cell = $0; sub(/^\| */, "", cell)
			while (match(cell, /^`[^`]*`(, )?/)) {
				tok = substr(cell, 2, RLENGTH - 2); sub(/`.*/, "", tok)
				split(tok, w, " "); print w[1]
				cell = substr(cell, RLENGTH + 1)
			}
		}' "$README" | norm
}

# help_names PROG_PATH: what --help defines. Definition lines are indented
# by two spaces; their term ends at two spaces. Under "Environment:" a term
# is a variable, under "Configuration" a key, elsewhere it holds flags; the
# usage line's [bracketed] flags count too.
help_names() {
	"$1" --help 2>/dev/null | awk '
		NR == 1 {
			line = $0
			while (match(line, /\[-[^]]*\]/)) {
				n = split(substr(line, RSTART + 1, RLENGTH - 2), w, /[ |]+/)
				for (i = 1; i <= n; i++) if (w[i] ~ /^--?[A-Za-z]/) print w[i]
				line = substr(line, RSTART + RLENGTH)
			}
			next
		}
		/^[^ ]/ { sect = /^Environment:/ ? "env" : /^Configuration/ ? "conf" : "opt"; next }
		/^  [^ ]/ {
			term = substr($0, 3); sub(/  .*/, "", term)
			if (sect == "opt") {
				n = split(term, w, /[ ,]+/)
				for (i = 1; i <= n; i++) if (w[i] ~ /^--?[A-Za-z]/) print w[i]
			} else print term
		}' | norm
}

# code_names PROG: the long options and environment variables its code reads.
code_names() {
	local src=$T_TMP/src-$1
	# shellcheck disable=SC2086 # a glob
	(cd "$TOP" && cat ${SOURCES[$1]}) >"$src"
	{
		if [ "$1" = autowg-client ]; then
			# case arms of the argument parser, and ${VAR:-default} reads
			sed -n '/^case \${1:-} in/,/^esac/p' "$src" | grep -oE -- '(^|[ |])--?[a-z][a-z-]*' | tr -d ' |'
			sed -n 's/.*\${\([A-Z][A-Z0-9_]*\):-.*/\1/p' "$src"
		else
			# getopt_long tables, argv comparisons, getenv calls
			grep -oE '\{"[a-z][a-z-]*", *(no|required|optional)_argument' "$src" | sed -E 's/^\{"([^"]*)".*/--\1/'
			grep -oE 'strn?cmp\(argv\[i\], "--[a-z][a-z-]*=?"' "$src" | sed -E 's/.*"(--[a-z-]*)=?"/\1/'
			grep -oE '(secure_)?getenv\("[A-Z][A-Z0-9_]*"\)' "$src" | sed -E 's/.*"(.*)".*/\1/'
		fi
	} | sort -u
}

# only_in A B: the lines of A that are not in B (both sorted), on one line.
only_in() { comm -23 <(printf '%s\n' "$1") <(printf '%s\n' "$2") | tr '\n' ' '; }

# man_text PROG: the rendered man page.
man_text() { MANWIDTH=200 man -l "$TOP/${MANPAGE[$1]}" 2>/dev/null; }

for path in "${PROGS[@]}"; do
	p=$(basename "$path")
	r=$(readme_names "$p")
	h=$(help_names "$path")
	if [ -z "$r" ]; then
		not_ok "README lists the flags and variables of $p" \
			"README.md has no table after <!-- flags: $p --> under \"Flags and variables\""
		continue
	fi
	check "$p --help defines flags (parsed: ${h//$'\n'/ })" test -n "$h"
	expect_eq "README's list for $p names exactly what $p --help defines" \
		"not in README: ; not in --help: " \
		"not in README: $(only_in "$h" "$r"); not in --help: $(only_in "$r" "$h")"

	if [ -z "${SOURCES[$p]:-}" ]; then
		not_ok "this test knows where $p reads its options" "add $p to SOURCES and MANPAGE in $0"
		continue
	fi
	c=$(code_names "$p")
	# shellcheck disable=SC2086 # a list
	missing=$(only_in "$c" "$(printf '%s\n' "$h" ${REFUSED[$p]:-} | sort -u)")
	check "$p's code reads options and variables (found: ${c//$'\n'/ })" test -n "$c"
	expect_eq "$p --help names every long option and variable its code reads" "" "$missing"

	for f in ${REFUSED[$p]:-}; do
		out=$("$path" "$f" x 2>&1)
		rc=$?
		expect_eq "$p $f (the original's) is refused with a reason: exit 2" "2" "$rc"
		expect_match "$p $f: the reason says where it went" "web server" "$out"
	done

	man=$(man_text "$p")
	absent=""
	while read -r n; do
		printf '%s\n' "$man" | grep -qE -- "(^|[^A-Za-z0-9_-])$n([^A-Za-z0-9_-]|$)" || absent="$absent $n"
	done <<<"$r"
	expect_eq "every name in README's list for $p is in ${MANPAGE[$p]}" "" "$absent"
done
done_testing
