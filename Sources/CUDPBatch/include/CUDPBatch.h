#ifndef PEERLEARN_CUDPBATCH_H
#define PEERLEARN_CUDPBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/// `struct mmsghdr` needs _GNU_SOURCE, which Swift's Glibc module is not built with; this mirror
/// has the same layout, and the wrappers below are compiled where the real one is visible.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} cudpbatch_mmsghdr;

/// sendmmsg(2): one syscall for a batch of datagrams.
int cudpbatch_sendmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count, int flags);

/// Bytes of control buffer a message needs to carry a UDP GSO segment size.
size_t cudpbatch_segment_control_space(void);

/// Attaches a UDP_SEGMENT control message (Linux UDP GSO): the kernel splits the message's payload
/// into datagrams of `segment_size` bytes (the last may be shorter). `control` must hold
/// `cudpbatch_segment_control_space()` bytes.
void cudpbatch_set_segment_size(struct msghdr *message, void *control, uint16_t segment_size);

/// Whether this kernel accepts UDP_SEGMENT on the socket (Linux 4.18+).
int cudpbatch_supports_segmentation(int fd);

/// recvmmsg(2) without waiting: up to `count` datagrams in one syscall. Returns how many, or -1 with
/// errno (EAGAIN when nothing is waiting).
int cudpbatch_recvmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count);

/// Turns on UDP GRO for reads on `fd` (Linux 5.0+). Returns 0, or -1 when the kernel refuses.
int cudpbatch_enable_receive_offload(int fd);

/// Bytes of control buffer a received message needs to carry a UDP GRO segment size.
size_t cudpbatch_receive_control_space(void);

/// The segment size of a coalesced read (UDP GRO) from the message's control data; 0 when the
/// message is a single datagram.
int cudpbatch_received_segment_size(const struct msghdr *message);

#endif
