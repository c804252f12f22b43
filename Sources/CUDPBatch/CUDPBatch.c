#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include <netinet/udp.h>
#include "CUDPBatch.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

_Static_assert(sizeof(cudpbatch_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int cudpbatch_sendmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

size_t cudpbatch_segment_control_space(void) {
    return CMSG_SPACE(sizeof(uint16_t));
}

void cudpbatch_set_segment_size(struct msghdr *message, void *control, uint16_t segment_size) {
    size_t space = CMSG_SPACE(sizeof(uint16_t));
    memset(control, 0, space);
    message->msg_control = control;
    message->msg_controllen = space;
    struct cmsghdr *header = CMSG_FIRSTHDR(message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(header), &segment_size, sizeof(segment_size));
}

int cudpbatch_supports_segmentation(int fd) {
    int size = 0;  /* 0 leaves the socket's default (no segmentation) unchanged */
    return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, sizeof(size)) == 0;
}

int cudpbatch_recvmmsg(int fd, cudpbatch_mmsghdr *messages, unsigned int count) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, MSG_DONTWAIT, NULL);
}

size_t cudpbatch_receive_control_space(void) {
    return CMSG_SPACE(sizeof(int));
}

int cudpbatch_enable_receive_offload(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
}

int cudpbatch_received_segment_size(const struct msghdr *message) {
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)message); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)message, header)) {
        if (header->cmsg_level == SOL_UDP && header->cmsg_type == UDP_GRO && header->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int size = 0;
            memcpy(&size, CMSG_DATA(header), sizeof(size));
            return size > 0 ? size : 0;
        }
    }
    return 0;
}
