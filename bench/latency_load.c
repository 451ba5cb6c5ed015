// The load of bench/latency.sh, with a bounded pipeline (a client's, not redis-cli --pipe's flood).
// latency.sh compiles it with cc. Prints one JSON line at the end.
//   latency_load PORT load  N VALUE_SIZE DEPTH
//       SET key:0000000001 ... key:N (14-byte keys for N < 10^10), one connection, DEPTH commands
//       in flight: every key is new, so the keyspace grows to N.
//   latency_load PORT churn N VALUE_SIZE DEPTH CLIENTS SECONDS
//       SET or GET (even odds) of uniformly random keys among those N, CLIENTS connections with
//       DEPTH commands in flight each, for SECONDS. redis-benchmark -r would name its keys
//       key:%012d, outside the loaded keyspace, so the churn is generated here too.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  char *in; size_t in_len, in_cap; // replies read and not yet parsed
  long in_flight;
} conn;

static long n_keys, value_size, depth;
static int churn;
static char *value;
static char *out; static size_t out_cap;
static long next_key = 1, sent, replies, errors, misses;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static uint64_t next_random(void) { // xorshift64*: the churn's key and command choice
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dULL;
}

// Appends one command to out at *len: the next sequential SET when loading, a random SET or GET when churning.
static void append_command(size_t *len) {
  long key; int get = 0;
  if (churn) { uint64_t r = next_random(); key = 1 + (long)((r >> 1) % (uint64_t)n_keys); get = r & 1; }
  else key = next_key++;
  char k[32];
  int kl = snprintf(k, sizeof k, "key:%010ld", key);
  if (*len + 128 + value_size > out_cap) { out_cap = (*len + 128 + value_size) * 2; out = realloc(out, out_cap); }
  if (get) *len += sprintf(out + *len, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", kl, k);
  else {
    *len += sprintf(out + *len, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%ld\r\n", kl, k, value_size);
    memcpy(out + *len, value, value_size); *len += value_size;
    memcpy(out + *len, "\r\n", 2); *len += 2;
  }
  sent++;
}

static void write_all(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) { perror("latency_load: write"); exit(1); }
    p += w; len -= w;
  }
}

// Sends up to count commands on c, fewer when the load has no keys left.
static void send_commands(conn *c, long count) {
  size_t len = 0;
  for (long i = 0; i < count && (churn || next_key <= n_keys); i++) { append_command(&len); c->in_flight++; }
  if (len) write_all(c->fd, out, len);
}

// The length of one complete reply at p (SET's +OK, GET's bulk string or nil, an error), 0 when incomplete.
static size_t reply_length(const char *p, size_t len) {
  const char *eol = memmem(p, len, "\r\n", 2);
  if (!eol) return 0;
  size_t line = eol - p + 2;
  if (p[0] == '-') errors++;
  if (p[0] != '$') return line;
  long bulk = atol(p + 1);
  if (bulk < 0) { misses++; return line; }
  return len >= line + bulk + 2 ? line + bulk + 2 : 0;
}

// Reads what c has, counts its complete replies; returns how many.
static long read_replies(conn *c) {
  if (c->in_cap - c->in_len < 65536) { c->in_cap = c->in_cap * 2 + 65536; c->in = realloc(c->in, c->in_cap); }
  ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
  if (r < 0 && errno == EINTR) return 0;
  if (r <= 0) { fprintf(stderr, "latency_load: connection closed\n"); exit(1); }
  c->in_len += r;
  size_t pos = 0, n; long done = 0;
  while (pos < c->in_len && (n = reply_length(c->in + pos, c->in_len - pos)) > 0) { pos += n; done++; }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  c->in_flight -= done; replies += done;
  return done;
}

int main(int argc, char **argv) {
  if (argc < 6 || (strcmp(argv[2], "churn") == 0 && argc < 8)) {
    fprintf(stderr, "usage: latency_load PORT load N VALUE_SIZE DEPTH | PORT churn N VALUE_SIZE DEPTH CLIENTS SECONDS\n");
    return 2;
  }
  int port = atoi(argv[1]);
  churn = strcmp(argv[2], "churn") == 0;
  n_keys = atol(argv[3]); value_size = atol(argv[4]); depth = atol(argv[5]);
  int clients = churn ? atoi(argv[6]) : 1;
  double seconds = churn ? atof(argv[7]) : 0;
  value = malloc(value_size + 1); memset(value, 'v', value_size);

  conn *conns = calloc(clients, sizeof *conns);
  struct pollfd *pfds = calloc(clients, sizeof *pfds);
  for (int i = 0; i < clients; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("latency_load: connect"); return 1; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[i].fd = fd; pfds[i].fd = fd; pfds[i].events = POLLIN;
  }

  double start = now_s(), end = start + seconds;
  for (int i = 0; i < clients; i++) send_commands(&conns[i], depth);
  // Each reply makes room for one more command on its connection; at the end (all keys sent, or
  // the churn's time up) nothing more is sent and the replies in flight are drained.
  long in_flight = sent;
  while (in_flight > 0) {
    if (poll(pfds, clients, 1000) < 0 && errno != EINTR) { perror("latency_load: poll"); return 1; }
    int more = !churn || now_s() < end;
    for (int i = 0; i < clients; i++) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      long done = read_replies(&conns[i]);
      if (more && done) send_commands(&conns[i], done);
    }
    in_flight = sent - replies;
  }
  double took = now_s() - start;
  printf("{\"mode\": \"%s\", \"commands\": %ld, \"seconds\": %.3f, \"per_second\": %.0f, \"errors\": %ld, \"misses\": %ld, \"clients\": %d, \"depth\": %ld}\n",
         argv[2], replies, took, replies / took, errors, misses, clients, depth);
  return errors ? 1 : 0;
}
