#!/bin/bash
# vserver build -m template (and its alias -m clone): the clone gets its own
# /etc/hostname, /etc/hosts and /etc/machine-id, written as new files (the
# template's are links into the store: they must stay as they were), and
# the build's usage errors leave nothing behind.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
[ -x "$VU_BIN/vclone" ] || t_skip "vclone is not built"

vs_busybox_tree "$T/template"
echo tmplhost > "$T/template/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tmplhost\n' > "$T/template/etc/hosts"
echo 0123456789abcdef0123456789abcdef > "$T/template/etc/machine-id"
sum=$(cd "$T/template" && sha256sum etc/hostname etc/hosts etc/machine-id)

g=$(vs_name t)
t_check "build -m template" "$VS" "$g" build -m template --template "$T/template"
root=$VUNIFY_BASE/guests/$g/root
t_eq "hostname" "$(cat "$root/etc/hostname")" "$g"
grep -qx "127.0.1.1	$g" "$root/etc/hosts" || t_fail "hosts lacks 127.0.1.1 $g: $(cat "$root/etc/hosts")"
grep -qx "127.0.0.1	localhost" "$root/etc/hosts" || t_fail "hosts lacks localhost"
grep -q "^::1	localhost" "$root/etc/hosts" || t_fail "hosts lacks the IPv6 localhost"
grep -q tmplhost "$root/etc/hosts" && t_fail "the template's name is still in hosts"
id=$(cat "$root/etc/machine-id")
[[ $id =~ ^[0-9a-f]{32}$ ]] || t_fail "machine-id '$id' is not 32 hex digits"
[ "$id" != 0123456789abcdef0123456789abcdef ] || t_fail "the clone kept the template's machine-id"
t_eq "owner and mode" "$(stat -c '%u:%g %a' "$root/etc/hostname")" "0:0 644"
# The template (and the store objects it shares with the clone) unchanged.
t_eq "template untouched" "$(cd "$T/template" && sha256sum etc/hostname etc/hosts etc/machine-id)" "$sum"
[ "$(stat -c %i "$root/bin/busybox")" = "$(stat -c %i "$T/template/bin/busybox")" ] ||
	t_fail "the clone does not share busybox with the template"
# Only the build's own files are new; no temporaries left.
[ -z "$(find "$root/etc" -name '*.vunify-build')" ] || t_fail "temporaries left in /etc"

# The alias, and a clone of a guest: its name replaced by the new one.
c=$(vs_name c)
t_check "build -m clone" "$VS" "$c" build -m clone --template "$g"
croot=$VUNIFY_BASE/guests/$c/root
t_eq "clone's hostname" "$(cat "$croot/etc/hostname")" "$c"
t_eq "the source guest keeps its name" "$(cat "$root/etc/hostname")" "$g"
[ "$(cat "$croot/etc/machine-id")" != "$id" ] || t_fail "two guests share a machine-id"

# The name reaches the running guest's files.
vs_start "$c"
t_eq "hostname in the guest" "$(vs_exec "$c" cat /etc/hostname)" "$c"
vs_stop "$c"
vs_assert_gone "$c"

# A tree without /etc is cloned as it is.
mkdir -p "$T/bare/bin" && cp /bin/busybox "$T/bare/bin/"
b=$(vs_name b)
t_check "template without /etc" "$VS" "$b" build --template "$T/bare"
[ ! -e "$VUNIFY_BASE/guests/$b/root/etc" ] || t_fail "an /etc was made in a tree that had none"

# Usage errors: exit 2, one line, nothing made.
f=$(vs_name f)
for args in "-m template" "-m bogus" "-m template --template $T/template --suite sid" \
	"--template $T/template -m debootstrap" "-m debootstrap --mirror -x" "--variant" \
	"-m debootstrap --nosuch"; do
	# shellcheck disable=SC2086
	"$VS" "$f" build $args 2> "$T/err"; rc=$?
	t_eq "build $args" "$rc" 2
	t_eq "build $args: one line" "$(wc -l < "$T/err")" 1
	[ ! -e "$VUNIFY_BASE/guests/$f" ] || t_fail "build $args left $VUNIFY_BASE/guests/$f"
done
# debootstrap missing: one clear line, exit 1, nothing made.
PATH=/nonexistent "$VS" "$f" build -m debootstrap 2> "$T/err"; rc=$?
t_eq "missing debootstrap" "$rc" 1
t_eq "missing debootstrap: one line" "$(wc -l < "$T/err")" 1
grep -q "needs debootstrap (apt-get install debootstrap)" "$T/err" || t_fail "message: $(cat "$T/err")"
[ ! -e "$VUNIFY_BASE/guests/$f" ] || t_fail "a build without debootstrap left a guest"
t_done
