/** An API key as stored: never the key itself, only its SHA-256. Times are epoch milliseconds. */
export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  /** `pc_` and the key's public id: shown in listings, and how a presented key is found. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  keyHash: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}
