/**
 * Webhook targets are limited to hosts allowed by `AGENTVIEW_WEBHOOK_ALLOW`:
 * a server-side request forgery guard. Entries are host names (`hooks.example.com`),
 * wildcards (`*.example.com`), IP addresses and CIDR ranges (`10.1.0.0/16`).
 *
 * A URL passes when its host is allowed by name or address. At delivery the
 * name is resolved and every address must pass too: a listed address or
 * range, or — for a name allowed by name — a public address. So an allowed
 * name pointed at 127.0.0.1 or 169.254.169.254 is refused unless that address
 * is itself listed, and the connection goes to the address checked (no second
 * lookup a rebinding DNS server could answer differently). Redirects are never
 * followed.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Addresses that are never "public": loopback, private, link-local, metadata, multicast… */
const SPECIAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  // (IPv4-mapped addresses are checked as IPv4: see unmap)
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL.addSubnet(net, bits, 'ipv6');
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

/** An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is checked as its IPv4 address. */
function unmap(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

export class AllowListError extends Error {
  override name = 'AllowListError';
}

export class TargetPolicy {
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly addresses = new BlockList();
  private hasAddresses = false;

  constructor(
    entries: readonly string[],
    private readonly resolver: Resolver = defaultResolver,
  ) {
    const bad: string[] = [];
    for (const raw of entries) {
      const e = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
      if (e === '') continue;
      const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
      if (cidr && isIP(cidr[1]!)) {
        const bits = Number(cidr[2]);
        const fam = family(cidr[1]!);
        if (bits > (fam === 'ipv4' ? 32 : 128)) {
          bad.push(raw);
          continue;
        }
        this.addresses.addSubnet(cidr[1]!, bits, fam);
        this.hasAddresses = true;
      } else if (isIP(e)) {
        this.addresses.addAddress(unmap(e), family(unmap(e)));
        this.hasAddresses = true;
      } else if (/^\*\.([a-z0-9-]+\.)*[a-z0-9-]+$/.test(e)) {
        this.suffixes.push(e.slice(1));
      } else if (/^([a-z0-9-]+\.)*[a-z0-9-]+$/.test(e)) {
        this.names.add(e);
      } else {
        bad.push(raw);
      }
    }
    if (bad.length > 0) throw new AllowListError(`AGENTVIEW_WEBHOOK_ALLOW: not a host name, *.domain, IP address or CIDR: ${bad.join(', ')}`);
  }

  private addressListed(ip: string): boolean {
    const a = unmap(ip);
    return this.hasAddresses && this.addresses.check(a, family(a));
  }

  private nameAllowed(host: string): boolean {
    return this.names.has(host) || this.suffixes.some((s) => host.endsWith(s) && host.length > s.length);
  }

  /** Checks a URL at registration; returns the parsed URL or why it is refused. */
  check(url: string): URL | string {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return 'url is not a valid absolute URL';
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'url must be http or https';
    if (u.username !== '' || u.password !== '') return 'url must not carry credentials (use the secret)';
    const host = u.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    const allowed = isIP(host) ? this.addressListed(host) : this.nameAllowed(host.replace(/\.$/, ''));
    if (!allowed) return `host ${host} is not allowed by AGENTVIEW_WEBHOOK_ALLOW`;
    return u;
  }

  /** Resolves a checked URL's host for one delivery: the address to connect to, or why not. */
  async resolve(u: URL): Promise<{ address: string; family: 4 | 6 } | string> {
    const host = u.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) {
      return this.addressListed(host) ? { address: host, family: isIP(host) as 4 | 6 } : `address ${host} is not allowed`;
    }
    const name = host.replace(/\.$/, '');
    if (!this.nameAllowed(name)) return `host ${host} is not allowed by AGENTVIEW_WEBHOOK_ALLOW`;
    let addrs: { address: string; family: number }[];
    try {
      addrs = await this.resolver(name);
    } catch (err) {
      return `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
    if (addrs.length === 0) return `cannot resolve ${host}`;
    for (const a of addrs) {
      const ip = unmap(a.address);
      if (!this.addressListed(ip) && SPECIAL.check(ip, family(ip))) {
        return `host ${host} resolves to ${a.address}, a non-public address that is not listed in AGENTVIEW_WEBHOOK_ALLOW`;
      }
    }
    const first = addrs[0]!;
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
