package keystore

const osBackend = Keychain
