import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether a webhook may connect to this address: only globally routable unicast. Private,
 * loopback, link-local, unique-local, unspecified, multicast, CGNAT and reserved ranges are
 * refused; an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 it carries.
 * The ranges are ipaddr.js's, not ours.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** The URL's host as an IP literal (brackets removed), or null for a name. */
function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

/**
 * Why a webhook URL is refused, or null if it is acceptable. Only http(s). Without
 * allowPrivate, an IP literal must be public and `localhost` names are refused; names are
 * checked again, against the addresses they resolve to, when a delivery connects.
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'expected an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `expected an http or https URL but received ${url.protocol.replace(/:$/, '')}`;
  if (allowPrivate) return null;
  const literal = ipLiteral(url.hostname);
  if (literal !== null && !isPublicAddress(literal))
    return `${literal} is a private, loopback, link-local or otherwise non-public address`;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  return null;
}

/** The IP literal a delivery would connect to without a DNS lookup, if it is not allowed. */
export function refusedLiteral(url: URL, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  const literal = ipLiteral(url.hostname);
  return literal !== null && !isPublicAddress(literal) ? literal : null;
}

export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `lookup` for http(s).request / net.connect that resolves the name and refuses the
 * connection if any address it resolves to is not public: the check is made on the very
 * addresses the socket then connects to, so a name that re-resolves to 127.0.0.1 after the
 * webhook was created (DNS rebinding) is still refused.
 */
export function guardedLookup(options: { allowPrivate: boolean; resolver?: Resolver }) {
  const resolver = options.resolver ?? systemResolver;
  return (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback): void => {
    resolver(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = options.allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused || addresses.length === 0) {
        const error: NodeJS.ErrnoException = new Error(
          refused
            ? `${hostname} resolves to ${refused.address}, a non-public address webhooks may not reach`
            : `${hostname} has no addresses`,
        );
        error.code = 'EWEBHOOKADDRESS';
        return callback(error, '');
      }
      if (lookupOptions.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
