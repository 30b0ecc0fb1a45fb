/* test_pbcheck.c: UTF-8 validation and the string walk over protobuf bytes. */
#include <string.h>

#include "check.h"
#include "platform/pbcheck.h"
#include "rci/v1/registry.pb-c.h"

static int valid(const char *s, size_t n)
{
    return rci_utf8_valid((const uint8_t *)s, n);
}

static void test_utf8(void)
{
    CHECK(valid("", 0));
    CHECK(valid("szdghz", 6));
    CHECK(valid("深莞惠+汕尾、河源", strlen("深莞惠+汕尾、河源")));
    CHECK(valid("\xF0\x9F\x98\x88", 4));             /* U+1F608, 4 bytes */
    CHECK(valid("\xF4\x8F\xBF\xBF", 4));             /* U+10FFFF, the last */
    CHECK(valid("\xEF\xBF\xBF", 3));                 /* U+FFFF */
    CHECK(valid("\xC2\x80", 2));                     /* U+0080, smallest 2-byte */
    CHECK(!valid("\xC0\xAF", 2));                    /* overlong '/' */
    CHECK(!valid("\xC1\xBF", 2));                    /* overlong */
    CHECK(!valid("\xE0\x9F\xBF", 3));                /* overlong 3-byte */
    CHECK(!valid("\xF0\x8F\xBF\xBF", 4));            /* overlong 4-byte */
    CHECK(!valid("\xED\xA0\x80", 3));                /* surrogate U+D800 */
    CHECK(!valid("\xED\xBF\xBF", 3));                /* surrogate U+DFFF */
    CHECK(!valid("\xF4\x90\x80\x80", 4));            /* U+110000 */
    CHECK(!valid("\xF5\x80\x80\x80", 4));
    CHECK(!valid("\x80", 1));                        /* lone continuation */
    CHECK(!valid("\xE2\x98", 2));                    /* truncated ☺ */
    CHECK(!valid("\xE2\x98\x3A", 3));                /* bad continuation */
    CHECK(!valid("\xFF", 1));
}

/* Serialize a ListRegionsRequest whose circle has len raw bytes. */
static size_t request_with_circle(uint8_t *out, const char *circle, size_t len)
{
    size_t n = 0;
    out[n++] = 0x08; /* kind = CITY */
    out[n++] = 0x03;
    out[n++] = 0x12; /* field 2, length-delimited */
    out[n++] = (uint8_t)len;
    memcpy(out + n, circle, len);
    return n + len;
}

static void test_request(void)
{
    const ProtobufCMessageDescriptor *d = &rci__v1__list_regions_request__descriptor;
    uint8_t buf[64];
    char why[256];
    size_t n = request_with_circle(buf, "szdghz", 6);
    CHECK(rci_pb_check_strings(d, buf, n, why, sizeof why) == 0);
    n = request_with_circle(buf, "szdghz\0x", 8);
    CHECK(rci_pb_check_strings(d, buf, n, why, sizeof why) == 1);
    CHECK_STR(why, "circle: string contains a NUL character");
    n = request_with_circle(buf, "\xE2\x98", 2);
    CHECK(rci_pb_check_strings(d, buf, n, why, sizeof why) == 1);
    CHECK_STR(why, "circle: string is not valid UTF-8");
    /* Malformed bytes are left to unpack: a length past the end, a group. */
    n = request_with_circle(buf, "ab", 2);
    buf[3] = 40;
    CHECK(rci_pb_check_strings(d, buf, n, why, sizeof why) == -1);
    const uint8_t group[] = {0x0B, 0x0C};
    CHECK(rci_pb_check_strings(d, group, sizeof group, why, sizeof why) == -1);
    const uint8_t truncated_varint[] = {0x08, 0x80};
    CHECK(rci_pb_check_strings(d, truncated_varint, 2, why, sizeof why) == -1);
    /* Unknown fields (forward compatibility) are skipped, even bad bytes. */
    const uint8_t unknown[] = {0x7A, 0x02, 0xFF, 0x00, 0x78, 0x01};
    CHECK(rci_pb_check_strings(d, unknown, sizeof unknown, why, sizeof why) == 0);
    CHECK(rci_pb_check_strings(d, buf, 0, why, sizeof why) == 0);
}

/* Nested: a ListRegionsResponse whose second region has a bad name_en. */
static void test_nested(void)
{
    Rci__V1__Region a = RCI__V1__REGION__INIT, b = RCI__V1__REGION__INIT;
    a.code = "440300";
    a.name_en = "Shenzhen";
    b.code = "441300";
    b.name_en = "Hui\x01zhou";
    Rci__V1__Region *list[] = {&a, &b};
    Rci__V1__ListRegionsResponse resp = RCI__V1__LIST_REGIONS_RESPONSE__INIT;
    resp.n_regions = 2;
    resp.regions = list;
    uint8_t buf[256];
    size_t n = rci__v1__list_regions_response__pack(&resp, buf);
    /* Patch the 0x01 into a NUL, which protobuf-c would have cut. */
    uint8_t *hit = memchr(buf, 0x01, n);
    CHECK(hit != NULL);
    if (hit)
        *hit = 0;
    char why[256];
    CHECK(rci_pb_check_strings(&rci__v1__list_regions_response__descriptor, buf, n, why,
                               sizeof why) == 1);
    CHECK_STR(why, "regions.name_en: string contains a NUL character");
}

int main(void)
{
    test_utf8();
    test_request();
    test_nested();
    return check_done();
}
