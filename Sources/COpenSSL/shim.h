#ifndef IOTGW_COPENSSL_SHIM_H
#define IOTGW_COPENSSL_SHIM_H
/* The few OpenSSL calls MQTTLink needs for TLS with a pre-shared key (TLS-PSK), wrapped in
   functions because the OpenSSL API is partly macros, which Swift cannot call. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The identity and key a link's context offers; kept as the context's app data. */
typedef struct {
    char identity[129];
    unsigned char key[64];
    unsigned int key_length;
} iotgw_tls_psk;

static unsigned int iotgw_tls_psk_callback(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_length,
                                           unsigned char *psk, unsigned int max_psk_length) {
    (void)hint;
    const iotgw_tls_psk *p = (const iotgw_tls_psk *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!p) return 0;
    size_t n = strlen(p->identity);
    if (n + 1 > max_identity_length || p->key_length > max_psk_length) return 0;
    memcpy(identity, p->identity, n + 1);
    memcpy(psk, p->key, p->key_length);
    return p->key_length;
}

/* Socket I/O for OpenSSL with MSG_NOSIGNAL: OpenSSL's own socket BIO uses write(), which raises
   SIGPIPE on a connection the broker closed. */
static int iotgw_bio_write(BIO *bio, const char *data, int length) {
    ssize_t n = send((int)(intptr_t)BIO_get_data(bio), data, (size_t)length, MSG_NOSIGNAL);
    BIO_clear_retry_flags(bio);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(bio);
    return (int)n;
}

static int iotgw_bio_read(BIO *bio, char *data, int length) {
    ssize_t n = recv((int)(intptr_t)BIO_get_data(bio), data, (size_t)length, 0);
    BIO_clear_retry_flags(bio);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
    return (int)n;
}

static long iotgw_bio_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio; (void)number; (void)pointer;
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

/* The BIO method above, made once per process (function-local: a header's file-scope statics are
   not emitted for Swift). */
static inline BIO_METHOD *iotgw_bio_method(void) {
    static BIO_METHOD *_Atomic method;
    BIO_METHOD *made = atomic_load(&method);
    if (made) return made;
    made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "iotgw socket");
    if (!made) return NULL;
    BIO_meth_set_write(made, iotgw_bio_write);
    BIO_meth_set_read(made, iotgw_bio_read);
    BIO_meth_set_ctrl(made, iotgw_bio_ctrl);
    BIO_METHOD *expected = NULL;
    if (!atomic_compare_exchange_strong(&method, &expected, made)) {
        BIO_meth_free(made);
        return expected;
    }
    return made;
}

/* A client context offering `identity` and `key` (1...64 bytes), TLS 1.2 or later. Reads ahead up
   to 256 KiB per recv, so many small records cost one system call. NULL on failure. */
static inline SSL_CTX *iotgw_tls_psk_context(const char *identity, const unsigned char *key, unsigned int key_length) {
    if (strlen(identity) > 128 || key_length == 0 || key_length > 64) return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    iotgw_tls_psk *p = (iotgw_tls_psk *)calloc(1, sizeof(iotgw_tls_psk));
    if (!p) { SSL_CTX_free(ctx); return NULL; }
    strcpy(p->identity, identity);
    memcpy(p->key, key, key_length);
    p->key_length = key_length;
    SSL_CTX_set_app_data(ctx, p);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_psk_client_callback(ctx, iotgw_tls_psk_callback);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    /* A broker that closes the socket without close_notify has closed the connection. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_default_read_buffer_len(ctx, 256 * 1024);
    return ctx;
}

static inline void iotgw_tls_context_free(SSL_CTX *ctx) {
    if (!ctx) return;
    iotgw_tls_psk *p = (iotgw_tls_psk *)SSL_CTX_get_app_data(ctx);
    if (p) { memset(p, 0, sizeof(*p)); free(p); }
    SSL_CTX_free(ctx);
}

/* A client session on the connected, non-blocking socket `fd` (not closed by SSL_free). */
static inline SSL *iotgw_tls_session(SSL_CTX *ctx, int fd) {
    BIO_METHOD *method = iotgw_bio_method();
    if (!method) return NULL;
    SSL *ssl = SSL_new(ctx);
    if (!ssl) return NULL;
    BIO *bio = BIO_new(method);
    if (!bio) { SSL_free(ssl); return NULL; }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_connect_state(ssl);
    return ssl;
}

/* The oldest queued OpenSSL error as text (empty when none), clearing the queue. */
static inline void iotgw_tls_last_error(char *buffer, size_t length) {
    unsigned long code = ERR_get_error();
    if (code == 0) { if (length) buffer[0] = 0; }
    else ERR_error_string_n(code, buffer, length);
    ERR_clear_error();
}
#endif
