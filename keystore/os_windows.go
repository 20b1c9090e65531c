package keystore

const osBackend = WinCred
