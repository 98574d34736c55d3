# Helpers of the command-line tests (sourced after tests/lib.sh).
#
# Every check compares what vnetprof stored with a count made by other code
# from the same file: awk over the text, trace-cmd report for trace.dat, jq
# for JSON. The awk scripts bin a timestamp by its decimal digits
# (sec * 10^d + first d digits of the fraction, for bins of 10^-d s), so the
# reference never rounds a float.
#
# Every vnetprof call's exit status is checked: with run + a check of $RC, or
# expect_fail, or the helpers below, which fail a check when vnetprof exits
# non-zero. Call them in the test's own shell (`rows ... > FILE`), never inside
# $(...), <(...) or a pipeline: a check failed in a subshell is not counted.

# run_ok CMD...: run (sets OUT, ERR, RC); a non-zero exit status fails a check
run_ok() {
	run "$@"
	[ "$RC" = 0 ] || fail "$* exited $RC: $(head -c 400 <<<"$ERR")"
}

# vnp_to FILE ARGS...: vnetprof ARGS > FILE; a non-zero exit status fails a check
vnp_to() {
	local f=$1 rc
	shift
	"$VNETPROF" "$@" > "$f" 2> "$T_TMP/vnp_to.err"
	rc=$?
	[ "$rc" = 0 ] && return 0
	fail "vnetprof $* exited $rc: $(head -c 400 "$T_TMP/vnp_to.err")"
	return 1
}

# jqt ARGS...: jq -e, quietly (a filter that is false or null fails)
jqt() { jq -e "$@" > /dev/null; }

# rows DB RUN BIN: "series<TAB>k<TAB>value" for each stored non-zero value,
# k = t_start / BIN, from vnetprof export's long CSV form
rows() {
	vnp_to "$T_TMP/rows.csv" export "$1" --run "$2" --format csv || return 1
	awk -F, -v bin="$3" '
	NR == 1 { next }
	{
		v = $NF; t0 = $(NF - 2)
		s = $2
		for (i = 3; i <= NF - 3; i++) s = s "," $i
		if (substr(s, 1, 1) == "\"") {
			s = substr(s, 2, length(s) - 2)
			gsub(/""/, "\"", s)
		}
		if (v != "" && v + 0 != 0)
			printf "%s\t%d\t%.17g\n", s, int(t0 / bin + 0.5), v
	}' "$T_TMP/rows.csv" | LC_ALL=C sort
}

# same_lines DESC EXPECTED ACTUAL [WHAT]: the same lines, and not none (two
# empty files are no evidence); shows the first differences
same_lines() {
	local what=${4:-lines}
	if [ ! -s "$2" ]; then
		fail "$1: $2 is empty (the independent count found nothing)"
	elif cmp -s "$2" "$3"; then
		pass "$1 ($(wc -l < "$2") $what equal)"
	else
		fail "$1: $3 differs from $2"
		diff "$2" "$3" | head -8
	fi
}
# same_rows DESC EXPECTED ACTUAL: both sorted files of non-zero bins
same_rows() { same_lines "$1" "$2" "$3" "non-zero bins"; }

# AWK_BIN: awk functions binning "SSSS.FFFFFF" exactly for bins of 10^-d s
AWK_BIN='
function tbin(ts, d,    sec, frac) {
	sec = ts; frac = ""
	if (index(ts, ".")) { sec = substr(ts, 1, index(ts, ".") - 1); frac = substr(ts, index(ts, ".") + 1) }
	frac = substr(frac "000000000", 1, d)
	return sec * (d ? 10 ^ d : 1) + (d ? frac + 0 : 0)
}
function sysname(e) {
	if (e == "net_dev_xmit" || e == "netif_receive_skb" || e == "net_dev_queue") return "net:" e
	if (e == "softirq_entry" || e == "softirq_exit" || e == "softirq_raise") return "irq:" e
	if (e == "sched_switch" || e == "sched_wakeup") return "sched:" e
	return e
}
# emit(series, absolute bin): counted, printed relative to the smallest bin by out()
function emit(s, b) { n[s "\t" b]++; if (!(nb++) || b < minb) minb = b }
function out(   k, p) {
	for (k in n) { split(k, p, "\t"); printf "%s\t%d\t%d\n", p[1], p[2] - minb, n[k] }
}
'

# AWK_SPREAD: the reference for interval sources (perf stat, iperf3): a value
# over [t0, t1) ns is spread over the bins of bin_ns by overlap, the last
# piece taking the rest, in the order of the file (as docs/import.md says).
# Bins are floor((t + off - anchor) / bin_ns); out2() prints them relative to
# the smallest bin touched.
AWK_SPREAD='
function fdiv(a, b,    q) { q = int(a / b); if (q * b > a) q--; return q }
function ns_of(x) { return int(x * 1e9 + 0.5) }
function ns_digits(ts,    sec, frac) {
	sec = ts; frac = ""
	if (index(ts, ".")) { sec = substr(ts, 1, index(ts, ".") - 1); frac = substr(ts, index(ts, ".") + 1) }
	return sec * 1e9 + substr(frac "000000000", 1, 9)
}
function touch(b) { if (!(nt++) || b < minb) minb = b }
function spread(s, t0, t1, v,    b0, b1, b, lo, hi, piece, done) {
	t0 += off - anchor; t1 += off - anchor
	if (t1 <= t0) { b = fdiv(t0, bin_ns); touch(b); val[s "\t" b] += v; return }
	b0 = fdiv(t0, bin_ns); b1 = fdiv(t1 - 1, bin_ns); touch(b0)
	if (b0 == b1) { val[s "\t" b0] += v; return }
	done = 0
	for (b = b0; b <= b1; b++) {
		lo = b * bin_ns; hi = lo + bin_ns
		if (lo < t0) lo = t0
		if (hi > t1) hi = t1
		piece = b == b1 ? v - done : v * (hi - lo) / (t1 - t0)
		done += piece
		val[s "\t" b] += piece
	}
}
function out2(base,   k, p) {
	if (base == "") base = minb
	for (k in val) if (val[k] != 0) { split(k, p, "\t"); printf "%s\t%d\t%.17g\n", p[1], p[2] - base, val[k] }
}
'
