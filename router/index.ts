/** The public surface of clove as a library: `import { Router } from 'clove'`. */
export { Router, StartError, systemClock, type Clock, type RouterRuntime, ROUTER_INFO_FILE } from './router.js';
export { createLogger, silentLogger, type Logger } from './log.js';
export { loadConfig, type Config } from '../conf/index.js';
export { CLOVE_VERSION } from './version.js';
