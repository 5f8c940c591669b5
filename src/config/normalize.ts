// Key-case normalisation and unknown-key warnings. The Go driver's TOML decoder matched keys
// case-insensitively and ignored unknown ones; we do the same but say so, with a suggestion.
import { closestName } from "./suggest.js";
import { KNOWN_KEYS, TABLES } from "./schema.js";

/** The document with known keys renamed to their canonical spelling, and a warning per ignored key. */
export interface NormalizedDocument {
  data: Record<string, unknown>;
  warnings: string[];
}

/** Renames keys to their canonical case and collects warnings for unknown or duplicate keys. */
export function normalizeKeys(document: Record<string, unknown>): NormalizedDocument {
  const warnings: string[] = [];
  const data = normalizeTable(document, "", warnings);
  for (const name of TABLES) {
    const section = data[name];
    if (isTable(section)) data[name] = normalizeTable(section, name, warnings);
  }
  return { data, warnings };
}

function normalizeTable(table: Record<string, unknown>, tableName: string, warnings: string[]): Record<string, unknown> {
  const known = KNOWN_KEYS[tableName] ?? [];
  const out: Record<string, unknown> = {};
  const spelling = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const canonical = known.find((name) => name === key) ?? known.find((name) => name.toLowerCase() === key.toLowerCase());
    if (canonical === undefined) {
      warnings.push(unknownKeyWarning(key, value, tableName));
      continue;
    }
    const earlier = spelling.get(canonical);
    if (earlier !== undefined) {
      // Both "Cluster" and "cluster": the exact spelling wins, as in the Go driver.
      const ignored = key === canonical ? earlier : key;
      warnings.push(`${describeKey(tableName, ignored)} is ignored: ${describeKey(tableName, canonical)} is also set`);
      if (key !== canonical) continue;
    }
    out[canonical] = value;
    spelling.set(canonical, key);
  }
  return out;
}

function unknownKeyWarning(key: string, value: unknown, tableName: string): string {
  const isSection = tableName === "" && isTable(value);
  const what = isSection ? `unknown table [${key}]` : `unknown key ${describeKey(tableName, key)}`;
  return `${what} (ignored)${suggestionFor(key, tableName, isSection)}`;
}

function suggestionFor(key: string, tableName: string, isSection: boolean): string {
  if (isSection) {
    const table = closestName(key, TABLES);
    return table === undefined ? "" : `; did you mean [${table}]?`;
  }
  // Same table first; then the key may simply sit in the wrong table (e.g. Port under [Fargate]).
  const local = closestName(key, (KNOWN_KEYS[tableName] ?? []).filter((name) => !(TABLES as readonly string[]).includes(name)));
  if (local !== undefined) return `; did you mean ${describeKey(tableName, local)}?`;
  for (const [otherTable, names] of Object.entries(KNOWN_KEYS)) {
    if (otherTable === tableName) continue;
    const other = closestName(key, names.filter((name) => !(TABLES as readonly string[]).includes(name)));
    if (other !== undefined) return `; did you mean ${describeKey(otherTable, other)}?`;
  }
  return "";
}

function describeKey(tableName: string, key: string): string {
  return tableName === "" ? key : `[${tableName}] ${key}`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
