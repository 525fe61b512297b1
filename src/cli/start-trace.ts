/**
 * Where `play`'s start-up time goes: with --verbose, one stderr line per step, the time since the
 * process started (performance.now(): Node's time origin, which is the process's start), e.g.
 * `modsynth: start +412 ms: workers ready (2 + 1 spare; warm-up 180/175/170 ms)`. Silent otherwise.
 * Control thread.
 */
export class StartTrace {
  constructor(private readonly verbose: boolean | undefined) {}

  mark(step: string): void {
    if (this.verbose) console.error(`modsynth: start +${Math.round(performance.now())} ms: ${step}`);
  }
}
