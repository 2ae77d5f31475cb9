// Preloaded with `node --import` (Node runs it again in every worker thread): any attempt to
// open a network connection, resolve a host name or call fetch is written to the file named by
// DENY_NETWORK_LOG and fails. Unix sockets and pipes are local IPC and stay allowed.

import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { threadId } from 'node:worker_threads';

function deny(what) {
  const line = `thread ${threadId}: ${what}\n`;
  if (process.env.DENY_NETWORK_LOG) appendFileSync(process.env.DENY_NETWORK_LOG, line);
  throw new Error(`network access denied in this test: ${what}`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const [first] = args;
  const target = Array.isArray(first) ? first[0] : first;
  const isPipe =
    typeof target === 'string' || (typeof target === 'object' && target !== null && 'path' in target);
  if (isPipe) return connect.apply(this, args);
  return deny(
    `connect ${JSON.stringify(typeof target === 'object' ? { host: target.host, port: target.port } : args.slice(0, 2))}`,
  );
};
// Looking up an IP literal (as server.listen does for HOST) asks no name server.
const lookup = dns.lookup;
dns.lookup = (host, ...rest) => (net.isIP(host) ? lookup(host, ...rest) : deny(`dns.lookup ${host}`));
const promisesLookup = dns.promises.lookup;
dns.promises.lookup = async (host, ...rest) =>
  net.isIP(host) ? promisesLookup(host, ...rest) : deny(`dns.promises.lookup ${host}`);
globalThis.fetch = async (input) =>
  deny(`fetch ${typeof input === 'string' ? input : (input?.url ?? String(input))}`);
