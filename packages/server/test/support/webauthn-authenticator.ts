/**
 * A software WebAuthn authenticator for tests, written with node:crypto: it answers the options
 * the server hands out with real credentials, the way a browser and a platform authenticator
 * would — an ES256 (P-256) key pair per credential, `"none"` attestation, authenticator data with
 * the RP ID hash, the UP/UV/AT/BE/BS flags and a big-endian signature counter (WebAuthn §6.1),
 * a COSE public key (RFC 9053), the attestation object in CBOR (RFC 8949), and a clientDataJSON
 * with the type, challenge and origin. Assertions are ECDSA-SHA256 signatures (DER) over
 * `authenticatorData || SHA-256(clientDataJSON)`.
 *
 * Knobs for negative tests: another origin, no user verification, a counter that stays at zero
 * (synced passkeys) or is set by hand (a cloned key).
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** The parts of the server's options this authenticator reads. */
export interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
  excludeCredentials?: { id: string }[];
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface SoftwareCredential {
  /** base64url */
  id: string;
  rpId: string;
  /** base64url, as the server set it */
  userHandle: string;
  privateKey: KeyObject;
  counter: number;
}

export interface AuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  /** Whether the user is verified (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
  /** `zero`: never counts, like synced passkeys. Default: counts up by one per assertion. */
  counter?: "increasing" | "zero";
  /** Sets the BE and BS flags (a synced, backed-up passkey). Default false. */
  backedUp?: boolean;
}

export interface AssertOptions {
  /** Which credential answers; default the first allowed one (or the first one, for discoverable sign-in). */
  credentialId?: string;
  origin?: string;
  userVerification?: boolean;
  /** Report this counter instead of the next one (a cloned key, a replay). */
  counter?: number;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

// --- a minimal CBOR encoder (RFC 8949): unsigned and negative integers, byte and text strings, maps.
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function cborHead(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) {
    const head = Buffer.alloc(3);
    head[0] = (major << 5) | 25;
    head.writeUInt16BE(value, 1);
    return head;
  }
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(value, 1);
  return head;
}

export function encodeCbor(value: Cbor): Buffer {
  if (typeof value === "number") {
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), Buffer.from(value)]);
  const parts = [cborHead(5, value.size)];
  for (const [key, item] of value) parts.push(encodeCbor(key), encodeCbor(item));
  return Buffer.concat(parts);
}

/** The credential's public key as a COSE_Key: EC2, ES256 (-7), P-256. */
function coseKey(privateKey: KeyObject): Buffer {
  const jwk = privateKey.export({ format: "jwk" });
  return encodeCbor(
    new Map<Cbor, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? "", "base64url")],
      [-3, Buffer.from(jwk.y ?? "", "base64url")],
    ]),
  );
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter, 0);
  return bytes;
}

function clientData(type: "webauthn.create" | "webauthn.get", challenge: string, origin: string): string {
  return b64url(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8"));
}

export interface SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[];
  /** Answers registration options like `navigator.credentials.create()` + `toJSON()`. */
  register(options: CreationOptions): {
    id: string;
    rawId: string;
    type: "public-key";
    response: { clientDataJSON: string; attestationObject: string; transports: string[] };
    authenticatorAttachment: "platform";
    clientExtensionResults: Record<string, never>;
  };
  /** Answers authentication options like `navigator.credentials.get()` + `toJSON()`. */
  assert(
    options: RequestOptions,
    overrides?: AssertOptions,
  ): {
    id: string;
    rawId: string;
    type: "public-key";
    response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string };
    authenticatorAttachment: "platform";
    clientExtensionResults: Record<string, never>;
  };
}

/**
 * @example
 * const authenticator = createSoftwareAuthenticator({ origin: "http://portcullis.test" });
 * const credential = authenticator.register(await registrationOptions());
 * const assertion = authenticator.assert(await authenticationOptions());
 */
export function createSoftwareAuthenticator(options: AuthenticatorOptions): SoftwareAuthenticator {
  const credentials: SoftwareCredential[] = [];
  const backup = options.backedUp === true ? FLAG_BE | FLAG_BS : 0;

  return {
    credentials,

    register(creation) {
      const rpId = creation.rp.id ?? new URL(options.origin).hostname;
      const excluded = new Set((creation.excludeCredentials ?? []).map((credential) => credential.id));
      if (credentials.some((credential) => excluded.has(credential.id) && credential.rpId === rpId)) {
        throw new Error("InvalidStateError: this authenticator already holds an excluded credential");
      }
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const idBytes = randomBytes(16);
      const credential: SoftwareCredential = {
        id: b64url(idBytes),
        rpId,
        userHandle: creation.user.id,
        privateKey,
        counter: 0,
      };
      credentials.push(credential);

      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(idBytes.length, 0);
      const flags = FLAG_UP | (options.userVerification === false ? 0 : FLAG_UV) | FLAG_AT | backup;
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags]),
        counterBytes(credential.counter),
        Buffer.alloc(16), // AAGUID: all zeros with "none" attestation
        idLength,
        idBytes,
        coseKey(privateKey),
      ]);
      const attestationObject = encodeCbor(
        new Map<Cbor, Cbor>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData],
        ]),
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: "public-key",
        response: {
          clientDataJSON: clientData("webauthn.create", creation.challenge, options.origin),
          attestationObject: b64url(attestationObject),
          transports: ["internal"],
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
      };
    },

    assert(request, overrides = {}) {
      const rpId = request.rpId ?? new URL(options.origin).hostname;
      const allowed = (request.allowCredentials ?? []).map((credential) => credential.id);
      const credential = credentials.find(
        (candidate) =>
          candidate.rpId === rpId &&
          (overrides.credentialId === undefined || candidate.id === overrides.credentialId) &&
          (allowed.length === 0 || allowed.includes(candidate.id)),
      );
      if (credential === undefined) throw new Error("NotAllowedError: no credential for these options");
      if (overrides.counter !== undefined) credential.counter = overrides.counter;
      else if (options.counter !== "zero") credential.counter += 1;

      const verified = overrides.userVerification ?? options.userVerification ?? true;
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([FLAG_UP | (verified ? FLAG_UV : 0) | backup]),
        counterBytes(credential.counter),
      ]);
      const clientDataJSON = clientData(
        "webauthn.get",
        request.challenge,
        overrides.origin ?? options.origin,
      );
      const signature = sign(
        "sha256",
        Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, "base64url"))]),
        credential.privateKey,
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: "public-key",
        response: {
          clientDataJSON,
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle: credential.userHandle,
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
      };
    },
  };
}
