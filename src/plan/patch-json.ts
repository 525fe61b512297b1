/**
 * Patch text (or a session-log line) → a plain JSON value, bounded and in linear time whatever the
 * input: a UTF-8 byte-order mark is accepted, nesting deeper than MAX_JSON_DEPTH is refused before
 * anything is parsed (no parser recursion can overflow), keys that name JavaScript prototype machinery
 * (`__proto__`, `constructor`, `prototype`) are refused with their JSON path, and invalid JSON is
 * reported with the line and column of the first MAX_JSON_ERRORS errors only (the scan stops there),
 * never with a quote of the text. Runs off the audio path (control thread, CLI).
 */
import { printParseErrorCode, visit } from 'jsonc-parser';

/** Largest patch file read: a 3,700-module patch is about 400 KB. */
export const MAX_PATCH_BYTES = 16 * 2 ** 20;
/** Deepest nesting of arrays and objects (a patch needs 4: `$.modules[0].params`; `ui` data may use the rest). */
export const MAX_JSON_DEPTH = 64;
/** Invalid JSON: the first this many errors are reported, then the scan stops. */
export const MAX_JSON_ERRORS = 5;
/** Keys refused anywhere in a document: in JavaScript they reach an object's prototype. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonProblem {
  /** `line L, column C` for text problems, or the JSON path (`$.ui.__proto__`). */
  path: string;
  message: string;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; problems: JsonProblem[] };

/** `$.modules[2].params.cutoff` from ['modules', 2, 'params', 'cutoff']. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true }); // strips a leading BOM

/** Bytes of a file → text (a leading BOM removed), or undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Where nesting first goes deeper than `max`, or -1. One pass: brackets inside strings do not count;
 * a string also ends at a line break (JSON strings cannot hold one), as the error scanner reads it.
 */
function tooDeepAt(text: string, max: number): number {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22 || c === 0x0a || c === 0x0d) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

function lineColumnAt(text: string, offset: number): string {
  let line = 1, start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** The first `limit` JSON errors with their line and column (the scan stops at the limit). */
function jsonErrors(text: string, limit: number): JsonProblem[] {
  const problems: JsonProblem[] = [];
  const stop = new Error('enough errors');
  try {
    visit(
      text,
      {
        onError: (code, _offset, _length, line, column) => {
          problems.push({ path: `line ${line + 1}, column ${column + 1}`, message: `invalid JSON (${printParseErrorCode(code)})` });
          if (problems.length >= limit) throw stop;
        },
      },
      { disallowComments: true, allowTrailingComma: false },
    );
  } catch (e) {
    if (e !== stop) throw e;
  }
  if (problems.length >= limit) problems.push({ path: '$', message: `invalid JSON (the first ${limit} errors are shown)` });
  // JSON.parse refused it; the tolerant scanner may not say why (e.g. a lone surrogate): say it plainly.
  if (problems.length === 0) problems.push({ path: '$', message: 'invalid JSON' });
  return problems;
}

/** The first forbidden key's path in a parsed value (depth already bounded by the text scan). */
function forbiddenKey(value: unknown, path: PropertyKey[]): JsonProblem | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const nested = (child: unknown) => typeof child === 'object' && child !== null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nested(value[i]) ? forbiddenKey(value[i], [...path, i]) : undefined;
      if (p) return p;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      return { path: jsonPath([...path, key]), message: `the key "${key}" is not allowed (in JavaScript it reaches the object's prototype)` };
    }
    const child = (value as Record<string, unknown>)[key];
    const p = nested(child) ? forbiddenKey(child, [...path, key]) : undefined;
    if (p) return p;
  }
  return undefined;
}

/** Parses JSON text with the bounds above. Linear in the text's length. */
export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const deep = tooDeepAt(body, maxDepth);
  if (deep >= 0) return { ok: false, problems: [{ path: lineColumnAt(body, deep), message: `nested more than ${maxDepth} deep (arrays and objects inside each other)` }] };
  let value: unknown;
  try {
    value = JSON.parse(body); // linear; its own messages quote the text, so they are not shown
  } catch {
    return { ok: false, problems: jsonErrors(body, MAX_JSON_ERRORS) };
  }
  const bad = forbiddenKey(value, []);
  return bad ? { ok: false, problems: [bad] } : { ok: true, value };
}
