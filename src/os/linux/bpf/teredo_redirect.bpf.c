// XDP program of the AF_XDP fast path (docs/os-linux.md, "AF_XDP fast path"; xdp_port.h).
//
// Redirects to the AF_XDP socket of the receiving queue exactly the frames the Teredo
// server handles: Ethernet II, IPv4 without options, not a fragment, UDP, destination
// address in `local_addrs`, destination port `config.port`, whole frame no longer than
// `config.max_frame` (what one UMEM frame holds). Everything else is XDP_PASS: the kernel
// keeps answering ARP and ICMP, reassembles fragments and delivers them, with anything
// too long, to the ordinary UDP socket that stays bound on the port. A queue without a
// socket in `xsks_map` also falls back to XDP_PASS (the flags argument of
// bpf_redirect_map).
//
// Built by clang -target bpf at build time and embedded into the library
// (src/os/linux/CMakeLists.txt); the maps are filled by XdpPort before attaching.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct teredo_config {
  __be16 port;     // UDP destination port, network byte order
  __u16 reserved;
  __u32 max_frame; // longest frame (from the Ethernet header on) a UMEM frame holds
};

// One AF_XDP socket per RX queue, indexed by queue number. max_entries is set at load.
struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} xsks_map SEC(".maps");

// The server's IPv4 addresses (network byte order); the value is unused.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, __be32);
  __type(value, __u8);
} local_addrs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct teredo_config);
} config SEC(".maps");

SEC("xdp")
int teredo_redirect(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;  // ARP, IPv6, VLAN tags...

  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  if (ip->version != 4 || ip->ihl != 5) return XDP_PASS;       // options: the kernel's job
  if (ip->frag_off & bpf_htons(0x3fff)) return XDP_PASS;       // MF set or offset != 0
  if (ip->protocol != IPPROTO_UDP) return XDP_PASS;

  struct udphdr *udp = (void *)(ip + 1);
  if ((void *)(udp + 1) > data_end) return XDP_PASS;

  __u32 zero = 0;
  struct teredo_config *cfg = bpf_map_lookup_elem(&config, &zero);
  if (!cfg || udp->dest != cfg->port) return XDP_PASS;
  if ((__u64)(data_end - data) > cfg->max_frame) return XDP_PASS;
  __be32 daddr = ip->daddr;
  if (!bpf_map_lookup_elem(&local_addrs, &daddr)) return XDP_PASS;

  return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

// The project's license. The program calls no GPL-only helper, so the kernel accepts it.
char LICENSE[] SEC("license") = "Apache-2.0";
