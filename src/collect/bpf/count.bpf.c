// SPDX-License-Identifier: (LGPL-2.1-or-later OR GPL-2.0-only)
/*
 * Count a tracepoint or a kernel function in per-CPU maps.
 *
 * The loader (../bpfcount.c) opens one instance of this object per counted
 * event, sets the const volatile options below, enables the one program
 * that fits the backend and shares the two maps between every instance.
 * Since the options are read-only after load, the verifier knows them and
 * drops the branches that do not apply: each program costs only what its
 * event asks for.
 *
 * Counters are only ever incremented. Each lives in a per-CPU slot that
 * only this CPU's programs write, and the kernel never nests a program
 * inside itself on one CPU (it counts such a nested hit as a recursion
 * miss, which the loader reports), so a plain increment is exact.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "count.h"

/* the kernel lets only GPL-compatible programs read kernel memory */
char LICENSE[] SEC("license") = "GPL";

const volatile __u32 slot = 0; /* index of the event in vnp_totals and in keys */
const volatile __u32 mode = 0; /* VNP_BPF_BY_DEV | VNP_BPF_BYTES */
/* tp_btf and raw_tp: argument indexes (-1: the tracepoint has none) */
const volatile __s32 dev_arg = -1; /* struct net_device * */
const volatile __s32 skb_arg = -1; /* struct sk_buff *: its ->dev and ->len */
const volatile __s32 len_arg = -1; /* an integer length (net_dev_xmit's skb_len) */
/* tp: where the fields are in the raw record (from the event's format file) */
const volatile __u32 tp_len_off = 0;
const volatile __u32 tp_len_size = 0;
const volatile __u32 tp_name_off = 0; /* a __data_loc char[] device name */

/* events that are not keyed by device, and the keyed ones the full hash refused */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct vnp_bpf_val);
	__uint(max_entries, 1); /* the loader creates it with one entry per event */
} vnp_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct vnp_bpf_key);
	__type(value, struct vnp_bpf_val);
	__uint(max_entries, 1); /* sized by the loader */
} vnp_devs SEC(".maps");

static __always_inline void add_total(__u64 len)
{
	__u32 k = slot;
	struct vnp_bpf_val *v = bpf_map_lookup_elem(&vnp_totals, &k);

	if (v) {
		v->hits++;
		v->bytes += len;
	}
}

static __always_inline void add_dev(struct vnp_bpf_key *key, __u64 len)
{
	struct vnp_bpf_val *v = bpf_map_lookup_elem(&vnp_devs, key);
	struct vnp_bpf_val init = { 1, len };

	if (v) {
		v->hits++;
		v->bytes += len;
		return;
	}
	/* a new key: this CPU's slot starts at init, the other CPUs' at 0 */
	if (!bpf_map_update_elem(&vnp_devs, key, &init, BPF_NOEXIST))
		return;
	/* another CPU inserted it first (EEXIST), or the map is full */
	v = bpf_map_lookup_elem(&vnp_devs, key);
	if (v) {
		v->hits++;
		v->bytes += len;
		return;
	}
	add_total(len); /* full: counted here, and reported by the loader */
}

/*
 * Argument @i of a tp_btf or raw_tp program. The verifier accepts only
 * context loads at a constant offset in the instruction itself (it types
 * each tp_btf argument by that offset), so every case is its own load that
 * the compiler may not fold into one load from a computed address.
 */
#define CTX_LOAD(ctx, off)                                                       \
	({                                                                       \
		__u64 __v;                                                       \
		asm volatile("%0 = *(u64 *)(%1 + " #off ")" : "=r"(__v) : "r"(ctx)); \
		__v;                                                             \
	})

static __always_inline __u64 arg_of(unsigned long long *ctx, int i)
{
	switch (i) {
	case 0: return CTX_LOAD(ctx, 0);
	case 1: return CTX_LOAD(ctx, 8);
	case 2: return CTX_LOAD(ctx, 16);
	case 3: return CTX_LOAD(ctx, 24);
	case 4: return CTX_LOAD(ctx, 32);
	case 5: return CTX_LOAD(ctx, 40);
	default: return 0;
	}
}

/*
 * The device and length of a tracepoint hit from its arguments. @btf: the
 * arguments are typed pointers (tp_btf) that may be dereferenced directly,
 * which costs a load instead of a helper call; otherwise (raw_tp) they are
 * plain numbers read through bpf_probe_read_kernel().
 */
static __always_inline int count_args(unsigned long long *ctx, const bool btf)
{
	struct vnp_bpf_key key = { .slot = slot };
	struct net_device *dev = NULL;
	struct sk_buff *skb = NULL;
	__u64 len = 0;

	if (skb_arg >= 0)
		skb = (struct sk_buff *)arg_of(ctx, skb_arg);
	if (mode & VNP_BPF_BYTES) {
		if (len_arg >= 0)
			len = (__u32)arg_of(ctx, len_arg);
		else if (skb)
			len = btf ? skb->len : BPF_CORE_READ(skb, len);
	}
	if (!(mode & VNP_BPF_BY_DEV)) {
		add_total(len);
		return 0;
	}
	if (dev_arg >= 0)
		dev = (struct net_device *)arg_of(ctx, dev_arg);
	else if (skb)
		dev = btf ? skb->dev : BPF_CORE_READ(skb, dev);
	if (dev) {
		key.ifindex = btf ? dev->ifindex : BPF_CORE_READ(dev, ifindex);
		if (bpf_core_field_exists(dev->nd_net))
			key.netns = btf ? dev->nd_net.net->ns.inum
					: BPF_CORE_READ(dev, nd_net.net, ns.inum);
		else
			bpf_probe_read_kernel_str(key.name, sizeof(key.name), dev->name);
	}
	add_dev(&key, len);
	return 0;
}

SEC("tp_btf")
int vnp_tp_btf(unsigned long long *ctx)
{
	return count_args(ctx, true);
}

SEC("raw_tp")
int vnp_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return count_args(ctx->args, false);
}

/*
 * Classic tracepoint: the raw record, laid out as the event's format file
 * says. It returns 1: a tracepoint program that returns 0 hides the event
 * from every perf counter on that tracepoint, system-wide.
 */
SEC("tp")
int vnp_tp(void *ctx)
{
	struct vnp_bpf_key key = { .slot = slot };
	__u64 len = 0;
	__u32 loc = 0;

	if (mode & VNP_BPF_BYTES) {
		if (tp_len_size == 8)
			bpf_probe_read_kernel(&len, 8, ctx + tp_len_off);
		else if (tp_len_size == 4)
			bpf_probe_read_kernel(&len, 4, ctx + tp_len_off);
		else if (tp_len_size == 2)
			bpf_probe_read_kernel(&len, 2, ctx + tp_len_off);
	}
	if (!(mode & VNP_BPF_BY_DEV)) {
		add_total(len);
		return 1;
	}
	/* __data_loc: offset of the string in the low 16 bits, its length above */
	if (!bpf_probe_read_kernel(&loc, sizeof(loc), ctx + tp_name_off))
		bpf_probe_read_kernel_str(key.name, sizeof(key.name), ctx + (loc & 0xffff));
	add_dev(&key, len);
	return 1;
}

/* func:NAME: calls only */
SEC("fentry")
int vnp_fentry(void *ctx)
{
	add_total(0);
	return 0;
}

SEC("kprobe")
int vnp_kprobe(void *ctx)
{
	add_total(0);
	return 0;
}
