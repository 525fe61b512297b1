/**
 * The math functions a Faust WebAssembly module imports from `env` (`_sinf`, `_powf`, `_fmodf`, …):
 * each is the JavaScript Math function of that name, computed in double precision (the results are
 * rounded to float32 where the module stores them). Unknown imports are refused by name.
 */
type Fn = (...a: number[]) => number;

const SPECIAL: Record<string, Fn> = {
  fmod: (x, y) => x % y,
  remainder: (x, y) => x - y * Math.round(x / y),
  rint: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // round half to even
  },
  isnan: (x) => (x !== x ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  copysign: (x, y) => (Math.sign(y) === -1 || Object.is(y, -0) ? -Math.abs(x) : Math.abs(x)),
  abs: Math.abs,
};

export function faustImports(mod: WebAssembly.Module): WebAssembly.Imports {
  const env: Record<string, Fn> = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (imp.kind !== 'function') throw new Error(`imports ${imp.module}.${imp.name} (${imp.kind}): not supported`);
    const base = imp.name.replace(/^_/, '');
    const math = Math as unknown as Record<string, Fn | undefined>;
    const fn = SPECIAL[base] ?? SPECIAL[base.replace(/f$/, '')] ?? math[base] ?? math[base.replace(/f$/, '')];
    if (typeof fn !== 'function') throw new Error(`imports ${imp.module}.${imp.name}: an unknown math function`);
    env[imp.name] = fn;
  }
  return { env };
}
