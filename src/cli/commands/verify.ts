import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { fromEnvelope, verifyEventProof, verifyExport, type ProofFile } from '../../integrity/export-bundle.js';
import { ParallelLeafReader } from '../../integrity/leaf-reader.js';
import { type Finding, verifyStore } from '../../integrity/verify-store.js';
import { parseVerifierKey } from '../../ledger/checkpoint.js';
import type { StoredEvent } from '../../domain/event.js';
import { withAnnals } from '../context.js';
import { progress } from '../progress.js';

interface VerifyOptions {
  org?: string;
  export?: string;
  event?: string;
  proof?: string;
  checkpoint?: string;
  key: string[];
  json?: boolean;
  deep?: boolean;
}

/** A verifier key given inline (`name+id+key`) or as a file holding one per line. */
function keysFrom(values: string[]) {
  return values.flatMap((v) => (existsSync(v) ? readFileSync(v, 'utf8').split('\n').map((l) => l.trim().split('\t')[0]).filter(Boolean) : [v]))
    .map(parseVerifierKey);
}

function text(file: string): string {
  return readFileSync(file, 'utf8');
}

function report(findings: Finding[], summary: string, ok: boolean): void {
  for (const f of findings) process.stdout.write(`${f.kind.toUpperCase()}\t${f.detail}\n`);
  process.stdout.write(`${ok ? 'OK' : 'FAILED'}: ${summary}\n`);
  if (!ok) process.exitCode = 1;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('prove the log is intact: the store (--org), an export offline (--export), or one event (--event with --proof)')
    .option('--org <id>', "recompute and check an organization's whole log in the store; with --export or --event, the org they must be of")
    .option('--export <file>', 'check an export (NDJSON or an `annals export` bundle) against a signed checkpoint, offline')
    .option('--event <file>', 'check one event (as stored, or as the API serves it) ...')
    .option('--proof <file>', '... against this inclusion proof (as GET …/proofs/inclusion serves it)')
    .option('--checkpoint <file>', 'the signed checkpoint note (default: the one in the bundle or proof)')
    .option('--key <vkey>', 'a trusted verifier key, or a file of them (repeatable; see `annals ledger keys`)', (v: string, p: string[]) => [...p, v], [])
    .option('--deep', 'with --org: also check the copies of each event that searches use, and the stored Merkle nodes proofs are built from (slower)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: VerifyOptions, command: Command) => {
      if (opts.org && !opts.export && !opts.event) {
        await withAnnals(command, async (annals) => {
          const verifiers = opts.key.length > 0 ? keysFrom(opts.key) : annals.ledger.keys.verifiers;
          const bar = progress(`verify ${opts.org}`, await annals.store.countEvents(opts.org!));
          let last = 0;
          const reader = new ParallelLeafReader(annals.config);
          const result = await verifyStore(annals.store, annals.ledger, opts.org!, verifiers, {
            reader, deep: opts.deep, progress: (done) => { bar.increment(done - last); last = done; },
          }).finally(() => reader.close());
          bar.stop();
          if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          else report(result.findings, `${result.events} events and ${result.checkpoints} checkpoints of ${result.org}`, result.ok);
          if (!result.ok) process.exitCode = 1;
        });
        return;
      }
      if (opts.export) {
        // The bar counts the file's bytes as they are read (how many events it holds is known only at its end).
        const size = statSync(opts.export).size;
        const input = createReadStream(opts.export);
        const bar = progress(`verify ${opts.export} (bytes)`, size);
        input.on('data', (chunk) => bar.increment(chunk.length));
        const lines = createInterface({ input, crlfDelay: Infinity });
        const result = await verifyExport(lines, {
          checkpoint: opts.checkpoint ? text(opts.checkpoint) : undefined, verifiers: keysFrom(opts.key), parseVerifier: parseVerifierKey,
          org: opts.org,
        }).finally(() => bar.stop());
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          if (result.keysFromBundle) process.stderr.write('note: no --key given: trusting the keys inside the bundle; compare their ids with the ones you keep\n');
          report(result.findings, `${result.events} events against the checkpoint of ${result.origin ?? '?'} at size ${result.checkpointSize}`, result.ok);
        }
        if (!result.ok) process.exitCode = 1;
        return;
      }
      if (opts.event && opts.proof) {
        const raw = JSON.parse(text(opts.event)) as Record<string, unknown>;
        const body = (raw.data ?? raw) as Record<string, unknown>;
        const event = (body.attributes ? fromEnvelope(body as never) : body) as unknown as StoredEvent;
        const proofRaw = JSON.parse(text(opts.proof)) as { data?: ProofFile } & ProofFile;
        const proof = proofRaw.data ?? proofRaw;
        const note = opts.checkpoint ? text(opts.checkpoint) : proof.checkpoint?.note;
        if (!note) throw new Error('no checkpoint: give one with --checkpoint');
        if (opts.key.length === 0) throw new Error('give the trusted verifier key with --key (see `annals ledger keys`)');
        try {
          const { size, index, origin } = verifyEventProof(event, proof, note, keysFrom(opts.key), opts.org);
          process.stdout.write(`OK: event ${event.id} is leaf ${index} of the signed tree of ${size} events of ${origin}\n`);
        } catch (error) {
          process.stdout.write(`FAILED: event ${event.id ?? '?'}: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
        return;
      }
      command.help({ error: true });
    });
}
