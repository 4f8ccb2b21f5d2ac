#!/bin/bash
# Every reference in the repository names something a reader of the
# repository can open: each path into the tree that a file, comment, man page
# or document names exists; every .md it names exists; no relative path
# climbs out of the tree; no file names the tree's own location on this
# machine or a directory beside it; no issue number, seed or brief that only
# the people who wrote the code could look up.
# Read: the repository's files (tracked and new, never build output), except
# the fuzzers' inputs, which are data, not text for readers.
. "$(dirname "$0")/../lib.sh"

ROOT=$(realpath "$TOP")
cd "$ROOT" || exit 1
mapfile -d '' FILES < <(tree_files | grep -zv '^tests/fuzz/corpus/')
if [ ${#FILES[@]} -lt 50 ]; then
	not_ok "the repository's files are listed (git ls-files)" "got ${#FILES[@]} files from git in $ROOT"
	done_testing
	exit 1
fi
mapfile -d '' TEXT < <(grep -IlZ '' -- "${FILES[@]}")
ok "the repository's files are listed: ${#FILES[@]}, ${#TEXT[@]} of them text"

# hits ERE: "file:line:match" for every match in the text files.
hits() { grep -noE -- "$1" "${TEXT[@]}"; }

# inside PATH: PATH (absolute, may not exist) lies in the tree.
inside() {
	local p
	p=$(realpath -m -- "$1")
	[[ $p == "$ROOT" || $p == "$ROOT"/* ]]
}

# 1. Paths into the tree: a top-level directory of the repository, then a
# path. A path that is not a file may be a program built from NAME.c or a
# test NAME.sh, a glob, or what make and the tests create (.gitignore:
# tests/qemu/cache/); build output ($B/..., build/...) is excluded by the
# character before it.
mapfile -t DIRS < <(printf '%s\n' "${FILES[@]}" | sed -n 's|^\([^/]*\)/.*|\1|p' | sort -u)
dirs_re=$(IFS='|'; echo "${DIRS[*]}")
bad=()
while IFS=: read -r f n m; do
	p=${m#"${m%%[A-Za-z]*}"}
	[ -e "$p" ] || [ -e "$p.c" ] || [ -e "$p.sh" ] || compgen -G "$p" >/dev/null ||
		git check-ignore -q "$p/" || bad+=("$f:$n: $p")
done < <(hits "(^|[^A-Za-z0-9_./\$-])($dirs_re)/[A-Za-z0-9_./@*-]*[A-Za-z0-9_*]")
expect_none "every path into the tree that a file names exists" "a reader cannot open:" "${bad[@]}"

# 2. Documents by bare name (README.md), found at the top or beside the
# file that names them; a name with a directory is a path, checked by 1 when
# it is one into the tree, else somebody else's (/usr/share/doc/...).
bad=()
while IFS=: read -r f n m; do
	p=${m#"${m%%[A-Za-z0-9_]*}"}
	[ -e "$p" ] || [ -e "$(dirname "$f")/$p" ] || bad+=("$f:$n: $p")
done < <(hits '(^|[^A-Za-z0-9_./$-])[A-Za-z0-9_][A-Za-z0-9_.-]*\.md\b')
expect_none "every .md document a file names is in the tree" "not in the repository:" "${bad[@]}"

# 3. Relative paths stay inside: a path starting with ".." from the file's
# directory, one after $(dirname "$0") likewise, one after $TOP from the
# top. A symbolic link's target (ln -s) is relative to the link, not to the
# file that makes it.
bad=()
while IFS=: read -r f n m; do
	sed -n "${n}p" "$f" | grep -q 'ln -s' && continue
	rel=${m#*../}
	rel=../${rel%%[!A-Za-z0-9_./-]*}
	inside "$ROOT/$(dirname "$f")/$rel" || bad+=("$f:$n: $rel")
done < <(hits '(^|[[:space:]"'"'"'(<=,])(\.\./)+[A-Za-z0-9_.][A-Za-z0-9_./-]*')
# shellcheck disable=SC2016 # the pattern is for a literal $(dirname ...)
while IFS=: read -r f n m; do
	rel=${m#*\)/}
	inside "$ROOT/$(dirname "$f")/$rel" || bad+=("$f:$n: $m")
done < <(hits '\$\(dirname "\$(0|\{BASH_SOURCE\[0\]\})"\)/(\.\./)+[A-Za-z0-9_./-]*')
while IFS=: read -r f n m; do
	rel=${m#*/}
	inside "$ROOT/$rel" || bad+=("$f:$n: $m")
done < <(hits '\$\{?TOP\}?/(\.\./)+[A-Za-z0-9_./-]*')
expect_none "no relative path leaves the tree" "outside the repository:" "${bad[@]}"

# 4. This machine's layout: the tree's own path, or a directory that lies
# beside the tree here (a path into /tmp or /home/... that does not exist
# here is somebody else's, not this machine's).
ere() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }
mapfile -t bad < <(grep -nE -- "$(ere "$ROOT")([^A-Za-z0-9_.-]|$)" "${TEXT[@]}")
parent=$(dirname "$ROOT")
if [ "$parent" != / ]; then
	while IFS=: read -r f n m; do
		sib=${m#"$parent/"}
		[ "$parent/$sib" != "$ROOT" ] && [ -e "$parent/$sib" ] && bad+=("$f:$n: $m")
	done < <(grep -noE -- "$(ere "$parent/")[A-Za-z0-9_.-]+" "${TEXT[@]}")
fi
expect_none "no file names where this tree lies ($ROOT) or what lies beside it" "named in:" "${bad[@]}"

# 5. Things only the authors could look up.
mapfile -t bad < <(grep -nE -- '\b[Ii]ssues? #?[0-9]+|#[0-9]+ \(issue|\b[Tt]he seed\b|\bseed'"'"'s\b|\b[Tt]he brief\b' "${TEXT[@]}")
expect_none "no reference to an issue, a seed or a brief that is not in the tree" \
	"say what is meant, or point into the tree (docs/design.md, bench/README.md):" "${bad[@]}"
done_testing
