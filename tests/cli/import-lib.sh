# Helpers of the import tests (sourced after tests/lib.sh).
#
# Every check compares what vnetprof stored with a count made by other code
# from the same file: awk over the text, trace-cmd report for trace.dat, jq
# for JSON. The awk scripts bin a timestamp by its decimal digits
# (sec * 10^d + first d digits of the fraction, for bins of 10^-d s), so the
# reference never rounds a float.

# rows DB RUN BIN: "series<TAB>k<TAB>value" for each stored non-zero value,
# k = t_start / BIN, from vnetprof export's long CSV form
rows() {
	"$VNETPROF" export "$1" --run "$2" --format csv | awk -F, -v bin="$3" '
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
	}' | LC_ALL=C sort
}

# nbins DB RUN: the number of bins stored
nbins() {
	"$VNETPROF" export "$1" --run "$2" --format json | jq '.runs[0].bins | length'
}

# same_rows DESC EXPECTED ACTUAL: both sorted files; shows the first differences
same_rows() {
	if [ ! -s "$2" ]; then
		fail "$1: the independent count found nothing"
	elif cmp -s "$2" "$3"; then
		pass "$1 ($(wc -l < "$2") non-zero bins equal)"
	else
		fail "$1: differs from the independent count"
		diff "$2" "$3" | head -8
	fi
}

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
