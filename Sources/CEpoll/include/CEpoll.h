#ifndef PEERLEARN_CEPOLL_H
#define PEERLEARN_CEPOLL_H

#include <stdint.h>

/// A relay worker's readiness set. Glibc's `struct epoll_event` is packed on x86-64, so Swift never
/// sees it: descriptors are added with a 64-bit token and the wait hands back tokens only.

/// epoll_create1(EPOLL_CLOEXEC).
int cepoll_create(void);

/// Watches `fd` for readability (level-triggered), reporting `token` when it is ready.
int cepoll_add_readable(int epoll_fd, int fd, uint64_t token);

/// Stops watching `fd`.
int cepoll_remove(int epoll_fd, int fd);

/// Waits at most `timeout_ns` nanoseconds (negative: without limit) for ready descriptors and writes
/// up to `capacity` of their tokens. Returns how many, 0 on timeout or a signal, or -1 with errno set.
/// Nanosecond timeouts use epoll_pwait2 (Linux 5.11); an older kernel gets epoll_wait's milliseconds,
/// rounded up so a deadline is never woken for early.
int cepoll_wait(int epoll_fd, uint64_t *tokens, int capacity, int64_t timeout_ns);

/// An eventfd (non-blocking, close-on-exec) that wakes a waiting loop from another thread.
int cepoll_make_wakeup(void);

/// Makes `wakeup_fd` readable. Returns 0, or -1 with errno set.
int cepoll_signal(int wakeup_fd);

/// Makes `wakeup_fd` unreadable again.
void cepoll_consume(int wakeup_fd);

/// Names the calling thread (at most 15 bytes are kept), as `top -H` and `perf` show it.
void cepoll_name_thread(const char *name);

#endif
