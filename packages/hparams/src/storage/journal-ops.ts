/**
 * The operations of Optuna's journal (`optuna.storages.JournalStorage`), one JSON object per line or Redis key.
 *
 * The op codes 0–9 and their fields are those of Optuna 3.1.0 and unchanged through 4.x; every reader from 3.1 on
 * reads what {@link encodeJournalOp} writes. Op 10 (DISCARD_TRIALS, Optuna 5.0-dev's Rust port) is never written and
 * is rejected on read, as Optuna 4.x rejects it. Numbers are written the way Python's `json.dumps` writes them
 * (floats as floats, `NaN`, `Infinity`, `-Infinity`), distributions as a JSON string nested in the record, exactly
 * as `optuna.distributions.distribution_to_json` does.
 */
import { FtError } from '@ft/core';
import { dumpPythonJson, type PythonJsonInput, type PythonJsonValue, parsePythonJson, pyFloat } from './python-json.js';

/** A journal record that cannot be read: bad JSON, an unknown op code, a missing or mistyped field. */
export class JournalFormatError extends FtError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('JOURNAL_CORRUPT', message, details, options);
  }
}

/** Optuna's `JournalOperation` codes. */
export const JOURNAL_OP_CODES = {
  createStudy: 0,
  deleteStudy: 1,
  setStudyUserAttr: 2,
  setStudySystemAttr: 3,
  createTrial: 4,
  setTrialParam: 5,
  setTrialStateValues: 6,
  setTrialIntermediateValue: 7,
  setTrialUserAttr: 8,
  setTrialSystemAttr: 9,
} as const;

/** Optuna's `TrialState`, by name; the journal stores the index (RUNNING 0 … WAITING 4). */
export const JOURNAL_TRIAL_STATES = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'] as const;
/** A trial state, named as Optuna names it. */
export type JournalTrialState = (typeof JOURNAL_TRIAL_STATES)[number];
/** True for the states a trial cannot leave (COMPLETE, PRUNED, FAIL), as `TrialState.is_finished()`. */
export function isFinishedState(s: JournalTrialState): boolean {
  return s === 'COMPLETE' || s === 'PRUNED' || s === 'FAIL';
}

/** Optuna's `StudyDirection`, by name; the journal stores NOT_SET 0, MINIMIZE 1, MAXIMIZE 2. */
export const JOURNAL_STUDY_DIRECTIONS = ['NOT_SET', 'MINIMIZE', 'MAXIMIZE'] as const;
/** A study direction, named as Optuna names it. */
export type JournalStudyDirection = (typeof JOURNAL_STUDY_DIRECTIONS)[number];

/** A JSON value stored as a user or system attribute. */
export type JournalAttrValue = PythonJsonValue;

/** `FloatDistribution(low, high, log, step)`. */
export interface JournalFloatDistribution {
  readonly kind: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number | null;
}
/** `IntDistribution(low, high, log, step)`. */
export interface JournalIntDistribution {
  readonly kind: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}
/** `CategoricalDistribution(choices)`: a param's internal value is the index of its choice. */
export interface JournalCategoricalDistribution {
  readonly kind: 'categorical';
  readonly choices: readonly (null | boolean | number | string)[];
}
/** A search-space distribution, as Optuna serialises it. */
export type JournalDistribution = JournalFloatDistribution | JournalIntDistribution | JournalCategoricalDistribution;

/** A param as the journal stores it: the internal representation (a float, or a choice index) and its distribution. */
export interface JournalParam {
  readonly internal: number;
  readonly distribution: JournalDistribution;
}

/** The external value of a param, as `distribution.to_external_repr`: the float, `int(x)`, or the choice. */
export function paramExternalValue(p: JournalParam): null | boolean | number | string {
  const d = p.distribution;
  if (d.kind === 'float') return p.internal;
  if (d.kind === 'int') return Math.trunc(p.internal);
  const c = d.choices[p.internal];
  if (c === undefined)
    throw new JournalFormatError(`categorical index ${p.internal} is out of range`, { choices: d.choices });
  return c;
}

/** The fields of a CREATE_TRIAL record copied from a template trial (Optuna's `create_new_trial(template_trial)`). */
export interface JournalTrialTemplate {
  readonly state: JournalTrialState;
  /** Objective values (null when the trial has none). */
  readonly values: readonly number[] | null;
  readonly datetimeComplete?: string | null;
  readonly params: Readonly<Record<string, JournalParam>>;
  readonly userAttrs: Readonly<Record<string, JournalAttrValue>>;
  readonly systemAttrs: Readonly<Record<string, JournalAttrValue>>;
  readonly intermediateValues: Readonly<Record<number, number>>;
}

/** One journal operation, decoded. Ids are the implicit ones of replay (see `JournalReplay`). */
export type JournalOp =
  | {
      readonly op: 'createStudy';
      readonly workerId: string;
      readonly studyName: string;
      readonly directions: readonly JournalStudyDirection[];
    }
  | { readonly op: 'deleteStudy'; readonly workerId: string; readonly studyId: number }
  | {
      readonly op: 'setStudyUserAttr' | 'setStudySystemAttr';
      readonly workerId: string;
      readonly studyId: number;
      readonly key: string;
      readonly value: JournalAttrValue;
    }
  | {
      readonly op: 'createTrial';
      readonly workerId: string;
      readonly studyId: number;
      readonly datetimeStart: string | null;
      /** Present when the trial is created from a template (enqueued or copied trials). */
      readonly template?: JournalTrialTemplate;
    }
  | {
      readonly op: 'setTrialParam';
      readonly workerId: string;
      readonly trialId: number;
      readonly name: string;
      readonly param: JournalParam;
    }
  | {
      readonly op: 'setTrialStateValues';
      readonly workerId: string;
      readonly trialId: number;
      readonly state: JournalTrialState;
      readonly values: readonly number[] | null;
      /** Written when the new state is RUNNING. */
      readonly datetimeStart?: string;
      /** Written when the new state is finished. */
      readonly datetimeComplete?: string;
    }
  | {
      readonly op: 'setTrialIntermediateValue';
      readonly workerId: string;
      readonly trialId: number;
      readonly step: number;
      readonly value: number;
    }
  | {
      readonly op: 'setTrialUserAttr' | 'setTrialSystemAttr';
      readonly workerId: string;
      readonly trialId: number;
      readonly key: string;
      readonly value: JournalAttrValue;
    };

/**
 * A datetime as Optuna writes it: `datetime.now().isoformat(timespec="microseconds")`, local time, no zone
 * (`2026-12-04T17:16:08.845000`).
 */
export function formatJournalDatetime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`
  );
}

/** `distribution_to_json(dist)`: the nested JSON string, with Optuna 3.1's attribute order. */
export function journalDistributionToJson(d: JournalDistribution): string {
  if (d.kind === 'float') {
    return dumpPythonJson({
      name: 'FloatDistribution',
      attributes: {
        step: d.step === null ? null : pyFloat(d.step),
        low: pyFloat(d.low),
        high: pyFloat(d.high),
        log: d.log,
      },
    });
  }
  if (d.kind === 'int') {
    return dumpPythonJson({
      name: 'IntDistribution',
      attributes: { log: d.log, step: d.step, low: d.low, high: d.high },
    });
  }
  return dumpPythonJson({ name: 'CategoricalDistribution', attributes: { choices: d.choices } });
}

type Rec = { [key: string]: PythonJsonValue };

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function num(r: Rec, k: string, where: string): number {
  const v = r[k];
  if (typeof v !== 'number')
    throw new JournalFormatError(`${where}: field "${k}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}
function int(r: Rec, k: string, where: string): number {
  const v = num(r, k, where);
  if (!Number.isInteger(v)) throw new JournalFormatError(`${where}: field "${k}" must be an integer, got ${v}`);
  return v;
}
function str(r: Rec, k: string, where: string): string {
  const v = r[k];
  if (typeof v !== 'string')
    throw new JournalFormatError(`${where}: field "${k}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function bool(r: Rec, k: string, where: string, dflt?: boolean): boolean {
  const v = r[k];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean')
    throw new JournalFormatError(`${where}: field "${k}" must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}
function rec(r: Rec, k: string, where: string): Rec {
  const v = r[k];
  if (!isRec(v)) throw new JournalFormatError(`${where}: field "${k}" must be an object`);
  return v;
}
function numList(v: PythonJsonValue | undefined, where: string): number[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) {
    throw new JournalFormatError(`${where}: values must be a list of numbers or null`);
  }
  return v as number[];
}
function oneKey(r: Rec, k: string, where: string): [string, PythonJsonValue] {
  const o = rec(r, k, where);
  const entries = Object.entries(o);
  if (entries.length !== 1) throw new JournalFormatError(`${where}: field "${k}" must have exactly one key`);
  return entries[0] as [string, PythonJsonValue];
}
function state(r: Rec, k: string, where: string): JournalTrialState {
  const s = JOURNAL_TRIAL_STATES[int(r, k, where)];
  if (s === undefined) throw new JournalFormatError(`${where}: unknown trial state ${r[k]}`);
  return s;
}

/**
 * `json_to_distribution(text)`: the current names (Float/Int/CategoricalDistribution), the pre-3.0 names
 * (Uniform, LogUniform, DiscreteUniform, IntUniform, IntLogUniform, read as their Float/Int equivalents) and the
 * abbreviated `{"type": ...}` form.
 */
export function journalDistributionFromJson(text: string): JournalDistribution {
  let j: PythonJsonValue;
  try {
    j = parsePythonJson(text);
  } catch (e) {
    throw new JournalFormatError(`distribution is not JSON: ${text}`, undefined, { cause: e });
  }
  const w = 'distribution';
  if (!isRec(j)) throw new JournalFormatError(`distribution must be an object: ${text}`);
  if ('name' in j) {
    const a = rec(j, 'attributes', w);
    const step = (k = 'step') => (a[k] === null || a[k] === undefined ? null : num(a, k, w));
    switch (j.name) {
      case 'FloatDistribution':
        return {
          kind: 'float',
          low: num(a, 'low', w),
          high: num(a, 'high', w),
          log: bool(a, 'log', w, false),
          step: step(),
        };
      case 'UniformDistribution':
        return { kind: 'float', low: num(a, 'low', w), high: num(a, 'high', w), log: false, step: null };
      case 'LogUniformDistribution':
        return { kind: 'float', low: num(a, 'low', w), high: num(a, 'high', w), log: true, step: null };
      case 'DiscreteUniformDistribution':
        return { kind: 'float', low: num(a, 'low', w), high: num(a, 'high', w), log: false, step: num(a, 'q', w) };
      case 'IntDistribution':
        return {
          kind: 'int',
          low: int(a, 'low', w),
          high: int(a, 'high', w),
          log: bool(a, 'log', w, false),
          step: step() ?? 1,
        };
      case 'IntUniformDistribution':
        return { kind: 'int', low: int(a, 'low', w), high: int(a, 'high', w), log: false, step: step() ?? 1 };
      case 'IntLogUniformDistribution':
        return { kind: 'int', low: int(a, 'low', w), high: int(a, 'high', w), log: true, step: step() ?? 1 };
      case 'CategoricalDistribution':
        return { kind: 'categorical', choices: choices(a.choices) };
      default:
        throw new JournalFormatError(`unknown distribution class ${JSON.stringify(j.name)}`);
    }
  }
  if (j.type === 'categorical') return { kind: 'categorical', choices: choices(j.choices) };
  if (j.type === 'float' || j.type === 'int') {
    const log = bool(j, 'log', w, false);
    const step = j.step === null || j.step === undefined ? null : num(j, 'step', w);
    if (j.type === 'float') return { kind: 'float', low: num(j, 'low', w), high: num(j, 'high', w), log, step };
    return { kind: 'int', low: int(j, 'low', w), high: int(j, 'high', w), log, step: step ?? 1 };
  }
  throw new JournalFormatError(`unknown distribution type ${JSON.stringify(j.type)}`);
}

function choices(v: PythonJsonValue | undefined): (null | boolean | number | string)[] {
  if (!Array.isArray(v) || !v.every((c) => c === null || typeof c !== 'object')) {
    throw new JournalFormatError('categorical choices must be a list of null, booleans, numbers or strings');
  }
  return v as (null | boolean | number | string)[];
}

/** The internal value of a param as Optuna writes it: a float for float/int distributions, an int index for categorical. */
function internalOut(p: JournalParam): PythonJsonInput {
  return p.distribution.kind === 'categorical' ? p.internal : pyFloat(p.internal);
}
function valuesOut(v: readonly number[] | null): PythonJsonInput {
  return v === null ? null : v.map((x) => pyFloat(x));
}

/** The record of an operation, as a JSON-ready object with Optuna's field names and order. */
function toRecord(op: JournalOp): { [key: string]: PythonJsonInput | undefined } {
  const head = { op_code: JOURNAL_OP_CODES[op.op], worker_id: op.workerId };
  switch (op.op) {
    case 'createStudy':
      return {
        ...head,
        study_name: op.studyName,
        directions: op.directions.map((d) => JOURNAL_STUDY_DIRECTIONS.indexOf(d)),
      };
    case 'deleteStudy':
      return { ...head, study_id: op.studyId };
    case 'setStudyUserAttr':
      return { ...head, study_id: op.studyId, user_attr: { [op.key]: op.value } };
    case 'setStudySystemAttr':
      return { ...head, study_id: op.studyId, system_attr: { [op.key]: op.value } };
    case 'createTrial': {
      const r: { [key: string]: PythonJsonInput | undefined } = {
        ...head,
        study_id: op.studyId,
        datetime_start: op.datetimeStart,
      };
      const t = op.template;
      if (t) {
        r.state = JOURNAL_TRIAL_STATES.indexOf(t.state);
        // Optuna writes `value` for one objective and `values` for several.
        if (t.values !== null && t.values.length > 1) {
          r.value = null;
          r.values = valuesOut(t.values);
        } else {
          r.value = t.values === null || t.values.length === 0 ? null : pyFloat(t.values[0] as number);
          r.values = null;
        }
        r.datetime_start = op.datetimeStart;
        if (t.datetimeComplete) r.datetime_complete = t.datetimeComplete;
        const names = Object.keys(t.params);
        r.distributions = Object.fromEntries(
          names.map((k) => [k, journalDistributionToJson((t.params[k] as JournalParam).distribution)]),
        );
        r.params = Object.fromEntries(names.map((k) => [k, internalOut(t.params[k] as JournalParam)]));
        r.user_attrs = t.userAttrs;
        r.system_attrs = t.systemAttrs;
        r.intermediate_values = Object.fromEntries(
          Object.entries(t.intermediateValues).map(([k, v]) => [k, pyFloat(v)]),
        );
      }
      return r;
    }
    case 'setTrialParam':
      return {
        ...head,
        trial_id: op.trialId,
        param_name: op.name,
        param_value_internal: internalOut(op.param),
        distribution: journalDistributionToJson(op.param.distribution),
      };
    case 'setTrialStateValues':
      return {
        ...head,
        trial_id: op.trialId,
        state: JOURNAL_TRIAL_STATES.indexOf(op.state),
        values: valuesOut(op.values),
        datetime_start: op.datetimeStart,
        datetime_complete: op.datetimeComplete,
      };
    case 'setTrialIntermediateValue':
      return { ...head, trial_id: op.trialId, step: op.step, intermediate_value: pyFloat(op.value) };
    case 'setTrialUserAttr':
      return { ...head, trial_id: op.trialId, user_attr: { [op.key]: op.value } };
    case 'setTrialSystemAttr':
      return { ...head, trial_id: op.trialId, system_attr: { [op.key]: op.value } };
  }
}

/** One journal line (without its newline), byte for byte what Optuna's `json.dumps(log)` writes for the same op. */
export function encodeJournalOp(op: JournalOp): string {
  return dumpPythonJson(toRecord(op));
}

/** Decodes one record (parsed JSON object) into a {@link JournalOp}; throws {@link JournalFormatError}. */
export function journalOpFromRecord(r: PythonJsonValue): JournalOp {
  if (!isRec(r)) throw new JournalFormatError('a journal record must be a JSON object');
  const code = int(r, 'op_code', 'record');
  const workerId = str(r, 'worker_id', 'record');
  const w = `op ${code}`;
  switch (code) {
    case 0: {
      const d = r.directions;
      if (!Array.isArray(d)) throw new JournalFormatError(`${w}: directions must be a list`);
      const directions = d.map((x) => {
        const name = typeof x === 'number' ? JOURNAL_STUDY_DIRECTIONS[x] : undefined;
        if (name === undefined) throw new JournalFormatError(`${w}: unknown direction ${JSON.stringify(x)}`);
        return name;
      });
      return { op: 'createStudy', workerId, studyName: str(r, 'study_name', w), directions };
    }
    case 1:
      return { op: 'deleteStudy', workerId, studyId: int(r, 'study_id', w) };
    case 2:
    case 3: {
      const [key, value] = oneKey(r, code === 2 ? 'user_attr' : 'system_attr', w);
      return {
        op: code === 2 ? 'setStudyUserAttr' : 'setStudySystemAttr',
        workerId,
        studyId: int(r, 'study_id', w),
        key,
        value,
      };
    }
    case 4: {
      const ds = r.datetime_start;
      if (ds !== null && typeof ds !== 'string')
        throw new JournalFormatError(`${w}: datetime_start must be a string or null`);
      const base = { op: 'createTrial' as const, workerId, studyId: int(r, 'study_id', w), datetimeStart: ds };
      const hasTemplate = [
        'state',
        'value',
        'values',
        'params',
        'distributions',
        'user_attrs',
        'system_attrs',
        'intermediate_values',
        'datetime_complete',
      ].some((k) => k in r);
      if (!hasTemplate) return base;
      const dists = isRec(r.distributions) ? r.distributions : {};
      const params: Record<string, JournalParam> = {};
      for (const [k, v] of Object.entries(isRec(r.params) ? r.params : {})) {
        const dj = dists[k];
        if (typeof dj !== 'string') throw new JournalFormatError(`${w}: param "${k}" has no distribution`);
        if (typeof v !== 'number') throw new JournalFormatError(`${w}: param "${k}" must be a number`);
        params[k] = { internal: v, distribution: journalDistributionFromJson(dj) };
      }
      const values = numList(r.values, w) ?? (typeof r.value === 'number' ? [r.value] : null);
      const iv: Record<number, number> = {};
      for (const [k, v] of Object.entries(isRec(r.intermediate_values) ? r.intermediate_values : {})) {
        if (typeof v !== 'number') throw new JournalFormatError(`${w}: intermediate value ${k} must be a number`);
        iv[Number.parseInt(k, 10)] = v;
      }
      const dc = r.datetime_complete;
      return {
        ...base,
        template: {
          state: 'state' in r ? state(r, 'state', w) : 'RUNNING',
          values,
          datetimeComplete: typeof dc === 'string' ? dc : null,
          params,
          userAttrs: isRec(r.user_attrs) ? r.user_attrs : {},
          systemAttrs: isRec(r.system_attrs) ? r.system_attrs : {},
          intermediateValues: iv,
        },
      };
    }
    case 5:
      return {
        op: 'setTrialParam',
        workerId,
        trialId: int(r, 'trial_id', w),
        name: str(r, 'param_name', w),
        param: {
          internal: num(r, 'param_value_internal', w),
          distribution: journalDistributionFromJson(str(r, 'distribution', w)),
        },
      };
    case 6: {
      const out: {
        op: 'setTrialStateValues';
        workerId: string;
        trialId: number;
        state: JournalTrialState;
        values: number[] | null;
        datetimeStart?: string;
        datetimeComplete?: string;
      } = {
        op: 'setTrialStateValues',
        workerId,
        trialId: int(r, 'trial_id', w),
        state: state(r, 'state', w),
        values: numList(r.values, w),
      };
      if (typeof r.datetime_start === 'string') out.datetimeStart = r.datetime_start;
      if (typeof r.datetime_complete === 'string') out.datetimeComplete = r.datetime_complete;
      return out;
    }
    case 7:
      return {
        op: 'setTrialIntermediateValue',
        workerId,
        trialId: int(r, 'trial_id', w),
        step: int(r, 'step', w),
        value: num(r, 'intermediate_value', w),
      };
    case 8:
    case 9: {
      const [key, value] = oneKey(r, code === 8 ? 'user_attr' : 'system_attr', w);
      return {
        op: code === 8 ? 'setTrialUserAttr' : 'setTrialSystemAttr',
        workerId,
        trialId: int(r, 'trial_id', w),
        key,
        value,
      };
    }
    default:
      throw new JournalFormatError(`unknown journal op code ${code} (Optuna 3.1–4.x write 0–9)`, { opCode: code });
  }
}

/** Decodes one journal line; throws {@link JournalFormatError} on bad JSON or a bad record. */
export function decodeJournalOp(line: string): JournalOp {
  let r: PythonJsonValue;
  try {
    r = parsePythonJson(line);
  } catch (e) {
    throw new JournalFormatError(`journal line is not JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  return journalOpFromRecord(r);
}
