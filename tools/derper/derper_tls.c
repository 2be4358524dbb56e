/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's TLS context: certificate files, or a self-signed ECDSA P-256 certificate. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "derp_tls.h"
#include "derper.h"
#include "log.h"

static const char *
ssl_error(void)
{
	static char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int
add_san(X509 *cert, const char *name)
{
	char san[DERPER_NAME_MAX + 8];
	struct in6_addr probe;
	X509_EXTENSION *ext;
	bool is_ip = inet_pton(AF_INET, name, &probe) == 1 || inet_pton(AF_INET6, name, &probe) == 1;
	int rc;

	snprintf(san, sizeof(san), "%s:%s", is_ip ? "IP" : "DNS", name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext == NULL)
		return -1;
	rc = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return rc == 1 ? 0 : -1;
}

/* A fresh P-256 key and a one-year certificate for name, signed by itself. */
static int
make_self_signed(const char *name, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *subject;
	uint8_t serial[16];
	BIGNUM *bn = NULL;

	if (key == NULL || cert == NULL)
		goto fail;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		goto fail;
	if (X509_set_version(cert, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600) == NULL ||
	    X509_set_pubkey(cert, key) != 1)
		goto fail;
	subject = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)name,
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, subject) != 1 || add_san(cert, name) < 0 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	*key_out = key;
	*cert_out = cert;
	return 0;
fail:
	log_warn("self-signed certificate for %s: %s", name, ssl_error());
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return -1;
}

static int
write_pin_file(const char *path, const char *pin)
{
	char tmp[DERPER_PATH_MAX + 8];
	int fd, n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	size_t len = strlen(pin);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("pin file %s: open: %s", tmp, strerror(errno));
		return -1;
	}
	/* Written whole, then renamed: a reader never sees half a pin. */
	if (write(fd, pin, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		log_warn("pin file %s: write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		log_warn("pin file %s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

SSL_CTX *
derper_tls_context(const struct derper_config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	uint8_t digest[DERP_PIN_DIGEST_LEN];
	char pin[DERP_PIN_TEXT_LEN];

	if (ctx == NULL) {
		log_warn("tls: SSL_CTX_new: %s", ssl_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Idle connections keep no record buffers; partial writes let one slow peer not stall
	 * the loop; no session cache or tickets: clients reconnect rarely and memory is per
	 * connection. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (cfg->self_signed[0] != '\0') {
		EVP_PKEY *key;
		X509 *cert;
		int ok;

		if (make_self_signed(cfg->self_signed, &key, &cert) < 0)
			goto fail;
		ok = SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
		EVP_PKEY_free(key);
		X509_free(cert);
		if (!ok) {
			log_warn("tls: using the self-signed certificate: %s", ssl_error());
			goto fail;
		}
	} else if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
		   SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file_tls, SSL_FILETYPE_PEM) != 1 ||
		   SSL_CTX_check_private_key(ctx) != 1) {
		log_warn("tls: loading %s and %s: %s", cfg->cert_file, cfg->key_file_tls,
			 ssl_error());
		goto fail;
	}
	if (derp_pin_of_cert(SSL_CTX_get0_certificate(ctx), digest) < 0) {
		log_warn("tls: certificate digest: %s", ssl_error());
		goto fail;
	}
	derp_pin_format(digest, pin);
	log_info("certificate pin (DERP map cert_name): %s", pin);
	printf("%s\n", pin);
	fflush(stdout);
	if (cfg->pin_file[0] != '\0' && write_pin_file(cfg->pin_file, pin) < 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
