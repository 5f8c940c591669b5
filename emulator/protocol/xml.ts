// A tiny XML serializer for EC2 query-protocol responses: objects become elements, arrays become
// <item> lists (EC2's shape), undefined members are left out.

/** A value the serializer understands. */
export type XmlValue = string | number | boolean | undefined | null | XmlValue[] | { [key: string]: XmlValue };

/** Escapes text for element content. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** The content (children or text) of one element. */
export function xmlContent(value: XmlValue): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => `<item>${xmlContent(v)}</item>`).join("");
  if (typeof value === "object") {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${xmlContent(v)}</${k}>`)
      .join("");
  }
  return escapeXml(String(value));
}

/** A whole document: <?xml?> then one root element with optional xmlns. */
export function xmlDocument(root: string, body: XmlValue, xmlns?: string): string {
  const ns = xmlns ? ` xmlns="${xmlns}"` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${xmlContent(body)}</${root}>`;
}
