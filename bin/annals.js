#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 node --max-semi-space-size=64
// The installed entry point: runs the compiled CLI (built by `npm ci` / `npm run build` into dist/).
//
// The environment and flags on the first line are the ones Annals runs Node with (bench/server.ts starts its server
// with the same).
//
// MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ (glibc's names for its glibc.malloc.mmap_threshold and
// trim_threshold tunables; shorter than GLIBC_TUNABLES, and kernels before 5.1 cut a first line at 127 characters)
// keep glibc's malloc from handing memory back to the kernel after every page of events: by default
// an allocation above 128 KB (a page's response body is ~350 KB of room) may be its own mmap and a freed heap top is
// trimmed, so the next page's body lands on fresh pages that fault in one by one. On the project's VMs a first touch
// of a page costs ~10 us (a microVM's memory is backed lazily), and a search page took 8-29 such faults: 0.1-0.3 ms
// of a ~1 ms request. With allocations below 32 MB served from the heap and the heap trimmed only past 256 MB free,
// a page takes ~1 fault, and over HTTP at 10M events a page's p50 fell by 0.44-0.51 ms (19-31%) when alternated
// against the default (docs/performance.md). glibc only: elsewhere the variables are ignored.
//
// --max-semi-space-size=64 (MB; Node 20's default is 16) gives V8 a larger young generation: an ingest request's
// parsed events live until their commit lands, a few young-generation collections later, and with 16 MB semi-spaces
// most of them were copied twice and then promoted to the old generation, to be marked and compacted there. On the
// project's 2-core VM this made HTTP ingest about 5% faster at 1M events (12.7k to 13.4k/s) and 8-11% at 300k.
import '../dist/cli/main.js';
