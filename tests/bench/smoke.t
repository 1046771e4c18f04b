#!/bin/bash
# timeout: 290
# The benchmark harness cannot rot: bench/run runs every suite with tiny
# sizes (no apt-get: a suite whose tool is missing must say why it skips),
# writes latest.md, latest.json and the charts, leaves no mount and no
# scratch directory behind, says why a suite skips when the project's tool
# it measures is not built, and cleans up when interrupted.  No timing is
# checked (the machine is shared): only that every number is there.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
# Measured: under ASan+UBSan the tiny suites alone take longer than the 240 s
# the harness gets here; the plain make check runs this test.
t_sanitized && t_skip "sanitized build: the benchmarks do not fit their time budget"
t_require_cmd cc
[ -x "$VU_BIN/vunifyfs" ] || t_skip "vunifyfs is not built"
command -v jq >/dev/null || t_skip "needs jq to check latest.json (make deps installs it)"

run=$VU_TOP/bench/run
out=$T/out
mkdir -p "$T/scratch" "$out"

# No leftovers: no mount and no scratch directory below $1.
no_leftovers() {
	local m
	m=$(t_mounts_below "$1")
	[ -z "$m" ] || t_fail "$2: mounts left behind: $m"
	ls -d "$1"/vunify-bench.* 2>/dev/null && t_fail "$2: scratch directory left behind"
	return 0
}

# --- every suite, tiny -------------------------------------------------------
t_timeout 240 "$run" --no-install --size tiny --reps 1 --dir "$T/scratch" --out "$out" \
	> "$T/run.out" 2>&1 || { tail -n 30 "$T/run.out"; t_fail "bench/run failed"; }
no_leftovers "$T/scratch" "full run"
for f in latest.md latest.json latest.log; do
	[ -s "$out/$f" ] || t_fail "no $f"
done
jq -e . "$out/latest.json" > /dev/null || t_fail "latest.json is not valid JSON"
[ "$(jq '.failed | length' "$out/latest.json")" = 0 ] ||
	t_fail "failed suites: $(jq -c .failed "$out/latest.json")"
grep -q '^| cores | [0-9]' "$out/latest.md" || t_fail "latest.md: no machine description"
for key in cpu ram kernel filesystem date; do
	[ -n "$(jq -r ".machine.\"$key\" // empty" "$out/latest.json")" ] || t_fail "latest.json: no machine.$key"
done

# Every suite produced a non-empty table or said why it skipped.
for s in $("$run" --list); do
	n=$(jq --arg s "$s" '[.tables[] | select(.suite == $s) | .cells[]] | length' "$out/latest.json")
	if [ "$n" -gt 0 ]; then
		# Every cell has its numbers; every reference cell is 1.
		bad=$(jq --arg s "$s" '[.tables[] | select(.suite == $s) | . as $t | .cells[] |
			select(.median == null or .n < 1 or (.values | length) != .n or
			       ($t.reference != null and .column == $t.reference and .ratio != 1))] | length' \
			"$out/latest.json")
		[ "$bad" = 0 ] || t_fail "suite $s: $bad cells without their numbers"
		t_log "suite $s: $n cells"
	else
		grep -q "^skip: $s: " "$T/run.out" || t_fail "suite $s: no table and no skip reason"
		t_log "suite $s skipped: $(grep "^skip: $s: " "$T/run.out" | head -n 1)"
	fi
done
# The markdown holds the same tables, with rows.
for title in $(jq -r '.tables[] | select((.cells | length) > 0) | .title | @base64' "$out/latest.json"); do
	title=$(echo "$title" | base64 -d)
	awk -v t="## $title" '$0 == t { f = 1; next } f && /^## / { exit } f && /^\| [^-]/ { n++ } END { exit n < 2 }' \
		"$out/latest.md" || t_fail "latest.md: table '$title' missing or empty"
done
# fio, metadata and link break run wherever vunifyfs is built: they must be
# there (fio only where fio is installed).
for s in meta break $(command -v fio >/dev/null && echo fio); do
	[ "$(jq --arg s "$s" '[.tables[] | select(.suite == $s)] | length' "$out/latest.json")" -gt 0 ] ||
		t_fail "suite $s did not run"
done
jq -e '[.tables[] | select(.suite == "break") | .cells[] | select(.column | test("vunifyfs"))] | length > 0' \
	"$out/latest.json" > /dev/null || t_fail "the link break table has no vunifyfs column"

# Charts: one PNG per table with a chart, where gnuplot is installed.
if command -v gnuplot >/dev/null; then
	n=0
	for png in "$out"/latest-*.png; do
		[ -s "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = PNG ] || t_fail "$png is not a PNG"
		grep -qF "(${png##*/})" "$out/latest.md" || t_fail "latest.md does not show ${png##*/}"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || t_fail "no chart written"
else
	t_log "gnuplot is not installed: charts not checked"
fi

# --- a project tool that is not built: its suite says so and skips -----------
mkdir -p "$T/fakebin"
ln -s "$VU_BIN/vunifyfs" "$T/fakebin/vunifyfs"
VU_BIN=$T/fakebin t_timeout 120 "$run" --no-install --size tiny --reps 1 --suite dedupe,start \
	--dir "$T/scratch" --out "$T/out2" > "$T/run2.out" 2>&1 ||
	{ tail -n 20 "$T/run2.out"; t_fail "bench/run without vhashify and vserver failed"; }
grep -q '^skip: dedupe: .*vhashify is not built yet' "$T/run2.out" || t_fail "dedupe did not say why it skips"
grep -q '^skip: start: .*vserver is not built yet' "$T/run2.out" || t_fail "start did not say why it skips"
grep -q 'vhashify is not built yet' "$T/out2/latest.md" || t_fail "latest.md does not list the skipped suite"
no_leftovers "$T/scratch" "skipping run"

# --- bad usage ---------------------------------------------------------------
"$run" --suite nosuch > /dev/null 2>&1; t_eq "unknown suite" $? 2
"$run" --reps 0 > /dev/null 2>&1; t_eq "--reps 0" $? 2
"$run" --size nosuch > /dev/null 2>&1; t_eq "unknown preset" $? 2

# --- interrupted while mounted: everything is unmounted and removed ----------
# (A background job starts with SIGINT ignored, which a script cannot trap:
# give it back the default, as a terminal's Ctrl-C would find it.)
env --default-signal=INT "$run" --no-install --size tiny --reps 3 --suite meta \
	--dir "$T/scratch" --out "$T/out3" > "$T/run3.out" 2>&1 &
pid=$!
t_on_exit "kill -9 $pid"
# Interrupt once a suite has its mounts up.  Probing the backends mounts
# and unmounts a guest for a moment first: seeing that is not enough (it
# may be gone the next instant), so wait for the suite to start.  Allow for
# a slow, loaded machine, but stop waiting as soon as the run has ended.
mounted=""
for i in $(seq 1200); do
	if grep -q 'suite meta$' "$T/run3.out" && [ -n "$(t_mounts_below "$T/scratch")" ]; then
		mounted=1
		break
	fi
	kill -0 "$pid" 2> /dev/null || break
	sleep 0.1
done
if [ -z "$mounted" ]; then
	tail -n 20 "$T/run3.out"
	kill -0 "$pid" 2> /dev/null || { wait "$pid"; echo "bench/run ended with status $?"; }
	t_fail "interrupt test: the meta suite never had its mounts up"
fi
kill -INT "$pid"
rc=0
t_timeout 60 tail --pid="$pid" -f /dev/null || true
wait "$pid"; rc=$?
t_eq "exit status when interrupted" "$rc" 130
no_leftovers "$T/scratch" "interrupted run"
t_done
