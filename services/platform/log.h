/* log.h: rcid's log lines — one line per event on stderr, with the time in
 * China Standard Time (+08:00, DESIGN §6), the level and the thread's loop.
 * Thread-safe: each line is written with one write(2). */
#ifndef RCI_LOG_H
#define RCI_LOG_H

typedef enum { RCI_LOG_DEBUG = 0, RCI_LOG_INFO, RCI_LOG_WARN, RCI_LOG_ERROR } rci_log_level;

/* Lines below level are dropped. Returns -1 for an unknown name. */
int rci_log_set_level_name(const char *name);
void rci_log_set_level(rci_log_level level);

void rci_log(rci_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rci_log_debug(...) rci_log(RCI_LOG_DEBUG, __VA_ARGS__)
#define rci_log_info(...) rci_log(RCI_LOG_INFO, __VA_ARGS__)
#define rci_log_warn(...) rci_log(RCI_LOG_WARN, __VA_ARGS__)
#define rci_log_error(...) rci_log(RCI_LOG_ERROR, __VA_ARGS__)

#endif
