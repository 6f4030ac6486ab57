#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm ci` / `npm run build` into dist/).
import '../dist/cli/main.js';
