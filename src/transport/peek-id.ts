const ID_FIELD = /"id"\s*:\s*"([^"\\]{1,64})"/;

/**
 * Finds a request id near the start of a frame without parsing it, so a frame refused before
 * parsing (too large, rate limited) can still be answered under its own id. Null if none.
 */
export function peekId(text: string): string | null {
  return ID_FIELD.exec(text.slice(0, 512))?.[1] ?? null;
}
