/**
 * The HTTP proxy's own pages: errors and the address-helper confirmation. Everything interpolated is
 * HTML-escaped. Wording follows i2pd 2.45.1 (libi2pd_client/HTTPProxy.cpp `GenericProxyError`,
 * `HostNotFound`), status codes do not: i2pd answers 500 for everything, clove uses the code that says
 * what happened (400 bad request, 403 refused by policy, 404 unknown host, 431 header too large, 502 host
 * unreachable or bad upstream, 504 timeout).
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Page {
  readonly status: number;
  readonly html: string;
}

/** Jump services offered on the "host not found" page (i2pd's list). */
export const DEFAULT_JUMP_SERVICES: readonly { name: string; url: string }[] = [
  { name: 'reg.i2p', url: 'http://shx5vqsw7usdaunyzr2qmes2fq37oumybpudrd4jjj4e4vk4uusa.b32.i2p/jump/' },
  { name: 'stats.i2p', url: 'http://7tbay5p4kzeekxvyvbf6v7eauazemsnnl2aoyqhg5jzpr5eke7tq.b32.i2p/cgi-bin/jump.cgi?a=' },
];

export function page(status: number, title: string, bodyHtml: string): Page {
  const html =
    '<!DOCTYPE html>\r\n<html>\r\n<head>\r\n<meta charset="utf-8">\r\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">\r\n' +
    `<title>clove HTTP proxy: ${escapeHtml(title)}</title>\r\n` +
    '<style>body{font:100%/1.5em sans-serif;margin:0;padding:1.5em;background:#fafafa;color:#103456}h1{font-size:1.7em;color:#894c84}code{word-break:break-all}</style>\r\n' +
    `</head>\r\n<body>\r\n<h1>${escapeHtml(title)}</h1>\r\n${bodyHtml}\r\n</body>\r\n</html>\r\n`;
  return { status, html };
}

export const pages = {
  badRequest: (why: string): Page => page(400, 'Proxy error: Invalid request', `<p>${escapeHtml(why)}</p>`),
  headerTooLarge: (): Page => page(431, 'Proxy error: Request header too large', '<p>The request headers are larger than this proxy accepts.</p>'),
  requestTimeout: (): Page => page(408, 'Proxy error: Request timeout', '<p>The request was not received in time.</p>'),
  hostNotFound: (host: string, jumps: readonly { name: string; url: string }[]): Page => {
    const isB32 = host.endsWith('.b32.i2p');
    let body = isB32
      ? `<p>No leaseset was found for <code>${escapeHtml(host)}</code>: the destination is probably offline.</p>`
      : `<p>Remote host <code>${escapeHtml(host)}</code> not found in the router's address book.</p>`;
    if (!isB32 && jumps.length > 0) {
      body += '\r\n<p>You may try to find this host on these jump services:</p>\r\n<ul>\r\n';
      for (const j of jumps) body += `<li><a href="${escapeHtml(j.url + host)}">${escapeHtml(j.name)}</a></li>\r\n`;
      body += '</ul>';
    }
    return page(404, 'Proxy error: Host not found', body);
  },
  unreachable: (host: string): Page =>
    page(502, 'Proxy error: Host is down', `<p>Can't create a connection to <code>${escapeHtml(host)}</code>; it may be down. Please try again later.</p>`),
  refused: (host: string, port: number): Page =>
    page(502, 'Proxy error: Connection refused', `<p><code>${escapeHtml(host)}</code> refused the connection on port ${port}.</p>`),
  timeout: (host: string): Page =>
    page(504, 'Proxy error: Timeout', `<p>The connection to <code>${escapeHtml(host)}</code> timed out. Please try again later.</p>`),
  badAddress: (host: string): Page => page(400, 'Proxy error: Invalid address', `<p><code>${escapeHtml(host)}</code> is not a valid I2P address.</p>`),
  badUpstream: (host: string): Page => page(502, 'Proxy error: Bad response', `<p><code>${escapeHtml(host)}</code> sent an invalid response or closed the connection.</p>`),
  noOutproxy: (host: string): Page =>
    page(403, 'Proxy error: Outproxy failure', `<p>Host <code>${escapeHtml(host)}</code> is not inside the I2P network, but no outproxy is configured.</p>`),
  badOutproxy: (why: string): Page => page(502, 'Proxy error: Outproxy failure', `<p>${escapeHtml(why)}</p>`),
  addressHelperDisabled: (): Page => page(403, 'Proxy error: Invalid request', '<p>The address helper is disabled on this proxy.</p>'),
  generic: (): Page => page(502, 'Proxy error', '<p>The request could not be completed.</p>'),
};
