/** The account security centre's script: adding passkeys, copy and download buttons. */
export {};
