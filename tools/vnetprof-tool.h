/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the subcommands of the vnetprof program. */
#ifndef VNETPROF_TOOL_H
#define VNETPROF_TOOL_H

#include "output/output.h"
#include "vnetprof.h"

#include <getopt.h>
#include <stdbool.h>

#define DEFAULT_DB "vnetprof.db"

/* exit statuses (docs/STYLE.md §12) */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

int cmd_record(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_testbed(int argc, char **argv);
int cmd_experiment(int argc, char **argv);

/*
 * usage_error() - a usage error in the command's output format: one line,
 * a pointer to --help, exit status 2.
 */
int usage_error(struct vnp_out *o, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --json given before the command: vnetprof --json COMMAND ... */
extern bool global_json;
/*
 * wants_json() - is --json among the command's options? Parsed as the command
 * parses them (@shortopts, @longopts), on a copy of argv, before its real
 * parse, so that even an option error comes out as JSON; an argument of an
 * option or of a COMMAND after the options ("record -- sh -c true -j") is
 * not --json.
 */
bool wants_json(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* the command's output on stdout: JSON if wants_json(), else text */
struct vnp_out *cmd_output(int argc, char **argv, const char *shortopts,
			   const struct option *longopts);

/* the message for a failed library call: vnp_errmsg() or strerror */
const char *lib_err(int err);
/* getopt's ':' (an option without its value) or '?' (unknown), as a usage error */
int option_error(struct vnp_out *o, const char *cmd, int c, char **argv);
/* the optional DB argument and nothing after it: EXIT_OK or a usage error */
int take_db(struct vnp_out *o, const char *cmd, int argc, char **argv, const char **db);

/*
 * command_line() - the whole command that started this run, as a shell would
 * take it back: "vnetprof SUBCOMMAND ARGS..." from a subcommand's argv
 * (argv[0] is the subcommand), each word quoted where the shell needs it.
 * Truncated with "..." if it does not fit @size.
 */
void command_line(int argc, char **argv, char *buf, size_t size);

/* print help text; @text holds USAGE and EXAMPLES */
int print_help(const char *text);

/* a run's labels: a JSON object, or k=v,k=v in text */
void print_labels(struct vnp_out *o, const struct vnp_run_info *ri);

/* parse K=V into @info's labels; returns 0 or -EINVAL */
int parse_label(struct vnp_run_info *info, const char *kv);

#endif
