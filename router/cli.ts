#!/usr/bin/env node
/**
 * `clove` — the command line.
 *
 *   clove run [--datadir=DIR] [--conf=FILE] [--tunconf=FILE] [--key=value ...]   run a router
 *   clove devnet [--routers=N] [--datadir=DIR] [--ready-file=PATH] [--key=value ...]
 *                                    an offline private network on 127.0.0.1 with a demo site (router/devnet.ts)
 *   clove --help | clove run --help                                             list the options
 *   clove --version
 *
 * Options use i2pd's names (see conf/schema.ts). Config and CLI errors name the key, the file and what was
 * expected, and the process exits non-zero before binding anything.
 */
import { loadConfig, helpText, isConfigError } from '../conf/index.js';
import { createLogger } from './log.js';
import { Router, StartError } from './router.js';
import { KeyFileError } from './keys.js';
import { CLOVE_VERSION } from './version.js';
import { devnetCommand } from './devnet.js';

const USAGE = `usage: clove run [--datadir=DIR] [--conf=FILE] [--tunconf=FILE] [--option=value ...]
       clove devnet [--routers=N] [--datadir=DIR] [--option=value ...]
       clove --help | --version

'run' runs an I2P router. Options take i2pd's names and file format; see 'clove run --help'.
'devnet' starts an offline private network on 127.0.0.1 with a demo hidden site; see 'clove devnet --help'.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`clove ${CLOVE_VERSION}\n`);
    return 0;
  }
  if (cmd === 'devnet') return devnetCommand(rest);
  if (cmd !== 'run') {
    process.stderr.write(`clove: unknown command '${cmd}'\n${USAGE}\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadConfig({ argv: rest });
  } catch (e) {
    if (isConfigError(e)) {
      process.stderr.write(`clove: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (loaded.help) {
    process.stdout.write(`usage: clove run [options]\n\n${helpText()}\n`);
    return 0;
  }
  if (loaded.version) {
    process.stdout.write(`clove ${CLOVE_VERSION}\n`);
    return 0;
  }
  const { config } = loaded;
  const logger = createLogger({
    log: config.get('log'),
    logfile: config.get('log') === 'file' ? config.path('logfile') : undefined,
    loglevel: config.get('loglevel'),
  });
  for (const w of loaded.warnings) logger.warn(w);
  if (loaded.unimplemented.length) logger.warn({ options: loaded.unimplemented }, 'options accepted but not acted on yet');
  if (loaded.files.length) logger.info({ files: loaded.files }, 'configuration read');

  const router = new Router(config, { logger });
  // Signals are taken from the start: one that arrives while the router starts stops it once started (the
  // default action would kill the process mid-write). Keep the process alive, whatever the subsystems hold.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let signalled: string | undefined;
  let onSignal: (signal: string) => void = (signal) => void (signalled ??= signal);
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const done = (code: number) => {
    clearInterval(keepAlive);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    logger.flush();
    return code;
  };
  try {
    await router.start();
  } catch (e) {
    if (e instanceof KeyFileError || isConfigError(e) || e instanceof StartError) {
      logger.fatal(e.message);
      process.stderr.write(`clove: ${e.message}\n`);
      await router.stop().catch(() => undefined);
      return done(1);
    }
    done(70);
    throw e;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      router.stop().then(
        () => resolve(done(0)),
        (e: unknown) => {
          logger.error({ err: e }, 'error while stopping');
          resolve(done(1));
        },
      );
    };
    onSignal = stop;
    if (signalled) stop(signalled);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the loop (sockets being torn down) must not keep a stopped router alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`clove: fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  },
);
