#!/usr/bin/env -S node --max-semi-space-size=64
// The installed entry point: runs the compiled CLI (built by `npm ci` / `npm run build` into dist/).
//
// The flags on the first line are the ones Annals runs Node with (bench/server.ts starts its server with the same).
// --max-semi-space-size=64 (MB; Node 20's default is 16) gives V8 a larger young generation: an ingest request's
// parsed events live until their commit lands, a few young-generation collections later, and with 16 MB semi-spaces
// most of them were copied twice and then promoted to the old generation, to be marked and compacted there. On the
// project's 2-core VM this made HTTP ingest about 5% faster at 1M events (12.7k to 13.4k/s) and 8-11% at 300k.
import '../dist/cli/main.js';
