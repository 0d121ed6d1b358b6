/** Who a connection is and what it may do, from its verified token. */
export interface Identity {
  userId: string;
  /** patient, caregiver, or another role the issuer uses; `patient` alone may publish locations */
  role: string;
  /** patients whose location this user may watch and whom it may signal */
  patients: readonly string[];
  /** other users this user may signal directly (e.g. a patient's caregivers) */
  contacts: readonly string[];
  /** rooms this user may join: exact ids, `prefix*` patterns, or `*` for any */
  rooms: readonly string[];
  /** token expiry, ms since the Unix epoch, if the token has one */
  expiresAt: number | null;
}
