#!/usr/bin/env node
// The trax-ts command line: `trax-ts kernel install`, `trax-ts repl`, `trax-ts --help`.
"use strict";
const { runCli } = require("../dist/cli.js");

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
);
