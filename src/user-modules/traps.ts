/**
 * Nondeterminism traps for the conformance worker: Math.random, clocks and the crypto random source
 * are replaced by wrappers that record their use and still answer (so a module that reads them keeps
 * working and the suite can name every source it used). Installed once, in the module-test worker
 * only (its own thread: the engine's threads are never trapped).
 */
const used = new Set<string>();

export function installTraps(): void {
  const wrap = <T extends object>(owner: T, key: keyof T & string, label: string) => {
    const original = owner[key] as unknown as (...a: unknown[]) => unknown;
    if (typeof original !== 'function') return;
    (owner as Record<string, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
      used.add(label);
      return original.apply(this, args);
    };
  };
  wrap(Math, 'random', 'Math.random');
  wrap(Date, 'now', 'Date.now');
  wrap(performance, 'now', 'performance.now');
  wrap(process, 'hrtime', 'process.hrtime');
  wrap(process.hrtime, 'bigint', 'process.hrtime.bigint');
  if (globalThis.crypto) wrap(globalThis.crypto, 'getRandomValues', 'crypto.getRandomValues');
  const RealDate = Date;
  // `new Date()` without arguments reads the clock; with arguments it is a pure conversion.
  const TrappedDate = new Proxy(RealDate, {
    construct(target, args: unknown[]) {
      if (args.length === 0) used.add('new Date()');
      return Reflect.construct(target, args);
    },
  });
  (globalThis as { Date: DateConstructor }).Date = TrappedDate;
}

/** The sources used since the last call, and forgets them. */
export function takeUses(): string[] {
  const list = [...used];
  used.clear();
  return list;
}
