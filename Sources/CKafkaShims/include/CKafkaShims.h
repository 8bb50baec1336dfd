#ifndef CKAFKASHIMS_H
#define CKAFKASHIMS_H

#include <stddef.h>
#include <stdint.h>

/* Opaque librdkafka types, declared here rather than by including rdkafka.h, so Swift sees
   librdkafka's declarations through the CRdKafka module alone. */
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_headers_s rd_kafka_headers_t;

/// Enqueues one message (copying key and value) through the variadic rd_kafka_producev,
/// which Swift cannot call. On success librdkafka owns `headers`; on failure the caller
/// still owns them. Returns the librdkafka error code (rd_kafka_resp_err_t) directly, never through thread-local state.
int lf_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                               const void *key, size_t key_len,
                               const void *value, size_t value_len,
                               rd_kafka_headers_t *headers, int64_t timestamp_ms,
                               void *opaque);

/// Figures from the plain-C reference consumer.
typedef struct lf_reference_result {
    int64_t messages;
    int64_t bytes;
    double seconds;       /* from the first message to the last */
    char error[256];      /* empty on success */
} lf_reference_result;

/// The benchmark's ceiling: a minimal librdkafka consumer loop in C that joins `group`,
/// subscribes to `topic`, and polls until `expected` messages have arrived (or
/// `timeout_ms` passes), touching every payload byte count. Extra properties are
/// applied in order from the parallel `keys`/`values` arrays.
void lf_reference_consume(const char *bootstrap, const char *group, const char *topic,
                          const char *const *keys, const char *const *values, int count,
                          int64_t expected, int timeout_ms, lf_reference_result *out);

#endif
