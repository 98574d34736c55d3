// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The long CSV form of vnetprof export (run,series,t_start,t_end,value).
 * It holds whole runs, not events to bin, so the importer only recognises
 * it; the runs are read by vnp_csv_read() (src/core/csv.c), which
 * vnetprof import calls for these files.
 */
#include "import-local.h"

#include <string.h>

static const char csv_header[] = "run,series,t_start,t_end,value";

int sniff_csv(const char *data, size_t len)
{
	return len >= sizeof(csv_header) - 1 && !memcmp(data, csv_header, sizeof(csv_header) - 1)
		       ? IMP_SNIFF_SURE
		       : 0;
}

int imp_csv(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	(void)im;
	(void)path;
	return vnp_fail(-EINVAL, "%s: the vnetprof CSV form holds whole runs; read it with "
			"vnp_csv_read()", lr->name);
}
