#ifndef PEERLEARN_CUDPBATCH_H
#define PEERLEARN_CUDPBATCH_H

#include <sys/socket.h>
#include <netinet/in.h>

/// `struct mmsghdr` needs _GNU_SOURCE, which Swift's Glibc module is not built with; this mirror
/// has the same layout, and the wrapper below is compiled where the real one is visible.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} cudpbatch_mmsghdr;

/// sendmmsg(2): one syscall for a batch of datagrams.
int cudpbatch_sendmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count, int flags);

#endif
