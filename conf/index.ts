/** conf/: the option schema, i2pd.conf + command-line loader, tunnels.conf loader. */
export { ConfigError, isConfigError, COMMAND_LINE, type ConfigErrorInfo } from './errors.js';
export {
  SCHEMA,
  OPTION_NAMES,
  I2PD_RESEED_URLS,
  I2PD_RESEED_YGGURLS,
  MAIN_NET_ID,
  isOptionName,
  optionSpec,
  sectionOf,
  splitList,
  type OptionName,
  type OptionValue,
  type OptionSpec,
  type Schema,
} from './schema.js';
export {
  Config,
  loadConfig,
  helpText,
  parseOptionValue,
  expectedOf,
  DATADIR_NAME,
  CONFIG_FILE_NAME,
  type LoadConfigOptions,
  type LoadConfigResult,
  type OptionSource,
  type PathOption,
} from './load.js';
export {
  loadTunnels,
  loadTunnelsDetailed,
  parseTunnels,
  TUNNEL_TYPES,
  type TunnelDef,
  type TunnelType,
  type ClientTunnelDef,
  type ProxyTunnelDef,
  type ServerTunnelDef,
  type TunnelPoolOptions,
  type LoadTunnelsResult,
  type LoadTunnelsOptions,
} from './tunnels.js';
