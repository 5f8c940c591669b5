// The one thing the emulator reads from a SigV4 signature: the region of its credential scope
// (signatures are not verified).

/** The region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`. */
export function regionFromAuthorization(header: string | undefined): string | undefined {
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/.exec(header ?? "");
  return m?.[1];
}
