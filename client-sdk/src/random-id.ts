/**
 * A random call id (the protocol allows 1-64 characters): a UUID where the platform has
 * `crypto.randomUUID` (browsers in secure contexts, Node), else four random 32-bit numbers in
 * base 36 (React Native without a crypto polyfill). Unique enough to tell calls apart, not a secret.
 */
export function randomCallId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return Array.from({ length: 4 }, () => Math.floor(Math.random() * 2 ** 32).toString(36)).join('-');
}
