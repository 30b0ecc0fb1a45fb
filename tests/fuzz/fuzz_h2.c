/* fuzz_h2.c: libFuzzer target for the request path — arbitrary bytes after
 * the HTTP/2 client preface, fed through a real connection (conn.c) into
 * the nghttp2 server session, the calls (call.c: headers, routing,
 * deadlines, framing, gunzip, protobuf decoding) and the handlers of every
 * registered service.
 *
 * The database is unreachable on purpose (a socket path that does not
 * exist), so handlers that query answer UNAVAILABLE; everything before that
 * is the code under test. Each input gets a fresh socketpair connection on
 * one event loop driven here, and must leave no connection behind.
 */
#include <event2/event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/conn.h"
#include "platform/desc.h"
#include "platform/embedded.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "registry/registry.h"
#include "std/std.h"

#define FUZZ_MAX_INPUT (48 * 1024) /* fits the socket buffer in one write */

static rci_config cfg;
static rci_loop *loop;

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void fuzz_init(void)
{
    char err[512];
    char *argv[] = {"fuzz_h2", "--threads", "1", "--log-level", "error", NULL};
    if (rci_config_parse(&cfg, 5, argv, err, sizeof err) != RCI_CONFIG_OK)
        abort();
    rci_log_set_level(RCI_LOG_ERROR);
    const rci_embedded_file *set = &rci_embedded_descriptors[0];
    if (rci_desc_load(set->data, set->len, err, sizeof err) != 0 ||
        rci_health_init(err, sizeof err) != 0 || rci_reflection_init(err, sizeof err) != 0 ||
        rci_registry_init(err, sizeof err) != 0)
        abort();
    rci_loop **loops = rci_loops_new(1, &cfg, "host=/nonexistent/rci-fuzz connect_timeout=1",
                                     NULL, err, sizeof err);
    if (!loops)
        abort();
    loop = loops[0];
}

/* Run the loop until the connection is gone or nothing more happens. */
static void fuzz_drive(int peer)
{
    char sink[16384];
    for (int i = 0; i < 64 && loop->nconns > 0; i++) {
        event_base_loop(loop->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
        while (read(peer, sink, sizeof sink) > 0)
            ;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loop)
        fuzz_init();
    if (size > FUZZ_MAX_INPUT)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 0;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    rci_conn_accept(loop, sv[0], "fuzz");
    if (write(sv[1], preface, sizeof preface - 1) < 0 || write(sv[1], data, size) < 0) {
        /* the socket buffer is large enough; nothing to do if not */
    }
    shutdown(sv[1], SHUT_WR);
    fuzz_drive(sv[1]);
    /* Whatever is still open (a stream waiting on a timer) is closed now. */
    for (rci_conn *c = loop->conns; c; c = c->next)
        rci_conn_close(c);
    fuzz_drive(sv[1]);
    close(sv[1]);
    return 0;
}
