#!/usr/bin/env node
'use strict';
// The `liveroom` command: `liveroom start` runs the server (the README's start command);
// the other commands administer a running server. `liveroom --help` lists them.
require('../dist/scripts/cli.js').run();
