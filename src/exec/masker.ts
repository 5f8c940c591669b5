// Replaces masked variable values by [MASKED] in a stream of output, even when a value arrives
// split across chunks: only the shortest tail that could still grow into a secret is held back.

/** The text that replaces a masked value. */
export const maskText = "[MASKED]";

/** A streaming masker for one output stream. */
export class Masker {
  private pending = "";
  private readonly list: string[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a secret containing another is replaced whole.
    this.list = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  }

  /** The values this masker replaces. */
  secrets(): readonly string[] {
    return this.list;
  }

  /** Masks a whole string at once (for lines exec writes itself). */
  maskAll(text: string): string {
    let out = text;
    for (const s of this.list) out = out.split(s).join(maskText);
    return out;
  }

  /** Feeds a chunk; returns the text that is safe to print now. */
  push(chunk: string): string {
    if (this.list.length === 0) return chunk;
    const text = this.maskAll(this.pending + chunk);
    const hold = this.heldTail(text);
    this.pending = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /** Returns whatever was held back (call at the end of the stream). */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return rest;
  }

  // Length of the longest suffix of text that is a proper prefix of some secret.
  private heldTail(text: string): number {
    let best = 0;
    for (const s of this.list) {
      for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
        if (text.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
