/* test_water_common.c: unit tests for the pure parts of services/water/ —
 * the canonical content that decides whether a re-pushed sample is
 * unchanged (common.c), reading it back, the SQL text builders (pgtext.c)
 * and the assessment of a stored sample as a message. Expected texts are
 * written out by hand. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "water/water_internal.h"

static rci_wq_item item(const char *code, const char *text)
{
    rci_wq_item it = {code, {-1}};
    CHECK(rci_wq_value_parse(text, &it.value, NULL, 0) == 0);
    return it;
}

static void test_content(void)
{
    /* Table order (ph 2, cod 5, nh3n 7, tp 8), shortest values, note last
     * even when it holds the separators. */
    rci_wq_item a[] = {item("tp", "0.30"), item("nh3n", "1.80"), item("ph", "7.0"),
                       item("cod", "015")};
    char *c = rci_water_content("2024-02-06", a, 4, "退潮|a=b;c");
    CHECK_STR(c, "2024-02-06|ph=7;cod=15;nh3n=1.8;tp=0.3|退潮|a=b;c");
    /* The same sample written otherwise is the same content. */
    rci_wq_item b[] = {item("cod", "15.000"), item("ph", "7"), item("tp", "0.3"),
                       item("nh3n", "1.8")};
    char *c2 = rci_water_content("2024-02-06", b, 4, "退潮|a=b;c");
    CHECK_STR(c2, c);
    /* Read back: items in table order, the note whole. */
    rci_water_sample s = {0};
    CHECK(rci_water_sample_parse(&s, c) == 0);
    CHECK_STR(s.sampled_on, "2024-02-06");
    CHECK_STR(s.note, "退潮|a=b;c");
    CHECK(s.n == 4);
    if (s.n == 4) {
        CHECK_STR(s.items[0].code, "ph");
        CHECK(s.items[0].value.nano == 7000000000);
        CHECK_STR(s.items[3].code, "tp");
        CHECK(s.items[3].value.nano == 300000000);
    }
    CHECK_STR(s.content, c); /* kept intact for comparisons */
    /* No parameters, empty note. */
    char *c3 = rci_water_content("2024-03-01", NULL, 0, "");
    CHECK_STR(c3, "2024-03-01||");
    CHECK(rci_water_sample_parse(&s, c3) == 0 && s.n == 0 && strcmp(s.note, "") == 0);
    /* Not canonical: refused. */
    CHECK(rci_water_sample_parse(&s, "2024-3-01|cod=1|") == -1);
    CHECK(rci_water_sample_parse(&s, "2024-03-01|cod=1") == -1);
    CHECK(rci_water_sample_parse(&s, "2024-03-01|nh4=1|") == -1);
    CHECK(rci_water_sample_parse(&s, "2024-03-01|cod=-1|") == -1);
    CHECK(rci_water_sample_parse(&s, "2024-03-01|cod|") == -1);
    rci_water_sample_free(&s);
    rci_water_sample_free(&s); /* twice is fine */
    free(c);
    free(c2);
    free(c3);
}

static void test_buf(void)
{
    rci_water_buf b = {0};
    rci_water_buf_elem(&b, "a\"b");
    rci_water_buf_elem(&b, "c\\d");
    rci_water_buf_elemf(&b, "%d", 42);
    char *s = rci_water_buf_array(&b);
    CHECK_STR(s, "{\"a\\\"b\",\"c\\\\d\",\"42\"}");
    free(s);
    rci_water_buf e = {0};
    s = rci_water_buf_array(&e);
    CHECK_STR(s, "{}");
    free(s);
    rci_water_buf j = {0};
    rci_water_buf_json(&j, "企坪 \"x\"\n\\");
    CHECK_STR(j.p, "\"企坪 \\\"x\\\"\\u000a\\\\\"");
    free(j.p);
}

static void test_assess(void)
{
    /* 企坪-like river section, target III; a sample NH3-N 1.5 (IV:
     * (1.5 − 1.0)/1.0 = 0.50) and DO 3 (IV, no multiple). */
    rci_water_section sec;
    memset(&sec, 0, sizeof sec);
    strcpy(sec.code, "smh-qp");
    strcpy(sec.monitor, "sz-eeb");
    sec.target = RCI_WQ_CLASS_III;
    sec.kind = RCI_WQ_RIVER;
    rci_water_sample s = {0};
    CHECK(rci_water_sample_parse(&s, "2021-04-10|do=3;nh3n=1.5|") == 0);
    strcpy(s.section, "smh-qp");
    strcpy(s.agency, "sz-eeb");
    strcpy(s.city, "440300");
    strcpy(s.month, "2021-04");
    s.id = 7;
    rci_water_arena a = {0};
    Rci__V1__SampleAssessment out;
    rci_wq_result res;
    CHECK(rci_water_assess(&a, &sec, &s, &out, &res) == 0);
    CHECK_STR(out.water_class, "IV");
    CHECK_STR(out.target_class, "III");
    CHECK(!out.meets_target && out.official && out.sample_id == 7);
    CHECK(out.n_params == 2 && out.n_deciding == 2);
    if (out.n_params == 2) {
        CHECK_STR(out.params[0]->parameter, "do");
        CHECK_STR(out.params[0]->exceedance_multiple, "");
        CHECK_STR(out.params[1]->exceedance_multiple, "0.50");
        CHECK_STR(out.params[1]->unit, "mg/L");
    }
    /* Joint: the other city's NH3-N 1.0 → 0.5/2.5 = 20 %, within. */
    rci_water_sample o = {0};
    CHECK(rci_water_sample_parse(&o, "2021-04-11|nh3n=1.0|") == 0);
    strcpy(o.city, "441900");
    strcpy(o.month, "2021-04");
    Rci__V1__JointComparison jc;
    CHECK(rci_water_compare(&a, &sec, &s, &o, &jc) == 0);
    CHECK(jc.n_params == 1 && !jc.discrepancy);
    if (jc.n_params == 1) {
        CHECK_STR(jc.params[0]->difference, "20");
        CHECK_STR(jc.params[0]->tolerance, "20");
        CHECK(jc.params[0]->within && jc.params[0]->relative);
    }
    rci_water_arena_free(&a);
    rci_water_sample_free(&s);
    rci_water_sample_free(&o);
}

int main(void)
{
    test_content();
    test_buf();
    test_assess();
    return check_done();
}
