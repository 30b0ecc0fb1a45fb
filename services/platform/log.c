/* log.c: rcid's log lines (see log.h).
 *
 * Format: "2026-11-23T11:14:52.123+08:00 INFO  message". Times are shown in
 * China Standard Time whatever the machine's TZ (DESIGN §6: UTC+8, no
 * daylight saving), so logs from every instance line up with the periods
 * and deadlines they talk about. */
#include "platform/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RCI_LOG_LINE_MAX 2048
#define CST_OFFSET_SEC (8 * 3600)

static atomic_int log_level = RCI_LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void rci_log_set_level(rci_log_level level)
{
    atomic_store(&log_level, (int)level);
}

int rci_log_set_level_name(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            rci_log_set_level((rci_log_level)i);
            return 0;
        }
    }
    return -1;
}

/* Format the current instant as ISO 8601 in +08:00 into out (>= 32 bytes). */
static void log_timestamp(char *out, size_t outlen)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t cst = ts.tv_sec + CST_OFFSET_SEC;
    gmtime_r(&cst, &tm);
    size_t n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, outlen - n, ".%03d+08:00", (int)(ts.tv_nsec / 1000000));
}

void rci_log(rci_log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level))
        return;
    char line[RCI_LOG_LINE_MAX];
    char stamp[48];
    log_timestamp(stamp, sizeof stamp);
    int n = snprintf(line, sizeof line, "%s %-5s ", stamp, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: keep room for the newline */
    line[len++] = '\n';
    /* One write(2) per line keeps lines from different threads whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
