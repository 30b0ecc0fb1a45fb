/* alerts.c: the alerts a written sample raises (migrations/0011_alerts.sql
 * kinds), as columns for rci_water_write, which raises them last in its
 * transaction:
 *   water.off_target         the sample misses its section's target class
 *                            (critical when 劣V, else warning): the failing
 *                            items with their classes and multiples
 *   water.joint_discrepancy  the monitor's and the other city's samples of
 *                            the month differ beyond tolerance (warning)
 * Both go to every city of the section (upstream, downstream or border). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "water/water_internal.h"

static void cities_csv(const rci_water_section *sec, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sec->ncities && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", sec->cities[i]);
}

/* water.off_target: the sample misses its section's target. */
void rci_water_alert_off_target(rci_water_alerts *al, const rci_water_section *sec,
                                const rci_water_sample *s, int widx)
{
    rci_wq_factor f[RCI_WQ_PARAM_COUNT];
    rci_wq_result res;
    if (rci_wq_evaluate(sec->kind, sec->target, s->items, s->n, f, &res, NULL, 0) != 0)
        return;
    char cities[80], over[400] = "";
    size_t used = 0;
    rci_water_buf det = {0};
    cities_csv(sec, cities, sizeof cities);
    int official = strcmp(s->agency, sec->monitor) == 0;
    rci_water_buf_printf(&det, "{\"section\": ");
    rci_water_buf_json(&det, sec->code);
    rci_water_buf_printf(&det, ", \"month\": \"%s\", \"sampled_on\": \"%s\", \"agency\": ",
                         s->month, s->sampled_on);
    rci_water_buf_json(&det, s->agency);
    rci_water_buf_printf(&det,
                         ", \"city\": \"%s\", \"water_class\": \"%s\", \"target_class\": \"%s\", "
                         "\"target_is_demo\": %s, \"official\": %s, \"over\": [",
                         s->city, rci_wq_class_name(res.cls), rci_wq_class_name(sec->target),
                         sec->target_is_demo ? "true" : "false", official ? "true" : "false");
    int k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!f[i].assessed || !f[i].over_target)
            continue;
        char v[RCI_WQ_VALUE_TEXT_MAX], m[32] = "";
        rci_wq_value_format(f[i].value, v, sizeof v);
        if (f[i].has_multiple)
            rci_water_x100_text(f[i].multiple_x100, m, sizeof m);
        rci_water_buf_printf(&det,
                             "%s{\"parameter\": \"%s\", \"value\": \"%s\", \"class\": \"%s\", "
                             "\"multiple\": \"%s\"}",
                             k++ ? ", " : "", f[i].param->code, v, rci_wq_class_name(f[i].cls), m);
        if (used < sizeof over)
            used += (size_t)snprintf(over + used, sizeof over - used, "%s%s %s (%s%s%s)",
                                     used ? ", " : "", f[i].param->code, v,
                                     rci_wq_class_name(f[i].cls), m[0] ? ", ×" : "", m);
    }
    rci_water_buf_printf(&det, "]}");
    if (det.err) {
        free(det.p);
        al->kind.err = 1;
        return;
    }
    char msg[900];
    snprintf(msg, sizeof msg, "%s %s (%s): class %s misses target %s%s; over target: %s; "
                              "sample of %s (%s)",
             s->month, sec->name_zh, sec->code, rci_wq_class_name(res.cls),
             rci_wq_class_name(sec->target), sec->target_is_demo ? " (demo target)" : "", over,
             s->agency, official ? "official" : "joint check");
    rci_water_buf_elem(&al->kind, "water.off_target");
    rci_water_buf_elem(&al->sev, res.cls == RCI_WQ_CLASS_WORSE_V ? "critical" : "warning");
    rci_water_buf_elem(&al->cities, cities);
    rci_water_buf_elem(&al->subject, sec->code);
    rci_water_buf_elem(&al->message, msg);
    rci_water_buf_elem(&al->detail, det.p);
    rci_water_buf_elemf(&al->idx, "%d", widx);
    al->n++;
    free(det.p);
}

/* water.joint_discrepancy: the monitor's sample a and another city's b of
 * the month differ beyond tolerance. idx: the written sample among them. */
void rci_water_alert_joint(rci_water_alerts *al, const rci_water_section *sec,
                           const rci_water_sample *a, const rci_water_sample *b, int idx)
{
    rci_water_arena ar = {0};
    Rci__V1__JointComparison jc;
    if (rci_water_compare(&ar, sec, a, b, &jc) != 0 || !jc.discrepancy) {
        rci_water_arena_free(&ar);
        return;
    }
    char cities[80], beyond[400] = "";
    size_t used = 0;
    rci_water_buf det = {0};
    cities_csv(sec, cities, sizeof cities);
    rci_water_buf_printf(&det, "{\"section\": ");
    rci_water_buf_json(&det, sec->code);
    rci_water_buf_printf(&det, ", \"month\": \"%s\", \"agency_a\": ", a->month);
    rci_water_buf_json(&det, a->agency);
    rci_water_buf_printf(&det, ", \"city_a\": \"%s\", \"agency_b\": ", a->city);
    rci_water_buf_json(&det, b->agency);
    rci_water_buf_printf(&det, ", \"city_b\": \"%s\", \"other_sample_id\": %lld, \"params\": [",
                         b->city, a->id ? a->id : b->id);
    int k = 0;
    for (size_t i = 0; i < jc.n_params; i++) {
        const Rci__V1__ParamComparison *pc = jc.params[i];
        if (pc->within)
            continue;
        rci_water_buf_printf(&det,
                             "%s{\"parameter\": \"%s\", \"a\": \"%s\", \"b\": \"%s\", "
                             "\"difference\": \"%s\", \"tolerance\": \"%s\", \"relative\": %s}",
                             k++ ? ", " : "", pc->parameter, pc->value_a, pc->value_b,
                             pc->difference, pc->tolerance, pc->relative ? "true" : "false");
        if (used < sizeof beyond)
            used += (size_t)snprintf(beyond + used, sizeof beyond - used,
                                     "%s%s %s vs %s (%s%s > %s%s)", used ? ", " : "",
                                     pc->parameter, pc->value_a, pc->value_b, pc->difference,
                                     pc->relative ? " %" : "", pc->tolerance,
                                     pc->relative ? " %" : "");
    }
    rci_water_buf_printf(&det, "]}");
    if (!det.err) {
        char msg[1024];   /* room for the longest: never cut inside a UTF-8 name */
        snprintf(msg, sizeof msg, "%s %s (%s): joint samples of %s (%s) and %s (%s) differ "
                                  "beyond tolerance: %s",
                 a->month, sec->name_zh, sec->code, a->agency, a->city, b->agency, b->city,
                 beyond);
        rci_water_buf_elem(&al->kind, "water.joint_discrepancy");
        rci_water_buf_elem(&al->sev, "warning");
        rci_water_buf_elem(&al->cities, cities);
        rci_water_buf_elem(&al->subject, sec->code);
        rci_water_buf_elem(&al->message, msg);
        rci_water_buf_elem(&al->detail, det.p);
        rci_water_buf_elemf(&al->idx, "%d", idx);
        al->n++;
    } else {
        al->kind.err = 1;
    }
    free(det.p);
    rci_water_arena_free(&ar);
}
