/* fuzz_gb3838.c: libFuzzer target for water/gb3838.c, the GB 3838-2002
 * classes that PushSamples applies to every value an agency sends.
 *
 * Input layout (seeds in corpus/fuzz_gb3838/ follow it):
 *   byte 0   mode % 2; (mode / 2) % 5 picks a target class I..V and
 *            (mode / 10) % 2 the water kind (river, lake)
 *   mode 0   one value's text. A text that parses formats to a canonical
 *            text that parses to the same value and formats to itself; for
 *            every parameter the value is accepted or refused with a
 *            reason, and an accepted value's class, over-target flag and
 *            exceedance multiple agree with each other.
 *   mode 1   two samples "code=value" per line, separated by a blank line.
 *            Evaluation: the class is the worst assessed class, meets
 *            agrees with it, deciding items have the class. Joint
 *            comparison: symmetric, relative differences at most 1 (100 %),
 *            and "within" agrees with the rounded difference.
 * Any broken property traps.
 */
#include "water/gb3838.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                             \
    do {                                                                                       \
        if (!(c))                                                                              \
            __builtin_trap();                                                                  \
    } while (0)

#define FUZZ_TEXT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_value(rci_wq_kind kind, rci_wq_class target, const char *text)
{
    char why[128], buf[RCI_WQ_VALUE_TEXT_MAX], buf2[RCI_WQ_VALUE_TEXT_MAX];
    rci_wq_value v, v2;
    memset(why, 'x', sizeof why);
    if (rci_wq_value_parse(text, &v, why, sizeof why) != 0) {
        REQUIRE(memchr(why, '\0', sizeof why) != NULL && why[0] != '\0');
        return;
    }
    REQUIRE(rci_wq_value_valid(v));
    int n = rci_wq_value_format(v, buf, sizeof buf);
    REQUIRE(n > 0 && (size_t)n == strlen(buf));
    REQUIRE(rci_wq_value_parse(buf, &v2, why, sizeof why) == 0 && v2.nano == v.nano);
    REQUIRE(rci_wq_value_format(v2, buf2, sizeof buf2) == n && strcmp(buf, buf2) == 0);
    for (size_t i = 0; i < RCI_WQ_PARAM_COUNT; i++) {
        const rci_wq_param *p = rci_wq_param_at(i);
        if (rci_wq_value_check(p, v, why, sizeof why) != 0)
            continue;
        rci_wq_class c;
        int r = rci_wq_classify(p, kind, v, &c, why, sizeof why);
        if (p->dir == RCI_WQ_DIR_NONE) {
            REQUIRE(r == -1);
            continue;
        }
        REQUIRE(r == 0 && c >= RCI_WQ_CLASS_I && c <= RCI_WQ_CLASS_WORSE_V);
        int64_t x100 = -1;
        int e = rci_wq_exceedance(p, kind, target, v, &x100, why, sizeof why);
        REQUIRE(e == 0 || e == 1);
        if (e == 1)
            REQUIRE(p->multiple && c > target && x100 >= 0);
        else
            REQUIRE(!p->multiple || c <= target);
    }
}

/* Parse "code=value\n…" into items; codes point into text. */
static size_t parse_items(char *text, rci_wq_item *items, size_t max)
{
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (rci_wq_value_parse(eq + 1, &items[n].value, NULL, 0) != 0)
            continue;
        items[n++].code = line;
    }
    return n;
}

static void fuzz_samples(rci_wq_kind kind, rci_wq_class target, char *text)
{
    rci_wq_item a[32], b[32];
    char *sep = strstr(text, "\n\n");
    char *second = sep ? sep + 2 : (char *)"";
    if (sep)
        *sep = '\0';
    char *tb = strdup(second);
    if (!tb)
        return;
    size_t na = parse_items(text, a, 32), nb = parse_items(tb, b, 32);
    rci_wq_factor f[32];
    rci_wq_result res;
    char why[160];
    if (rci_wq_evaluate(kind, target, a, na, f, &res, why, sizeof why) == 0) {
        rci_wq_class worst = RCI_WQ_CLASS_NONE;
        size_t deciding = 0;
        for (size_t i = 0; i < na; i++)
            if (f[i].assessed && f[i].cls > worst)
                worst = f[i].cls;
        for (size_t i = 0; i < na; i++) {
            REQUIRE(f[i].deciding == (f[i].assessed && f[i].cls == worst && worst != 0));
            deciding += (size_t)f[i].deciding;
            REQUIRE(!f[i].has_multiple || f[i].over_target);
        }
        REQUIRE(res.cls == worst && res.deciding == deciding);
        REQUIRE(res.meets == (worst != RCI_WQ_CLASS_NONE && worst <= target));
    }
    rci_wq_joint j1[RCI_WQ_PARAM_COUNT], j2[RCI_WQ_PARAM_COUNT];
    int n1 = rci_wq_joint_compare(a, na, b, nb, NULL, 0, j1, why, sizeof why);
    int n2 = rci_wq_joint_compare(b, nb, a, na, NULL, 0, j2, why, sizeof why);
    REQUIRE((n1 < 0) == (n2 < 0));
    if (n1 >= 0) {
        REQUIRE(n1 == n2);
        for (int i = 0; i < n1; i++) {
            REQUIRE(j1[i].param == j2[i].param && j1[i].diff.nano == j2[i].diff.nano);
            REQUIRE(j1[i].within == j2[i].within);
            REQUIRE(j1[i].a.nano == j2[i].b.nano);
            if (j1[i].relative)
                REQUIRE(j1[i].diff.nano >= 0 && j1[i].diff.nano <= RCI_WQ_SCALE);
            if (j1[i].within)
                REQUIRE(j1[i].diff.nano <= j1[i].tol.nano);
            else
                REQUIRE(j1[i].diff.nano >= j1[i].tol.nano);
        }
    }
    free(tb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0];
    rci_wq_class target = (rci_wq_class)(RCI_WQ_CLASS_I + (mode / 2) % 5);
    rci_wq_kind kind = (mode / 10) % 2 ? RCI_WQ_LAKE : RCI_WQ_RIVER;
    size_t n = size - 1 > FUZZ_TEXT_MAX ? FUZZ_TEXT_MAX : size - 1;
    char *text = malloc(n + 1);
    if (!text)
        return 0;
    memcpy(text, data + 1, n);
    text[n] = '\0';
    if (mode % 2 == 0)
        fuzz_value(kind, target, text);
    else
        fuzz_samples(kind, target, text);
    free(text);
    return 0;
}
