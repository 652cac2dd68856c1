// Argument schemas: the RFC 8620/8621 type of every argument a method takes, checked by the
// dispatcher before the handler runs, so a wrong-typed argument is invalidArguments naming it
// (never a handler tripping over it into serverFail). Handlers still check meaning (an unknown
// property name, an id that does not exist); types are settled here, once, for every method.
import { isJsonObject, type Json, type JsonObject } from './types.js';

/**
 * The argument types RFC 8620/8621 use. `Id[Object]`-style maps, PatchObjects, FilterOperator /
 * FilterCondition and the like are 'object'; lists of objects (Comparator[]) are 'object[]'.
 */
export type ArgumentType =
  | 'Id'
  | 'String'
  | 'Boolean'
  | 'Int'
  | 'UnsignedInt'
  | 'PositiveInt'
  | 'UTCDate'
  | 'Id[]'
  | 'String[]'
  | 'object'
  | 'object[]';

export interface ArgumentSpec {
  type: ArgumentType;
  /** Must be present and not null (e.g. accountId, sinceState). */
  required?: boolean;
  /** null is accepted (and means the default); true for every optional RFC argument typed `T|null`. */
  nullable?: boolean;
}

/** Argument name → spec; arguments not listed are ignored, as RFC 8620 lets servers do. */
export type ArgumentSchema = Readonly<Record<string, ArgumentSpec>>;

/** A schema that accepts anything (Core/echo). */
export const ANY_ARGUMENTS: ArgumentSchema = Object.freeze({});

const INT_MAX = 2 ** 53 - 1;
const UTC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const DESCRIPTION: Record<ArgumentType, string> = {
  Id: 'an Id',
  String: 'a String',
  Boolean: 'a Boolean',
  Int: 'an Int',
  UnsignedInt: 'an UnsignedInt (0 or more)',
  PositiveInt: 'a positive Int (1 or more)',
  UTCDate: 'a UTCDate',
  'Id[]': 'a list of Ids',
  'String[]': 'a list of Strings',
  object: 'an object',
  'object[]': 'a list of objects',
};

/** RFC 8620 §1.4 UTCDate: an RFC 3339 date-time in UTC, "Z" and upper case, a real instant. */
export function isUtcDate(v: Json): v is string {
  return typeof v === 'string' && UTC_DATE.test(v) && !Number.isNaN(Date.parse(v));
}

function isInt(v: Json): v is number {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= INT_MAX;
}

/** RFC 8620 §1.2: 1–255 octets of URL-safe base64 characters; "#creationId" references are ids too. */
function isId(v: Json): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= 256;
}

function matches(type: ArgumentType, v: Json): boolean {
  switch (type) {
    case 'Id':
      return isId(v);
    case 'String':
      return typeof v === 'string';
    case 'Boolean':
      return typeof v === 'boolean';
    case 'Int':
      return isInt(v);
    case 'UnsignedInt':
      return isInt(v) && v >= 0;
    case 'PositiveInt':
      return isInt(v) && v >= 1;
    case 'UTCDate':
      return isUtcDate(v);
    case 'Id[]':
      return Array.isArray(v) && v.every(isId);
    case 'String[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object':
      return isJsonObject(v);
    case 'object[]':
      return Array.isArray(v) && v.every(isJsonObject);
  }
}

/** The first argument of `args` that does not fit `schema`, described for invalidArguments. */
export function argumentProblem(args: JsonObject, schema: ArgumentSchema): string | undefined {
  for (const [name, spec] of Object.entries(schema)) {
    const v = args[name];
    if (v === undefined || v === null) {
      if (spec.required) return `"${name}" is required`;
      if (v === null && !spec.nullable) return `"${name}" must be ${DESCRIPTION[spec.type]}, not null`;
      continue;
    }
    if (!matches(spec.type, v)) return `"${name}" must be ${DESCRIPTION[spec.type]}${spec.nullable ? ' or null' : ''}`;
  }
  return undefined;
}
