#define _GNU_SOURCE
#include <sys/socket.h>
#include "CUDPBatch.h"

_Static_assert(sizeof(cudpbatch_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int cudpbatch_sendmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}
