// Key-case normalisation and unknown keys. The Go driver's TOML decoder matched keys
// case-insensitively and ignored unknown ones. We match case the same way; an unknown key that is a
// likely misspelling (close to a known key of the same table, or a misspelt table name) is an error,
// since ignoring it would silently run with the default (`EnablePublcIP = true` runs without a public
// IP). Any other unknown key, including a known key in the wrong table, is only warned about, so files
// the Go driver accepted with extra keys still load.
import { closestName } from "./suggest.js";
import { KNOWN_KEYS, TABLES } from "./schema.js";

/** The document with known keys renamed to their canonical spelling, a warning per ignored key and an error per misspelt one. */
export interface NormalizedDocument {
  data: Record<string, unknown>;
  warnings: string[];
  /** Misspelt keys and tables: `[Fargate] EnablePublcIP: unknown key; did you mean EnablePublicIP?`. */
  errors: string[];
}

/** Renames keys to their canonical case; collects errors for misspelt keys, warnings for other unknown or duplicate keys. */
export function normalizeKeys(document: Record<string, unknown>): NormalizedDocument {
  const report: Report = { warnings: [], errors: [] };
  const data = normalizeTable(document, "", report);
  for (const name of TABLES) {
    const section = data[name];
    if (isTable(section)) data[name] = normalizeTable(section, name, report);
  }
  return { data, ...report };
}

interface Report {
  warnings: string[];
  errors: string[];
}

function normalizeTable(table: Record<string, unknown>, tableName: string, report: Report): Record<string, unknown> {
  const known = KNOWN_KEYS[tableName] ?? [];
  const out: Record<string, unknown> = {};
  const spelling = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const canonical = known.find((name) => name === key) ?? known.find((name) => name.toLowerCase() === key.toLowerCase());
    if (canonical === undefined) {
      reportUnknown(key, value, tableName, report);
      continue;
    }
    const earlier = spelling.get(canonical);
    if (earlier !== undefined) {
      // Both "Cluster" and "cluster": the exact spelling wins, as in the Go driver.
      const ignored = key === canonical ? earlier : key;
      report.warnings.push(`${describeKey(tableName, ignored)} is ignored: ${describeKey(tableName, canonical)} is also set`);
      if (key !== canonical) continue;
    }
    out[canonical] = value;
    spelling.set(canonical, key);
  }
  return out;
}

function reportUnknown(key: string, value: unknown, tableName: string, report: Report): void {
  const isSection = tableName === "" && isTable(value);
  const nonTables = (names: readonly string[]) => names.filter((name) => !(TABLES as readonly string[]).includes(name));
  if (isSection) {
    const table = closestName(key, TABLES);
    if (table !== undefined) report.errors.push(`[${key}]: unknown table; did you mean [${table}]?`);
    else report.warnings.push(`unknown table [${key}] (ignored)`);
    return;
  }
  // A close key of the same table: a misspelling, which would otherwise silently fall back to the default.
  const local = closestName(key, nonTables(KNOWN_KEYS[tableName] ?? []));
  if (local !== undefined) {
    report.errors.push(`${describeKey(tableName, key)}: unknown key; did you mean ${local}?`);
    return;
  }
  // A key of another table (e.g. Port under [Fargate], or LogLevel written after [Fargate]): the Go
  // driver ignored it silently, so it stays a warning, with the suggestion.
  let hint = "";
  for (const [otherTable, names] of Object.entries(KNOWN_KEYS)) {
    if (otherTable === tableName) continue;
    const other = closestName(key, nonTables(names));
    if (other !== undefined) {
      hint = `; did you mean ${describeKey(otherTable, other)}?`;
      break;
    }
  }
  report.warnings.push(`unknown key ${describeKey(tableName, key)} (ignored)${hint}`);
}

function describeKey(tableName: string, key: string): string {
  return tableName === "" ? key : `[${tableName}] ${key}`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
