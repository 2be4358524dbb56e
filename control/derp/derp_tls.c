/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "derp_tls.h"

static const char pin_prefix[] = "sha256-raw:";

int
derp_pin_parse(const char *cert_name, uint8_t digest[DERP_PIN_DIGEST_LEN])
{
	const size_t prefix_len = sizeof(pin_prefix) - 1;
	size_t bin_len;
	const char *hex;

	if (cert_name == NULL || strncmp(cert_name, pin_prefix, prefix_len) != 0)
		return 0;
	hex = cert_name + prefix_len;
	if (strlen(hex) != 2 * DERP_PIN_DIGEST_LEN ||
	    sodium_hex2bin(digest, DERP_PIN_DIGEST_LEN, hex, 2 * DERP_PIN_DIGEST_LEN, NULL,
			   &bin_len, NULL) != 0 ||
	    bin_len != DERP_PIN_DIGEST_LEN)
		return -1;
	return 1;
}

int
derp_pin_of_cert(X509 *cert, uint8_t digest[DERP_PIN_DIGEST_LEN])
{
	unsigned char *der = NULL;
	unsigned int digest_len = 0;
	int der_len, rc;

	der_len = i2d_X509(cert, &der);
	if (der_len <= 0)
		return -1;
	rc = EVP_Digest(der, (size_t)der_len, digest, &digest_len, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return rc == 1 && digest_len == DERP_PIN_DIGEST_LEN ? 0 : -1;
}

void
derp_pin_format(const uint8_t digest[DERP_PIN_DIGEST_LEN], char text[DERP_PIN_TEXT_LEN])
{
	memcpy(text, pin_prefix, sizeof(pin_prefix) - 1);
	sodium_bin2hex(text + sizeof(pin_prefix) - 1, 2 * DERP_PIN_DIGEST_LEN + 1, digest,
		       DERP_PIN_DIGEST_LEN);
}
