// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the subcommands. */
#include "vnetprof-tool.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int usage_error(struct vnp_out *o, const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vnp_out_err(o, EXIT_USAGE, "%s: %s (see 'vnetprof %s --help')", cmd, msg, cmd);
}

int option_error(struct vnp_out *o, const char *cmd, int c, char **argv)
{
	return usage_error(o, cmd, c == ':' ? "'%s' needs a value" : "unknown option '%s'",
			   argv[optind - 1]);
}

int take_db(struct vnp_out *o, const char *cmd, int argc, char **argv, const char **db)
{
	if (optind < argc)
		*db = argv[optind++];
	if (optind < argc)
		return usage_error(o, cmd, "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

bool global_json;

bool wants_json(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int saved_opterr = opterr, c;
	bool json = global_json;

	if (!copy)
		return json;
	/* the command's own parse, on a copy: getopt_long permutes what it reads */
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	while ((c = getopt_long(argc, copy, shortopts, longopts, NULL)) != -1)
		if (c == 'j')
			json = true;
	opterr = saved_opterr;
	optind = 0; /* and again for the command's parse */
	free(copy);
	return json;
}

struct vnp_out *cmd_output(int argc, char **argv, const char *shortopts,
			   const struct option *longopts)
{
	return vnp_out_new(wants_json(argc, argv, shortopts, longopts) ? VNP_OUT_JSON : VNP_OUT_TEXT,
			   stdout);
}

const char *lib_err(int err)
{
	const char *m = vnp_errmsg();

	return *m ? m : strerror(err < 0 ? -err : err);
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

void print_labels(struct vnp_out *o, const struct vnp_run_info *ri)
{
	vnp_out_open_object(o, "labels");
	for (size_t l = 0; l < ri->nlabels; l++) {
		vnp_out_text(o, "%s", l ? "," : "");
		vnp_out_str(o, ri->labels[l].key, NULL, ri->labels[l].value);
		vnp_out_text(o, "%s=%s", ri->labels[l].key, ri->labels[l].value);
	}
	vnp_out_close_object(o);
}

int parse_label(struct vnp_run_info *info, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[128];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		return -EINVAL;
	memcpy(key, kv, eq - kv);
	key[eq - kv] = '\0';
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		      (p > key && *p >= '0' && *p <= '9')))
			return -EINVAL;
	return vnp_run_info_add_label(info, key, eq + 1);
}

/* a word the shell takes as it is: letters, digits and a few safe marks */
static bool shell_plain(const char *w)
{
	if (!*w)
		return false;
	for (const char *p = w; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("@%+=:,./_-", *p))
			return false;
	return true;
}

void command_line(int argc, char **argv, char *buf, size_t size)
{
	size_t n = 0;
	bool cut = false;

#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 4 >= size) {                                                               \
			cut = true;                                                                \
			goto done;                                                                 \
		}                                                                                  \
		buf[n++] = (c);                                                                    \
	} while (0)

	if (!size)
		return;
	for (const char *p = "vnetprof"; *p; p++)
		PUT(*p);
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];

		PUT(' ');
		if (shell_plain(w)) {
			for (const char *p = w; *p; p++)
				PUT(*p);
			continue;
		}
		/* single quotes keep everything but a single quote: '\'' for that */
		PUT('\'');
		for (const char *p = w; *p; p++) {
			if (*p == '\'') {
				PUT('\'');
				PUT('\\');
				PUT('\'');
			}
			PUT(*p);
		}
		PUT('\'');
	}
done:
#undef PUT
	if (cut) {
		size_t m = n < size - 4 ? n : size - 4;

		memcpy(buf + m, "...", 4);
	} else {
		buf[n] = '\0';
	}
}
