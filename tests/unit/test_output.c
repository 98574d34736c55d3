// SPDX-License-Identifier: GPL-2.0-or-later
/* The output layer: one call, text or JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output/output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *render(enum vnp_out_mode mode, void (*fn)(struct vnp_out *))
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);
	struct vnp_out *o = vnp_out_new(mode, fp);

	fn(o);
	vnp_out_free(o);
	fclose(fp);
	return buf;
}

static void sample(struct vnp_out *o)
{
	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "name", "name %s", "a\"b\\c\n\x01");
	vnp_out_int(o, "n", " n=%lld", 42);
	vnp_out_double(o, "r", " r=%6.2f|", NAN);
	vnp_out_double(o, "x", " x=%-6.2f|", 0.5);
	vnp_out_bool(o, "ok", " ok=%s", true);
	vnp_out_double(o, NULL, " (%.0f%%)", 50.0); /* text only */
	vnp_out_open_array(o, "list");
	vnp_out_int(o, NULL, " %lld", 1);
	vnp_out_int(o, NULL, " %lld", 2);
	vnp_out_close_array(o);
	vnp_out_open_object(o, "empty");
	vnp_out_close_object(o);
	vnp_out_nl(o);
	vnp_out_close_object(o);
}

static void test_json(void **state)
{
	char *s = render(VNP_OUT_JSON, sample);

	(void)state;
	assert_string_equal(s, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,\"r\":null,\"x\":0.5,"
			       "\"ok\":true,\"list\":[1,2],\"empty\":{}}\n");
	free(s);
}

static void test_text(void **state)
{
	char *s = render(VNP_OUT_TEXT, sample);

	(void)state;
	assert_string_equal(s, "name a\"b\\c\n\x01 n=42 r=     -| x=0.50  | ok=yes (50%) 1 2\n");
	free(s);
}

static void err_first(struct vnp_out *o)
{
	vnp_out_err(o, 1, "bad %s", "thing");
}

static void test_error_json(void **state)
{
	char *s = render(VNP_OUT_JSON, err_first);

	(void)state;
	assert_string_equal(s, "{\"error\":\"bad thing\"}\n");
	free(s);
}

/* an error after output began stays in the JSON stream, never on stderr */
static void err_in_object(struct vnp_out *o)
{
	vnp_out_open_object(o, NULL);
	vnp_out_int(o, "bins", NULL, 3);
	vnp_out_err(o, 1, "late");
}

static void err_in_array(struct vnp_out *o)
{
	vnp_out_open_array(o, NULL);
	vnp_out_int(o, NULL, NULL, 1);
	vnp_out_err(o, 1, "late");
}

static void err_after_value(struct vnp_out *o)
{
	vnp_out_open_object(o, NULL);
	vnp_out_int(o, "bins", NULL, 3);
	vnp_out_close_object(o);
	vnp_out_err(o, 1, "late");
}

static void test_error_json_late(void **state)
{
	char *s = render(VNP_OUT_JSON, err_in_object);

	(void)state;
	assert_string_equal(s, "{\"bins\":3,\"error\":\"late\"}\n");
	free(s);
	s = render(VNP_OUT_JSON, err_in_array);
	assert_string_equal(s, "[1,{\"error\":\"late\"}]\n");
	free(s);
	s = render(VNP_OUT_JSON, err_after_value);
	assert_string_equal(s, "{\"bins\":3}\n{\"error\":\"late\"}\n");
	free(s);
}

/* one SI scale: the prefix of the largest power of 1000 not above |big| */
static void test_si(void **state)
{
	static const struct {
		double big, div;
		const char *prefix;
	} c[] = { { 0, 1, "" },	      { 999.9, 1, "" },	  { 1000, 1e3, "k" }, { -2e6, 1e6, "M" },
		  { 9.93e9, 1e9, "G" }, { 1e12, 1e12, "T" }, { 3e15, 1e12, "T" } };
	const char *p;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_true(vnp_out_si(c[i].big, &p) == c[i].div);
		assert_string_equal(p, c[i].prefix);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_si),
		cmocka_unit_test(test_error_json_late),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
