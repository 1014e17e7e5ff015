/** The sign-in page's script: passkey sign-in (button and conditional UI). Filled in with the sign-in pages. */
export {};
