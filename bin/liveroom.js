#!/usr/bin/env node
'use strict';
// The `liveroom` command. `liveroom start` runs the server (the README's start command).
const command = process.argv[2] ?? 'start';
if (command === 'start') {
  require('../dist/server/main.js').main();
} else {
  process.stderr.write(`liveroom: unknown command '${command}'. Usage: liveroom start\n`);
  process.exitCode = 2;
}
