/* fuzz_quality.c: libFuzzer target for the environmental arithmetic —
 * air/aqi.c (HJ 633) and water/gb3838.c (GB 3838-2002).
 *
 * Input layout (seeds in corpus/fuzz_quality/ follow it):
 *   byte 0   mode % 4 picks the part; the rest is the payload:
 *   mode 0   concentration text. Accepted text formats back to a text that
 *            parses to the same value; every item's IAQI, in both
 *            editions, is 0..500 when computed, with a category.
 *   mode 1   a sample: 2 bytes of presence bits, then 3-byte concentrations
 *            (thousandths, capped at each unit's maximum). In both editions
 *            and both reports the AQI is the largest counted IAQI, its
 *            category is the AQI's, and primary pollutants exist only
 *            above 50 and only among the items at the AQI.
 *   mode 2   water value text. Accepted text formats back to itself's
 *            value; every parameter classifies it (river and lake) to a
 *            class 0..6 or refuses it, and exceedance never crashes.
 *   mode 3   two samples of up to 12 (parameter byte, 4-byte value) items:
 *            the joint comparison is symmetric — the same parameters, the
 *            same difference and the same verdict either way round.
 * Any broken property traps.
 */
#include "air/aqi.h"
#include "water/gb3838.h"

#include <stdint.h>
#include <string.h>

#define REQUIRE(c)                                                                             \
    do {                                                                                       \
        if (!(c))                                                                              \
            __builtin_trap();                                                                  \
    } while (0)

#define TEXT_MAX 64
#define JOINT_ITEMS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void take(char *out, const uint8_t *p, size_t n)
{
    if (n > TEXT_MAX)
        n = TEXT_MAX;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void fuzz_conc_text(const uint8_t *p, size_t n)
{
    char text[TEXT_MAX + 1], buf[RCI_AIR_CONC_TEXT_MAX], why[128];
    take(text, p, n);
    rci_air_conc c, again;
    if (rci_air_conc_parse(text, &c, why, sizeof why) != 0) {
        REQUIRE(why[0] != '\0');
        return;
    }
    REQUIRE(rci_air_conc_format(c, buf, sizeof buf) > 0);
    REQUIRE(rci_air_conc_parse(buf, &again, why, sizeof why) == 0 && again == c);
    for (int ed = RCI_AQI_HJ633_2012; ed <= RCI_AQI_HJ633_2026; ed++) {
        for (int it = 0; it < RCI_AIR_ITEMS; it++) {
            rci_aqi_iaqi iq;
            if (rci_aqi_iaqi_of((rci_aqi_edition)ed, (rci_air_item)it, c, &iq, why,
                                sizeof why) != 0)
                continue;
            if (iq.status == RCI_AQI_OK) {
                REQUIRE(iq.iaqi >= 0 && iq.iaqi <= 500);
                REQUIRE(rci_aqi_category_of(iq.iaqi) != NULL);
            }
        }
    }
}

static void fuzz_sample(const uint8_t *p, size_t n)
{
    if (n < 2)
        return;
    rci_air_sample s;
    memset(&s, 0, sizeof s);
    uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8;
    p += 2;
    n -= 2;
    for (int it = 0; it < RCI_AIR_ITEMS && n >= 3; it++, p += 3, n -= 3) {
        if (!(bits & (1u << it)))
            continue;
        int64_t max = (it == RCI_AIR_CO_24H || it == RCI_AIR_CO_1H) ? RCI_AIR_MG_MAX
                                                                    : RCI_AIR_UG_MAX;
        int64_t v = (int64_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
        rci_air_sample_set(&s, (rci_air_item)it, v % (max * RCI_AIR_CONC_SCALE + 1));
    }
    char why[128], prim[48];
    for (int ed = RCI_AQI_HJ633_2012; ed <= RCI_AQI_HJ633_2026; ed++) {
        for (int rep = RCI_AQI_DAILY; rep <= RCI_AQI_HOURLY; rep++) {
            rci_aqi_result r;
            if (rci_aqi_compute((rci_aqi_edition)ed, (rci_aqi_report)rep, &s, &r, why,
                                sizeof why) != 0)
                continue;
            int max = -1;
            for (int it = 0; it < RCI_AIR_ITEMS; it++)
                if (r.item[it].status == RCI_AQI_OK && r.item[it].iaqi > max)
                    max = r.item[it].iaqi;
            REQUIRE(r.aqi == max);
            REQUIRE(r.aqi < 0 ? r.category == NULL : r.category == rci_aqi_category_of(r.aqi));
            REQUIRE(r.primary == 0 || r.aqi > 50);
            for (int it = 0; it < RCI_AIR_ITEMS; it++)
                if (r.primary & (1u << it))
                    REQUIRE(r.item[it].status == RCI_AQI_OK && r.item[it].iaqi == r.aqi);
            REQUIRE(rci_aqi_primary_text(&r, prim, sizeof prim) >= 0);
        }
    }
}

static void fuzz_water_text(const uint8_t *p, size_t n)
{
    char text[TEXT_MAX + 1], buf[TEXT_MAX], why[128];
    take(text, p, n);
    rci_wq_value v, again;
    if (rci_wq_value_parse(text, &v, why, sizeof why) != 0) {
        REQUIRE(why[0] != '\0');
        return;
    }
    REQUIRE(rci_wq_value_valid(v));
    REQUIRE(rci_wq_value_format(v, buf, sizeof buf) > 0);
    REQUIRE(rci_wq_value_parse(buf, &again, why, sizeof why) == 0 && again.nano == v.nano);
    for (size_t i = 0; rci_wq_param_at(i); i++) {
        const rci_wq_param *prm = rci_wq_param_at(i);
        for (int k = RCI_WQ_RIVER; k <= RCI_WQ_LAKE; k++) {
            rci_wq_class c;
            if (rci_wq_classify(prm, (rci_wq_kind)k, v, &c, why, sizeof why) == 0)
                REQUIRE(c >= RCI_WQ_CLASS_NONE && c <= RCI_WQ_CLASS_WORSE_V);
            int64_t x100;
            (void)rci_wq_exceedance(prm, (rci_wq_kind)k, RCI_WQ_CLASS_III, v, &x100, why,
                                    sizeof why);
        }
    }
}

/* Up to JOINT_ITEMS items from 5-byte records; repeated parameters are
 * dropped (the module refuses them, and that is not what this checks). */
static size_t take_items(const uint8_t **p, size_t *n, rci_wq_item *items, size_t nparams)
{
    size_t k = 0;
    size_t count = *n ? (size_t)(**p % (JOINT_ITEMS + 1)) : 0;
    if (*n) {
        (*p)++;
        (*n)--;
    }
    for (size_t i = 0; i < count && *n >= 5; i++, *p += 5, *n -= 5) {
        const rci_wq_param *prm = rci_wq_param_at((*p)[0] % nparams);
        int dup = 0;
        for (size_t j = 0; j < k; j++)
            dup |= strcmp(items[j].code, prm->code) == 0;
        if (dup)
            continue;
        uint32_t raw = (uint32_t)(*p)[1] | (uint32_t)(*p)[2] << 8 | (uint32_t)(*p)[3] << 16 |
                       (uint32_t)(*p)[4] << 24;
        items[k].code = prm->code;
        items[k].value.nano = (int64_t)raw * 1000;   /* 0 .. ~4295 in 1e-6 steps */
        k++;
    }
    return k;
}

static void fuzz_joint(const uint8_t *p, size_t n)
{
    size_t nparams = 0;
    while (rci_wq_param_at(nparams))
        nparams++;
    rci_wq_item a[JOINT_ITEMS], b[JOINT_ITEMS];
    size_t na = take_items(&p, &n, a, nparams);
    size_t nb = take_items(&p, &n, b, nparams);
    rci_wq_joint ab[RCI_WQ_PARAM_COUNT], ba[RCI_WQ_PARAM_COUNT];
    char why[128];
    int rab = rci_wq_joint_compare(a, na, b, nb, NULL, 0, ab, why, sizeof why);
    int rba = rci_wq_joint_compare(b, nb, a, na, NULL, 0, ba, why, sizeof why);
    REQUIRE(rab == rba);
    for (int i = 0; i < rab; i++) {
        REQUIRE(ab[i].param == ba[i].param);
        REQUIRE(ab[i].diff.nano == ba[i].diff.nano);
        REQUIRE(ab[i].within == ba[i].within);
        REQUIRE(ab[i].a.nano == ba[i].b.nano && ab[i].b.nano == ba[i].a.nano);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        fuzz_conc_text(data + 1, size - 1);
        break;
    case 1:
        fuzz_sample(data + 1, size - 1);
        break;
    case 2:
        fuzz_water_text(data + 1, size - 1);
        break;
    default:
        fuzz_joint(data + 1, size - 1);
        break;
    }
    return 0;
}
