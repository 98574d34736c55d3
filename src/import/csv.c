// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The long CSV form of vnetprof export (run,series,t_start,t_end,value).
 * It holds whole runs, not events to bin: they are read by the CSV reader
 * of src/core/csv.c and kept as they are (vnp_importer_take_runs()).
 */
#include "import-local.h"

#include <stdlib.h>
#include <string.h>

#define CSV_MAX_SIZE (4ull << 30)

static const char csv_header[] = "run,series,t_start,t_end,value";

int sniff_csv(const char *data, size_t len)
{
	return len >= sizeof(csv_header) - 1 && !memcmp(data, csv_header, sizeof(csv_header) - 1)
		       ? IMP_SNIFF_SURE
		       : 0;
}

int imp_csv(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	struct vnp_run **runs = NULL;
	size_t len, n = 0;
	char *text = NULL;
	int err;

	(void)path;
	err = lr_read_all(lr, &text, &len, CSV_MAX_SIZE);
	if (!err && lr->truncated)
		err = vnp_fail(-EINVAL, "%s: the gzip data ends early (the file was cut)",
			       lr->name);
	if (!err)
		err = vnp_csv_read_mem(lr->name, text, len, &runs, &n);
	free(text);
	return err ? err : imp_add_runs(im, lr->name, runs, n);
}
