#define _GNU_SOURCE
#include "CEpoll.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int cepoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cepoll_add_readable(int epoll_fd, int fd, uint64_t token) {
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = token};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int cepoll_remove(int epoll_fd, int fd) {
    struct epoll_event unused = {0};
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, &unused);
}

enum { CEPOLL_MAX_EVENTS = 64 };

static int pwait2_missing = 0;

int cepoll_wait(int epoll_fd, uint64_t *tokens, int capacity, int64_t timeout_ns) {
    struct epoll_event events[CEPOLL_MAX_EVENTS];
    if (capacity > CEPOLL_MAX_EVENTS) capacity = CEPOLL_MAX_EVENTS;
    if (capacity < 1) capacity = 1;
    int ready;
    if (timeout_ns < 0) {
        ready = epoll_wait(epoll_fd, events, capacity, -1);
    } else if (!pwait2_missing) {
        struct timespec timeout = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
        ready = epoll_pwait2(epoll_fd, events, capacity, &timeout, NULL);
        if (ready < 0 && errno == ENOSYS) {
            pwait2_missing = 1;
            return cepoll_wait(epoll_fd, tokens, capacity, timeout_ns);
        }
    } else {
        int64_t ms = (timeout_ns + 999999) / 1000000;
        ready = epoll_wait(epoll_fd, events, capacity, ms > 3600000 ? 3600000 : (int)ms);
    }
    if (ready < 0) return errno == EINTR ? 0 : -1;
    for (int index = 0; index < ready; index++) tokens[index] = events[index].data.u64;
    return ready;
}

int cepoll_make_wakeup(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cepoll_signal(int wakeup_fd) {
    uint64_t one = 1;
    ssize_t written = write(wakeup_fd, &one, sizeof one);
    // EAGAIN: the counter is full, so the fd is readable already.
    return written == sizeof one || errno == EAGAIN ? 0 : -1;
}

void cepoll_consume(int wakeup_fd) {
    uint64_t count;
    while (read(wakeup_fd, &count, sizeof count) == sizeof count) {}
}

void cepoll_name_thread(const char *name) {
    char short_name[16];
    strncpy(short_name, name, sizeof short_name - 1);
    short_name[sizeof short_name - 1] = 0;
    pthread_setname_np(pthread_self(), short_name);
}
