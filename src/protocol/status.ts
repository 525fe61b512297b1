/**
 * The fields of the `/status` reply (`/status.reply key value ...`), declared once: the engine's
 * (filled by the live command, cli/live-status.ts) and the control plane's (filled by the OSC server).
 * The types make each side fill exactly its fields; docs/osc.md's status section is generated here.
 * Names are append-only.
 */
export const ENGINE_STATUS = {
  sampleRate: 'sample rate, Hz',
  block: 'engine block, frames',
  workers: 'DSP workers the plan uses',
  loadPercent: 'busiest worker: share of the block period spent processing, %',
  underruns: 'device periods the output ring could not fill',
  paramsDropped: 'param changes and MIDI messages dropped because a command ring was full',
  seconds: 'audio played, s',
  faults: 'module faults so far',
  restarts: 'faulted modules restarted',
  workersReplaced: 'workers replaced after a hang or an exit',
  down: 'modules silent now, waiting for their restart',
  disabled: 'modules disabled after repeated faults',
  spares: 'warm spare workers ready',
  pid: 'process id',
  threads: 'OS threads of the process (-1 where unknown)',
  rssMB: 'resident memory, MiB',
} as const;

export const CONTROL_STATUS = {
  modules: 'modules in the patch',
  received: 'datagrams and TCP frames received',
  malformed: 'packets that were not well-formed OSC, or bundles nested too deep',
  unknown: 'messages to an unknown address',
  failed: 'requests answered with /fail',
  late: 'timed bundles applied late (their time had passed)',
  internal: 'requests whose handling failed unexpectedly (a bug; answered with /fail)',
  subscribers: '/notify subscriptions now',
  withheld: 'replies and events held back by the 10× bound on what a request may send to another address',
} as const;

export type EngineStatus = Record<keyof typeof ENGINE_STATUS, number>;
export type ControlStatus = Record<keyof typeof CONTROL_STATUS, number>;
