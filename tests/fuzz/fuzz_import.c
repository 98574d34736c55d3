// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness of the text importers: the input is one file of the
 * format FUZZ_FORMAT (a vnp_import_format; VNP_IMPORT_AUTO also runs the
 * detection), imported into a run in memory. Any crash, sanitizer report or
 * leak is a bug: the importers must turn every input into a run or an error.
 * Built and run by tests/fuzz/run.sh.
 */
#include "vnetprof.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT VNP_IMPORT_AUTO
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Every bin is present and every value finite and >= 0 (NaN only in a
 * share series, for a bin without samples). A loop over every cell: it is
 * not the code under test, so it is built without coverage hooks, which
 * would otherwise cost more than the import (a comparison hook per cell).
 */
__attribute__((no_sanitize("coverage"))) static void check_run(const struct vnp_run *run)
{
	int64_t nbins = vnp_run_nbins(run);

	for (int64_t k = 0; k < nbins; k++)
		if (!vnp_run_bin_present(run, k))
			__builtin_trap();
	for (size_t s = 0; s < vnp_run_nseries(run); s++) {
		const double *v = vnp_run_values(run, s);
		bool share = vnp_run_series(run, s)->kind == VNP_SHARE;

		for (int64_t k = 0; k < nbins; k++)
			if (v[k] != v[k] ? !share : v[k] < 0 || v[k] - v[k] != 0)
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const by[] = { "task", "dev", "cpu", "parent" };
	struct vnp_import_opts o = { 0 };
	struct vnp_run_info ri = { .name = "fuzz" };
	enum vnp_import_format f = FUZZ_FORMAT;
	struct vnp_importer *im;
	struct vnp_run *run = NULL;

	vnp_set_print(NULL);
	/* the first byte picks the options, so that --by and odd bins are reached too */
	if (size) {
		o.by = by;
		o.nby = data[0] & 3;
		o.bin_s = (data[0] & 4) ? 0.001 : 0.1;
		o.offset_s = (data[0] & 8) ? -1.5 : 0;
	}
	if (f == VNP_IMPORT_AUTO && vnp_import_detect_mem(data, size, &f))
		return 0;
	if (f == VNP_IMPORT_CSV || f == VNP_IMPORT_TRACE_DAT)
		return 0; /* trace.dat: libtracecmd reads files; CSV: whole runs, not fuzzed here */
	im = vnp_importer_new(&o);
	if (!im)
		return 0;
	if (!vnp_importer_add_mem(im, "fuzz", data, size, f) &&
	    !vnp_importer_finish(im, &ri, &run))
		check_run(run);
	for (size_t i = 0; vnp_importer_warning(im, i); i++)
		if (!strlen(vnp_importer_warning(im, i)))
			__builtin_trap();
	vnp_run_free(run);
	vnp_importer_free(im);
	return 0;
}
