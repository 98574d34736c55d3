// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Indicator presets: the events that implement each kind of virtual network
 * (docs/indicators.md says what each counts, why it tracks throughput, and
 * what it costs). Events a host lacks (a module not loaded, KVM absent) are
 * optional: the recorder skips them and says so.
 */
#include "collect/collect.h"

#include <string.h>

#define OPT .optional = true

/* the paper's KVM host: vhost-net workers, KVM vCPUs, tap devices */
static const struct vnp_event_opt vhost[] = {
	{ .spec = "func:handle_tx", OPT },
	{ .spec = "func:handle_rx", OPT },
	{ .spec = "func:vcpu_enter_guest", OPT },
	{ .spec = "func:kvm_vcpu_block", OPT },
	{ .spec = "kvm:kvm_entry", OPT },
	{ .spec = "kvm:kvm_exit", OPT },
	{ .spec = "kvm:kvm_vcpu_wakeup", OPT },
	{ .spec = "net:netif_receive_skb", .filter = "name ~ \"tap*\"", .by_dev = true },
	{ .spec = "net:net_dev_xmit", .filter = "name ~ \"tap*\"", .by_dev = true },
	{ .spec = "sched:sched_switch" },
};

/* a Linux bridge between tap/veth ports and a NIC */
static const struct vnp_event_opt bridge[] = {
	{ .spec = "net:net_dev_xmit", .by_dev = true },
	{ .spec = "net:netif_receive_skb", .by_dev = true },
	{ .spec = "napi:napi_poll", .by_dev = true },
	{ .spec = "irq:softirq_entry", .filter = "vec == 3" },
	{ .spec = "irq:softirq_entry", .filter = "vec == 2" },
	{ .spec = "qdisc:qdisc_dequeue" },
	{ .spec = "skb:kfree_skb" },
	{ .spec = "sched:sched_switch" },
};

/* Open vSwitch: the kernel datapath's own events where the module is loaded */
static const struct vnp_event_opt ovs[] = {
	{ .spec = "openvswitch:ovs_dp_upcall", OPT },
	{ .spec = "openvswitch:ovs_do_execute_action", OPT },
	{ .spec = "net:net_dev_xmit", .by_dev = true },
	{ .spec = "net:netif_receive_skb", .by_dev = true },
	{ .spec = "irq:softirq_entry", .filter = "vec == 3" },
	{ .spec = "irq:softirq_entry", .filter = "vec == 2" },
	{ .spec = "skb:kfree_skb" },
	{ .spec = "sched:sched_switch" },
};

/* the emulated testbed: namespaces, veths, a bridge or userspace OvS */
static const struct vnp_event_opt netns[] = {
	{ .spec = "net:net_dev_xmit", .by_dev = true },
	{ .spec = "net:netif_receive_skb", .by_dev = true },
	{ .spec = "irq:softirq_entry", .filter = "vec == 3" }, /* NET_RX */
	{ .spec = "irq:softirq_entry", .filter = "vec == 2" }, /* NET_TX */
	{ .spec = "sched:sched_switch" },
	{ .spec = "sched:sched_wakeup" },
	{ .spec = "skb:kfree_skb" },
};

static const struct vnp_preset presets[] = {
	{ "vhost", "a KVM host with vhost-net and tap devices (the paper's)", vhost,
	  ARRAY_SIZE(vhost) },
	{ "bridge", "a Linux bridge", bridge, ARRAY_SIZE(bridge) },
	{ "ovs", "Open vSwitch", ovs, ARRAY_SIZE(ovs) },
	{ "netns", "the emulated testbed (namespaces, veths, a switch)", netns, ARRAY_SIZE(netns) },
};

const struct vnp_preset *vnp_preset_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(presets); i++)
		if (!strcmp(presets[i].name, name))
			return &presets[i];
	return NULL;
}

const struct vnp_preset *vnp_preset_at(size_t i)
{
	return i < ARRAY_SIZE(presets) ? &presets[i] : NULL;
}
