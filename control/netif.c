/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <linux/if_addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "log.h"
#include "netif.h"

static int
add_address(struct nl_sock *sk, int ifindex, const struct netprefix *p, const char *ifname)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local;
	char text[NETADDR_TEXT_MAX];
	int rc;

	if (addr == NULL)
		return -1;
	local = nl_addr_build(p->addr.family, p->addr.bytes, p->addr.family == AF_INET ? 4 : 16);
	if (local == NULL) {
		rtnl_addr_put(addr);
		return -1;
	}
	nl_addr_set_prefixlen(local, p->len);
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_local(addr, local);
	/* the address is ours alone on a link we just made: duplicate detection only delays it */
	if (p->addr.family == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	rc = rtnl_addr_add(sk, addr, 0);
	nl_addr_put(local);
	rtnl_addr_put(addr);
	if (rc < 0 && rc != -NLE_EXIST) {
		log_error("netif %s: add %s: %s", ifname, netprefix_format(p, text, sizeof(text)),
			  nl_geterror(rc));
		return -1;
	}
	return 0;
}

int
netif_setup(const char *ifname, const struct netprefix *addresses, size_t count, uint32_t mtu)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *change = NULL;
	int rc = -1, ifindex;

	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0) {
		log_error("netif %s: netlink: cannot connect", ifname);
		goto out;
	}
	if (rtnl_link_get_kernel(sk, 0, ifname, &link) < 0) {
		log_error("netif %s: no such interface", ifname);
		goto out;
	}
	ifindex = rtnl_link_get_ifindex(link);
	change = rtnl_link_alloc();
	if (change == NULL)
		goto out;
	if (mtu != 0)
		rtnl_link_set_mtu(change, mtu);
	rtnl_link_set_flags(change, IFF_UP);
	if (rtnl_link_change(sk, link, change, 0) < 0) {
		log_error("netif %s: cannot set it up (MTU %u)", ifname, mtu);
		goto out;
	}
	for (size_t i = 0; i < count; i++)
		if (add_address(sk, ifindex, &addresses[i], ifname) != 0)
			goto out;
	rc = 0;
out:
	if (change != NULL)
		rtnl_link_put(change);
	if (link != NULL)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}
