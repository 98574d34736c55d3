/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Types shared by the BPF counting programs (count.bpf.c) and their loader
 * (../bpfcount.c). Included by both sides: the BPF side gets __u32 and
 * __u64 from vmlinux.h, user space from <linux/types.h>.
 */
#ifndef VNP_BPF_COUNT_H
#define VNP_BPF_COUNT_H

#define VNP_BPF_NAME_LEN 16 /* IFNAMSIZ */

/* rodata "mode" bits */
#define VNP_BPF_BY_DEV 0x1u /* key the event by its network device */
#define VNP_BPF_BYTES 0x2u  /* sum the event's length */

/*
 * Key of the per-CPU device hash. @netns is the inode number of the
 * device's network namespace (0 where the kernel's layout does not let the
 * program read it; then @name identifies the device). The classic "tp"
 * program knows only the device's name: @netns and @ifindex are 0.
 */
struct vnp_bpf_key {
	__u32 slot; /* which counted event (the loader's spec index) */
	__u32 netns;
	__u32 ifindex;
	__u32 pad;
	char name[VNP_BPF_NAME_LEN];
};

/* one per CPU; only ever incremented, never reset (see bpfcount.c) */
struct vnp_bpf_val {
	__u64 hits;
	__u64 bytes;
};

#endif
