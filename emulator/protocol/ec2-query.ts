// The EC2 query protocol: form-encoded Action=...&Version=... in, XML out (2016-11-15 namespace),
// errors as <Response><Errors><Error>.
import { AwsError } from "../errors.js";
import { uuid } from "../model/ids.js";
import { xmlDocument } from "./xml.js";
import type { XmlValue } from "./xml.js";

/** The EC2 API namespace every response carries. */
export const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** One Filter.N of a Describe* request. */
export interface Ec2Filter {
  name: string;
  values: string[];
}

/** Values of a numbered list parameter (Prefix.1, Prefix.2, ...) in index order. */
export function listParam(params: URLSearchParams, prefix: string): string[] {
  const out: Array<[number, string]> = [];
  for (const [k, v] of params) {
    const m = new RegExp(`^${prefix}\\.(\\d+)$`).exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** Filter.N.Name / Filter.N.Value.M, grouped. */
export function filtersParam(params: URLSearchParams): Ec2Filter[] {
  const byIndex = new Map<number, Ec2Filter & { valueIdx: Array<[number, string]> }>();
  for (const [k, v] of params) {
    const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    const f = byIndex.get(i) ?? { name: "", values: [], valueIdx: [] };
    if (m[2] === "Name") f.name = v;
    else f.valueIdx.push([Number(m[3]), v]);
    byIndex.set(i, f);
  }
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, f]) => ({ name: f.name, values: f.valueIdx.sort((a, b) => a[0] - b[0]).map(([, v]) => v) }));
}

/** A successful response document. */
export function ec2Response(action: string, body: Record<string, XmlValue>, requestId = uuid()): string {
  return xmlDocument(`${action}Response`, { requestId, ...body }, ec2Namespace);
}

/** An error response document. */
export function ec2ErrorResponse(error: AwsError, requestId = uuid()): string {
  return xmlDocument("Response", { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId });
}
