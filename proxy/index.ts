/** proxy/: the SOCKS and HTTP proxy front ends. The router wires them to its I2P connector and address book. */
export {
  I2PConnectError,
  I2P_CONNECT_ERROR_CODES,
  isI2PConnectError,
  classifyHost,
  MAX_HOST_LENGTH,
  type I2PConnectErrorCode,
  type I2PConnector,
  type AddressBookHandle,
  type HostKind,
} from './connector.js';
export { SocksProxy, startSocksProxy, socksProxyOptionsFromConfig, socks5ReplyFor, SOCKS_DEFAULTS, type SocksProxyOptions } from './socks.js';
export {
  HttpProxy,
  startHttpProxy,
  httpProxyOptionsFromConfig,
  parseOutproxy,
  sanitizeRequestHeaders,
  stripHelperParams,
  destinationB32,
  HTTP_DEFAULTS,
  FIXED_USER_AGENT,
  ADDRESS_HELPER_PARAM,
  ADDRESS_HELPER_CONFIRM_PARAM,
  type HttpProxyOptions,
} from './http.js';
export { connectViaSocks5, OutproxyError, type OutproxyAddress } from './outproxy.js';
export { SocksHandshake, Socks5Reply, Socks4Reply, SocksCommand, socks5Reply, socks4Reply, MAX_HANDSHAKE_BYTES, type SocksRequest, type SocksStep, type SocksTarget } from './socks-protocol.js';
export { splice, type Splice } from './pipe.js';
