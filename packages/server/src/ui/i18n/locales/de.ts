/** Deutsch. Same shape as `en.ts` (the compiler checks every key). */
import type { Messages } from "./en.js";

const de: Messages = {
  meta: { code: "de", name: "Deutsch" },
  common: {
    skipToContent: "Zum Inhalt springen",
    signOut: "Abmelden",
    account: "Ihr Konto",
    admin: "Verwaltung",
    language: "Sprache",
    change: "Ändern",
    cancel: "Abbrechen",
    continue: "Weiter",
    save: "Speichern",
    email: "E-Mail",
    password: "Passwort",
    name: "Name",
    optional: "optional",
    errorHeading: "Etwas stimmt nicht",
    problemsInForm: "Bitte korrigieren Sie Folgendes:",
    tryAgainIn: (wait) => `Versuchen Sie es in ${wait} erneut.`,
    seconds: (n) => (n === 1 ? "1 Sekunde" : `${n} Sekunden`),
    minutes: (n) => (n === 1 ? "1 Minute" : `${n} Minuten`),
    hours: (n) => (n === 1 ? "1 Stunde" : `${n} Stunden`),
    backToSignIn: "Zurück zur Anmeldung",
    goToAccount: "Zu Ihrem Konto",
    forbiddenTitle: "Nicht erlaubt",
    notFoundTitle: "Seite nicht gefunden",
    errorTitle: "Etwas ist schiefgegangen",
    poweredBy: (product) => `${product}-Konto`,
  },
  errors: {
    malformed_body:
      "Das Formular konnte nicht gelesen werden. Laden Sie die Seite neu und versuchen Sie es erneut.",
    validation_failed: "Einige Angaben sind ungültig. Prüfen Sie die markierten Felder.",
    weak_password: "Wählen Sie ein stärkeres Passwort.",
    invalid_code: "Dieser Anmeldelink ist nicht mehr gültig. Beginnen Sie von vorn.",
    invalid_webauthn_response:
      "Der Passkey konnte nicht geprüft werden oder hat zu lange gebraucht. Versuchen Sie es erneut.",
    invalid_redirect: "Diese Rücksprungadresse ist nicht erlaubt.",
    invalid_state:
      "Die Anmeldung hat zu lange gedauert oder wurde in einem anderen Browser begonnen. Beginnen Sie von vorn.",
    unauthenticated: "Bitte melden Sie sich zuerst an.",
    invalid_token: "Dieser Link ist nicht mehr gültig: Er wurde schon benutzt oder ist abgelaufen.",
    invalid_api_key: "Dieser API-Schlüssel ist nicht gültig.",
    invalid_credentials: "E-Mail-Adresse oder Passwort ist falsch.",
    invalid_refresh_token: "Ihre Sitzung ist beendet. Bitte melden Sie sich erneut an.",
    invalid_mfa_code:
      "Dieser Code ist falsch oder wurde schon benutzt. Nehmen Sie den nächsten Code aus Ihrer App.",
    invalid_mfa_token:
      "Die Anmeldung hat zu lange gedauert oder es gab zu viele falsche Codes. Bitte melden Sie sich erneut an.",
    refresh_token_reused: "Ihre Sitzung wurde zu Ihrer Sicherheit beendet. Bitte melden Sie sich erneut an.",
    reauthentication_required: "Bitte bestätigen Sie, dass Sie es sind, bevor Sie fortfahren.",
    account_disabled: "Dieses Konto ist gesperrt. Wenden Sie sich an Ihre Administration.",
    email_not_verified:
      "Bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link, den wir Ihnen geschickt haben.",
    insufficient_role: "Ihr Konto darf diese Seite nicht öffnen.",
    insufficient_scope: "Ihr Konto darf das nicht.",
    csrf_failed:
      "Dieses Formular ist abgelaufen oder kam nicht von dieser Website. Laden Sie die Seite neu und versuchen Sie es erneut.",
    not_found: "Das haben wir nicht gefunden.",
    method_not_allowed: "Das ist hier nicht möglich.",
    email_taken: "Mit dieser E-Mail-Adresse gibt es schon ein Konto. Melden Sie sich stattdessen an.",
    mfa_already_enabled: "Die Zwei-Faktor-Authentifizierung ist bereits eingeschaltet.",
    mfa_not_enabled: "Die Zwei-Faktor-Authentifizierung ist nicht eingeschaltet.",
    last_sign_in_method:
      "Das ist Ihre einzige Anmeldemöglichkeit. Fügen Sie zuerst eine weitere hinzu, bevor Sie diese entfernen.",
    last_admin:
      "Das ist die einzige Administratorin bzw. der einzige Administrator. Ernennen Sie zuerst jemand anderen.",
    payload_too_large: "Ihre Eingabe ist zu lang.",
    unsupported_media_type:
      "Das Formular konnte nicht gelesen werden. Laden Sie die Seite neu und versuchen Sie es erneut.",
    rate_limited: "Zu viele Versuche. Bitte warten Sie und versuchen Sie es dann erneut.",
    internal_error: "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.",
    server_busy: "Wir sind gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.",
    service_unavailable:
      "Ein Dienst, den wir brauchen, ist nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
    provider_unavailable:
      "Der Anmeldeanbieter antwortet nicht. Versuchen Sie es erneut oder melden Sie sich anders an.",
  },
  passwordRules: {
    too_short: "Verwenden Sie mindestens 8 Zeichen.",
    too_long: "Verwenden Sie höchstens 256 Zeichen.",
    common: "Dieses Passwort steht in Listen geleakter Passwörter. Wählen Sie ein anderes.",
    contains_email: "Verwenden Sie nicht Ihre E-Mail-Adresse als Passwort.",
  },
  signIn: {
    title: "Anmelden",
    heading: (product) => `Bei ${product} anmelden`,
    rememberMe: "Angemeldet bleiben",
    submit: "Anmelden",
    createAccount: "Konto erstellen",
    forgotPassword: "Passwort vergessen?",
    passkey: "Mit einem Passkey anmelden",
    passkeyUnsupported: "Dieser Browser kann keine Passkeys verwenden.",
    passkeyFailed:
      "Die Anmeldung mit einem Passkey hat nicht geklappt. Versuchen Sie es erneut oder verwenden Sie Ihr Passwort.",
    or: "oder",
    continueWith: (provider) => `Weiter mit ${provider}`,
    signedOut: "Sie sind abgemeldet.",
    socialError:
      "Die Anmeldung über diesen Anbieter hat nicht geklappt. Versuchen Sie es erneut oder melden Sie sich anders an.",
    accountExists:
      "Mit dieser E-Mail-Adresse gibt es schon ein Konto. Melden Sie sich mit Ihrem Passwort an und verknüpfen Sie den Anbieter dann in Ihrem Konto.",
  },
  mfa: {
    title: "Bestätigung in zwei Schritten",
    heading: "Code eingeben",
    intro:
      "Öffnen Sie Ihre Authenticator-App und geben Sie den 6-stelligen Code ein. Sie können auch einen Ihrer Backup-Codes verwenden.",
    code: "Code",
    verify: "Bestätigen",
    usePasskey: "Passkey verwenden",
    startOver: "Von vorn beginnen",
  },
  register: {},
  recovery: {},
  account: {},
  admin: {},
};

export default de;
