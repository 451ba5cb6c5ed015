// The latency probe of bench/latency.sh: one connection, one PING every PERIOD_US microseconds
// (1 ms by default), each reply's latency recorded until SIGTERM/SIGINT, then a JSON summary on
// stdout. latency.sh compiles it with cc.
//   latency_probe PORT [PERIOD_US]
//
// Open loop: a PING goes out at its scheduled time (start + i * period) whether or not the replies
// before it have come back, and its latency runs from that scheduled time to the last byte of its
// reply (replies come back in order). A 30 ms stall therefore shows in the ~30 PINGs sent during
// it (30, 29, 28 ... ms), not as one slow sample: no coordinated omission, the same figure
// wrk2 and HdrHistogram's corrected mode reconstruct for a closed-loop client. A closed-loop probe
// (one PING in flight) would also drift: once a busy server answers in more than a period it falls
// further behind with every PING. The uncorrected figure (from the actual send) is reported too.
//
// The probe shares CPU 0 with the loader, so it asks for SCHED_FIFO (root only; it sleeps between
// PINGs, so it takes a few % of the core) and a 1 ns timer slack: otherwise waiting for the
// loader's time slice would show up as server latency. How late each PING left (the probe's own
// jitter) is reported as wakeup_lateness.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct { int64_t *v; size_t n, cap; } samples;
static void add(samples *s, int64_t x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1 << 16;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v) { perror("realloc"); exit(1); }
  }
  s->v[s->n++] = x;
}
static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}
// The smallest sample with at least fraction p of the samples at or below it.
static double pct_ms(const samples *s, double p) {
  if (!s->n) return 0;
  size_t i = (size_t)(p * s->n + 0.999999);
  if (i > 0) i--;
  if (i >= s->n) i = s->n - 1;
  return s->v[i] / 1e6;
}
static void summary(const char *name, samples *s, int last) {
  qsort(s->v, s->n, sizeof *s->v, cmp);
  size_t over = 0;
  for (size_t i = 0; i < s->n; i++) over += s->v[i] > 10000000;
  printf("  \"%s\": {\"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f, \"over_10ms\": %zu}%s\n",
         name, pct_ms(s, 0.5), pct_ms(s, 0.99), pct_ms(s, 0.999), s->n ? s->v[s->n - 1] / 1e6 : 0, over, last ? "" : ",");
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: latency_probe PORT [PERIOD_US]\n"); return 2; }
  int port = atoi(argv[1]);
  int64_t period = (argc > 2 ? atoll(argv[2]) : 1000) * 1000;

  struct sigaction sa = {0};
  sa.sa_handler = on_signal; // no SA_RESTART: a signal ends the wait at once
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct sched_param sp = {.sched_priority = 1};
  const char *policy = sched_setscheduler(0, SCHED_FIFO, &sp) == 0 ? "SCHED_FIFO" : "SCHED_OTHER";
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); return 1; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  static const char ping[] = "*1\r\n$4\r\nPING\r\n", pong[] = "+PONG\r\n";
  samples corrected = {0}, uncorrected = {0}, wake = {0}, sent_at = {0};
  char buf[4096];
  size_t received = 0, replied = 0; // bytes of replies so far; complete replies so far
  int64_t start = now_ns(), drain_until = 0;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  // Until stopped, and then until every PING sent has its reply (10 s at most).
  while (!stop || (replied < sent_at.n && now_ns() < drain_until)) {
    if (stop && !drain_until) drain_until = now_ns() + 10000000000LL;
    int64_t due = start + (int64_t)sent_at.n * period, now = now_ns();
    if (!stop && now >= due) {
      if (write(fd, ping, sizeof ping - 1) != (ssize_t)(sizeof ping - 1)) { perror("latency_probe: write"); return 1; }
      add(&sent_at, now);
      add(&wake, now - due);
      continue;
    }
    int64_t wait = stop ? 100000000 : due - now;
    struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
    if (ppoll(&pfd, 1, &ts, NULL) <= 0) continue; // the next send is due, or a signal
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { fprintf(stderr, "latency_probe: connection closed\n"); return 1; }
    int64_t done = now_ns();
    for (ssize_t i = 0; i < r; i++, received++) {
      if (buf[i] != pong[received % 7]) { fprintf(stderr, "latency_probe: unexpected reply byte '%c'\n", buf[i]); return 1; }
      if (received % 7 == 6) {
        add(&corrected, done - (start + (int64_t)replied * period));
        add(&uncorrected, done - sent_at.v[replied]);
        replied++;
      }
    }
  }

  printf("{\n  \"sent\": %zu, \"replies\": %zu, \"period_ms\": %.3f, \"seconds\": %.3f, \"policy\": \"%s\",\n",
         sent_at.n, corrected.n, period / 1e6, (now_ns() - start) / 1e9, policy);
  summary("corrected", &corrected, 0);
  summary("uncorrected", &uncorrected, 0);
  summary("wakeup_lateness", &wake, 1);
  printf("}\n");
  return 0;
}
