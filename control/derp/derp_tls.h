/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate pins as the DERP map writes them: CertName "sha256-raw:<64 hex>" is the SHA-256
 * of the server certificate's DER encoding. Shared by the client (to verify) and the relay
 * server (to print the pin of the certificate it generated).
 */
#ifndef EXITGATE_DERP_TLS_H
#define EXITGATE_DERP_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

enum {
	DERP_PIN_DIGEST_LEN = 32,
	/* "sha256-raw:" + 64 hex + NUL */
	DERP_PIN_TEXT_LEN = 11 + 64 + 1,
};

/* True when cert_name is a pin; then digest receives it. -1 when it starts like a pin but is
 * malformed, 0 when it is not a pin (verify with CAs), 1 when it is a pin. */
int derp_pin_parse(const char *cert_name, uint8_t digest[DERP_PIN_DIGEST_LEN]);
/* SHA-256 of the DER encoding of cert; 0 or -1. */
int derp_pin_of_cert(X509 *cert, uint8_t digest[DERP_PIN_DIGEST_LEN]);
void derp_pin_format(const uint8_t digest[DERP_PIN_DIGEST_LEN], char text[DERP_PIN_TEXT_LEN]);

#endif
