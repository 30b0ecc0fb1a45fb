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
 *
 * The connection stays open while the input is processed, so responses,
 * deadlines that are over on arrival ("1n") or pass while the request is
 * read ("5u"), and a health change reach live streams. (Deadline timers of
 * a millisecond or more do not fire within one input: libevent's clock is
 * coarse.) The server's send buffer is tiny, so large answers (e.g.
 * reflection) hit the 64 KiB back-pressure limit and resume from the write
 * callback. How the connection ends depends on the input length, so every
 * input explores all three: the client just goes away (EOF); a graceful
 * shutdown (notice, long-lived streams ended, GOAWAY) after the input; or
 * a shutdown begun half-way through it, so streams arrive while draining.
 */
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/conn.h"
#include "platform/desc.h"
#include "platform/embedded.h"
#include "platform/health.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "registry/registry.h"
#include "std/std.h"

#define FUZZ_MAX_INPUT (48 * 1024) /* fits the socket buffer in one write */
#define FUZZ_MAX_PASSES 64         /* event-loop passes per phase */

static rci_config cfg;
static rci_loop **loops;           /* kept: LeakSanitizer checks at exit */
static rci_loop *loop;
static int db_up;                  /* toggled per input: Watch streams see a change */

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void fuzz_init(void)
{
    char err[512];
    signal(SIGPIPE, SIG_IGN); /* as rcid does: the client may be gone when we write */
    char *argv[] = {"fuzz_h2", "--threads", "1", "--log-level", "error", NULL};
    if (rci_config_parse(&cfg, 5, argv, err, sizeof err) != RCI_CONFIG_OK)
        abort();
    rci_log_set_level(RCI_LOG_ERROR);
    const rci_embedded_file *set = &rci_embedded_descriptors[0];
    if (rci_desc_load(set->data, set->len, err, sizeof err) != 0 ||
        rci_health_init(err, sizeof err) != 0 || rci_reflection_init(err, sizeof err) != 0 ||
        rci_registry_init(err, sizeof err) != 0)
        abort();
    loops = rci_loops_new(1, &cfg, "host=/nonexistent/rci-fuzz connect_timeout=1", NULL, err,
                          sizeof err);
    if (!loops)
        abort();
    loop = loops[0];
    rci_health_init_loops(loops, 1);
}

/* Bytes the server has not read yet. */
static int server_pending(int server)
{
    int n = 0;
    return ioctl(server, FIONREAD, &n) == 0 ? n : 0;
}

/* Run the loop while something happens (the server reads, answers, or
 * closes), at most FUZZ_MAX_PASSES passes; the client side reads all. */
static void fuzz_drive(int server, int peer)
{
    char sink[16384];
    int quiet = 0;
    for (int i = 0; i < FUZZ_MAX_PASSES && loop->nconns > 0 && quiet < 2; i++) {
        event_base_loop(loop->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
        ssize_t got = 0, r;
        while ((r = read(peer, sink, sizeof sink)) > 0)
            got += r;
        /* server is closed with its connection: only look while it lives */
        int busy = got > 0 || (server >= 0 && loop->nconns > 0 && server_pending(server) > 0);
        quiet = busy ? 0 : quiet + 1;
    }
}

/* Graceful shutdown, step one (loop.c loop_begin_drain). */
static void fuzz_begin_drain(void)
{
    loop->draining = 1;
    for (rci_conn *c = loop->conns; c; c = c->next) {
        rci_conn_shutdown_notice(c);
        rci_conn_end_streams(c);
        rci_conn_flush(c);
    }
}

/* Step two: the real GOAWAY; connections close once their calls are done. */
static void fuzz_goaway(void)
{
    for (rci_conn *c = loop->conns; c; c = c->next) {
        rci_conn_goaway(c);
        rci_conn_flush(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loops)
        fuzz_init();
    if (size > FUZZ_MAX_INPUT)
        return 0;
    int mode = (int)(size % 3); /* 0: EOF, 1: drain after, 2: drain half-way */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 0;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    int server = sv[0];
    rci_conn_accept(loop, server, "fuzz");
    size_t first = mode == 2 ? size / 2 : size;
    if (write(sv[1], preface, sizeof preface - 1) < 0 || write(sv[1], data, first) < 0) {
        /* the socket buffer is large enough; nothing to do if not */
    }
    fuzz_drive(server, sv[1]);
    if (mode == 2) {
        fuzz_begin_drain();
        if (write(sv[1], data + first, size - first) < 0) {
            /* the server may have closed already (e.g. a protocol error) */
        }
        fuzz_drive(server, sv[1]);
    }
    /* A health change reaches the Watch streams still open. */
    db_up = !db_up;
    rci_health_set_db(0, db_up);
    fuzz_drive(server, sv[1]);
    if (mode == 1)
        fuzz_begin_drain();
    if (mode != 0) {
        fuzz_drive(server, sv[1]);
        fuzz_goaway();
        fuzz_drive(server, sv[1]);
    }
    /* The client goes away. */
    shutdown(sv[1], SHUT_WR);
    fuzz_drive(-1, sv[1]);
    /* Whatever is still open (a stream waiting on a timer) is closed now. */
    for (rci_conn *c = loop->conns; c; c = c->next)
        rci_conn_close(c);
    fuzz_drive(-1, sv[1]);
    loop->draining = 0;
    close(sv[1]);
    if (loop->nconns != 0) {
        fprintf(stderr, "fuzz_h2: %d connection(s) outlived the input\n", loop->nconns);
        abort();
    }
    return 0;
}
