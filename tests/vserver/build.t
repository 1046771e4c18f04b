#!/bin/bash
# vserver build: an empty guest, a guest cloned from another guest or from
# a directory with vclone (files shared through the store), and failures
# that leave nothing behind.  A cloned guest runs, and its writes to shared
# files stay its own (vunifyfs breaks the link).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
[ -x "$VU_BIN/vclone" ] || t_skip "vclone is not built"

tmpl=$(vs_name t)
vs_busybox_tree "$T/template"
echo "template data" > "$T/template/etc/motd"

# From a directory.
t_check "build from a directory" "$VS" "$tmpl" build --template "$T/template"
root=$VUNIFY_BASE/guests/$tmpl/root
t_eq "cloned content" "$(cat "$root/etc/motd")" "template data"
[ "$(stat -c %h "$root/bin/busybox")" -ge 2 ] || t_fail "busybox not linked into the store"
getfattr -n trusted.vunify "$root/bin/busybox" >/dev/null 2>&1 || t_fail "busybox not marked as shared"
grep -q "built from $T/template" "$VUNIFY_BASE/guests/$tmpl/guest.conf" ||
	t_fail "guest.conf does not say where it came from"

# From another guest.
g=$(vs_name c)
t_check "build from a guest" "$VS" "$g" build --template "$tmpl"
groot=$VUNIFY_BASE/guests/$g/root
[ "$(stat -c %i "$groot/bin/busybox")" = "$(stat -c %i "$root/bin/busybox")" ] ||
	t_fail "the clone does not share busybox with its template"

# It runs, and a write to a shared file is private to it.
vs_start "$g"
t_eq "exec in the clone" "$(vs_exec "$g" cat /etc/motd)" "template data"
vs_exec "$g" sh -c 'echo guest was here >> /bin/busybox.txt; echo changed > /etc/motd' ||
	t_fail "cannot write in the clone"
t_eq "the template is untouched" "$(cat "$root/etc/motd")" "template data"
t_eq "the clone changed" "$(vs_exec "$g" cat /etc/motd)" changed
"$VS" "$g" status | grep -q "shared [0-9.]*[KM] in [1-9]" || t_fail "status shows no shared files: $("$VS" "$g" status)"
vs_stop "$g"
vs_assert_gone "$g"

# Empty.
e=$(vs_name e)
t_check "build empty" "$VS" "$e" build
[ -z "$(ls -A "$VUNIFY_BASE/guests/$e/root")" ] || t_fail "the empty root is not empty"

# Failures leave nothing.
f=$(vs_name f)
"$VS" "$f" build --template nosuchguest 2> "$T/err"; t_eq "missing template guest" $? 5
"$VS" "$f" build --template "$T/nothing" 2> "$T/err"; t_eq "missing template dir" $? 1
grep -q "$T/nothing" "$T/err" || t_fail "missing template: $(cat "$T/err")"
# vclone fails (the store is not a directory): nothing may remain.
mv "$VUNIFY_BASE/store" "$VUNIFY_BASE/store.real"
touch "$VUNIFY_BASE/store"
"$VS" "$f" build --template "$T/template" 2> "$T/err"; t_eq "failing vclone" $? 1
grep -q "vclone .* failed" "$T/err" || t_fail "failing vclone: $(cat "$T/err")"
[ ! -e "$VUNIFY_BASE/guests/$f" ] || t_fail "a half-built guest was left"
rm "$VUNIFY_BASE/store"
mv "$VUNIFY_BASE/store.real" "$VUNIFY_BASE/store"
"$VS" "$f" build --bogus 2>/dev/null; t_eq "bad build option" $? 2
[ ! -e "$VUNIFY_BASE/guests/$f" ] || t_fail "a failed build left $VUNIFY_BASE/guests/$f"
t_done
