package keystore

const osBackend = SecretService

func openOS(collection string) (backend, error) {
	return openSecretService(collection)
}
