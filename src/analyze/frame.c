// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The analysis axis: a run's stored bins grouped into analysis bins, series
 * re-binned onto it, and the choice of the target series.
 */
#include "analyze/analyze-local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vnp_analysis_opts_init(struct vnp_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sma_s = VNP_ANALYSIS_SMA_S;
	o->max_lag_s = VNP_ANALYSIS_MAX_LAG_S;
	o->penalty = VNP_ANALYSIS_PENALTY;
	o->min_segment_s = VNP_ANALYSIS_MIN_SEGMENT_S;
}

/* durations in messages: "0.5 s" */
static const char *secs(char *buf, size_t size, double s)
{
	vnp_fmt_seconds(buf, size, s);
	strncat(buf, " s", size - strlen(buf) - 1);
	return buf;
}

int fit_multiple(const char *what, double want, double unit, const char *unit_what, long *k)
{
	double q = want / unit, lo;
	long r = lround(q);
	char w[48], u[48], a[48], b[48], c[48], d[48], e[48];

	if (r >= 1 && fabs(q - (double)r) <= 1e-9 * q) {
		*k = r;
		return 0;
	}
	lo = floor(q);
	if (lo < 1 || !isfinite(q))
		return vnp_fail(-EDOM,
				"%s of %s is shorter than %s (%s); possible: %s, %s, %s, ... "
				"(whole multiples of %s)",
				what, secs(w, sizeof(w), want), unit_what, secs(u, sizeof(u), unit),
				secs(a, sizeof(a), unit), secs(b, sizeof(b), 2 * unit),
				secs(c, sizeof(c), 3 * unit), secs(d, sizeof(d), unit));
	return vnp_fail(-EDOM,
			"%s of %s is not a whole multiple of %s (%s); possible: %s, %s, "
			"%s, ... (nearest: %s or %s)",
			what, secs(w, sizeof(w), want), unit_what, secs(u, sizeof(u), unit),
			secs(a, sizeof(a), unit), secs(b, sizeof(b), 2 * unit),
			secs(c, sizeof(c), 3 * unit), secs(d, sizeof(d), lo * unit),
			secs(e, sizeof(e), (lo + 1) * unit));
}

int vnp_analysis_bin(double run_bin_s, double bin_s, long *factor)
{
	if (!(run_bin_s > 0) || !isfinite(run_bin_s))
		return vnp_fail(-EDOM, "the run has no bin width; it cannot be re-binned");
	if (!(bin_s > 0) || !isfinite(bin_s))
		return vnp_fail(-EDOM, "an analysis bin must be a positive duration");
	return fit_multiple("an analysis bin", bin_s, run_bin_s, "the run's bin", factor);
}

int analysis_axis(const struct vnp_run *run, const struct vnp_analysis_opts *o, double *bin_s,
		  long *factor, int64_t *n_bins)
{
	const struct vnp_run_info *ri = vnp_run_info(run);
	char a[48], b[48];
	int err;

	if (vnp_run_nbins(run) <= 0)
		return vnp_fail(-ENODATA, "run '%s' has no bins to analyse", ri->name);
	if (o->bin_s > 0) {
		err = vnp_analysis_bin(ri->bin_s, o->bin_s, factor);
		if (err)
			return err;
		*bin_s = o->bin_s;
	} else if (!vnp_analysis_bin(ri->bin_s, VNP_ANALYSIS_BIN_S, factor)) {
		*bin_s = VNP_ANALYSIS_BIN_S;
	} else if (ri->bin_s > 0 && isfinite(ri->bin_s)) {
		/* runs binned coarser than the paper's 0.5 s keep their own bins */
		vnp_errmsg_clear();
		*factor = 1;
		*bin_s = ri->bin_s;
	} else {
		return vnp_fail(-EDOM, "run '%s' has no bin width; it cannot be analysed",
				ri->name);
	}
	*n_bins = vnp_run_nbins(run) / *factor;
	if (!*n_bins)
		return vnp_fail(-ENODATA,
				"run '%s' has %lld bin%s of %s, not one whole analysis "
				"bin of %s",
				ri->name, (long long)vnp_run_nbins(run),
				vnp_run_nbins(run) == 1 ? "" : "s", secs(a, sizeof(a), ri->bin_s),
				secs(b, sizeof(b), *bin_s));
	return 0;
}

unsigned char *usable_bins(const struct vnp_run *run)
{
	int64_t nb = vnp_run_nbins(run);
	unsigned char *ok = malloc((size_t)nb + 1);

	for (int64_t k = 0; ok && k < nb; k++)
		ok[k] = vnp_run_bin_present(run, k) &&
			!(vnp_run_bin_flags(run, k) & (VNP_BIN_PARTIAL | VNP_BIN_LATE));
	return ok;
}

int64_t rebin_ok(const struct vnp_run *run, size_t s, long factor, const unsigned char *ok,
		 double *out)
{
	const struct vnp_series_info *si = vnp_run_series(run, s);
	const double *v = vnp_run_values(run, s);
	int64_t nb = factor > 0 ? vnp_run_nbins(run) / factor : 0;

	if (!si || !v)
		return vnp_fail(-EINVAL, "no series %zu in run '%s'", s, vnp_run_info(run)->name);
	if (factor == 1) {
		for (int64_t k = 0; k < nb; k++)
			out[k] = ok[k] ? v[k] : NAN;
		return nb;
	}
	for (int64_t j = 0; j < nb; j++) {
		double sum = 0;
		long cnt = 0;

		for (int64_t k = j * factor; k < (j + 1) * factor; k++) {
			if (!ok[k] || isnan(v[k]))
				continue;
			sum += v[k];
			cnt++;
		}
		/* a counter's sum is only whole when every stored bin is there */
		if (si->kind == VNP_COUNTER)
			out[j] = cnt == factor ? sum : NAN;
		else
			out[j] = cnt ? sum / (double)cnt : NAN;
	}
	return nb;
}

int64_t vnp_rebin(const struct vnp_run *run, size_t s, long factor, double *out)
{
	unsigned char *ok = usable_bins(run);
	int64_t nb;

	if (!ok)
		return vnp_fail(-ENOMEM, "out of memory");
	nb = rebin_ok(run, s, factor, ok, out);
	free(ok);
	return nb;
}

/* how a series' values become bit/s: a factor per analysis bin, or 0 if they do not */
static double bits_per(const struct vnp_series_info *si)
{
	if (si->kind != VNP_COUNTER || !si->unit)
		return 0;
	if (!strcmp(si->unit, "bytes"))
		return 8;
	if (!strcmp(si->unit, "bits"))
		return 1;
	return 0;
}

int target_values(const struct vnp_run *run, size_t s, long factor, double bin_s, int64_t n_bins,
		  double **out, const char **unit)
{
	const struct vnp_series_info *si = vnp_run_series(run, s);
	double *v = malloc((size_t)(n_bins + 1) * sizeof(*v)), scale = bits_per(si);

	if (!v)
		return vnp_fail(-ENOMEM, "out of memory for %lld bins", (long long)n_bins);
	vnp_rebin(run, s, factor, v);
	if (scale) {
		for (int64_t k = 0; k < n_bins; k++)
			v[k] = v[k] * scale / bin_s;
		*unit = "bit/s";
	} else {
		*unit = si->unit ? si->unit : "";
	}
	*out = v;
	return 0;
}

/* the names of the target-role series, for messages */
static void list_targets(const struct vnp_run *run, char *buf, size_t size)
{
	size_t len = 0, shown = 0;

	buf[0] = '\0';
	for (size_t s = 0; s < vnp_run_nseries(run) && len < size; s++) {
		const struct vnp_series_info *si = vnp_run_series(run, s);

		if (si->role != VNP_TARGET)
			continue;
		if (shown++ == 4) {
			len += snprintf(buf + len, size - len, ", ...");
			break;
		}
		len += snprintf(buf + len, size - len, "%s%s", shown > 1 ? ", " : "", si->name);
	}
}

int vnp_find_target(const struct vnp_run *run, const char *sel, size_t *idx, size_t *ncand)
{
	const char *name = vnp_run_info(run)->name;
	size_t n = vnp_run_nseries(run), cand = 0, hits = 0, hit = 0;
	double best = -INFINITY;
	char list[512];
	int i;

	for (size_t s = 0; s < n; s++)
		cand += vnp_run_series(run, s)->role == VNP_TARGET;
	if (ncand)
		*ncand = cand;
	if (sel && *sel) {
		i = vnp_run_find_series(run, sel);
		if (i >= 0) {
			*idx = (size_t)i;
			return 0;
		}
		for (size_t s = 0; s < n; s++)
			if (strstr(vnp_run_series(run, s)->name, sel)) {
				if (!hits++)
					hit = s;
			}
		if (hits == 1) {
			*idx = hit;
			return 0;
		}
		if (hits > 1)
			return vnp_fail(-EINVAL,
					"'%s' matches %zu series of run '%s' (%s, ...); give "
					"the full name",
					sel, hits, name, vnp_run_series(run, hit)->name);
		list_targets(run, list, sizeof(list));
		return vnp_fail(-ENOENT,
				"run '%s' has no series '%s'%s%s; 'vnetprof show' lists "
				"them",
				name, sel, cand ? "; its targets: " : "", list);
	}
	if (!cand)
		return vnp_fail(-ENOENT,
				"run '%s' has no series with role target (throughput); "
				"choose one with --target SERIES",
				name);
	/* the largest total, in bits where the series counts bytes or bits */
	for (size_t s = 0; s < n; s++) {
		const struct vnp_series_info *si = vnp_run_series(run, s);
		const double *v = vnp_run_values(run, s);
		double scale = bits_per(si), tot = 0;

		if (si->role != VNP_TARGET)
			continue;
		for (int64_t k = 0; k < vnp_run_nbins(run); k++)
			if (isfinite(v[k]))
				tot += v[k];
		if (scale)
			tot *= scale;
		if (tot > best) {
			best = tot;
			*idx = s;
		}
	}
	return 0;
}
