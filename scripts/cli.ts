/**
 * `liveroom`: runs the server (`liveroom start`) and administers a running one
 * through its admin API (profiles, channels, stream keys, encoders, status).
 *
 * Exit status: 0 done, 1 the request failed (server unreachable, token refused,
 * the server said no), 2 the command line is wrong.
 */
import { Command, CommanderError, Option } from 'commander';
import { analyticsCommands } from './cli/analytics-commands';
import { channelCommands, keyCommands } from './cli/channel-commands';
import { CliError } from './cli/errors';
import { moderatorCommands } from './cli/moderator-commands';
import { profileCommands } from './cli/profile-commands';
import { recordingCommands } from './cli/recording-commands';
import { statusCommands } from './cli/status-commands';
import { webhookCommands } from './cli/webhook-commands';

const HELP_AFTER = `
Finding the server: with no --server, the CLI reads the same settings as the
server (LIVEROOM_CONFIG file, then LIVEROOM_* variables) and talks to
http://127.0.0.1:<http.port> (https:// when the server has 'http.tls', trusting
the certificate file it names) with the token in <dataDir>/admin-token.
LIVEROOM_SERVER, LIVEROOM_ADMIN_TOKEN and LIVEROOM_CA work like --server,
--token and --ca. The token is never sent over plain http to a host that is
not loopback, unless --insecure-http.

Exit status: 0 done, 1 the request failed (server unreachable, token refused,
the server refused it), 2 the command line is wrong.

Examples:
  $ liveroom start
  $ liveroom status
  $ liveroom profiles create ladder -r name=source,copy -r name=480p,height=480,kbps=1200 -r name=240p,height=240,kbps=400
  $ liveroom channels use-profile live ladder --restart
  $ liveroom keys create live --label obs
  $ liveroom moderators add live --label Mia
  $ liveroom recordings list live
  $ liveroom recordings export 1a2b3c4d -o stream.mp4
  $ liveroom webhooks log --limit 50
  $ liveroom analytics live --broadcast 1a2b3c4d
  $ liveroom encoders --json
  $ liveroom --server https://live.example.com --token "$TOKEN" channels list
  $ liveroom --server https://10.0.0.5:8000 --ca ./liveroom-cert.pem status`;

function packageVersion(): string {
  // dist/scripts/cli.js and scripts/cli.ts sit at different depths below package.json.
  for (const p of ['../../package.json', '../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('liveroom')
    .description('Self-hosted live room: RTMP in, Low-Latency HLS out. Runs the server and administers it.')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--server <url>', 'admin API of a running server (default: the local one)'))
    .addOption(new Option('--token <token>', 'admin token (default: <dataDir>/admin-token)'))
    .addOption(new Option('-c, --config <file>', 'a liveroom JSON config file (as LIVEROOM_CONFIG)'))
    .addOption(new Option('--ca <file>', "PEM certificate(s) to trust for an https --server: a self-signed certificate or a private CA (as LIVEROOM_CA)"))
    .addOption(new Option('--insecure-http', 'send the admin token over plain http to a host that is not loopback (refused otherwise)'))
    .addOption(new Option('--json', 'print JSON for scripts instead of tables'))
    .addHelpText('after', HELP_AFTER)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`liveroom: ${text.replace(/^error: /, '')}`) });

  program
    .command('start')
    .description('run the server in the foreground (Ctrl-C stops it); the same as `npm start`')
    .addHelpText('after', '\nSettings come from LIVEROOM_CONFIG / --config and LIVEROOM_* variables; see the README.\n\nExample:\n  $ LIVEROOM_HTTP_PORT=8080 liveroom start')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<{ config?: string }>();
      if (config) process.env.LIVEROOM_CONFIG = config;
      const { main } = require('../server/main') as typeof import('../server/main');
      await main();
    });

  for (const c of [profileCommands(), channelCommands(), keyCommands(), moderatorCommands(), recordingCommands(), webhookCommands(), analyticsCommands(), ...statusCommands()]) program.addCommand(c);
  // Every subcommand reports usage errors the same way and never exits by itself.
  const tune = (cmd: Command) => {
    cmd.exitOverride().showHelpAfterError('(add --help for usage)').configureOutput({ outputError: (text, write) => write(`liveroom: ${text.replace(/^error: /, '')}`) });
    cmd.commands.forEach(tune);
  };
  program.commands.forEach(tune);
  return program;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`liveroom: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`liveroom: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

/** The `bin` entry: sets the exit status without cutting a running server short. */
export function run(): void {
  void main().then((code) => {
    // `start` keeps running; a failed start has set process.exitCode itself.
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code || process.exitCode || 0;
  });
}

if (require.main === module) run();
